"""HTTP pieces every service shares: problem+json errors, body limit, health, the feed.

Errors follow RFC 9457 (problem+json) with `errors: [{field, rule, message}]`, so clients can
show the message next to the field; validation errors name the field and the rule broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import signal
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any, NoReturn, Union, get_args, get_origin
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, params
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from opentelemetry.trace import SpanKind
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.contracts import CATALOG, Unprocessable, parse
from shared.contracts.envelope import IntegrationEvent
from shared.kernel.errors import DomainError, Invalid, NotFound, UnsupportedMediaType
from shared.kernel.meta import command_meta, current_correlation
from shared.kernel.principal import Principal, Role
from shared.platform import idempotency, preconditions, tracing
from shared.platform.auth.access import allow, authenticated
from shared.platform.auth.limits import RateLimited
from shared.platform.auth.tokens import Unauthenticated
from shared.platform.idempotency import IdempotentRequest, fingerprint
from shared.platform.logwatch import RECHECK_SECONDS, LogWatch
from shared.platform.outbox import OutboxReader
from shared.platform.preconditions import Condition, MalformedCondition
from shared.platform.settings import MAX_FEED_WAIT_SECONDS
from shared.platform.threads import run_sync
from shared.platform.withheld import WithheldEvent

PROBLEM = "application/problem+json"
#: The methods whose routes take an Idempotency-Key.
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FEED_LIMIT = 1000
#: How long one feed request scans on through pages of types its follower did not ask for.
SCAN_SECONDS = 1.0
#: The `types` a follower of a feed may ask for: more than any service publishes.
FeedTypes = Annotated[
    list[str] | None,
    Query(
        max_length=50,
        description="Only events of these types (repeat the parameter); all when absent. "
        "A type this service does not publish is refused.",
    ),
]
#: How deep a request body may nest (the deepest schema needs five levels).
MAX_NESTING = 32
#: Positions are 63-bit integers in every store.
MAX_POSITION = 2**63 - 1


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None):
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, error: DomainError) -> JSONResponse:
        errors = error.errors
        if error.field and not errors:
            errors = [
                {"field": error.field, "rule": error.rule or "invalid", "message": error.detail}
            ]
        return problem(error.status, error.title, error.detail, errors)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_: Request, error: Unauthenticated) -> JSONResponse:
        response = problem(401, "Unauthorized", f"not authenticated: {error}")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, error: RateLimited) -> JSONResponse:
        response = problem(429, "Too many requests", str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        """Starlette's own refusals (a body it cannot parse, a method not allowed) in the
        problem shape like every other."""
        response = problem(error.status_code, "Request refused", str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_named(item) for item in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Invalid request", detail, errors)


def _named(item: dict[str, Any]) -> dict[str, str]:
    """A validation error as `{field, rule, message}`: the field a dotted path into the body
    or the query; a body that is not JSON names no field (its location is the character
    offset where parsing stopped, which goes into the message)."""
    if item["type"] == "json_invalid":
        where = item["loc"][-1]
        return {
            "field": "",
            "rule": "json_invalid",
            "message": f"{item['msg']} at character {where}",
        }
    return {
        "field": ".".join(str(p) for p in item["loc"] if p != "body"),
        "rule": item["type"],
        "message": item["msg"],
    }


class BodyLimit:
    """Refuse request bodies above the limit with 413, before they are read whole.

    `larger` raises the limit for paths ending with a suffix (e.g. evidence uploads).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def limit_for(self, path: str) -> int:
        for suffix, limit in self.larger.items():
            if path.endswith(suffix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        seen, cut_off = 0, False

        async def limited() -> Message:
            nonlocal seen, cut_off
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                cut_off = True
                raise _TooLarge
            return message

        async def unless_cut_off(message: Message) -> None:
            if not cut_off:  # the app's own answer to a body it could not finish reading
                await send(message)

        try:
            await self.app(scope, limited, unless_cut_off)
        except* _TooLarge:
            pass  # raised from inside the app, possibly through a middleware's task group
        if cut_off:  # chunked or lying about its length: 413 all the same
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Payload too large", f"request body exceeds {limit} bytes")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


class RequestTimeout:
    """Answer 503 when a request runs longer than the limit, so callers are never left hanging.

    A synchronous route keeps running in its worker thread after the answer; commands are
    atomic (one event-store transaction), so it lands whole or not at all, and reading the
    case (or retrying a registration with its Idempotency-Key) tells which.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, receive, sending)
        except TimeoutError:
            if started:
                raise
            response = problem(503, "Request timeout", f"no answer within {self.seconds} s")
            await response(scope, receive, send)


def etagged(request: Request, body: Any, version: int) -> Response:
    """A read with an ETag (the aggregate's version): If-None-Match answers 304 Not Modified."""
    tag = f'"{version}"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    return JSONResponse(jsonable_encoder(body), headers={"ETag": tag})


#: `Prefer: wait=N` (RFC 7240): how long the client is willing to wait for its answer.
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?:$|[,;\s])")


#: The `Prefer` header of a read that may wait for the case to change.
Prefer = Annotated[
    str | None,
    Header(
        max_length=200,
        description="`wait=N` (RFC 7240): with `If-None-Match`, the answer waits up to N "
        f"seconds (at most {MAX_FEED_WAIT_SECONDS}) for the case to change from that "
        "version, or to exist; `Preference-Applied` says it was honoured.",
    ),
]


def preferred_wait(prefer: str | None) -> int:
    """Seconds from `Prefer: wait=N`, at most the feed's longest wait; 0 when absent (a
    preference the server cannot read is ignored, as RFC 7240 says)."""
    found = _PREFER_WAIT.search(prefer or "")
    return min(int(found.group(1)), MAX_FEED_WAIT_SECONDS) if found else 0


async def read_waiting(
    request: Request,
    prefer: str | None,
    watch: LogWatch,
    number: str,
    read: Callable[[], tuple[Any, int]],
) -> Response:
    """A case's resource, as `etagged`; with `Prefer: wait=N`, the answer waits up to N
    seconds for the case to change from the version in `If-None-Match`, or to exist.

    A front end waiting for the next step of a case asks once and is answered when the
    step is recorded, instead of asking again every few milliseconds. `read` loads the
    resource and checks the caller may see it, each time (the case may have moved).
    Records of another process are seen when the wait looks again, every second.
    """
    wait = preferred_wait(prefer)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    tag = request.headers.get("if-none-match")
    while True:
        changed = watch.case_changed(number)
        missing: NotFound | None = None
        try:
            body, version = await run_sync(read)
        except NotFound as error:
            missing = error
        left = 0 if watch.closing else deadline - loop.time()
        if missing is None and (f'"{version}"' != tag or left <= 0):
            response = etagged(request, body, version)
            if wait:
                response.headers["Preference-Applied"] = f"wait={wait}"
            return response
        if missing is not None and left <= 0:
            raise missing
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), min(left, RECHECK_SECONDS))


