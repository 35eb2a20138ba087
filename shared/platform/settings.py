"""Service settings, read from `COMPLAINTS_*` environment variables (pydantic-settings).

One settings class for every service: the knobs are the same (store, transport, upstreams),
and `docker-compose.yml` is checked against these field names by a test. A bad value stops
the service at start with a message naming the variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "COMPLAINTS_"
#: The longest a feed request may wait for news (long polling).
MAX_FEED_WAIT_SECONDS = 25

#: Networks no webhook receiver has: "this network", link-local (the clouds' metadata
#: services at 169.254.169.254 and fd00:ec2::254), multicast, reserved and unspecified.
#: Private and loopback networks are allowed by default: an ERP on the intranet is the
#: usual subscriber.
REFUSED_WEBHOOK_NETWORKS = (
    "0.0.0.0/8,169.254.0.0/16,224.0.0.0/4,240.0.0.0/4,::/128,fe80::/10,ff00::/8,fd00:ec2::254/128"
)


class ServiceName(StrEnum):
    intake = "intake"
    routing = "routing"
    settlement = "settlement"
    analytics = "analytics"
    notifications = "notifications"


DEFAULT_PORTS = {
    ServiceName.intake: 8001,
    ServiceName.routing: 8002,
    ServiceName.settlement: 8003,
    ServiceName.analytics: 8004,
    ServiceName.notifications: 8005,
}

#: Whose integration events each service consumes.
UPSTREAMS: dict[ServiceName, tuple[ServiceName, ...]] = {
    ServiceName.intake: (ServiceName.settlement, ServiceName.routing),
    ServiceName.routing: (ServiceName.intake, ServiceName.settlement),
    ServiceName.settlement: (ServiceName.routing, ServiceName.intake),
    ServiceName.analytics: (ServiceName.intake, ServiceName.routing, ServiceName.settlement),
    ServiceName.notifications: (
        ServiceName.intake,
        ServiceName.routing,
        ServiceName.settlement,
        ServiceName.analytics,
    ),
}


def setting(default: Any, meaning: str, section: str, **constraints: Any) -> Any:
    """A setting's default, constraints and meaning, with the section of the configuration
    page it is listed in (`docs/configuration.md`, generated from this class)."""
    return Field(
        default=default, description=meaning, json_schema_extra={"section": section}, **constraints
    )


PROCESS, STORE, TRANSPORT, DOMAIN, LIMITS = "Process", "Store", "Transport", "Domain", "Limits"
AUTH, AUDIT, TESTS = "Authentication", "Audit", "Drills and tests only"
NOTIFY = "Notifications"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    service: ServiceName = Field(
        description="`intake`, `routing`, `settlement`, `analytics` or `notifications` (set by "
        "`complaints serve`)",
        json_schema_extra={"section": PROCESS},
    )
    host: str = setting("127.0.0.1", "HTTP bind address", PROCESS)
    port: int | None = setting(None, "HTTP port; 8001 to 8005 by service", PROCESS, ge=1, le=65535)
    relay_enabled: bool = setting(True, "run the outbox relay (Kafka) in this process", PROCESS)
    consumers_enabled: bool = setting(True, "run the upstream consumers in this process", PROCESS)
    log_level: str = setting(
        "INFO",
        "JSON logs with service and correlation id",
        PROCESS,
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
    )
    tracing_exporter: str = setting(
        "none",
        "OpenTelemetry exporter: `none`, `console` or `otlp`",
        PROCESS,
        pattern="^(none|console|otlp)$",
    )

    store: str = setting(
        "sqlite",
        "`sqlite` (files in the data folder) or `postgres`",
        STORE,
        pattern="^(sqlite|postgres)$",
    )
    data_dir: Path = setting(Path("var/data"), "SQLite event stores and analytics database", STORE)
    postgres_url: str = setting(
        "postgresql://complaints:complaints@127.0.0.1:15432",
        "PostgreSQL server; each service uses the database `<prefix><service>`",
        STORE,
    )
    postgres_pool_size: int = setting(5, "connections per service process", STORE, ge=1, le=100)
    database_prefix: str = setting(
        "",
        "prefix of the per-service database names (e.g. for test isolation)",
        STORE,
        pattern="^[a-z0-9_]*$",
    )
    evidence_dir: Path = setting(Path("var/evidence"), "content-addressed evidence files", STORE)

    transport: str = setting(
        "http",
        "`http` (each service serves its feed) or `kafka`",
        TRANSPORT,
        pattern="^(http|kafka)$",
    )
    kafka_bootstrap: str = setting("127.0.0.1:19092", "Kafka brokers", TRANSPORT)
    kafka_topic_prefix: str = setting("complaints", "topics are `<prefix>.<service>.v1`", TRANSPORT)
    kafka_partitions: int = setting(
        3, "partitions of the topics this service creates", TRANSPORT, ge=1, le=1000
    )
    kafka_replication_factor: int = setting(
        1,
        "replicas of each topic this service creates: 3 on a production cluster, so a broker "
        "may die without losing an acknowledged event",
        TRANSPORT,
        ge=1,
        le=16,
    )
    kafka_min_insync_replicas: int = setting(
        1,
        "replicas that must have an event before the producer (acks=all) is told it is "
        "written: 2 with 3 replicas",
        TRANSPORT,
        ge=1,
        le=16,
    )
    kafka_group_id: str | None = setting(
        None,
        "consumer group, `<prefix>.<service>` when unset; a new group replays from the "
        "earliest offset",
        TRANSPORT,
    )
    kafka_security_protocol: str = setting(
        "PLAINTEXT",
        "`SASL_SSL` with SCRAM in production (`deploy/kafka/production/`)",
        TRANSPORT,
        pattern="^(PLAINTEXT|SASL_SSL)$",
    )
    kafka_sasl_mechanism: str = setting(
        "SCRAM-SHA-512", "or `SCRAM-SHA-256`", TRANSPORT, pattern="^SCRAM-SHA-(256|512)$"
    )
    kafka_username: str | None = setting(None, "the service's SCRAM principal", TRANSPORT)
    kafka_password_file: Path | None = setting(None, "its password, a mounted secret", TRANSPORT)
    kafka_ca_file: Path | None = setting(
        None, "the CA of the brokers' certificates; the system CAs when unset", TRANSPORT
    )
    kafka_signing_key_file: Path | None = setting(
        None,
        "keys every service shares, one a line (32+ characters), a mounted secret: the first "
        "signs each published message, any verifies; a consumed message without a valid "
        "signature is dead-lettered. Unset: nothing is signed or checked",
        TRANSPORT,
    )
    intake_url: str = setting("http://127.0.0.1:8001", "intake's feed (HTTP transport)", TRANSPORT)
    routing_url: str = setting("http://127.0.0.1:8002", "routing's feed", TRANSPORT)
    settlement_url: str = setting("http://127.0.0.1:8003", "settlement's feed", TRANSPORT)
    analytics_url: str = setting(
        "http://127.0.0.1:8004",
        "analytics' feed (read by notifications and the audit CLI)",
        TRANSPORT,
    )
    poll_interval_seconds: float = setting(
        0.2, "idle poll of the feeds and the outbox", TRANSPORT, gt=0, le=60
    )
    feed_wait_seconds: int = setting(
        10,
        "how long a caught-up consumer's feed request waits for news (long polling; at most "
        "half the request timeout); 0 asks again every poll interval",
        TRANSPORT,
        ge=0,
        le=MAX_FEED_WAIT_SECONDS,
    )
    relay_batch_size: int = setting(500, "log positions per relay page", TRANSPORT, ge=1, le=10_000)
    consumer_max_attempts: int = setting(
        3, "attempts at a delivery before it is dead-lettered", TRANSPORT, ge=1, le=100
    )

    business_timezone: str = setting(
        "Asia/Shanghai", "the month of case numbers and reports", DOMAIN
    )
    acknowledge_within_hours: int = setting(
        24, "acknowledgement deadline after receipt", DOMAIN, ge=1, le=24 * 30
    )
    repeat_window_days: int = setting(
        90,
        "how far back a registration looks for the complaint it repeats",
        DOMAIN,
        ge=1,
        le=3650,
    )
    scheduler_interval_seconds: float = setting(
        1.0, "how often routing looks for due deadline timers", DOMAIN, gt=0, le=3600
    )
    report_final_day: int = setting(
        10,
        "day of the next month on which a monthly report becomes final",
        DOMAIN,
        ge=1,
        le=28,
    )
    report_keeper_interval_seconds: float = setting(
        60,
        "how often analytics finalises, amends and publishes reports",
        DOMAIN,
        gt=0,
        le=86400,
    )
    batch_cluster_regions: int = setting(
        3, "a batch complained of in this many regions ...", DOMAIN, ge=2, le=100
    )
    batch_cluster_days: int = setting(
        30, "... within this many days is a recall candidate", DOMAIN, ge=1, le=365
    )

    notification_rules_file: Path | None = setting(
        None,
        "who is told what (rules, staff directory, quiet hours) as JSON; the packaged "
        "`services/notifications/notification_rules.json` when unset",
        NOTIFY,
    )
    mail_from: str = setting(
        "complaints@example.com",
        "sender of every email; its domain names the Message-IDs",
        NOTIFY,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    )
    mail_reply_to: str = setting(
        "complaints@example.com",
        "where replies go, with the case number added (`complaints+2612-0001@...`)",
        NOTIFY,
        pattern=r"^[^@\s+]+@[^@\s]+\.[^@\s]+$",
    )
    maildir: Path = setting(
        Path("var/mail"), "where emails are written when no SMTP server is set (a maildir)", NOTIFY
    )
    smtp_host: str | None = setting(None, "SMTP server; unset: emails go to the maildir", NOTIFY)
    smtp_port: int = setting(25, "SMTP port (587 with STARTTLS)", NOTIFY, ge=1, le=65535)
    smtp_starttls: bool = setting(False, "upgrade the SMTP connection with STARTTLS", NOTIFY)
    smtp_username: str | None = setting(None, "SMTP AUTH user", NOTIFY)
    smtp_password_file: Path | None = setting(None, "SMTP AUTH password, a mounted secret", NOTIFY)
    delivery_attempt_timeout_seconds: float = setting(
        10, "an attempt (SMTP or webhook) not answered by then failed", NOTIFY, gt=0, le=300
    )
    delivery_first_retry_seconds: float = setting(
        10,
        "wait after a first failed attempt; doubles each time, with jitter",
        NOTIFY,
        gt=0,
        le=86400,
    )
    delivery_longest_retry_seconds: float = setting(
        3600, "the longest wait between two attempts", NOTIFY, gt=0, le=7 * 86400
    )
    delivery_retry_window_seconds: float = setting(
        86400,
        "how long a delivery is retried before it is parked",
        NOTIFY,
        gt=0,
        le=30 * 86400,
    )
    notification_horizon_seconds: float = setting(
        7 * 86400,
        "an event recorded longer ago than this is told to nobody (news to no one by then); "
        "so a first start on a live system, or a consumer replayed, does not mail history",
        NOTIFY,
        gt=0,
        le=365 * 86400,
    )
    delivery_concurrency: int = setting(16, "attempts in flight at once", NOTIFY, ge=1, le=1000)
    delivery_per_recipient: int = setting(
        1,
        "attempts in flight at once for one recipient (a mailbox, a webhook); 1 keeps each "
        "recipient's messages in the order they were planned, while attempts succeed",
        NOTIFY,
        ge=1,
        le=100,
    )
    webhook_refused_networks: str = setting(
        REFUSED_WEBHOOK_NETWORKS,
        "networks no webhook is sent to, comma-separated CIDRs; checked on every address a "
        "URL's host resolves to at each attempt. Add private ranges (`10.0.0.0/8`, "
        "`127.0.0.0/8`, ...) where admins are not trusted with the network",
        NOTIFY,
    )

    max_body_bytes: int = setting(1_048_576, "larger request bodies get 413", LIMITS, ge=1024)
    evidence_max_bytes: int = setting(
        10 * 1024 * 1024, "largest evidence file", LIMITS, ge=1024, le=1024**3
    )
    request_timeout_seconds: float = setting(
        30,
        "a request not answered by then gets 503 (its work may still finish)",
        LIMITS,
        gt=0,
        le=3600,
    )
    rate_limit_per_minute: int = setting(
        600,
        "requests per minute per token subject (bursts up to the same); 0 = off",
        LIMITS,
        ge=0,
        le=1_000_000,
    )
    max_connections: int = setting(
        1000, "connections a process serves at once; beyond, 503", LIMITS, ge=10, le=100_000
    )
    header_timeout_seconds: float = setting(
        10,
        "a request's line and headers must arrive within this; then 408 and the "
        "connection is closed (a client trickling headers would hold a slot for ever)",
        LIMITS,
        gt=0,
        le=300,
    )
    cors_origins: str = setting(
        "", "browser origins allowed to call the API, comma-separated; none by default", LIMITS
    )

    auth_algorithm: str = setting(
        "HS256",
        "`HS256` (generated installation secret) or `RS256` (identity provider: "
        "a public key file or a JWKS URL)",
        AUTH,
        pattern="^(HS256|RS256)$",
    )
    auth_secret_file: Path = setting(
        Path("var/auth/hs256.secret"),
        "HS256 secret, created on first start, shared by every service",
        AUTH,
    )
    auth_public_key_file: Path | None = setting(None, "RS256: the provider's PEM public key", AUTH)
    auth_jwks_url: str | None = setting(
        None, "RS256: the provider's JWKS URL (keys cached; rotation follows `kid`)", AUTH
    )
    auth_issuer: str = setting(
        "complaints", "every token must name this issuer", AUTH, min_length=1
    )
    auth_audience: str = setting(
        "complaints-api", "every token must name this audience", AUTH, min_length=1
    )
    auth_leeway_seconds: int = setting(
        30, "clock skew allowed on `exp` and `nbf`", AUTH, ge=0, le=600
    )
    service_token_file: Path | None = setting(
        None,
        "under RS256, the token a service presents to read another's feed (under HS256 "
        "it mints its own)",
        AUTH,
    )

    audit_key_file: Path = setting(
        Path("var/audit/chain.key"),
        "key of the event links and checkpoint signatures, "
        "created on first start; keep it (and a backup) apart from the databases",
        AUDIT,
    )
    audit_key_ring_dir: Path | None = setting(
        None,
        "folder of the link keys added by `complaints audit rotate-key` (files, never the "
        "database), shared by every process of the service; `<folder of the audit key "
        "file>/link-keys` when unset",
        AUDIT,
    )
    audit_key_switch_seconds: float = setting(
        5,
        "how far ahead a rotated link key takes over (every process switches at that "
        "instant), and how long after it the rotation is recorded in each store",
        AUDIT,
        ge=2,
        le=3600,
    )
    audit_signing_key_file: Path = setting(
        Path("var/audit/checkpoint-signing.key"),
        "private half of the Ed25519 key that signs checkpoints, created on first start; its "
        "public half is published beside the checkpoints for auditors",
        AUDIT,
    )
    audit_checkpoint_dir: Path | None = setting(
        None,
        "append-only location of the signed checkpoints (`<database>.jsonl`), e.g. a "
        "WORM mount; when unset `<data dir>/audit-checkpoints` for the SQLite stores and "
        "`<data dir>/audit-checkpoints-postgres` for PostgreSQL's (each store pinned by "
        "its own checkpoints when both deployments run from one folder)",
        AUDIT,
    )
    audit_checkpoint_interval_seconds: float = setting(
        10,
        "how often the log chain is pinned by a new checkpoint (when there are new events)",
        AUDIT,
        gt=0,
        le=86400,
    )

    clock_shift_seconds: float = setting(
        0,
        "shift the process clock from the wall clock by this many seconds (then real "
        "speed); drills and tests give every process the same shift",
        TESTS,
        ge=-(10**10),
        le=10**10,
    )
    fault_kill_after_effect: bool = setting(
        False,
        "a consumer SIGKILLs itself after committing an effect, before committing "
        "the Kafka offset; never in production",
        TESTS,
    )
    fault_kill_before_answer: int = setting(
        0,
        "the service SIGKILLs itself once its Nth command has committed, before the "
        "answer (0: never); never in production",
        TESTS,
        ge=0,
    )

    @field_validator("business_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("webhook_refused_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        _networks(value)
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
    def _insync_within_replicas(self) -> Settings:
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            raise ValueError(
                f"kafka_min_insync_replicas ({self.kafka_min_insync_replicas}) exceeds "
                f"kafka_replication_factor ({self.kafka_replication_factor}): no write could "
                "ever be acknowledged"
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
    def refused_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return _networks(self.webhook_refused_networks)

    @property
    def http_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.service]

    @property
    def feed_max_wait_seconds(self) -> float:
        """The longest this service's feed lets a request wait: well inside the timeout."""
        return min(MAX_FEED_WAIT_SECONDS, self.request_timeout_seconds / 2)

    @property
    def upstreams(self) -> tuple[ServiceName, ...]:
        return UPSTREAMS[self.service]

    def upstream_url(self, upstream: ServiceName) -> str:
        return getattr(self, f"{upstream.value}_url")

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(
            service=self.service,
            bootstrap=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password_file=self.kafka_password_file,
            ca_file=self.kafka_ca_file,
            signing_key_file=self.kafka_signing_key_file,
            topic_prefix=self.kafka_topic_prefix,
            partitions=self.kafka_partitions,
            replication_factor=self.kafka_replication_factor,
            min_insync_replicas=self.kafka_min_insync_replicas,
            group_id=self.kafka_group_id,
        )

    @property
    def storage(self) -> StoreSettings:
        return StoreSettings(
            service=self.service,
            kind=self.store,
            data_dir=self.data_dir,
            postgres_url=self.postgres_url,
            pool_size=self.postgres_pool_size,
            database_prefix=self.database_prefix,
        )

    @property
    def auth(self) -> AuthSettings:
        return AuthSettings(
            service=self.service,
            algorithm=self.auth_algorithm,
            secret_file=self.auth_secret_file,
            public_key_file=self.auth_public_key_file,
            jwks_url=self.auth_jwks_url,
            issuer=self.auth_issuer,
            audience=self.auth_audience,
            leeway_seconds=self.auth_leeway_seconds,
            service_token_file=self.service_token_file,
        )

    @property
    def mail(self) -> MailSettings:
        return MailSettings(
            mail_from=self.mail_from,
            reply_to=self.mail_reply_to,
            maildir=self.maildir,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            smtp_starttls=self.smtp_starttls,
            smtp_username=self.smtp_username,
            smtp_password_file=self.smtp_password_file,
            attempt_timeout_seconds=self.delivery_attempt_timeout_seconds,
        )

    @property
    def audit(self) -> AuditSettings:
        return AuditSettings(
            service=self.service,
            store=self.storage.database_name(),
            key_file=self.audit_key_file,
            key_ring_dir=self.audit_key_ring_dir or self.audit_key_file.parent / "link-keys",
            key_switch_seconds=self.audit_key_switch_seconds,
            signing_key_file=self.audit_signing_key_file,
            checkpoint_dir=self.audit_checkpoint_dir or self.storage.default_checkpoint_dir(),
            checkpoint_interval_seconds=self.audit_checkpoint_interval_seconds,
        )


