"""docker-compose.yml speaks the same settings the code reads, on the documented ports."""

from pathlib import Path

import yaml

from shared.settings import DEFAULT_PORTS, ENV_PREFIX, ServiceName, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_CONTAINERS = {
    name: spec
    for name, spec in COMPOSE["services"].items()
    if "COMPLAINTS_SERVICE" in spec.get("environment", {})
}


def test_every_service_and_a_relay_for_each_producer_is_deployed():
    services = {spec["environment"]["COMPLAINTS_SERVICE"] for spec in APP_CONTAINERS.values()}
    assert services == {s.value for s in ServiceName}
    relays = {n for n, spec in APP_CONTAINERS.items() if "worker" in spec.get("command", [])}
    assert relays == {"intake-relay", "routing-relay", "settlement-relay"}
    assert {"postgres", "kafka"} <= set(COMPOSE["services"])


def test_every_complaints_variable_is_a_setting_and_every_value_validates():
    fields = set(Settings.model_fields)
    for name, spec in APP_CONTAINERS.items():
        env = spec["environment"]
        unknown = [k for k in env if k.removeprefix(ENV_PREFIX).lower() not in fields]
        assert not unknown, f"{name}: {unknown} are not settings"
        Settings(**{k.removeprefix(ENV_PREFIX).lower(): v for k, v in env.items()})


def test_every_container_is_built_from_the_one_dockerfile_for_its_service_and_port():
    for spec in APP_CONTAINERS.values():
        service = ServiceName(spec["environment"]["COMPLAINTS_SERVICE"])
        assert "dockerfile" not in spec["build"]
        assert (ROOT / "Dockerfile").exists()
        assert spec["build"]["args"] == {
            "SERVICE": service.value,
            "PORT": str(DEFAULT_PORTS[service]),
        }
        if "ports" in spec:
            port = DEFAULT_PORTS[service]
            assert spec["ports"] == [f"{port}:{port}"]
            assert spec["environment"]["COMPLAINTS_PORT"] == str(port)