class Correlated:
    """A server span per request (when tracing is on); its trace id is the correlation id.

    Plain ASGI, not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the rest
    of the stack in another task with its own streams, which cost every request measurably.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with tracing.tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}",
            kind=SpanKind.SERVER,
            context=tracing.parent_from_headers(headers),
            attributes={
                "complaints.service": self.service,
                "http.request.method": scope["method"],
            },
        ) as span:

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                await send(message)

            token = current_correlation.set(
                tracing.current_correlation() or headers.get("x-correlation-id")
            )
            try:
                await self.app(scope, receive, sending)
            finally:
                current_correlation.reset(token)


@dataclass(frozen=True)
class Degradations:
    """What a ready service cannot do fully: events withheld from its feed, its SQL views
    that cannot follow its log (name -> the last failure), and why its audit sealer cannot
    pin the log; lists may lag and new events go unpinned meanwhile, commands and the
    store's reads are unaffected, so the service stays in rotation."""

    withheld: int = 0
    views: dict[str, str] = field(default_factory=dict)
    audit: str | None = None


def health_router(
    service: str,
    readiness: Callable[[], Awaitable[dict[str, bool]]],
    degradations: Callable[[], Awaitable[Degradations]],
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness: the process serves HTTP")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @router.get(
        "/ready",
        summary="Readiness: the store answers and the bus tasks run; degraded (still 200) "
        "while events are withheld from the feed, a view cannot follow the log or the audit "
        "sealer cannot pin it",
    )
    async def ready() -> JSONResponse:
        checks = await readiness()
        ok = all(checks.values())
        found = await degradations() if ok else Degradations()
        degraded = found.withheld or found.views or found.audit
        status = "not ready" if not ok else "degraded" if degraded else "ready"
        return JSONResponse(
            {
                "status": status,
                "service": service,
                "checks": checks,
                "withheld": found.withheld,
                "views_failing": found.views,
                "audit_sealing": found.audit,
            },
            status_code=200 if ok else 503,
        )

    return router


