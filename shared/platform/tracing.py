"""OpenTelemetry tracing across HTTP and the bus, with the correlation id as the trace id.

A complaint's correlation id (a UUID, 128 bits) *is* its W3C trace id, so logs, stored
events, envelopes and spans all carry one id. HTTP requests open server spans (continuing an
incoming `traceparent`, or an `X-Correlation-ID`); consumers open a span per message under a
remote parent made from the envelope (trace = correlation id, parent span = the causing
event's id); the relay adds a `traceparent` header to Kafka messages. Off by default:
`COMPLAINTS_TRACING_EXPORTER=console|otlp` turns it on (otlp needs
opentelemetry-exporter-otlp-proto-http and the standard OTEL_EXPORTER_OTLP_* variables).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from shared.contracts.envelope import IntegrationEvent

tracer = trace.get_tracer("complaints")
_SPAN_MASK = (1 << 64) - 1


def configure(service: str, exporter: str) -> None:
    """Install the process's tracer provider (once, at start)."""
    if exporter == "none":
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter: Any = OTLPSpanExporter()
    else:
        span_exporter = ConsoleSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)


def _remote(trace_id: int, span_id: int) -> Any:
    context = SpanContext(
        trace_id=trace_id,
        span_id=span_id or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(context))


def parent_from_headers(headers: dict[str, str]) -> Any:
    """A remote parent from `traceparent`, or from an `X-Correlation-ID` UUID."""
    traceparent = headers.get("traceparent", "")
    parts = traceparent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        try:
            return _remote(int(parts[1], 16), int(parts[2], 16))
        except ValueError:
            pass
    try:
        correlation = UUID(headers.get("x-correlation-id", ""))
    except ValueError:
        return None
    return _remote(correlation.int, 1)


def current_correlation() -> str | None:
    """The trace id of the active span as a correlation id, when tracing is on."""
    context = trace.get_current_span().get_span_context()
    return str(UUID(int=context.trace_id)) if context.is_valid else None


@contextmanager
def consuming(service: str, event: IntegrationEvent):
    """The span of one message's processing, in the complaint's trace."""
    parent = _remote(event.correlation_id.int, event.event_id.int & _SPAN_MASK)
    with tracer.start_as_current_span(
        f"consume {event.type}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "complaints.service": service,
            "complaints.case_number": event.case_number,
            "complaints.event_type": event.type,
            "messaging.message.id": str(event.event_id),
        },
    ) as span:
        yield span


@contextmanager
def consuming_page(service: str, events: Sequence[IntegrationEvent]) -> Iterator[None]:
    """One span per message of a page applied in one transaction, each in its complaint's
    trace and each spanning the page's transaction (the message's effect is that page)."""
    with ExitStack() as spans:
        for event in events:
            spans.enter_context(
                tracer.start_as_current_span(
                    f"consume {event.type}",
                    context=_remote(event.correlation_id.int, event.event_id.int & _SPAN_MASK),
                    kind=SpanKind.CONSUMER,
                    attributes={
                        "complaints.service": service,
                        "complaints.case_number": event.case_number,
                        "complaints.event_type": event.type,
                        "complaints.page_size": len(events),
                        "messaging.message.id": str(event.event_id),
                    },
                    end_on_exit=True,
                )
            )
        yield


def traceparent(event: IntegrationEvent) -> str:
    return f"00-{event.correlation_id.hex}-{event.event_id.int & _SPAN_MASK:016x}-01"
