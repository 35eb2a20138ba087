"""A case read back from a service's event store, and its state at any past moment.

The source is the store itself (never a projection): the case's streams, event by event,
with who acted, in what role, on what authority (the event's data), when, within which
flow (correlation) and because of what (causation), and each event's chain link so an
export can be checked against the store later.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from eventsourcing.utils import resolve_topic
from fastapi.encoders import jsonable_encoder

from shared.contracts.envelope import stable_event_id
from shared.platform.audit.chain import unseal

HIDDEN = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def case_history(app: Any, number: str) -> list[dict[str, Any]]:
    """Every stored event of the case in this service, oldest first within each stream."""
    entries = []
    service = app.name.lower()
    for stream in app.case_streams(number):
        aggregate = "?"
        for stored in app.recorder.select_events(stream):
            event = app.mapper.to_domain_event(stored)
            if hasattr(event, "originator_topic"):  # the stream's first event names its kind
                aggregate = resolve_topic(event.originator_topic).__name__
            meta = getattr(event, "meta", None) or {}
            entries.append(
                {
                    "service": service,
                    "event_id": str(stable_event_id(service, stream, stored.originator_version)),
                    "stream": str(stream),
                    "version": stored.originator_version,
                    # The aggregate's event, however its class is arranged in modules
                    # (a case's events are declared by its parts: `Assignment.Assigned`).
                    "type": f"{aggregate}.{type(event).__name__}",
                    "at": event.timestamp.isoformat(),
                    "actor": meta.get("actor"),
                    "correlation_id": meta.get("correlation_id"),
                    "causation_id": meta.get("causation_id"),
                    "data": jsonable_encoder(
                        {k: v for k, v in vars(event).items() if k not in HIDDEN}
                    ),
                    "link": (unseal(stored.state).link or b"").hex(),
                }
            )
    return sorted(entries, key=lambda e: (e["at"], e["stream"], e["version"]))


def state_as_of(app: Any, number: str, moment: datetime) -> dict[str, Any]:
    """Each of the case's aggregates replayed up to `moment` (absent if not yet begun)."""
    states = {}
    for stream in app.case_streams(number):
        version = None
        for stored in app.recorder.select_events(stream):
            if app.mapper.to_domain_event(stored).timestamp > moment:
                break
            version = stored.originator_version
        if version is None:
            continue
        aggregate = app.repository.get(stream, version=version)
        states[str(stream)] = {
            "type": type(aggregate).__qualname__,
            "version": version,
            "state": jsonable_encoder(
                {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
            ),
        }
    return states


def causal_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge several services' histories: by time, but never an effect before its cause.

    A consumer's event names the integration event that caused it (`causation_id`), whose id
    is derived from the producing stored event, so the cause is found across services even
    when the two machines' clocks disagree.
    """
    known = {e["event_id"] for e in entries}
    ordered: list[dict[str, Any]] = []
    emitted: set[str] = set()
    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def emit(entry: dict[str, Any]) -> None:
        ordered.append(entry)
        emitted.add(entry["event_id"])
        for effect in waiting.pop(entry["event_id"], []):
            emit(effect)

    for entry in sorted(entries, key=lambda e: (e["at"], e["service"], e["version"])):
        cause = entry.get("causation_id")
        if cause is not None and cause in known and cause not in emitted:
            waiting[cause].append(entry)
        else:
            emit(entry)
    return ordered