def withheld_router(app: Any) -> APIRouter:
    """See, repair and republish the events this service's outbox could not publish."""
    router = APIRouter(prefix="/outbox/withheld", tags=["operations"], route_class=CommandRoute)

    @router.get(
        "",
        summary="Events withheld from the feed because their contract refused them, oldest first "
        "(follow with `after=next_after`)",
        dependencies=[Depends(allow(Role.admin, Role.auditor))],
    )
    def list_withheld(
        after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        items, next_after = app.withheld(after, limit)
        return {"items": [w.summary() for w in items], "next_after": next_after}

    @router.post(
        "/{position}/republish",
        summary="Publish a withheld event again, its payload repaired to fit its contract",
    )
    def republish(
        position: Annotated[int, Path(ge=1, le=MAX_POSITION)],
        body: Repair,
        who: Annotated[Principal, Depends(allow(Role.admin))],
    ) -> dict[str, Any]:
        def load() -> WithheldEvent:
            try:
                return app.repository.get(WithheldEvent.create_id(position))
            except AggregateNotFoundError:
                raise NotFound(f"nothing was withheld at position {position}") from None

        def repair(withheld: WithheldEvent) -> None:
            try:
                parse(body.type, body.schema_version, body.data, withheld.case_number)
            except Unprocessable as refused:
                raise Invalid(str(refused), field="data", rule="contract") from None
            meta = {**command_meta(who.actor), "case_number": withheld.case_number}
            withheld.repair(body.type, body.schema_version, body.data, meta)

        return app.change_retrying(load, repair).summary()

    return router


class Repair(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "type": "intake.ComplaintRegistered",
                    "schema_version": 1,
                    "data": {"number": "2611-0042"},
                }
            ]
        },
    )
    type: str = Field(min_length=1, max_length=100, description="The integration event type")
    schema_version: int = Field(ge=1, le=100)
    data: dict[str, Any] = Field(description="The payload, as its contract wants it")


def dead_letter_router(handler: Any) -> APIRouter:
    """Inspect and re-drive the messages this service's consumers could not process."""
    router = APIRouter(prefix="/dead-letters", tags=["operations"], route_class=CommandRoute)

    @router.get(
        "",
        summary="Dead letters, oldest first",
        dependencies=[Depends(allow(Role.admin, Role.auditor))],
    )
    async def list_letters(
        after: int = Query(0, ge=0, le=MAX_POSITION), limit: int = Query(50, ge=1, le=500)
    ) -> dict[str, Any]:
        items, next_after = await handler.dead_letters(after, limit)
        return {"items": items, "next_after": next_after}

    @router.post(
        "/{letter_id}/redrive",
        summary="Process a dead letter now, once (the cause must be fixed first)",
        dependencies=[Depends(allow(Role.admin))],
    )
    async def redrive(letter_id: UUID) -> dict[str, Any]:
        return await handler.redrive(letter_id)

    return router


