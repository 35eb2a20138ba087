"""Routing's HTTP API: thin routes over `RoutingApplication` and its views."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncEngine

from services.routing import views
from services.routing.application import RoutingApplication
from services.routing.deadlines import POLICY_FILE
from services.routing.schemas import (
    Approval,
    CaseRead,
    DryRun,
    Extension,
    FollowUp,
    Investigation,
    Memo,
    Proposal,
    QueuePage,
    Reason,
    Reassignment,
    Rejection,
)
from shared import clock
from shared.envelope import Actor
from shared.http import etagged
from shared.meta import command_meta
from shared.schemas import decode_cursor, encode_cursor

RULES_EXAMPLE = {
    "version": "2026.12-1",
    "rules": [
        {
            "id": "quality",
            "unit": "quality_management",
            "role": "handler",
            "when": [{"fact": "nature", "op": "eq", "value": "quality"}],
            "description": "quality",
        },
        {"id": "catch-all", "unit": "customer_service", "when": []},
    ],
}

Cursor = Annotated[str | None, Query(max_length=300)]
Limit = Annotated[int, Query(ge=1, le=views.MAX_PAGE_SIZE)]


def router(app: RoutingApplication, engine: AsyncEngine) -> APIRouter:
    api = APIRouter()

    def handler(by: str):
        return command_meta(Actor(id=by, role="handler"))

    def manager(by: str):
        return command_meta(Actor(id=by, role="manager"))

    async def page(unit: str | None, overdue: bool, cursor: str | None, limit: int) -> QueuePage:
        rows = await views.queue(
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

    cases = APIRouter(prefix="/cases", tags=["cases"])

    @cases.get(
        "/{number}",
        response_model=CaseRead,
        summary="The case; ETag is its version (If-None-Match gives 304)",
    )
    def read(number: str, request: Request) -> Response:
        case = app.case(number)
        return etagged(request, CaseRead.of(case), case.version)

    @cases.get(
        "/{number}/closing-gate", summary="What still stops the case from closing (四不放过)"
    )
    def closing_gate(number: str) -> dict[str, Any]:
        missing = app.case(number).missing_to_close(clock.now())
        return {"can_close": not missing, "missing": missing}

    @cases.get(
        "/{number}/late-steps", summary="Steps that ran late, for review after closing (洽办)"
    )
    def late_steps(number: str) -> list[dict[str, Any]]:
        return app.case(number).late_steps

    @cases.post("/{number}/reassignment", response_model=CaseRead)
    def reassign(number: str, body: Reassignment) -> CaseRead:
        return CaseRead.of(
            app.change(number, "reassign", manager(body.by), unit=body.unit, reason=body.reason)
        )

    @cases.post(
        "/{number}/clocks/{name}/pause",
        response_model=CaseRead,
        summary="Pause a clock, e.g. while waiting for the customer",
    )
    def pause(number: str, name: str, body: Reason) -> CaseRead:
        return CaseRead.of(
            app.change(number, "pause_clock", handler(body.by), name=name, reason=body.reason)
        )

    @cases.post("/{number}/clocks/{name}/resume", response_model=CaseRead)
    def resume(number: str, name: str, body: Reason) -> CaseRead:
        return CaseRead.of(
            app.change(number, "resume_clock", handler(body.by), name=name, reason=body.reason)
        )

    @cases.post("/{number}/clocks/{name}/extension", response_model=CaseRead)
    def extend(number: str, name: str, body: Extension) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "extend_clock",
                manager(body.by),
                name=name,
                due=body.due,
                reason=body.reason,
                policy=app.policy_in_force,
            )
        )

    @cases.post(
        "/{number}/rebaseline",
        response_model=CaseRead,
        summary="Apply the deadline policy in force to this open case's clocks",
    )
    def rebaseline(number: str, body: Reason) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "rebaseline",
                manager(body.by),
                policy=app.policy_in_force,
                reason=body.reason,
            )
        )

    @cases.post("/{number}/investigation", response_model=CaseRead)
    def investigate(number: str, body: Investigation) -> CaseRead:
        parties = [p.model_dump(mode="json") for p in body.responsible_parties]
        return CaseRead.of(
            app.change(
                number,
                "record_investigation",
                handler(body.by),
                problem=body.problem,
                five_whys=body.five_whys,
                fishbone=body.fishbone,
                root_cause=body.root_cause,
                responsible_parties=parties,
            )
        )

    @cases.post(
        "/{number}/remedies",
        response_model=CaseRead,
        summary="Propose remedies and corrective/preventive actions",
    )
    def propose(number: str, body: Proposal) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "propose",
                handler(body.by),
                remedies=[r.model_dump(mode="json", exclude_none=True) for r in body.remedies],
                currency=body.currency,
                actions=[a.model_dump(mode="json") for a in body.actions],
            )
        )

    @cases.post("/{number}/memos", response_model=CaseRead, summary="File a memo (签呈)")
    def memo(number: str, body: Memo) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "file_memo",
                handler(body.by),
                from_unit=body.from_unit,
                author=body.by,
                text=body.text,
            )
        )

    @cases.post(
        "/{number}/approval",
        response_model=CaseRead,
        summary="Approve; refused below the authority the amount needs (核决权限)",
    )
    def approve(number: str, body: Approval) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "approve",
                manager(body.approver_id),
                approver_id=body.approver_id,
                approver_level=body.approver_level,
            )
        )

    @cases.post(
        "/{number}/rejection",
        response_model=CaseRead,
        summary="Reject the proposal; back to the unit with the reason",
    )
    def reject(number: str, body: Rejection) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "reject",
                manager(body.approver_id),
                approver_id=body.approver_id,
                reason=body.reason,
            )
        )

    @cases.post(
        "/{number}/follow-up",
        response_model=CaseRead,
        summary="Record that responsible people were dealt with and people briefed",
    )
    def follow_up(number: str, body: FollowUp) -> CaseRead:
        return CaseRead.of(
            app.change(
                number,
                "record_follow_up",
                handler(body.by),
                responsible_dealt_with=body.responsible_dealt_with,
                people_briefed=body.people_briefed,
            )
        )

    @cases.post(
        "/{number}/closure",
        response_model=CaseRead,
        summary="Close; refused with every missing condition named",
    )
    def close(number: str, body: Reason) -> CaseRead:
        return CaseRead.of(app.change(number, "close", manager(body.by)))

    work = APIRouter(tags=["work queues"])

    @work.get(
        "/units/{unit}/queue",
        response_model=QueuePage,
        summary="A unit's open cases by next deadline",
    )
    async def unit_queue(unit: str, cursor: Cursor = None, limit: Limit = 20) -> QueuePage:
        return await page(unit, False, cursor, limit)

    @work.get("/overdue", response_model=QueuePage, summary="Open cases past a deadline")
    async def overdue(cursor: Cursor = None, limit: Limit = 20) -> QueuePage:
        return await page(None, True, cursor, limit)

    rules = APIRouter(prefix="/routing-rules", tags=["routing rules"])

    @rules.get("", summary="The rule set in force")
    def current_rules() -> dict[str, Any]:
        return app.rules().to_dict()

    @rules.put("", summary="Publish a new rule-set version (recorded as an event)")
    def publish_rules(
        body: Annotated[dict[str, Any], Body(examples=[RULES_EXAMPLE])],
        by: Annotated[str, Query(min_length=1, max_length=200)],
    ) -> dict[str, Any]:
        return app.publish_rules(body, command_meta(Actor(id=by, role="admin"))).to_dict()

    @rules.post("/dry-run", summary="Which rule would fire for these facts, and why")
    def dry_run(body: DryRun) -> dict[str, Any]:
        decision = app.dry_run(body.facts)
        return {
            "rule_id": decision.rule.id,
            "unit": decision.rule.unit,
            "role": decision.rule.role,
            "ruleset_version": decision.version,
            "trace": decision.trace,
        }

    @api.get("/deadline-policy", tags=["deadlines"], summary="The deadline policy in force")
    def deadline_policy() -> dict[str, Any]:
        return json.loads(POLICY_FILE.read_text(encoding="utf-8"))

    for part in (cases, work, rules):
        api.include_router(part)
    return api
