"""The two deployments every e2e story runs on: embedded default, and PostgreSQL + Kafka."""

import pytest

from tests.support.processes import ServiceProcesses


@pytest.fixture(params=["embedded", "postgres+kafka"])
def system(request, tmp_path):
    if request.param == "embedded":
        env = {
            "COMPLAINTS_STORE": "sqlite",
            "COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
            "COMPLAINTS_TRANSPORT": "http",
            "COMPLAINTS_POLL_INTERVAL_SECONDS": "0.05",
        }
    else:
        env = dict(request.getfixturevalue("production_env"))
    env["COMPLAINTS_AUDIT_CHECKPOINT_INTERVAL_SECONDS"] = "0.5"
    processes = ServiceProcesses(env, tmp_path)
    processes.start_all()
    yield processes
    processes.stop_all()
