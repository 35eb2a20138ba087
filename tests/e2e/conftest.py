"""The two deployments every e2e story runs on: embedded default, and PostgreSQL + Kafka."""

import pytest

from tests.support.processes import DEPLOYMENTS, ServiceProcesses, deployment_env


@pytest.fixture(params=DEPLOYMENTS)
def system(request, tmp_path):
    env = deployment_env(request, tmp_path)
    env["COMPLAINTS_AUDIT_CHECKPOINT_INTERVAL_SECONDS"] = "0.5"
    processes = ServiceProcesses(env, tmp_path)
    processes.start_all()
    yield processes
    processes.stop_all()
