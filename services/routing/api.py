"""Routing's HTTP API: thin routes over `RoutingApplication` and its read_models."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.routing import read_models
from services.routing.access import Handler, HandlerOrManager, Manager, Reader, Staff, own_unit
from services.routing.commands import (
    Approve,
    Close,
    ExtendClock,
    FileMemo,
    PauseClock,
    PinUnit,
    Propose,
    Reassign,
    Rebaseline,
    RecordFollowUp,
    RecordInvestigation,
    Reject,
    ResumeClock,
)
from services.routing.deadlines import POLICY_FILE
from services.routing.dependencies import HandlingDep
from services.routing.schemas import (
    CaseRead,
    DryRun,
    Extension,
    FollowUp,
    Investigation,
    Memo,
    Pin,
    Proposal,
    QueuePage,
    Reason,
    Reassignment,
    Rejection,
    RoutingRules,
)
from shared.kernel import clock
from shared.kernel.meta import command_meta
from shared.kernel.principal import Principal, Role
from shared.kernel.values import CaseNumberText
from shared.platform.auth.access import allow
from shared.platform.http import CommandRoute, Prefer, read_waiting
from shared.platform.schemas import decode_cursor, encode_cursor

Cursor = Annotated[str | None, Query(max_length=300)]
Limit = Annotated[int, Query(ge=1, le=read_models.MAX_PAGE_SIZE)]
#: A unit's name, as bounded wherever one is given (rules, transfers, assignments).
Unit = Annotated[str, Path(min_length=1, max_length=100, examples=["quality_management"])]


router = APIRouter(route_class=CommandRoute)


async def page(
    engine: AsyncEngine, unit: str | None, overdue: bool, cursor: str | None, limit: int
) -> QueuePage:
    """A page of open cases by next deadline (past it, when `overdue`)."""
    rows = await read_models.queue(
        engine,
        unit,
        clock.now() if overdue else None,
        decode_cursor(cursor) if cursor else None,
        limit + 1,
    )
    if len(rows) <= limit:
        return QueuePage(items=rows, next_cursor=None)
    last = rows[limit - 1]
    cursor = encode_cursor(last["next_due"], last["number"])
    return QueuePage(items=rows[:limit], next_cursor=cursor)


cases = APIRouter(prefix="/cases", tags=["cases"], route_class=CommandRoute)


@cases.get(
    "/{number}",
    response_model=CaseRead,
    summary="The case; ETag is its version (If-None-Match gives 304; Prefer: wait=N waits)",
)
async def read(
    handling: HandlingDep,
    number: CaseNumberText,
    request: Request,
    who: Staff,
    prefer: Prefer = None,
) -> Response:
    def load() -> tuple[CaseRead, int]:
        case = handling.app.case(number)
        case.check_actor(who)  # a handler only its unit's case, as it stands when answered
        return CaseRead.of(case), case.version

    return await read_waiting(request, prefer, handling.app.watch, number, load)


@cases.get("/{number}/closing-gate", summary="What still stops the case from closing (四不放过)")
def closing_gate(handling: HandlingDep, number: CaseNumberText, who: Reader) -> dict[str, Any]:
    missing = handling.app.case(number).missing_to_close(clock.now())
    return {"can_close": not missing, "missing": missing}


@cases.get("/{number}/late-steps", summary="Steps that ran late, for review after closing (洽办)")
def late_steps(handling: HandlingDep, number: CaseNumberText, who: Reader) -> list[dict[str, Any]]:
    return handling.app.case(number).late_steps


@cases.post(
    "/{number}/reassignment",
    response_model=CaseRead,
    summary="Move the case to another unit, with the reason; pinned there unless `pin` is false",
)
def reassign(
    handling: HandlingDep, number: CaseNumberText, body: Reassignment, who: Manager
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(Reassign(number, unit=body.unit, reason=body.reason, pin=body.pin), who)
    )


@cases.post(
    "/{number}/unit-pin",
    response_model=CaseRead,
    summary="Pin the case to its unit (changed facts no longer move it), or unpin it",
)
def pin(handling: HandlingDep, number: CaseNumberText, body: Pin, who: Manager) -> CaseRead:
    return CaseRead.of(
        handling.app.act(PinUnit(number, pinned=body.pinned, reason=body.reason), who)
    )


@cases.post(
    "/{number}/clocks/{name}/pause",
    response_model=CaseRead,
    summary="Pause a clock, e.g. while waiting for the customer",
)
def pause(
    handling: HandlingDep, number: CaseNumberText, name: str, body: Reason, who: HandlerOrManager
) -> CaseRead:
    return CaseRead.of(handling.app.act(PauseClock(number, name=name, reason=body.reason), who))


@cases.post("/{number}/clocks/{name}/resume", response_model=CaseRead)
def resume(
    handling: HandlingDep, number: CaseNumberText, name: str, body: Reason, who: HandlerOrManager
) -> CaseRead:
    return CaseRead.of(handling.app.act(ResumeClock(number, name=name, reason=body.reason), who))


@cases.post("/{number}/clocks/{name}/extension", response_model=CaseRead)
def extend(
    handling: HandlingDep, number: CaseNumberText, name: str, body: Extension, who: Manager
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            ExtendClock(
                number,
                name=name,
                due=body.due,
                reason=body.reason,
                policy=handling.app.policy_in_force,
            ),
            who,
        )
    )


@cases.post(
    "/{number}/rebaseline",
    response_model=CaseRead,
    summary="Apply the deadline policy in force to this open case's clocks",
)
def rebaseline(
    handling: HandlingDep, number: CaseNumberText, body: Reason, who: Manager
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            Rebaseline(number, policy=handling.app.policy_in_force, reason=body.reason), who
        )
    )


@cases.post("/{number}/investigation", response_model=CaseRead)
def investigate(
    handling: HandlingDep, number: CaseNumberText, body: Investigation, who: Handler
) -> CaseRead:
    parties = [p.model_dump(mode="json") for p in body.responsible_parties]
    return CaseRead.of(
        handling.app.act(
            RecordInvestigation(
                number,
                problem=body.problem,
                five_whys=body.five_whys,
                fishbone=body.fishbone,
                root_cause=body.root_cause,
                responsible_parties=parties,
                rules=handling.app.rules(),
            ),
            who,
        )
    )


@cases.post(
    "/{number}/remedies",
    response_model=CaseRead,
    summary="Propose remedies and corrective/preventive actions",
)
def propose(
    handling: HandlingDep, number: CaseNumberText, body: Proposal, who: Handler
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            Propose(
                number,
                remedies=[r.model_dump(mode="json", exclude_none=True) for r in body.remedies],
                currency=body.currency,
                actions=[a.model_dump(mode="json") for a in body.actions],
                authority=handling.app.authority,
            ),
            who,
        )
    )


@cases.post("/{number}/memos", response_model=CaseRead, summary="File a memo (签呈)")
def memo(
    handling: HandlingDep, number: CaseNumberText, body: Memo, who: HandlerOrManager
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            FileMemo(number, from_unit=body.from_unit, author=who.subject, text=body.text), who
        )
    )


@cases.post(
    "/{number}/approval",
    response_model=CaseRead,
    summary="Approve; refused below the authority the amount needs (核决权限)",
)
def approve(handling: HandlingDep, number: CaseNumberText, who: Manager) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            Approve(
                number,
                approver_id=who.subject,
                approver_level=who.authority,
                authority=handling.app.authority,
            ),
            who,
        )
    )


@cases.post(
    "/{number}/rejection",
    response_model=CaseRead,
    summary="Reject the proposal; back to the unit with the reason",
)
def reject(
    handling: HandlingDep, number: CaseNumberText, body: Rejection, who: Manager
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(Reject(number, approver_id=who.subject, reason=body.reason), who)
    )


@cases.post(
    "/{number}/follow-up",
    response_model=CaseRead,
    summary="Record that responsible people were dealt with and people briefed",
)
def follow_up(
    handling: HandlingDep, number: CaseNumberText, body: FollowUp, who: Handler
) -> CaseRead:
    return CaseRead.of(
        handling.app.act(
            RecordFollowUp(
                number,
                responsible_dealt_with=body.responsible_dealt_with,
                people_briefed=body.people_briefed,
            ),
            who,
        )
    )


@cases.post(
    "/{number}/closure",
    response_model=CaseRead,
    summary="Close; refused with every missing condition named",
)
def close(handling: HandlingDep, number: CaseNumberText, body: Reason, who: Manager) -> CaseRead:
    return CaseRead.of(handling.app.act(Close(number), who))


work = APIRouter(tags=["work queues"])


@work.get(
    "/units/{unit}/queue",
    response_model=QueuePage,
    summary="A unit's open cases by next deadline",
)
async def unit_queue(
    handling: HandlingDep, unit: Unit, who: Staff, cursor: Cursor = None, limit: Limit = 20
) -> QueuePage:
    own_unit(unit, who)
    return await page(handling.engine, unit, False, cursor, limit)


@work.get("/overdue", response_model=QueuePage, summary="Open cases past a deadline")
async def overdue(
    handling: HandlingDep, who: Staff, cursor: Cursor = None, limit: Limit = 20
) -> QueuePage:
    """A handler sees its own unit's overdue cases; other staff see every unit's."""
    unit = who.unit if who.role is Role.handler else None
    return await page(handling.engine, unit, True, cursor, limit)


rules = APIRouter(prefix="/routing-rules", tags=["routing rules"], route_class=CommandRoute)


@rules.get("", summary="The rule set in force")
def current_rules(handling: HandlingDep, who: Staff) -> dict[str, Any]:
    return handling.app.rules().to_dict()


@rules.put("", summary="Publish a new rule-set version (recorded as an event)")
def publish_rules(
    handling: HandlingDep,
    body: RoutingRules,
    who: Annotated[Principal, Depends(allow(Role.admin))],
) -> dict[str, Any]:
    return handling.app.publish_rules(body.model_dump(), command_meta(who.actor)).to_dict()


@rules.post("/dry-run", summary="Which rule would fire for these facts, and why")
def dry_run(
    handling: HandlingDep,
    body: DryRun,
    who: Annotated[Principal, Depends(allow(Role.admin, Role.manager))],
) -> dict[str, Any]:
    decision = handling.app.dry_run(body.facts)
    return {
        "rule_id": decision.rule.id,
        "unit": decision.rule.unit,
        "role": decision.rule.role,
        "ruleset_version": decision.version,
        "trace": decision.trace,
    }


@router.get("/deadline-policy", tags=["deadlines"], summary="The deadline policy in force")
def deadline_policy(who: Staff) -> dict[str, Any]:
    return json.loads(POLICY_FILE.read_text(encoding="utf-8"))


for part in (cases, work, rules):
    router.include_router(part)
