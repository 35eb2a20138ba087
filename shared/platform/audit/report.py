"""One case across the four services: merged JSON and an HTML timeline for people, and an
export with proofs for auditors.

The services answer `GET /audit/cases/{number}` from their own stores; this merges their
answers in causal and time order (`history.causal_order`). The export gathers each
service's `GET /audit/cases/{number}/proof` (`shared.platform.audit.export`) into one file.
"""

from __future__ import annotations

import html
import json
import time
from datetime import datetime
from typing import Any

import httpx

from shared.platform.audit.history import causal_order

#: The services whose stores hold a case's handling, and so make up its history and export.
#: (Notifications keeps what was told to whom; that is read from its deliveries.)
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


def fetch_proofs(
    urls: dict[str, str], number: str, headers: dict[str, str], wait_seconds: float
) -> tuple[list[str], int]:
    """Every service's proof lines of the case, and how many of its events were left out
    because no checkpoint pins them yet (waiting up to `wait_seconds` for the sealers)."""
    deadline = time.monotonic() + wait_seconds
    with httpx.Client(headers=headers, timeout=120) as client:
        while True:
            lines, unpinned = [], 0
            for service in SERVICES:
                answer = client.get(f"{urls[service]}/audit/cases/{number}/proof")
                answer.raise_for_status()
                lines += answer.json()["lines"]
                unpinned += answer.json()["unpinned"]
            if unpinned == 0 or time.monotonic() >= deadline:
                return lines, unpinned
            time.sleep(1)


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
