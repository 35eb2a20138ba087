"""docker-compose.yml speaks the same settings the code reads, on the documented ports."""

from pathlib import Path

import yaml

from shared.platform.settings import DEFAULT_PORTS, ENV_PREFIX, ServiceName, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_CONTAINERS = {
    name: spec
    for name, spec in COMPOSE["services"].items()
    if "COMPLAINTS_SERVICE" in spec.get("environment", {})
}


CASE_SERVICES = ("intake", "routing", "settlement", "analytics")
BROKERS = {name: spec for name, spec in COMPOSE["services"].items() if name.startswith("kafka-")}


def test_every_service_is_deployed_as_api_replicas_and_worker_replicas():
    services = {spec["environment"]["COMPLAINTS_SERVICE"] for spec in APP_CONTAINERS.values()}
    assert services == {s.value for s in ServiceName}
    workers = {n for n, spec in APP_CONTAINERS.items() if "worker" in spec.get("command", [])}
    assert workers == {f"{s}-worker" for s in CASE_SERVICES}
    for service in CASE_SERVICES:
        api, worker = APP_CONTAINERS[service], APP_CONTAINERS[f"{service}-worker"]
        assert api["deploy"]["replicas"] >= 2
        assert worker["deploy"]["replicas"] >= 2
        # The APIs leave the relay and the consumers to the workers.
        assert api["environment"]["COMPLAINTS_RELAY_ENABLED"] == "false"
        assert api["environment"]["COMPLAINTS_CONSUMERS_ENABLED"] == "false"
        assert "COMPLAINTS_RELAY_ENABLED" not in worker["environment"]
        assert "COMPLAINTS_CONSUMERS_ENABLED" not in worker["environment"]
    assert "postgres" in COMPOSE["services"]


def test_three_brokers_in_one_quorum_replicate_what_the_services_create():
    assert len(BROKERS) == 3
    envs = [spec["environment"] for spec in BROKERS.values()]
    voters = {f"{e['KAFKA_NODE_ID']}@{name}:9093" for name, e in zip(BROKERS, envs, strict=True)}
    for env in envs:
        assert set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters
        assert env["CLUSTER_ID"] == envs[0]["CLUSTER_ID"]
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
    for spec in APP_CONTAINERS.values():
        settings = Settings(**_settings_of(spec["environment"]))
        assert set(settings.kafka_bootstrap.split(",")) == {f"{n}:9092" for n in BROKERS}
        assert settings.kafka_replication_factor == len(BROKERS)
        for env in envs:
            assert settings.kafka_min_insync_replicas == int(env["KAFKA_MIN_INSYNC_REPLICAS"])
            assert settings.kafka_replication_factor == int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"])


def test_the_gateway_fronts_every_service_on_its_port_and_the_services_call_it():
    config = (ROOT / "deploy" / "gateway" / "haproxy.cfg").read_text()
    gateway = COMPOSE["services"]["gateway"]
    for service in ServiceName:
        port = DEFAULT_PORTS[service]
        assert f"{port}:{port}" in gateway["ports"]
        assert f"server-template {service.value} 10 {service.value}:{port} check" in config
    for spec in APP_CONTAINERS.values():
        for service in CASE_SERVICES:
            url = spec["environment"][f"COMPLAINTS_{service.upper()}_URL"]
            assert url == f"http://gateway:{DEFAULT_PORTS[ServiceName(service)]}"
        assert "ports" not in spec, "replicas cannot share a host port: the gateway has them"


def _settings_of(env: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix(ENV_PREFIX).lower(): v for k, v in env.items()}


def test_every_complaints_variable_is_a_setting_and_every_value_validates():
    fields = set(Settings.model_fields)
    for name, spec in APP_CONTAINERS.items():
        env = spec["environment"]
        unknown = [k for k in env if k.removeprefix(ENV_PREFIX).lower() not in fields]
        assert not unknown, f"{name}: {unknown} are not settings"
        Settings(**_settings_of(env))


def test_every_container_is_built_from_the_one_dockerfile_for_its_service_and_port():
    for spec in APP_CONTAINERS.values():
        service = ServiceName(spec["environment"]["COMPLAINTS_SERVICE"])
        assert "dockerfile" not in spec["build"]
        assert (ROOT / "Dockerfile").exists()
        assert spec["build"]["args"] == {
            "SERVICE": service.value,
            "PORT": str(DEFAULT_PORTS[service]),
        }
        if "command" not in spec:
            assert spec["environment"]["COMPLAINTS_PORT"] == str(DEFAULT_PORTS[service])
