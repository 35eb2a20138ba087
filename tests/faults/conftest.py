"""Fault tests run the services as processes on PostgreSQL + Kafka and kill them."""

import pytest

from tests.support.processes import ServiceProcesses


@pytest.fixture
def processes(production_env, tmp_path):
    running = ServiceProcesses(production_env, tmp_path)
    yield running
    running.stop_all()
