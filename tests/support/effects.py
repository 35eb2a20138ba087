"""What a consumer's store holds because of upstream events, to find any applied twice."""

from collections import Counter

from tests.conftest import settings_from

NOT_CONTENT = ("originator_id", "originator_version", "timestamp", "meta")


def effects(env: dict[str, str], service: str) -> Counter:
    """Each stored event caused by an upstream event, by aggregate, cause, type and content
    (one upstream event may start several clocks, never the same clock twice) -> how many."""
    from importlib import import_module

    settings = settings_from(env, service)
    app = import_module(f"services.{service}.main").create_app(settings).state.runtime.app
    try:
        counted: Counter = Counter()
        for n in app.recorder.select_notifications(start=1, limit=100_000):
            event = app.mapper.to_domain_event(n)
            cause = (getattr(event, "meta", None) or {}).get("causation_id")
            if cause:
                content = {k: v for k, v in vars(event).items() if k not in NOT_CONTENT}
                kind = type(event).__qualname__
                counted[(event.originator_id, cause, kind, repr(sorted(content.items())))] += 1
        return counted
    finally:
        app.close()
