"""A route's dependencies run on the event loop: FastAPI runs a plain `def` dependency in a
worker thread, a hop that costs more than fetching the application from `app.state` itself
and was, for every request, a sixth of routing's CPU under load (py-spy, issue #21)."""

import inspect

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from shared.platform.settings import Settings

SERVICES = ["intake", "routing", "settlement", "analytics", "notifications"]


def threaded(dependant: Dependant) -> set[str]:
    """The dependencies under `dependant` that FastAPI would run in its thread pool."""
    found = set()
    for sub in dependant.dependencies:
        call = sub.call
        if call is not None and not (
            inspect.iscoroutinefunction(call)
            or inspect.isasyncgenfunction(call)
            or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004
        ):
            found.add(f"{call.__module__}.{call.__qualname__}")
        found |= threaded(sub)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_waits_for_a_thread_to_fetch_what_it_depends_on(service, tmp_path):
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    app = module.create_app(Settings(service=service, data_dir=tmp_path))
    found = set()
    routes = list(iter_route_contexts(app.routes))
    assert len(routes) > 10
    for route in routes:
        if (dependant := getattr(route, "dependant", None)) is not None:
            found |= threaded(dependant)
    assert found == set()
