"""`complaints` command line: run services, alone or all together.

complaints serve intake        one service over HTTP (with its relay and consumers)
complaints run                 every service as a process, one that dies started again
complaints token clerk clerk-wang            a bearer token for local use (see --help)
complaints audit verify [SERVICE ...]        recompute links and log chains of the stores
complaints audit show 2611-0001 [--as-of T | --as-of-event ID] [--format json|html]
complaints audit export 2611-0001 --out case.jsonl      the case with its proofs
complaints audit verify-export case.jsonl --public-key KEY.pem   offline: no database, no secret
complaints audit verify-checkpoints DIR --public-key KEY.pem   offline: no database, no secret
complaints audit rotate-key [SERVICE ...]    a new link key for new events (old ones kept)
complaints transport to-kafka [SERVICE ...]  before the first start on Kafka: no event twice
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from shared.kernel.case_number import CaseNumber, CaseNumberError
from shared.kernel.principal import Role
from shared.platform.auth.tokens import MAX_MINTED_LIFETIME
from shared.platform.settings import (
    DEFAULT_PORTS,
    ServiceName,
    Settings,
    SettingsError,
    load_settings,
)

#: The longest lifetime `complaints token` takes, in hours: what `mint` signs.
_MAX_HOURS = MAX_MINTED_LIFETIME / timedelta(hours=1)


def _configured(service: str):
    from shared.platform.logs import configure_logging

    try:
        settings = load_settings(service=service)
    except SettingsError as error:
        print(f"{service}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(service, settings.log_level)
    from shared.platform import tracing

    tracing.configure(service, settings.tracing_exporter)
    _use_clock_of(settings)

    module = importlib.import_module(f"services.{service}.main")
    return settings, module.create_app(settings)


def _use_clock_of(settings: Settings) -> None:
    """The clock the services run on (shifted in drills), so instants written agree."""
    if settings.clock_shift_seconds:
        from shared.kernel.clock import ShiftedClock, install_clock

        install_clock(ShiftedClock(timedelta(seconds=settings.clock_shift_seconds)))


def serve(service: str) -> None:
    from cli.server import serve as run_server
    from shared.platform.connections import with_header_deadline

    settings, app = _configured(service)
    runtime = app.state.runtime
    runtime.on_failure = lambda: os.kill(os.getpid(), signal.SIGTERM)
    started = run_server(
        app,
        runtime.stopping,
        http=with_header_deadline(settings.header_timeout_seconds),
        host=settings.host,
        port=settings.http_port,
        log_config=None,
        timeout_graceful_shutdown=10,
        # Idle connections close after 5 s, headers are due within the header timeout; at
        # most this many connections at once, beyond that 503.
        timeout_keep_alive=5,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=16 * 1024,
    )
    if not started:
        raise SystemExit(3)  # as uvicorn.run exits when the server could not start
    if runtime.failed:
        raise SystemExit("stopped: background work failed (see the log above)")


def work(service: str) -> None:
    """Run the service's lifespan (relay, consumers) until SIGTERM or SIGINT, or until its
    background work fails (then exit 1, for the supervisor to start a fresh worker)."""
    _, app = _configured(service)
    runtime = app.state.runtime

    async def until_stopped() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runtime.on_failure = stop.set
        async with app.router.lifespan_context(app):
            await stop.wait()

    asyncio.run(until_stopped())
    if runtime.failed:
        raise SystemExit("stopped: background work failed (see the log above)")


def rebuild(service: str) -> None:
    import json

    from services.analytics.rebuild import rebuild_from_settings

    if service != "analytics":
        raise SystemExit(
            "only analytics has read models to rebuild from its inbox; the "
            "event stores of the other services are the truth itself"
        )
    settings = load_settings(service=service)
    print(json.dumps(asyncio.run(rebuild_from_settings(settings))))


def run_all() -> int:
    """Start every service; start again one that dies (`cli.supervisor`); stop them all on
    Ctrl-C / SIGTERM, or when one cannot be brought back."""
    from cli.supervisor import Supervisor, say, start_service

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    supervisor = Supervisor(
        [name.value for name in ServiceName],
        start_service,
    )
    say(
        ", ".join(f"{name.value} :{port}" for name, port in DEFAULT_PORTS.items())
        + " (Ctrl-C stops all)"
    )
    exit_code = 0
    while not stopping:
        if (verdict := supervisor.look()) is not None:
            exit_code, stopping = verdict, True
        time.sleep(0.2)
    supervisor.stop()
    return exit_code


def token(args: argparse.Namespace) -> None:
    """Print a bearer token signed the way the services are configured to check."""
    from shared.kernel.principal import BINDINGS, ClaimsRefused
    from shared.platform.auth.tokens import mint

    role = Role(args.role)
    bindings = {}
    if role in BINDINGS:
        claim = BINDINGS[role]
        value = getattr(args, claim)
        if not value:
            raise SystemExit(f"a {role} token needs --{claim.replace('_', '-')}")
        bindings[claim] = value
    if role is Role.manager:
        from services.routing.authority import shipped_authority

        levels = shipped_authority().levels
        if args.authority not in levels:  # routing would refuse every approval with it
            raise SystemExit(
                f"no token: authority level {args.authority!r} is not one of {', '.join(levels)}"
            )
    settings = load_settings(service=ServiceName.intake)
    private_key = args.private_key.read() if args.private_key else None
    try:
        ttl = timedelta(hours=args.hours)
        print(mint(settings.auth, args.subject, role, ttl, private_key, **bindings))
    except ClaimsRefused as refused:
        raise SystemExit(f"no token: {refused}") from None


def _lifetime_hours(text: str) -> float:
    """Hours a minted token lives: a number above zero, at most what `mint` takes."""
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not 0 < hours <= _MAX_HOURS:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} hours: above 0 and at most {_MAX_HOURS:g}")
    return hours


def audit(args: argparse.Namespace) -> None:
    """Verify stores directly; show or export a case through the services' audit API."""
    import json

    if args.action == "verify-checkpoints":
        raise SystemExit(verify_checkpoints(args.directory, args.public_key))
    if args.action == "verify-export":
        raise SystemExit(verify_export_file(args.file, args.public_key))
    if args.action == "rotate-key":
        for rotated in rotate_keys(args.services or [s.value for s in ServiceName]):
            print(json.dumps(rotated))
        return
    if args.action == "verify":
        broken = False
        for service in args.services or [s.value for s in ServiceName]:
            outcome = verify_store(service)
            broken = broken or not outcome["ok"]
            print(json.dumps(outcome, ensure_ascii=False))
        raise SystemExit(1 if broken else 0)
    try:
        _audit_a_case(args)
    except CaseNumberError as error:
        raise SystemExit(str(error)) from None
    except BrokenPipeError:  # the reader stopped early (`| head`): as other tools do, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    except OSError as error:
        raise SystemExit(f"cannot write {error.filename}: {error.strerror}") from None
    except httpx.HTTPStatusError as error:
        raise SystemExit(_refusal(error.response)) from None
    except httpx.TransportError as error:
        raise SystemExit(
            f"cannot reach {error.request.url.host}:{error.request.url.port} ({error}); "
            "is the system running? (`make run`)"
        ) from None