class FeedPage(BaseModel):
    """A page of the feed (documentation: the answer is rendered from stored bytes)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "envelope_version": 1,
                            "event_id": "5b0f5a52-6a1c-5c3e-9d57-0c7f3f1f6a01",
                            "type": "intake.ComplaintAcknowledged",
                            "schema_version": 1,
                            "case_number": "2611-0042",
                            "occurred_at": "2026-11-05T03:10:00Z",
                            "recorded_at": "2026-11-05T03:10:00Z",
                            "producer": "intake",
                            "position": 118,
                            "causation_id": None,
                            "correlation_id": "0f8e2b7c-2d7e-4c1a-9a55-6f1f2f8b9c10",
                            "actor": {"id": "clerk-wang", "role": "clerk"},
                            "data": {
                                "reply": "We are on it.",
                                "acknowledged_at": "2026-11-05T03:10:00Z",
                                "on_time": True,
                            },
                        }
                    ],
                    "next_after": 118,
                    "head": 120,
                }
            ]
        }
    )
    events: list[IntegrationEvent]
    next_after: int = Field(description="Ask with after=next_after to follow.")
    head: int = Field(description="The newest position in the log.")


class _Feed:
    """The outbox read for one follower's request: filtered to the types it asked for, and
    waited on while it holds nothing for it."""

    def __init__(self, outbox: OutboxReader, app: Any, max_wait: float) -> None:
        self.outbox = outbox
        self.app = app
        self.max_wait = max_wait
        self.published = frozenset(
            spec.type for spec in CATALOG if spec.producer == outbox.producer
        )

    def wanted(self, types: list[str] | None) -> frozenset[str] | None:
        if types is None:
            return None
        unknown = set(types) - self.published
        if unknown:
            _refuse(
                ("query", "types"),
                "unknown_event_type",
                f"not published here: {', '.join(sorted(unknown))}",
            )
        return frozenset(types)

    def read(
        self, after: int, limit: int, wanted: frozenset[str] | None
    ) -> tuple[int, int, int, bytes]:
        """How many events the page holds for the follower, where its scan ended, the log's
        head, and the answer's body, rendered from the events' cached JSON bytes."""
        page = self.outbox.read(after, limit)
        if page.withheld:  # recorded before the feed moves past them (the relay does too)
            self.app.withhold(page.withheld)
        encoded = [
            data
            for event, data in zip(page.events, page.encoded, strict=True)
            if wanted is None or event.type in wanted
        ]
        body = b'{"events":[%s],"next_after":%d,"head":%d}' % (
            b",".join(encoded),
            page.next_after,
            page.head,
        )
        return len(encoded), page.next_after, page.head, body

    async def answer(
        self, after: int, limit: int, wait: int, wanted: frozenset[str] | None
    ) -> Response:
        """The first page holding events for the follower; else, the scan so far once it
        reaches the head and `wait` is up (at once without it). Unfiltered, a scan that
        moved past internal events is answered at once, as it always was. Filtered, pages
        of other types are scanned on at once, for a second at most (or `wait`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(wait, self.max_wait)
        scanning = max(deadline, loop.time() + SCAN_SECONDS)
        scanned = after

        async def head() -> int:
            return await run_sync(self.outbox.head)

        while True:
            since = self.app.watch.generation
            found, scanned, newest, body = await run_sync(self.read, scanned, limit, wanted)
            if found or (scanned > after and wanted is None):
                break
            if scanned < newest:  # the next page is there to scan
                if loop.time() < scanning:
                    continue
                break
            left = deadline - loop.time()
            if left <= 0 or self.app.watch.closing:
                break
            await self.app.watch.wait(since, left, RECHECK_SECONDS, head)
        return Response(body, media_type="application/json")


def feed_router(outbox: OutboxReader, app: Any, max_wait: float) -> APIRouter:
    """The outbox as an ordered feed; a follower that is caught up may wait for news
    (`wait`), woken as soon as this process records (see `shared.platform.logwatch`).

    A follower may name the `types` it reacts to: the others are skipped, and a waiting
    answer waits for one it wants. Intake reacts to one of the nine events routing
    publishes in a usual case; without the filter each of routing's commits woke it for a
    round trip that changed nothing."""
    router = APIRouter(tags=["events"])
    feed = _Feed(outbox, app, max_wait)

    @router.get(
        "/events",
        response_model=FeedPage,
        summary="Ordered feed of this service's integration events (the outbox)",
        description=(
            "Integration events with a position greater than `after`, oldest first. "
            "Poll with `after=next_after` to follow. Positions may have gaps (internal events, "
            "and the types a follower did not ask for). With `wait`, an answer that would hold "
            "no events waits up to that many seconds for the log to grow: long polling, "
            "instead of asking again."
        ),
        dependencies=[Depends(allow(Role.service, Role.auditor, Role.admin))],
    )
    async def events(
        after: int = Query(
            0, ge=0, le=MAX_POSITION, description="Return events after this position."
        ),
        limit: int = Query(100, ge=1, le=MAX_FEED_LIMIT, description="Positions to scan."),
        wait: int = Query(
            0,
            ge=0,
            le=MAX_FEED_WAIT_SECONDS,
            description="Whole seconds to wait when nothing is new (this service may wait less).",
        ),
        types: FeedTypes = None,
    ) -> Response:
        return await feed.answer(after, limit, wait, feed.wanted(types))

    return router


async def _body_of(request: Request) -> bytes:
    """The request's body as data to compare: a multipart form has already been parsed (its
    stream consumed), so its fields and each file's digest stand in for the raw bytes."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    parts = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            await value.seek(0)
            value = f"{value.filename}:{value.content_type}:{hashlib.sha256(content).hexdigest()}"
        parts.append(f"{name}={value}")
    return "\n".join(parts).encode()


async def idempotent_request(
    request: Request,
    who: Annotated[Principal, Depends(authenticated)],
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Retrying with the same key (and the same request) returns the first "
            "answer, with `Idempotent-Replayed: true`; another request with the key is a 409. "
            "Keys are scoped to the caller and the operation.",
        ),
    ] = None,
) -> None:
    """Carry the request's Idempotency-Key, if any, to the command it runs."""
    if key is None:
        idempotency.serve(None)
        return
    route = request.scope.get("route")
    template = route.path if isinstance(route, Route) else request.url.path
    served = IdempotentRequest(
        key=key,
        scope=f"{who.subject} {request.method} {template}",
        fingerprint=fingerprint(request.method, request.url.path, await _body_of(request)),
    )
    request.state.idempotency = served
    idempotency.serve(served)


async def conditional_request(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=1000,
            description="The case's ETag as last read (or several, or `*`): the command runs "
            "only on that version, else 412 (rule `version`). The answer's ETag is the "
            "version the command left.",
        ),
    ] = None,
) -> None:
    """Carry the request's If-Match (every line of it) to the command it runs on the case."""
    given = ", ".join(request.headers.getlist("if-match")) or None
    try:
        condition = Condition.parse(given)
    except MalformedCondition as error:
        _refuse(("header", "if-match"), "entity_tag", str(error))
    request.state.condition = condition
    preconditions.serve(condition)


