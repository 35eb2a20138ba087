"""Intake's HTTP API: thin routes over `IntakeApplication` and the complaint index."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from services.intake import read_models
from services.intake.access import Clerk, ClerkOrCustomer, Reader, ReaderByRole, Staff
from services.intake.application import Registration
from services.intake.commands import (
    Acknowledge,
    AttachEvidence,
    Classify,
    Confirm,
    Judge,
    RejectOutcome,
    UnlinkRepeat,
    Withdraw,
)
from services.intake.dependencies import DeskDep
from services.intake.domain import Channel, Status
from services.intake.evidence import DOWNLOAD_HEADERS
from services.intake.schemas import (
    Acknowledgement,
    Classification,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    Confirmation,
    Judgement,
    Reason,
    RepeatCandidate,
    RepeatLink,
    TimelineEntry,
)
from shared.kernel import clock
from shared.kernel.errors import Forbidden, Invalid, NotFound
from shared.kernel.meta import command_meta
from shared.kernel.principal import Principal, Role
from shared.kernel.values import CaseNumberText, Instant
from shared.platform.audit.history import case_history
from shared.platform.auth.access import allow
from shared.platform.http import CommandRoute, Prefer, read_waiting
from shared.platform.openapi import VERSIONED
from shared.platform.threads import run_sync

#: How far in the future a receipt time may be (clock skew between desks) before refusal.
RECEIPT_TIME_TOLERANCE = timedelta(minutes=5)


#: The channel of a complaint a customer files itself, through the portal.
CUSTOMER_CHANNEL = Channel.web_form

#: Timeline entries a page holds at most (and by default: a usual complaint fits in one).
MAX_TIMELINE_PAGE = 500


def _check_customer_registration(body: ComplaintCreate, who: Principal) -> None:
    """What only the desk may say: the channel, the complainant's standing, the flags that
    raise severity, and when it was received. A customer files under its own id, through
    the portal, now."""
    if body.complainant.customer_id != who.customer_id:
        raise Forbidden(
            "a customer files complaints under its own customer id",
            field="complainant.customer_id",
            rule="own_customer",
        )
    desk_only = [
        field
        for field, told in (
            ("channel", body.channel is not CUSTOMER_CHANNEL),
            ("complainant.type", "type" in body.complainant.model_fields_set),
            ("flags", bool(body.flags)),
            ("received_at", body.received_at is not None),
        )
        if told
    ]
    if desk_only:
        raise Forbidden(
            f"only the desk sets {', '.join(desk_only)}; a customer files through the portal "
            f"(channel {CUSTOMER_CHANNEL.value}), received when it arrives",
            errors=[
                {"field": field, "rule": "desk_only", "message": "set by the desk only"}
                for field in desk_only
            ],
        )


router = APIRouter(tags=["complaints"], route_class=CommandRoute)


@router.post(
    "/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintRead,
    summary="Register a complaint (受理登记); numbered YYMM-NNNN",
    responses={201: {"headers": VERSIONED}},
)
async def register(
    desk: DeskDep,
    body: ComplaintCreate,
    response: Response,
    who: Annotated[Principal, Depends(allow(Role.clerk, Role.customer, Role.admin))],
) -> ComplaintRead:
    if body.backdating_reason and who.role is not Role.admin:
        raise Forbidden(
            "only an admin registers into a month whose report is final",
            field="backdating_reason",
            rule="admin_only",
        )
    if who.role is Role.customer:
        _check_customer_registration(body, who)
    now = clock.now()
    received_at = body.received_at or now
    if received_at > now + RECEIPT_TIME_TOLERANCE:
        raise Invalid("received_at is in the future", field="received_at", rule="not_future")
    registration = Registration(
        received_at=received_at,
        channel=body.channel.value,
        nature=body.nature.value,
        complainant=body.complainant.model_dump(mode="json"),
        subject=body.subject.model_dump(mode="json"),
        problem=body.problem.model_dump(mode="json"),
        description=body.description,
        demands=body.demands.model_dump(mode="json"),
        taken_by=who.subject,
        flags=tuple(body.flags),
        backdating_reason=body.backdating_reason,
    )
    result = await run_sync(desk.register, registration, command_meta(who.actor))
    response.headers["Location"] = f"/complaints/{result.complaint.number}"
    response.headers["ETag"] = f'"{result.complaint.version}"'  # the If-Match of its next step
    return desk.answer(result.complaint)


@router.get(
    "/complaints",
    response_model=ComplaintPage,
    summary="List complaints, newest first, with filters and cursor pagination",
)
async def list_complaints(
    desk: DeskDep,
    who: ReaderByRole,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    severity: Annotated[str | None, Query(pattern="^level_[123]$")] = None,
    customer: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    received_from: Instant | None = None,
    received_to: Annotated[Instant | None, Query(description="Before this instant")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=read_models.MAX_PAGE_SIZE)] = 20,
) -> ComplaintPage:
    if received_from and received_to and received_to <= received_from:
        raise Invalid(
            "received_to must be after received_from (from is in the range, to is not)",
            field="received_to",
            rule="after_received_from",
        )
    if who.role is Role.customer:
        if customer not in (None, who.customer_id):
            raise Forbidden(
                "a customer lists only its own complaints",
                field="customer",
                rule="own_customer",
            )
        customer = who.customer_id
    where = read_models.ListFilter(
        status=status_.value if status_ else None,
        channel=channel.value if channel else None,
        severity=severity,
        customer=customer,
        unit=who.unit if who.role is Role.handler else None,
        received_from=received_from,
        received_to=received_to,
        text=q,
    )
    items, next_cursor = await read_models.list_complaints(desk.engine, where, cursor, limit)
    return ComplaintPage(items=items, next_cursor=next_cursor)


@router.get(
    "/complaints/{number}",
    response_model=ComplaintRead,
    summary="The complaint; ETag is its version (If-None-Match gives 304; Prefer: wait=N waits)",
)
async def read(
    desk: DeskDep,
    number: CaseNumberText,
    request: Request,
    who: ReaderByRole,
    prefer: Prefer = None,
) -> Response:
    def load() -> tuple[ComplaintRead, int]:
        complaint = desk.app.complaint(number)
        complaint.check_actor(who)  # a customer only its own, a handler only its unit's
        return desk.answer(complaint), complaint.version

    return await read_waiting(request, prefer, desk.app.watch, number, load)


@router.get(
    "/complaints/{number}/timeline",
    response_model=list[TimelineEntry],
    summary="Intake's part of the case timeline, from the event store",
)
def timeline(
    desk: DeskDep,
    number: CaseNumberText,
    who: Staff,
    response: Response,
    after: Annotated[int, Query(ge=0, description="the last position already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_TIMELINE_PAGE)] = MAX_TIMELINE_PAGE,
) -> list[TimelineEntry]:
    """Oldest first, a page at a time: a `Link: <...>; rel="next"` header names the next
    page while there is one."""
    entries = case_history(desk.app, number)
    if not entries:
        raise NotFound(f"no complaint {number}")
    later = [e for e in entries if e["version"] > after]
    page = later[:limit]
    if len(later) > limit:
        next_after = page[-1]["version"]
        response.headers["Link"] = (
            f'</complaints/{number}/timeline?after={next_after}&limit={limit}>; rel="next"'
        )
    return [
        TimelineEntry(
            position=e["version"],
            type=e["type"].rsplit(".", 1)[-1],
            at=e["at"],
            actor=e["actor"],
            correlation_id=e["correlation_id"],
            data=e["data"],
        )
        for e in page
    ]


@router.get(
    "/complaints/{number}/repeat-candidates",
    response_model=list[RepeatCandidate],
    summary="Earlier complaints of the same customer on the same order, part or batch",
)
async def repeat_candidates(
    desk: DeskDep, number: CaseNumberText, who: Staff
) -> list[RepeatCandidate]:
    return [RepeatCandidate(**c) for c in await run_sync(desk.repeat_candidates, number)]


@router.post("/complaints/{number}/repeat-links", response_model=ComplaintRead)
def link_repeat(
    desk: DeskDep, number: CaseNumberText, body: RepeatLink, who: Clerk
) -> ComplaintRead:
    return desk.answer(desk.app.link_repeat(number, body.earlier, command_meta(who.actor)))


@router.delete("/complaints/{number}/repeat-links/{earlier}", response_model=ComplaintRead)
def unlink_repeat(
    desk: DeskDep,
    number: CaseNumberText,
    earlier: CaseNumberText,
    reason: Annotated[str, Query(min_length=1, max_length=2000)],
    who: Clerk,
) -> ComplaintRead:
    return desk.answer(desk.app.act(UnlinkRepeat(number, earlier=earlier, reason=reason), who))


@router.post("/complaints/{number}/acknowledgement", response_model=ComplaintRead)
def acknowledge(
    desk: DeskDep, number: CaseNumberText, body: Acknowledgement, who: Clerk
) -> ComplaintRead:
    return desk.answer(desk.app.act(Acknowledge(number, reply=body.reply), who))


@router.post(
    "/complaints/{number}/judgement",
    response_model=ComplaintRead,
    summary="Judge validity; not valid closes it with the explained reply",
)
def judge(desk: DeskDep, number: CaseNumberText, body: Judgement, who: Clerk) -> ComplaintRead:
    return desk.answer(
        desk.app.act(Judge(number, valid=body.valid, reason=body.reason, reply=body.reply), who)
    )


@router.post("/complaints/{number}/classification", response_model=ComplaintRead)
def classify(
    desk: DeskDep, number: CaseNumberText, body: Classification, who: Clerk
) -> ComplaintRead:
    return desk.answer(
        desk.app.act(
            Classify(
                number,
                changes=body.changes(),
                reason=body.reason,
                taxonomy=desk.app.taxonomy,
            ),
            who,
        )
    )


@router.post(
    "/complaints/{number}/evidence",
    response_model=ComplaintRead,
    status_code=status.HTTP_201_CREATED,
)
async def upload_evidence(
    desk: DeskDep,
    number: CaseNumberText,
    file: Annotated[UploadFile, File()],
    response: Response,
    who: ClerkOrCustomer,
) -> ComplaintRead:
    complaint = await run_sync(desk.app.complaint, number)
    content = await file.read(desk.evidence.max_bytes + 1)
    content_type = (file.content_type or "application/octet-stream").split(";")[0]
    # Nothing is written for an upload the command would refuse (the command checks again).
    sha256 = await run_sync(desk.evidence.put, content, content_type, complaint.check_attachable)
    complaint = await run_sync(
        desk.app.act,
        AttachEvidence(
            number,
            sha256=sha256,
            filename=(file.filename or "evidence")[:255],
            content_type=content_type,
            size=len(content),
        ),
        who,
    )
    response.headers["Location"] = f"/complaints/{number}/evidence/{sha256}"
    return desk.answer(complaint)


@router.get("/complaints/{number}/evidence/{sha256}", response_class=FileResponse)
def download_evidence(
    desk: DeskDep, number: CaseNumberText, sha256: str, who: Reader
) -> FileResponse:
    complaint = desk.app.complaint(number)
    if sha256 not in complaint.evidence:
        raise NotFound(f"complaint {number} has no evidence {sha256}")
    item = complaint.evidence[sha256]
    return FileResponse(
        desk.evidence.path(sha256),
        media_type=item["content_type"],
        filename=item["filename"],
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


@router.post(
    "/complaints/{number}/confirmation",
    response_model=ComplaintRead,
    summary="The customer confirms the outcome (书面确认) with satisfaction 1-5",
)
def confirm(
    desk: DeskDep, number: CaseNumberText, body: Confirmation, who: ClerkOrCustomer
) -> ComplaintRead:
    return desk.answer(
        desk.app.act(Confirm(number, satisfaction=body.satisfaction, comment=body.comment), who)
    )


@router.post(
    "/complaints/{number}/rejection",
    response_model=ComplaintRead,
    summary="The customer rejects the outcome: reopened as a new handling cycle",
)
def reject(
    desk: DeskDep, number: CaseNumberText, body: Reason, who: ClerkOrCustomer
) -> ComplaintRead:
    return desk.answer(desk.app.act(RejectOutcome(number, reason=body.reason), who))


@router.post("/complaints/{number}/withdrawal", response_model=ComplaintRead)
def withdraw(
    desk: DeskDep, number: CaseNumberText, body: Reason, who: ClerkOrCustomer
) -> ComplaintRead:
    return desk.answer(desk.app.act(Withdraw(number, reason=body.reason), who))


@router.get(
    "/taxonomies", tags=["reference"], summary="Classification schemes with zh-CN and en labels"
)
def list_taxonomies(desk: DeskDep, who: ReaderByRole) -> dict:
    return {scheme: dict(codes) for scheme, codes in desk.app.taxonomy.schemes.items()}
