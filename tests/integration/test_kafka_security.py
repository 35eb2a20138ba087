"""Production Kafka access: SCRAM over TLS for the clients, least privilege in the ACLs."""

from __future__ import annotations

import importlib.util

import pytest

from shared.platform.bus.kafka import connection
from shared.platform.settings import SettingsError, load_settings
from tests.support.infra import ROOT as REPO


def test_a_service_on_sasl_ssl_presents_its_scram_credentials_over_tls(tmp_path):
    password = tmp_path / "kafka-intake-password"
    password.write_text("s3cret\n")
    settings = load_settings(
        service="intake",
        kafka_security_protocol="SASL_SSL",
        kafka_username="intake",
        kafka_password_file=password,
    )
    options = connection(settings.kafka)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("intake", "s3cret")
    assert options["ssl_context"].check_hostname


def test_sasl_without_credentials_stops_the_service_naming_the_variables():
    with pytest.raises(SettingsError, match="COMPLAINTS_KAFKA_PASSWORD_FILE"):
        load_settings(service="intake", kafka_security_protocol="SASL_SSL")


def test_each_service_may_write_only_its_topic_and_read_only_its_upstreams():
    spec = importlib.util.spec_from_file_location(
        "acls", REPO / "deploy" / "kafka" / "production" / "acls.py"
    )
    acls = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(acls)
    lines = acls.commands("kafka:9093", "admin.properties")
    intake = [line for line in lines if "User:intake " in line]
    writes = {line.split("--topic ")[1] for line in intake if "Write" in line and "--topic" in line}
    reads = {line.split("--topic ")[1] for line in intake if "Read" in line and "--topic" in line}
    assert writes == {"complaints.intake.v1", "complaints.deadletter.v1", "complaints.audit.v1"}
    assert reads == {"complaints.settlement.v1", "complaints.routing.v1"}
    assert any("--group complaints.intake" in line for line in intake)
    assert not any("complaints.analytics.v1" in line for line in intake)
