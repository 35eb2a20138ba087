"""One case across the four services, for people: merged JSON, an HTML timeline, an export.

The services answer `GET /audit/cases/{number}` from their own stores; this merges their
answers in causal and time order (`history.causal_order`). The export is JSON lines, one
event each with its chain link, and a last line with the SHA-256 of all lines before it, so
the file an auditor keeps can be checked both against itself and against the stores.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime
from typing import Any

import httpx

from shared.audit.history import causal_order

SERVICES = ("intake", "routing", "settlement", "analytics")


def fetch_case(
    urls: dict[str, str],
    number: str,
    headers: dict[str, str],
    as_of: datetime | None = None,
    as_of_event: str | None = None,
) -> dict[str, Any]:
    """The merged history; with `as_of` (or the moment of `as_of_event`), every service's
    state then too."""
    events: list[dict[str, Any]] = []
    with httpx.Client(headers=headers, timeout=60) as client:
        for service in SERVICES:
            offset: int | None = 0
            while offset is not None:
                page = client.get(
                    f"{urls[service]}/audit/cases/{number}",
                    params={"offset": offset, "limit": 1000},
                )
                page.raise_for_status()
                events += page.json()["events"]
                offset = page.json()["next_offset"]
        case: dict[str, Any] = {"case_number": number, "events": causal_order(events)}
        if as_of_event is not None:
            as_of = moment_of(case, as_of_event)
        if as_of is not None:
            case["as_of"] = as_of.isoformat()
            case["state"] = {}
            for service in SERVICES:
                answer = client.get(
                    f"{urls[service]}/audit/cases/{number}/state",
                    params={"as_of": as_of.isoformat()},
                )
                answer.raise_for_status()
                case["state"][service] = answer.json()["aggregates"]
    return case


def moment_of(case: dict[str, Any], event_id: str) -> datetime:
    """When an event of the case happened: "as of this event" is as of that moment."""
    for event in case["events"]:
        if event["event_id"] == event_id:
            return datetime.fromisoformat(event["at"])
    raise SystemExit(f"case {case['case_number']} has no event {event_id}")


def export_lines(case: dict[str, Any]) -> str:
    lines = [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in case["events"]]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    trailer = {"case_number": case["case_number"], "events": len(lines), "sha256": digest}
    return "\n".join([*lines, json.dumps(trailer, sort_keys=True)]) + "\n"


def timeline_html(case: dict[str, Any]) -> str:
    rows = []
    for e in case["events"]:
        actor = e.get("actor") or {}
        data = json.dumps(e["data"], ensure_ascii=False, sort_keys=True)
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    e["at"],
                    e["service"],
                    e["type"],
                    f"{actor.get('id', '')} ({actor.get('role', '')})",
                    e["version"],
                )
            )
            + f"<td><code>{html.escape(data)}</code></td>"
            + f"<td><code>{e['link'][:16]}…</code></td></tr>"
        )
    number = html.escape(case["case_number"])
    return (
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        f"<title>Case {number}</title>"
        "<style>body{font-family:sans-serif}td{border-top:1px solid #ccc;padding:4px;"
        "vertical-align:top}code{font-size:85%}</style>"
        f"<h1>Case {number}: {len(case['events'])} events</h1><table>"
        "<tr><th>when (UTC)</th><th>service</th><th>what</th><th>who</th><th>version</th>"
        "<th>details</th><th>link</th></tr>" + "".join(rows) + "</table></html>"
    )
