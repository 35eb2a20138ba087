"""One complaint followed through all four services in one trace.

The four services run in this process (the product's server in threads, talking over real
HTTP feeds) so that one in-memory span exporter sees all their spans. A registration sent with a
`traceparent` is found again as spans of intake (the request), and of routing, settlement
and analytics (consuming what it caused), all under the same trace id — which is also the
complaint's correlation id in every stored event.
"""

import threading
import uuid

import httpx
import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cli.server import Server
from shared.platform.settings import ServiceName, Settings
from tests.support.auth import bearer
from tests.support.infra import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def four_services(tmp_path_factory):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)
    data = tmp_path_factory.mktemp("traced")
    ports = {s: free_port() for s in ServiceName}
    urls = {f"{s.value}_url": f"http://127.0.0.1:{p}" for s, p in ports.items()}
    servers = []
    for service, port in ports.items():
        module = __import__(f"services.{service.value}.main", fromlist=["create_app"])
        settings = Settings(
            service=service,
            port=port,
            data_dir=data,
            transport="http",
            poll_interval_seconds=0.05,
            evidence_dir=data / "evidence",
            **{k: v for k, v in urls.items() if k != "analytics_url"},
        )
        app = module.create_app(settings)
        server = Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"),
            app.state.runtime.stopping,
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
    for port in ports.values():
        wait_until(lambda p=port: _up(p), what=f"service on {port}")
    yield {s.value: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    for server, _ in servers:
        server.should_exit = True
    for _, thread in servers:
        thread.join(timeout=30)


def _up(port):
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def services_in(trace_id: int) -> set[str]:
    return {
        span.attributes.get("complaints.service")
        for span in EXPORTER.get_finished_spans()
        if span.context.trace_id == trace_id
    }


def test_one_trace_follows_a_complaint_through_all_four_services(four_services):
    trace_id = uuid.uuid4()
    response = httpx.post(
        f"{four_services['intake']}/complaints",
        timeout=10,
        headers={"traceparent": f"00-{trace_id.hex}-{'ab' * 8}-01", **bearer("clerk")},
        json={
            "channel": "phone",
            "nature": "quality",
            "received_at": "2026-10-05T02:00:00+00:00",
            "complainant": {"name": "Zhang San", "customer_id": "C-1"},
            "subject": {"part_no": "PCB-7731"},
            "problem": {"what": "bridges", "where": "J3"},
            "description": "d",
        },
    )
    assert response.status_code == 201
    wait_until(
        lambda: services_in(trace_id.int) >= {"intake", "routing", "settlement", "analytics"},
        what="spans of all four services in the complaint's trace",
    )
    number = response.json()["number"]
    timeline = httpx.get(
        f"{four_services['intake']}/complaints/{number}/timeline", headers=bearer("auditor")
    ).json()
    assert timeline[0]["correlation_id"] == str(trace_id)

    def consumed():
        return {
            span.name
            for span in EXPORTER.get_finished_spans()
            if span.context.trace_id == trace_id.int and span.name.startswith("consume")
        }

    wait_until(
        lambda: (
            {"consume intake.ComplaintRegistered", "consume routing.CaseAssigned"} <= consumed()
        ),
        what="routing's event consumed in the same trace",
    )
