"""Prometheus metrics of a service (`GET /metrics`).

Each app has its own registry (tests run several services in one process). Lags are read
live at scrape time from the relay and the consumers, so a scrape shows the truth of that
moment: relay lag = outbox head - published position; consumer lag = upstream head (feed) or
high-water mark (Kafka) - the consumer's position, per upstream and partition.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.platform.audit.checkpoints import CheckpointFile, unpinned
from shared.platform.relay import RELAY_STREAM

if TYPE_CHECKING:
    from shared.platform.runtime import ServiceRuntime
    from shared.platform.sqlviews import LocalProjector

Refresh = Callable[["ServiceMetrics"], Awaitable[None]]


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "complaints_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "complaints_http_request_seconds",
            "HTTP latency by route",
            ["method", "route"],
            registry=self.registry,
        )
        self.appended = Counter(
            "complaints_events_appended",
            "Domain events stored, by type",
            ["type"],
            registry=self.registry,
        )
        self.amounts = Counter(
            "complaints_settlement_amount",
            "Money credited or paid, gross",
            ["kind", "currency"],
            registry=self.registry,
        )
        self.gauges: dict[str, tuple[str, dict[tuple[str, ...], float], tuple[str, ...]]] = {}

    def set_gauge(
        self,
        name: str,
        help_text: str,
        labels: tuple[str, ...],
        values: dict[tuple[str, ...], float],
    ) -> None:
        """A gauge whose values a service refreshes before each scrape (e.g. from SQL)."""
        self.gauges[name] = (help_text, values, labels)

    def watch(self, runtime: ServiceRuntime) -> None:
        self.registry.register(_RuntimeCollector(runtime, self))

    async def refresh_views(self, views: Sequence[LocalProjector]) -> None:
        """How far each SQL view of the service's own log lags, and whether it is failing
        (alert on 1: it stopped following, and its lists lag), read before each scrape."""
        self.set_gauge(
            "complaints_view_lag",
            "Log positions of the service's own log not yet in the view",
            ("view",),
            {(view.stream,): await view.behind() for view in views},
        )
        self.set_gauge(
            "complaints_view_failing",
            "1 while a view of the service's own log cannot project its next page",
            ("view",),
            {(view.stream,): 1 if view.failure else 0 for view in views},
        )


class _RuntimeCollector:
    def __init__(self, runtime: ServiceRuntime, metrics: ServiceMetrics) -> None:
        self.runtime = runtime
        self.metrics = metrics

    def collect(self) -> Iterable[Any]:
        relay = GaugeMetricFamily("complaints_relay_lag", "Outbox positions not yet published")
        relay_position = GaugeMetricFamily(
            "complaints_relay_published_position", "Last outbox position published"
        )
        runtime = self.runtime
        withheld = GaugeMetricFamily(
            "complaints_outbox_withheld",
            "Events the outbox could not publish and nobody has repaired yet (alert on > 0)",
        )
        if runtime.app is not None:
            withheld.add_metric([], runtime.app.unrepaired_withheld())
        if runtime.settings.transport == "kafka" and runtime.app and runtime.outbox:
            # From the stored position: true even where the relay runs in another process.
            published = runtime.app.tracked_position(RELAY_STREAM) or 0
            relay.add_metric([], max(0, runtime.outbox.head() - published))
            relay_position.add_metric([], published)
        lag = GaugeMetricFamily(
            "complaints_consumer_lag",
            "Upstream positions not yet consumed",
            labels=["consumer", "upstream", "partition"],
        )
        dead = GaugeMetricFamily(
            "complaints_dead_letters", "Messages dead-lettered by consumer", labels=["consumer"]
        )
        processed = GaugeMetricFamily(
            "complaints_consumed", "Messages whose effect was applied", labels=["consumer"]
        )
        for consumer in self.runtime.consumers:
            dead.add_metric([consumer.name], consumer.dead_lettered)
            processed.add_metric([consumer.name], consumer.processed)
            for (upstream, partition), behind in consumer.subscription.lag().items():
                lag.add_metric([consumer.name, upstream, partition], behind)
        yield from (relay, relay_position, withheld, lag, dead, processed)
        yield from self._audit_tail()
        for name, (help_text, values, labels) in self.metrics.gauges.items():
            family = GaugeMetricFamily(name, help_text, labels=list(labels))
            for key, value in values.items():
                family.add_metric(list(key), value)
            yield family

    def _audit_tail(self) -> Iterable[Any]:
        """How much of the store's log awaits a checkpoint, and for how long (alert when the
        age passes a few checkpoint intervals: the sealer is not running)."""
        app, settings = self.runtime.app, self.runtime.settings
        if app is None:
            return
        audit = settings.audit
        file = CheckpointFile(audit.checkpoint_dir, audit.store)
        tail = unpinned(file, app.recorder, app.mapper)
        positions = GaugeMetricFamily(
            "complaints_audit_unpinned_positions",
            "Log positions stored after the last audit checkpoint (covered by links only)",
        )
        positions.add_metric([], tail.positions)
        age = GaugeMetricFamily(
            "complaints_audit_unpinned_age_seconds",
            "How long the oldest event after the last audit checkpoint has waited",
        )
        age.add_metric([], tail.age_seconds)
        yield from (positions, age)
        if self.runtime.sealer is not None:
            failing = GaugeMetricFamily(
                "complaints_audit_sealing_failing",
                "1 while this process's audit sealer cannot pin the log (alert on 1; `/ready` "
                "says why)",
            )
            failing.add_metric([], 1 if self.runtime.sealer.failure else 0)
            yield failing


class Measured:
    """Counts and times every request by its route template (plain ASGI, see `Correlated`)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router records the matched route in the scope it was given.
            template = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


def install(app: FastAPI, metrics: ServiceMetrics, refresh: Refresh | None) -> None:
    app.add_middleware(Measured, metrics=metrics)
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def scrape() -> Response:
        if refresh:
            await refresh(metrics)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