def _refusal(answer: httpx.Response) -> str:
    """One line of what a service answered instead of the case."""
    try:
        detail = answer.json().get("detail", answer.text)
    except ValueError:
        detail = answer.text
    return f"{answer.request.url.path}: {answer.status_code} {detail}"


def _audit_a_case(args: argparse.Namespace) -> None:
    """Show or export a case through the services' audit API."""
    import json

    from shared.platform.audit import report

    CaseNumber.parse(args.number)
    settings = load_settings(service=ServiceName.intake)
    token = args.token or os.environ.get("COMPLAINTS_TOKEN")
    if not token:
        from shared.platform.auth.tokens import mint

        token = mint(settings.auth, "audit-cli", Role.auditor)
    urls = {s: settings.upstream_url(ServiceName(s)) for s in report.SERVICES}
    headers = {"Authorization": f"Bearer {token}"}
    if args.action == "export":
        wait = 3 * settings.audit_checkpoint_interval_seconds + 5
        lines, unpinned = report.fetch_proofs(urls, args.number, headers, wait)
        events = sum('"kind":"event"' in line for line in lines)
        if not events and not unpinned:
            raise SystemExit(f"no case {args.number}: no service has recorded anything of it")
        with open(args.out, "w", encoding="ascii") as out:
            out.writelines(line + "\n" for line in lines)
        print(f"{events} events of {args.number} with their proofs written to {args.out}")
        if unpinned:
            print(f"{unpinned} newer events are not pinned by a checkpoint yet and were left out")
        return
    case = report.fetch_case(urls, args.number, headers, args.as_of, args.as_of_event)
    if not case["events"]:
        raise SystemExit(f"no case {args.number}: no service has recorded anything of it")
    if args.format == "html":
        print(report.timeline_html(case))
    else:
        print(json.dumps(case, ensure_ascii=False, indent=2))


