"""The case services as replicas, the shape `docker-compose.yml` deploys, on loopback.

Each of intake, routing, settlement and analytics runs R API processes (no relay, no
consumers) behind one round-robin address, and R workers (relay and consumers) in one
consumer group. The services call each other (and the tests call them) at that address.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.support.balancer import RoundRobin
from tests.support.infra import free_port
from tests.support.processes import CORE, ServiceProcesses

API_ONLY = {"relay_enabled": "false", "consumers_enabled": "false"}


@contextlib.contextmanager
def replicated(
    env: dict[str, str], folder: Path, replicas: int, **worker_settings: str
) -> Iterator[ServiceProcesses]:
    """Started and healthy; stopped (and the balancers closed) on leaving."""
    backends = {service: [free_port() for _ in range(replicas)] for service in CORE}
    with contextlib.ExitStack() as balancers:
        fronts = {s: balancers.enter_context(RoundRobin(ports)) for s, ports in backends.items()}
        addresses = {s: f"http://127.0.0.1:{front.port}" for s, front in fronts.items()}
        processes = ServiceProcesses(
            {**env, **{f"COMPLAINTS_{s.upper()}_URL": url for s, url in addresses.items()}},
            folder,
        )
        processes.ports.update({s: front.port for s, front in fronts.items()})
        try:
            for service, ports in backends.items():
                for replica, port in enumerate(ports, 1):
                    name = f"{service}-api-{replica}"
                    processes.start(service, name=name, port=port, **API_ONLY)
                    worker = f"{service}-worker-{replica}"
                    processes.start(service, mode="worker", name=worker, **worker_settings)
            yield processes
        finally:
            processes.stop_all()
