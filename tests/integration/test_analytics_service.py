"""Analytics as a service: frozen and amended versions, recall alerts, exports, the dashboard."""

import io
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.analytics.main import create_app
from shared.contracts.envelope import IntegrationEvent
from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.settings import Settings
from tests.support.analytics_scenario import Publisher
from tests.support.auth import SigningProxy, bearer
from tests.support.timing import business_clock

pytestmark = pytest.mark.integration


@pytest.fixture
def desk(tmp_path):
    machine = ManualClock(datetime(2026, 11, 5, tzinfo=UTC))
    clock.install_clock(machine)
    settings = Settings(
        service="analytics",
        data_dir=tmp_path / "data",
        consumers_enabled=False,
        report_keeper_interval_seconds=3600,
    )
    api = create_app(settings)
    with TestClient(api, headers=bearer("admin")) as client:
        client.machine = machine
        client.publisher = Publisher()
        client.runtime = api.state.runtime
        yield client
    clock.install_clock(business_clock())


def feed(desk, producer, type_, case, at, data, recorded_at=None):
    envelope = desk.publisher.envelope(producer, type_, case, at, data, recorded_at)
    event = IntegrationEvent.model_validate(envelope)
    desk.portal.call(desk.runtime.handler.handle, event, f"{producer}#feed")


def register(desk, case, at, batch="B7", region="East", recorded_at=None, **more):
    feed(
        desk,
        "intake",
        "intake.ComplaintRegistered",
        case,
        at,
        {
            "number": case,
            "received_at": at.isoformat(),
            "channel": "phone",
            "nature": "quality",
            "complainant": {"name": "K", "type": "key_account", "customer_id": "K-1"},
            "taken_by": "clerk-wang",
            "subject": {"batch": batch, "region": region, "product": "PCB-A"},
            "description": "x",
            "demands": {},
            **more,
        },
        recorded_at,
    )


def test_a_month_is_provisional_then_final_and_later_events_amend_it_keeping_both(desk):
    register(desk, "2610-0001", datetime(2026, 10, 3, tzinfo=UTC))
    assert desk.get("/reports/monthly/2026-11").status_code == 409  # not over yet
    assert desk.get("/reports/monthly/2026-10").json()["stage"] == "provisional"

    desk.machine.set(datetime(2026, 11, 10, 1, tzinfo=UTC))  # the 10th in Shanghai
    assert desk.post("/admin/reports/keep").json()["stored"][0]["kind"] == "final"
    final = desk.get("/reports/monthly/2026-10").json()
    assert (final["stage"], final["version"], final["report"]["received"]) == ("final", 1, 1)

    # A complaint received in October registered late by an admin, after the report was final
    # (intake refuses anyone else, see test_intake_api).
    register(
        desk,
        "2610-0002",
        datetime(2026, 10, 30, tzinfo=UTC),
        recorded_at=datetime(2026, 11, 12, tzinfo=UTC),
        backdating_reason="letter found in the October post",
    )
    assert desk.get("/reports/monthly/2026-10").json()["report"]["received"] == 1  # frozen
    keyed = {"Idempotency-Key": "keep-after-backdating"}
    kept = desk.post("/admin/reports/keep", headers=keyed)
    assert kept.json() == {"stored": [{"period": "2026-10", "version": 2, "kind": "amended"}]}
    again = desk.post("/admin/reports/keep", headers=keyed)
    assert (again.json(), again.headers["Idempotent-Replayed"]) == (kept.json(), "true")
    amended = desk.get("/reports/monthly/2026-10").json()
    assert (amended["stage"], amended["version"]) == ("amended", 2)
    assert amended["report"]["received"] == 2
    assert [v["kind"] for v in amended["versions"]] == ["final", "amended"]
    assert desk.get("/reports/monthly/2026-10/versions/1").json()["body"]["received"] == 1
    publications = [
        e for e in desk.get("/events").json()["events"] if e["type"] == "analytics.ReportPublished"
    ]
    monthly = [p["data"]["kind"] for p in publications if p["data"]["period"] == "2026-10"]
    assert monthly == ["final", "amended"]