def rotate_keys(services: list[str]) -> list[dict[str, str]]:
    """Add a new link key to each distinct key ring the services use."""
    from shared.platform.audit.keys import KeyRing
    from shared.platform.secrets import installation_secret

    rings: dict[tuple[Path, Path], Settings] = {}
    for service in services:
        settings = load_settings(service=service)
        rings.setdefault((settings.audit.key_file, settings.audit.key_ring_dir), settings)
    rotated = []
    for (key_file, ring_dir), settings in rings.items():
        _use_clock_of(settings)
        ring = KeyRing(installation_secret(key_file), ring_dir)
        ring.rotate(timedelta(seconds=settings.audit.key_switch_seconds))
        rotation = ring.rotations()[-1]
        rotated.append(
            {
                "key_id": rotation.key_id,
                "retires": rotation.retired,
                "active_from": rotation.active_from.isoformat(),
                "ring": str(ring_dir),
            }
        )
    return rotated


def _public_keys(files: list[Path]) -> dict:
    """The published checkpoint keys given, by key id; a clear exit if one is not one."""
    from shared.platform.audit.signing import load_public_key

    keys = {}
    for path in files:
        try:
            key_id, public = load_public_key(path.read_bytes())
        except OSError as error:
            raise SystemExit(f"cannot read the public key {path}: {error.strerror}") from None
        except ValueError:
            raise SystemExit(f"{path} is not a published Ed25519 checkpoint key") from None
        keys[key_id] = public
    return keys


def verify_export_file(path: Path, public_key_files: list[Path]) -> int:
    """Check an exported case with the public keys alone; 1 if anything fails."""
    import json

    from shared.platform.audit.export import verify_export

    keys = _public_keys(public_key_files)
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as file:
            lines = file.read().split("\n")
    except OSError as error:
        raise SystemExit(f"cannot read the export {path}: {error.strerror}") from None
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    report = verify_export(lines, keys)
    print(json.dumps({"file": str(path), **report.to_dict()}, ensure_ascii=False))
    return 0 if report.ok else 1


def verify_checkpoints(directory: Path, public_key_files: list[Path]) -> int:
    """Check every checkpoint file in `directory` with the given public keys; 1 if any fails."""
    import json

    from shared.platform.audit.offline import check_file

    keys = _public_keys(public_key_files)
    if not directory.is_dir():
        raise SystemExit(f"{directory} is not a directory of checkpoint files")
    reports = [check_file(path, keys) for path in sorted(directory.glob("*.jsonl"))]
    if not reports:
        raise SystemExit(f"no checkpoint files (*.jsonl) in {directory}: nothing was verified")
    for report in reports:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    return 0 if all(r.ok for r in reports) else 1