async def unconditional_request(request: Request) -> None:
    """An operation on no case has no version to match: an If-Match would go unheeded."""
    if "if-match" in request.headers:
        _refuse(
            ("header", "if-match"),
            "not_conditional",
            "this operation changes no case, so no version of one: it takes no If-Match",
        )


class ReplayedHeader:
    """Marks a replayed answer with `Idempotent-Replayed: true`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                served = scope.get("state", {}).get("idempotency")
                if served is not None and served.replayed:
                    headers = list(message.get("headers", []))
                    headers.append((b"idempotent-replayed", b"true"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, marked)


class KillBeforeAnswer:
    """Fault injection for tests: SIGKILL this process once the `after`-th command has
    committed, before its answer leaves, as a crash between commit and reply would.

    A command's success answer starts only after its transaction committed, so killing at
    the start of the `after`-th 2xx answer to a state-changing request is exactly that crash.
    """

    def __init__(self, app: ASGIApp, after: int) -> None:
        self.app = app
        self.after = after
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return

        async def maybe_die(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                self.answered += 1
                if self.answered >= self.after:
                    os.kill(os.getpid(), signal.SIGKILL)
            await send(message)

        await self.app(scope, receive, maybe_die)


class CommandRoute(APIRoute):
    """A route whose state-changing methods take an `Idempotency-Key` (see
    `shared.platform.idempotency`) and whose JSON bodies are text a store can keep; every service's
    routers are made of these."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if set(kwargs.get("methods") or ()) & STATE_CHANGING:
            on_a_case = "{number}" in path
            kwargs["dependencies"] = [
                *(kwargs.get("dependencies") or ()),
                Depends(idempotent_request),
                Depends(conditional_request if on_a_case else unconditional_request),
            ]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        takes_json = self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

        async def checked(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if _is_json(content_type):
                _check_json_text(await request.body())
            elif takes_json and (content_type or await request.body()):
                # FastAPI would pass the body on as bytes and answer that it "should be a
                # valid dictionary": true, but it does not say what to fix.
                named = content_type.split(";")[0] or "a body without a content-type"
                raise UnsupportedMediaType(
                    f"this operation takes application/json, not {named}",
                    field="content-type",
                    rule="content_type",
                )
            response = await handle(request)
            condition = getattr(request.state, "condition", None)
            if condition is not None and condition.answered is not None:
                response.headers["ETag"] = f'"{condition.answered}"'
            return response

        return checked


def _is_json(content_type: str) -> bool:
    """application/json, or a JSON-based type (`application/problem+json`), as FastAPI
    reads them."""
    subtype = content_type.split(";")[0].strip().lower().partition("/")[2]
    return subtype == "json" or subtype.endswith("+json")


def _refuse(where: tuple[Any, ...], rule: str, message: str) -> NoReturn:
    raise RequestValidationError([{"loc": where, "type": rule, "msg": message}])


_NUL = "\x00"
_NUL_MESSAGE = "text may not contain NUL (U+0000): PostgreSQL cannot keep it"


async def plain_parameters(request: Request) -> None:
    """Every route's path and query parameters are text the stores can search: a NUL would
    reach PostgreSQL in a query and fail there (a 500) instead of here (a 422). An operation
    that takes query parameters is given only those, as a body only its fields
    (`schemas.Strict`): `?stauts=open` listed every complaint, as if it had been filtered.
    (One that takes none, as the probes and `/metrics`, reads nothing from its query: what
    a load balancer or a scraper adds there is left alone.) And each is given once, but for
    those taking a list (a feed's `types`): of `?status=registered&status=settled` the
    framework would keep the last silently (a proxy or a cache may read the first)."""
    query = request.query_params
    route = request.scope.get("route")
    if query and isinstance(route, APIRoute) and (declared := _query_parameters(route)):
        seen: set[str] = set()
        for name, _ in query.multi_items():
            if name not in declared:
                takes = ", ".join(sorted(declared))
                _refuse(("query", name), "unknown_parameter", f"not a parameter here ({takes})")
            if name in seen and not declared[name]:
                _refuse(("query", name), "repeated_parameter", "given more than once")
            seen.add(name)
    for kind, values in (("path", request.path_params), ("query", query)):
        for name, value in values.items():
            if isinstance(value, str) and _NUL in value:
                _refuse((kind, name), "nul_character", _NUL_MESSAGE)


#: The request headers that decide who asks, what is asked and how it is read: each may be
#: given once (RFC 9110 §5.3: none of them is a list).
SINGLE_HEADERS = ("authorization", "idempotency-key", "content-type")


async def headers_once(request: Request) -> None:
    """Two `Idempotency-Key`s (or bearer tokens, or content types) are two readings of one
    request: the framework takes the first, a retry or a proxy may take the other, and a
    retry sending only the second key would register the complaint again."""
    for name in SINGLE_HEADERS:
        if len(request.headers.getlist(name)) > 1:
            _refuse(("header", name), "repeated_header", "given more than once")


def _query_parameters(route: APIRoute) -> dict[str, bool]:
    """The query parameters `route` and its dependencies declare, each with whether it takes
    a list (given by repeating it, as a feed's `types`)."""
    declared: dict[str, bool] = {}
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        for parameter in dependant.query_params:
            declared[parameter.alias] = _takes_many(parameter.field_info.annotation)
        todo.extend(dependant.dependencies)
    return declared


def _takes_many(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, UnionType):
        return any(_takes_many(member) for member in get_args(annotation))
    return get_origin(annotation) in (list, tuple, set, frozenset)


class _KeyedOnce(dict[str, Any]):
    """A JSON object as parsed, with the first name it holds twice (`repeated`).

    JSON parsers disagree on `{"amount": "1", "amount": "900"}` (Python keeps the last, others
    the first or refuse), so a body read one way by a proxy or a signature check and another
    way here is refused instead of silently taking one."""

    repeated: str | None = None

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        parsed = cls(pairs)
        if len(parsed) != len(pairs):  # rare: then find which
            seen: set[str] = set()
            for name, _ in pairs:
                if name in seen:
                    parsed.repeated = name
                    break
                seen.add(name)
        return parsed


def _check_json_text(body: bytes) -> None:
    """Refuse, naming where, what JSON allows but no store or contract can keep: invalid
    UTF-8, nesting deeper than any request needs, a name given twice in one object, lone
    surrogates (`"\\ud83d"`) and NUL characters (PostgreSQL's text cannot hold one, so a read
    model or a query would fail)."""

    def refuse(where: tuple[Any, ...], rule: str, message: str) -> NoReturn:
        _refuse(("body", *where), rule, message)

    try:
        data = json.loads(body, object_pairs_hook=_KeyedOnce.of)
    except UnicodeDecodeError:
        refuse((), "utf8", "the body is not valid UTF-8")
    except RecursionError:
        refuse((), "nesting", "the body is nested too deeply")
    except ValueError:
        return  # malformed JSON: FastAPI names where, as json_invalid

    def walk(value: Any, where: tuple[Any, ...], depth: int) -> None:
        if depth > MAX_NESTING:
            refuse(where, "nesting", f"nested deeper than {MAX_NESTING} levels")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                refuse(where, "unicode_surrogate", "a lone surrogate is not text")
            if _NUL in value:
                refuse(where, "nul_character", _NUL_MESSAGE)
        elif isinstance(value, dict):
            if isinstance(value, _KeyedOnce) and value.repeated:
                refuse(
                    (*where, value.repeated),
                    "duplicate_key",
                    "the name appears more than once in its object: which one is meant?",
                )
            for key, item in value.items():
                walk(key, (*where, key), depth + 1)
                walk(item, (*where, key), depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*where, index), depth + 1)

    walk(data, (), 0)