def test_the_same_batch_in_three_regions_within_30_days_raises_one_recall_alert(desk):
    start = datetime(2026, 10, 1, tzinfo=UTC)
    register(desk, "2610-0001", start, region="East")
    register(desk, "2610-0002", start + timedelta(days=40), region="West")  # outside window
    register(desk, "2610-0003", start + timedelta(days=45), region="North")
    alerts = [
        e
        for e in desk.get("/events").json()["events"]
        if e["type"] == "analytics.RecallCandidateRaised"
    ]
    assert alerts == []
    register(desk, "2610-0004", start + timedelta(days=50), region="South")
    register(desk, "2610-0005", start + timedelta(days=51), region="East")
    alerts = [
        e
        for e in desk.get("/events").json()["events"]
        if e["type"] == "analytics.RecallCandidateRaised"
    ]
    assert len(alerts) == 1
    assert alerts[0]["data"]["batch"] == "B7"
    assert set(alerts[0]["data"]["regions"]) == {"West", "North", "South"}
    assert alerts[0]["case_number"] == "2610-0004"


def test_the_report_exports_as_csv_and_xlsx_and_draws_its_charts(desk):
    from openpyxl import load_workbook

    register(desk, "2610-0001", datetime(2026, 10, 3, tzinfo=UTC))
    csv = desk.get("/reports/monthly/2026-10", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "summary,received,1" in csv.text
    workbook = load_workbook(
        io.BytesIO(desk.get("/reports/monthly/2026-10", params={"format": "xlsx"}).content)
    )
    assert workbook["summary"]["A2"].value == "month"
    assert "by_channel" in workbook.sheetnames
    svg = desk.get("/reports/monthly/2026-10/charts/trend.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    png = desk.get("/reports/monthly/2026-10/charts/causes.png")
    assert png.content.startswith(b"\x89PNG")
    assert desk.get("/reports/monthly/2026-13").status_code == 422


def test_a_month_not_yet_begun_has_no_chart_and_no_dashboard(desk):
    """The clock stands at 5 November 2026: November is charted as it runs, December not."""
    assert desk.get("/reports/monthly/2026-11/charts/trend.svg").status_code == 200
    for path in ("/reports/monthly/2026-12/charts/trend.svg", "/dashboard?month=2999-01"):
        refused = desk.get(path)
        assert refused.status_code == 409, path
        assert refused.json()["errors"][0]["rule"] == "month_not_begun"


def test_the_dashboard_renders_in_a_real_browser(desk, tmp_path):
    from tests.support.processes import ServiceProcesses

    register(desk, "2610-0001", datetime(2026, 10, 3, tzinfo=UTC))
    data_dir = Path(desk.runtime.settings.data_dir)
    processes = ServiceProcesses(
        {"COMPLAINTS_DATA_DIR": str(data_dir), "COMPLAINTS_CONSUMERS_ENABLED": "false"}, tmp_path
    )
    processes.start("analytics")
    gateway = SigningProxy(processes.url("analytics"), bearer("manager"))
    try:
        shot = tmp_path / "dashboard.png"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    "chromium",
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={profile}",
                    "--window-size=1400,1600",
                    "--virtual-time-budget=15000",
                    f"--screenshot={shot}",
                    f"{gateway.url}/dashboard?month=2026-10",
                ],
                check=True,
                timeout=120,
                capture_output=True,
            )
    finally:
        gateway.close()
        processes.stop_all()
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1000
    assert pixels.std() > 0.05, "the page is blank"
    (Path(__file__).resolve().parents[2] / "var").mkdir(exist_ok=True)
    shutil.copy(shot, Path(__file__).resolve().parents[2] / "var" / "dashboard.png")