def verify_store(service: str) -> dict:
    """Open a service's own store (as configured) and verify it against its checkpoints, and
    against what the other services already consumed from it (a removed tail shows there)."""
    from shared.platform.audit.checkpoints import CheckpointFile
    from shared.platform.audit.signing import published_keys
    from shared.platform.audit.verify import verify

    settings = load_settings(service=service)
    audit = settings.audit
    if not settings.storage.postgres and not settings.storage.sqlite_file().exists():
        # Opening it would create an empty store, and report the checkpoints' events gone.
        return {
            "service": service,
            "ok": False,
            "store": audit.store,
            "first_broken": None,
            "problem": f"no store at {settings.storage.sqlite_file()}: nothing to verify "
            "(COMPLAINTS_STORE=postgres and its settings for the PostgreSQL deployment)",
        }
    app = _store_of(service)
    try:
        checkpoints = CheckpointFile(audit.checkpoint_dir, audit.store).all()
        keys = published_keys(audit.checkpoint_dir)
        report = verify(audit.store, app.recorder, app.mapper.ring, checkpoints, keys)
        outcome = {"service": service, **report.to_dict()}
        head = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    if outcome["ok"] and (truncated := _consumed_past(service, head)):
        outcome.update(ok=False, first_broken=truncated)
    return outcome


def _store_of(service: str):
    settings = load_settings(service=service)
    return (
        importlib.import_module(f"services.{service}.main").create_app(settings).state.runtime.app
    )


def transport_to_kafka(services: list[str]) -> list[dict[str, Any]]:
    """Seed each consumer's Kafka tracking from its feed positions
    (`shared.platform.transport_switch`); run with every consumer stopped, before the services
    first start on Kafka."""
    from shared.platform.transport_switch import seed_kafka_tracking

    done = []
    for service in services:
        settings = load_settings(service=service)
        if settings.transport != "kafka":
            raise SystemExit("set COMPLAINTS_TRANSPORT=kafka (and the Kafka settings) to switch")
        runtime = importlib.import_module(f"services.{service}.main").create_app(settings)
        seeded = asyncio.run(seed_kafka_tracking(runtime.state.runtime))
        if runtime.state.runtime.app is not None:
            runtime.state.runtime.app.close()
        done.append({"service": service, "seeded": seeded})
    return done


def transport(args: argparse.Namespace) -> None:
    import json

    if args.action == "add-partitions":
        print(json.dumps(transport_add_partitions(args)))
        return
    for switched in transport_to_kafka(args.services or [s.value for s in ServiceName]):
        print(json.dumps(switched))


def transport_add_partitions(args: argparse.Namespace) -> dict[str, Any]:
    """Grow a producer's topic without reordering a case (`shared.platform.partitions`)."""
    from shared.platform.partitions import PartitionsRefused, add_partitions, consumer_groups

    settings = load_settings(service=args.service)
    if settings.transport != "kafka":
        raise PartitionsRefused("partitions are Kafka's: set COMPLAINTS_TRANSPORT=kafka")
    groups = [g for g in consumer_groups(settings.service) if g not in args.ignore_group]
    app = importlib.import_module(f"services.{args.service}.main").create_app(settings)
    runtime = app.state.runtime
    try:
        added = asyncio.run(
            add_partitions(runtime, args.count, [*groups, *args.group], args.patience)
        )
    finally:
        if runtime.app is not None:
            runtime.app.close()
    return added.to_dict()


def _consumed_past(producer: str, head: int) -> dict | None:
    """A position of `producer`'s log that a consumer recorded but the log no longer has."""
    for consumer in ("intake", "routing", "settlement", "notifications"):  # analytics: in SQL
        settings = load_settings(service=consumer)
        if producer not in {u.value for u in settings.upstreams}:
            continue
        topic = settings.kafka.topic(producer)
        streams = [f"{producer}#feed"]
        streams += [f"{producer}#{topic}:{p}" for p in range(settings.kafka_partitions)]
        app = _store_of(consumer)
        try:
            served = max((app.tracked_position(stream) or 0) for stream in streams)
        finally:
            app.close()
        if served > head:
            return {
                "position": head + 1,
                "stream": None,
                "version": None,
                "problem": f"{consumer} already consumed position {served} of this log, which "
                f"now ends at {head}: events at its end were removed",
            }
    return None


