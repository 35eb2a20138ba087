"""Service settings, read from `COMPLAINTS_*` environment variables (pydantic-settings).

One settings class for every service: the knobs are the same (store, transport, upstreams),
and `docker-compose.yml` is checked against these field names by a test. A bad value stops
the service at start with a message naming the variable.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "COMPLAINTS_"


class ServiceName(StrEnum):
    intake = "intake"
    routing = "routing"
    settlement = "settlement"
    analytics = "analytics"


DEFAULT_PORTS = {
    ServiceName.intake: 8001,
    ServiceName.routing: 8002,
    ServiceName.settlement: 8003,
    ServiceName.analytics: 8004,
}

#: Whose integration events each service consumes.
UPSTREAMS: dict[ServiceName, tuple[ServiceName, ...]] = {
    ServiceName.intake: (ServiceName.settlement, ServiceName.routing),
    ServiceName.routing: (ServiceName.intake, ServiceName.settlement),
    ServiceName.settlement: (ServiceName.routing, ServiceName.intake),
    ServiceName.analytics: (ServiceName.intake, ServiceName.routing, ServiceName.settlement),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    service: ServiceName
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)

    store: str = Field(default="sqlite", pattern="^(sqlite|postgres)$")
    data_dir: Path = Path("var/data")
    postgres_url: str = "postgresql://complaints:complaints@127.0.0.1:15432"
    postgres_pool_size: int = Field(default=5, ge=1, le=100)
    #: Prefix of the per-service database names (`<prefix><service>`), e.g. for test isolation.
    database_prefix: str = Field(default="", pattern="^[a-z0-9_]*$")

    transport: str = Field(default="http", pattern="^(http|kafka)$")
    kafka_bootstrap: str = "127.0.0.1:19092"
    kafka_topic_prefix: str = "complaints"
    kafka_partitions: int = Field(default=3, ge=1, le=1000)
    #: Consumer group; defaults to `<topic prefix>.<service>`. A new group starts from the
    #: earliest offset, which is how a full redelivery (replay) is done.
    kafka_group_id: str | None = None
    #: PLAINTEXT on loopback (tests, embedded); SASL_SSL with SCRAM in production.
    kafka_security_protocol: str = Field(default="PLAINTEXT", pattern="^(PLAINTEXT|SASL_SSL)$")
    kafka_sasl_mechanism: str = Field(default="SCRAM-SHA-512", pattern="^SCRAM-SHA-(256|512)$")
    kafka_username: str | None = None
    kafka_password_file: Path | None = None
    #: The CA that signed the brokers' certificates; the system CAs when unset.
    kafka_ca_file: Path | None = None

    intake_url: str = "http://127.0.0.1:8001"
    routing_url: str = "http://127.0.0.1:8002"
    settlement_url: str = "http://127.0.0.1:8003"
    #: Read by `complaints audit show|export` only; no service consumes analytics.
    analytics_url: str = "http://127.0.0.1:8004"

    relay_enabled: bool = True
    consumers_enabled: bool = True
    poll_interval_seconds: float = Field(default=0.2, gt=0, le=60)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    consumer_max_attempts: int = Field(default=3, ge=1, le=100)
    #: How often routing's scheduler looks for due deadline timers.
    scheduler_interval_seconds: float = Field(default=1.0, gt=0, le=3600)

    business_timezone: str = "Asia/Shanghai"
    acknowledge_within_hours: int = Field(default=24, ge=1, le=24 * 30)
    repeat_window_days: int = Field(default=90, ge=1, le=3650)
    #: Analytics: the monthly report becomes final (and frozen) on this day of the next month.
    report_final_day: int = Field(default=10, ge=1, le=28)
    report_keeper_interval_seconds: float = Field(default=60, gt=0, le=86400)
    #: A batch complained of in this many regions within this many days is a recall candidate.
    batch_cluster_regions: int = Field(default=3, ge=2, le=100)
    batch_cluster_days: int = Field(default=30, ge=1, le=365)
    evidence_dir: Path = Path("var/evidence")

    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    #: OpenTelemetry exporter: none (default), console, or otlp.
    tracing_exporter: str = Field(default="none", pattern="^(none|console|otlp)$")
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Browser origins allowed to call the API (CORS), comma-separated; none by default.
    cors_origins: str = ""
    #: A request still running after this long is answered 503 (its work may still finish).
    request_timeout_seconds: float = Field(default=30, gt=0, le=3600)

    #: Bearer tokens must name this issuer and audience.
    auth_issuer: str = Field(default="complaints", min_length=1)
    auth_audience: str = Field(default="complaints-api", min_length=1)
    #: HS256 with a generated installation secret (embedded default), or RS256 with the
    #: identity provider's public key (`auth_public_key_file` or `auth_jwks_url`).
    auth_algorithm: str = Field(default="HS256", pattern="^(HS256|RS256)$")
    auth_secret_file: Path = Path("var/auth/hs256.secret")
    auth_public_key_file: Path | None = None
    auth_jwks_url: str | None = None
    auth_leeway_seconds: int = Field(default=30, ge=0, le=600)
    #: A token this service presents to read other services' feeds under RS256.
    service_token_file: Path | None = None
    #: Requests per minute per token subject (burst up to the same); 0 turns the limit off.
    rate_limit_per_minute: int = Field(default=600, ge=0, le=1_000_000)

    #: Key of the per-stream event links and of the checkpoint signatures; generated on
    #: first use, shared by the services of an installation, never stored in a database.
    audit_key_file: Path = Path("var/audit/chain.key")
    #: Append-only location of the signed checkpoints (`<database>.jsonl`), e.g. a WORM
    #: mount; `<data dir>/audit-checkpoints` when unset.
    audit_checkpoint_dir: Path | None = None
    #: How often the log chain is pinned by a new checkpoint (when there are new events).
    audit_checkpoint_interval_seconds: float = Field(default=10, gt=0, le=86400)

    #: Connections a service process serves at once; beyond, new ones are answered 503.
    max_connections: int = Field(default=1000, ge=10, le=100_000)

    #: Seconds a request's line and headers may take to arrive; then 408 and the connection
    #: is closed (a client trickling headers would hold a connection slot for ever).
    header_timeout_seconds: float = Field(default=10, gt=0, le=300)

    #: Shift the process clock by this many seconds from the wall clock (then real speed):
    #: drills and tests, which give every process the same shift.
    clock_shift_seconds: float = Field(default=0, ge=-(10**10), le=10**10)

    #: Test-only fault injection: a consumer SIGKILLs itself right after committing an
    #: effect and before committing the Kafka offset. Never set in production.
    fault_kill_after_effect: bool = False
    #: Test-only fault injection: the service SIGKILLs itself once the Nth command of this
    #: process has committed, before its answer is sent (0: never). Never set in production.
    fault_kill_before_answer: int = Field(default=0, ge=0)

    @field_validator("business_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("postgres_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ValueError("must look like postgresql://user:password@host:port")
        return value

    @model_validator(mode="after")
    def _sasl_has_credentials(self) -> Settings:
        if self.kafka_security_protocol == "SASL_SSL" and not (
            self.kafka_username and self.kafka_password_file
        ):
            raise ValueError(
                "kafka_security_protocol SASL_SSL needs COMPLAINTS_KAFKA_USERNAME and "
                "COMPLAINTS_KAFKA_PASSWORD_FILE"
            )
        return self

    @model_validator(mode="after")
    def _rs256_has_a_key(self) -> Settings:

        if self.auth_algorithm == "RS256" and not (self.auth_public_key_file or self.auth_jwks_url):
            raise ValueError(
                "auth_algorithm RS256 needs COMPLAINTS_AUTH_PUBLIC_KEY_FILE or "
                "COMPLAINTS_AUTH_JWKS_URL"
            )
        return self

    @property
    def allowed_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def http_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.service]

    @property
    def upstreams(self) -> tuple[ServiceName, ...]:
        return UPSTREAMS[self.service]

    def upstream_url(self, upstream: ServiceName) -> str:
        return getattr(self, f"{upstream.value}_url")

    def topic(self, producer: ServiceName | str) -> str:
        return f"{self.kafka_topic_prefix}.{ServiceName(producer).value}.v1"

    @property
    def consumer_group(self) -> str:
        return self.kafka_group_id or f"{self.kafka_topic_prefix}.{self.service.value}"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.kafka_topic_prefix}.deadletter.v1"

    @property
    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.data_dir / "audit-checkpoints"

    def database_name(self) -> str:
        return f"{self.database_prefix}{self.service.value}"


class SettingsError(SystemExit):
    """Raised at start when the environment holds a bad setting; prints one line."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            if item["loc"]:
                problems.append(f"{ENV_PREFIX}{str(item['loc'][0]).upper()}: {item['msg']}")
            else:
                problems.append(item["msg"].removeprefix("Value error, "))

        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