# Sections: each component takes the part of the settings it uses ---------------------------
#
# The environment stays flat (`COMPLAINTS_KAFKA_BOOTSTRAP`, ...) and is validated as one
# `Settings`; a component (the Kafka clients, the store, token verification, the mail
# channel) is handed only its section, so its signature says what it depends on and a test
# builds it from a handful of values.


@dataclass(frozen=True)
class KafkaSettings:
    """Brokers, security and topic layout: what a Kafka client of one service needs."""

    service: ServiceName
    bootstrap: str
    security_protocol: str
    sasl_mechanism: str
    username: str | None
    password_file: Path | None
    ca_file: Path | None
    signing_key_file: Path | None
    topic_prefix: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int
    group_id: str | None

    def topic(self, producer: ServiceName | str) -> str:
        return f"{self.topic_prefix}.{ServiceName(producer).value}.v1"

    @property
    def audit_topic(self) -> str:
        """Where audit checkpoints are published."""
        return f"{self.topic_prefix}.audit.v1"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic_prefix}.deadletter.v1"

    @property
    def consumer_group(self) -> str:
        return self.group_id or f"{self.topic_prefix}.{self.service.value}"


@dataclass(frozen=True)
class StoreSettings:
    """Where one service keeps its data: SQLite files, or its own PostgreSQL database."""

    service: ServiceName
    kind: str
    data_dir: Path
    postgres_url: str
    pool_size: int
    database_prefix: str

    @property
    def postgres(self) -> bool:
        return self.kind == "postgres"

    def database_name(self) -> str:
        return f"{self.database_prefix}{self.service.value}"

    def sqlite_file(self) -> Path:
        """The embedded deployment's store of this service."""
        return self.data_dir / f"{self.database_name()}.sqlite"

    def default_checkpoint_dir(self) -> Path:
        """Where the audit checkpoints go unless configured: one folder per kind of store,
        as `make run` (SQLite) and `make up` (PostgreSQL) share the data folder and name
        their stores alike; one store's checkpoints would otherwise pin the other's log."""
        return self.data_dir / (
            "audit-checkpoints-postgres" if self.postgres else "audit-checkpoints"
        )

    def database_url(self) -> str:
        """The service's own PostgreSQL database, as asyncpg and psycopg take it."""
        return f"postgresql://{urlsplit(self.postgres_url).netloc}/{self.database_name()}"


@dataclass(frozen=True)
class AuthSettings:
    """How bearer tokens are verified, and how a service proves itself to another's feed."""

    service: ServiceName
    algorithm: str
    secret_file: Path
    public_key_file: Path | None
    jwks_url: str | None
    issuer: str
    audience: str
    leeway_seconds: int
    service_token_file: Path | None


@dataclass(frozen=True)
class AuditSettings:
    """The audit chain of one service's store: keys, checkpoints and where they are kept."""

    service: ServiceName
    #: The store the chain runs through (its database's name).
    store: str
    key_file: Path
    key_ring_dir: Path
    key_switch_seconds: float
    signing_key_file: Path
    checkpoint_dir: Path
    checkpoint_interval_seconds: float


@dataclass(frozen=True)
class MailSettings:
    """The email channel: sender, replies, and SMTP or the maildir."""

    mail_from: str
    reply_to: str
    maildir: Path
    smtp_host: str | None
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str | None
    smtp_password_file: Path | None
    attempt_timeout_seconds: float


def _networks(text: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated CIDRs; none when empty."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ip_network(item))
        except ValueError:
            raise ValueError(f"{item!r} is not a network (a CIDR with no host bits)") from None
    return tuple(networks)


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