def _add_transport_commands(commands: Any) -> None:
    transport_parser = commands.add_parser("transport", help="switch the transport")
    transport_actions = transport_parser.add_subparsers(dest="action", required=True)
    to_kafka = transport_actions.add_parser(
        "to-kafka", help="seed the Kafka tracking from the feed positions (consumers stopped)"
    )
    to_kafka.add_argument("services", nargs="*", help="default: every service that consumes")
    grow = transport_actions.add_parser(
        "add-partitions",
        help="grow a topic live: pause its relay, drain its consumers, add, resume",
    )
    grow.add_argument("service", choices=[s.value for s in ServiceName], help="whose topic")
    grow.add_argument("count", type=int, help="the partitions it shall have")
    grow.add_argument(
        "--group", action="append", default=[], help="also wait for this consumer group (ERP)"
    )
    grow.add_argument(
        "--ignore-group",
        action="append",
        default=[],
        help="a product group not deployed (e.g. complaints.notifications)",
    )
    grow.add_argument(
        "--patience", type=float, default=300, help="seconds to wait for the drain (300)"
    )


def _add_audit_commands(commands: Any) -> None:
    audit_parser = commands.add_parser("audit", help="verify stores; show or export a case")
    actions = audit_parser.add_subparsers(dest="action", required=True)
    verify_parser = actions.add_parser("verify", help="check links, log chains, checkpoints")
    verify_parser.add_argument("services", nargs="*", help="default: all")
    offline = actions.add_parser(
        "verify-checkpoints", help="check checkpoint files with the public key alone (offline)"
    )
    offline.add_argument("directory", type=Path, help="the folder of <database>.jsonl files")
    rotate = actions.add_parser("rotate-key", help="start a new link key for new events")
    rotate.add_argument("services", nargs="*", help="whose key rings (default: all)")
    checked = actions.add_parser(
        "verify-export", help="check an exported case with the public key alone (offline)"
    )
    checked.add_argument("file", type=Path, help="the file `audit export` wrote")
    for needs_keys in (offline, checked):
        needs_keys.add_argument(
            "--public-key", type=Path, action="append", required=True, help="a published key"
        )
    show = actions.add_parser("show", help="show a case's history across services")
    export = actions.add_parser("export", help="export a case with its proofs, for auditors")
    for action in (show, export):
        action.add_argument("number", help="case number, e.g. 2611-0001")
        action.add_argument("--token", help="bearer token (default: $COMPLAINTS_TOKEN)")
    moment = show.add_mutually_exclusive_group()
    moment.add_argument("--as-of", type=datetime.fromisoformat, help="also its state then")
    moment.add_argument(
        "--as-of-event", help="also its state in every service just after this event id"
    )
    show.add_argument("--format", choices=["json", "html"], default="json")
    export.add_argument("--out", required=True, help="JSON-lines file to write")


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # stores, checkpoints, evidence and secrets: the service's own (0600)
    parser = argparse.ArgumentParser(prog="complaints")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run one service")
    serve_parser.add_argument("service", choices=[s.value for s in ServiceName])
    worker_parser = commands.add_parser("worker", help="run one service's relay and consumers")
    worker_parser.add_argument("service", choices=[s.value for s in ServiceName])
    rebuild_parser = commands.add_parser("rebuild", help="rebuild a service's read models")
    rebuild_parser.add_argument("service", choices=["analytics"])
    commands.add_parser("run", help="run every service")
    token_parser = commands.add_parser("token", help="mint a bearer token for local use")
    token_parser.add_argument("role", choices=[r.value for r in Role])
    token_parser.add_argument("subject", help="who the token is for, e.g. clerk-wang")
    token_parser.add_argument("--unit", help="a handler's unit")
    token_parser.add_argument("--authority", help="a manager's authority level")
    token_parser.add_argument("--customer-id", help="a customer's customer id")
    token_parser.add_argument(
        "--hours",
        type=_lifetime_hours,
        default=8,
        help=f"lifetime (default 8, at most {_MAX_HOURS:g})",
    )
    token_parser.add_argument(
        "--private-key", type=argparse.FileType("rb"), help="PEM key, for RS256"
    )
    _add_audit_commands(commands)
    _add_transport_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.service)
    elif args.command == "worker":
        work(args.service)
    elif args.command == "rebuild":
        rebuild(args.service)
    elif args.command == "token":
        token(args)
    elif args.command == "audit":
        audit(args)
    elif args.command == "transport":
        transport(args)
    else:
        raise SystemExit(run_all())
