"""Settlement's HTTP API: thin routes over `SettlementApplication` (finance's commands)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.settlement.access import Finance, Reader, Signer
from services.settlement.application import SettlementApplication
from services.settlement.commands import (
    AgreeCompensation,
    ApportionCosts,
    AssessPenalty,
    ChangeTolerance,
    Complete,
    DecideOverReceipt,
    IssueAllowance,
    IssueCreditNote,
    Order,
    Receive,
    RecordCost,
    ReverseVoucher,
    SetCostHeader,
    SettlementCommand,
    SignOffCosts,
)
from services.settlement.dependencies import Settlements
from services.settlement.schemas import (
    SIGN_OFF_BY_ROLE,
    Allowance,
    Apportionment,
    Compensation,
    Cost,
    CostHeader,
    Decision,
    OrderRequest,
    Penalty,
    Receipt,
    Reversal,
    SettlementRead,
    SignOff,
    ToleranceChange,
)
from shared.kernel.errors import Forbidden
from shared.kernel.meta import command_meta
from shared.kernel.principal import Principal
from shared.kernel.values import CaseNumberText
from shared.platform.http import CommandRoute, Prefer, read_waiting


def act(app: SettlementApplication, command: SettlementCommand, who: Principal) -> SettlementRead:
    """Run `command` on the settlement as `who` and answer the settlement as it now is."""
    settlement = app.act(command, command_meta(who.actor))
    return SettlementRead.of(settlement, app.settlement_policy)


router = APIRouter(prefix="/settlements", tags=["settlements"], route_class=CommandRoute)


@router.get(
    "/{number}",
    response_model=SettlementRead,
    summary="A case's settlement (the latest cycle unless `cycle` is given; Prefer: wait=N "
    "waits for it to change or to open)",
)
async def read(
    app: Settlements,
    number: CaseNumberText,
    request: Request,
    who: Reader,
    cycle: Annotated[int | None, Query(ge=1, le=999)] = None,
    prefer: Prefer = None,
) -> Response:
    def load() -> tuple[SettlementRead, int]:
        settlement = app.settlement(number, cycle)
        return SettlementRead.of(settlement, app.settlement_policy), settlement.version

    return await read_waiting(request, prefer, app.watch, number, load)


@router.post(
    "/{number}/receipts",
    response_model=SettlementRead,
    summary="The warehouse signs for returned goods that actually arrived",
)
def receive(
    app: Settlements, number: CaseNumberText, body: Receipt, who: Finance
) -> SettlementRead:
    return act(
        app,
        Receive(number, part_no=body.part_no, quantity=body.quantity, received_by=who.subject),
        who,
    )


@router.post("/{number}/over-receipt-decisions", response_model=SettlementRead)
def decide(
    app: Settlements, number: CaseNumberText, body: Decision, who: Finance
) -> SettlementRead:
    return act(
        app,
        DecideOverReceipt(number, part_no=body.part_no, accept=body.accept, reason=body.reason),
        who,
    )


@router.post(
    "/{number}/credit-note",
    response_model=SettlementRead,
    summary="Issue the credit note for the refund (once); posts its voucher",
)
def credit_note(app: Settlements, number: CaseNumberText, who: Finance) -> SettlementRead:
    return act(app, IssueCreditNote(number), who)


@router.post(
    "/{number}/orders",
    response_model=SettlementRead,
    summary="A replacement (换货) or rework (维修) order with its cost",
)
def order(
    app: Settlements, number: CaseNumberText, body: OrderRequest, who: Finance
) -> SettlementRead:
    return act(
        app,
        Order(
            number,
            kind=body.kind,
            part_no=body.part_no,
            quantity=body.quantity,
            unit_cost=body.unit_cost,
        ),
        who,
    )


@router.post(
    "/{number}/allowances",
    response_model=SettlementRead,
    summary="A sales allowance certificate (销货折让证明单)",
)
def allowance(
    app: Settlements, number: CaseNumberText, body: Allowance, who: Finance
) -> SettlementRead:
    lines = [line.model_dump(mode="json") for line in body.lines]
    return act(app, IssueAllowance(number, mode=body.mode, value=body.value, lines=lines), who)


@router.post("/{number}/compensations", response_model=SettlementRead)
def compensation(
    app: Settlements, number: CaseNumberText, body: Compensation, who: Finance
) -> SettlementRead:
    return act(
        app, AgreeCompensation(number, amount=body.amount, kind=body.kind, payee=body.payee), who
    )


@router.post(
    "/{number}/costs",
    response_model=SettlementRead,
    summary="A cost item of the cost confirmation sheet (客户投诉费用确认单)",
)
def cost(app: Settlements, number: CaseNumberText, body: Cost, who: Finance) -> SettlementRead:
    return act(
        app,
        RecordCost(
            number,
            item=body.item,
            amount=body.amount,
            accounting_unit=body.accounting_unit,
            owner=body.owner,
        ),
        who,
    )


@router.post("/{number}/cost-header", response_model=SettlementRead)
def cost_header(
    app: Settlements, number: CaseNumberText, body: CostHeader, who: Finance
) -> SettlementRead:
    return act(app, SetCostHeader(number, inspected=body.inspected, defective=body.defective), who)


@router.post(
    "/{number}/cost-sign-offs",
    response_model=SettlementRead,
    summary="Sign the cost sheet: the manager, finance, the CQE and product management, "
    "each a different person",
)
def sign_off(
    app: Settlements, number: CaseNumberText, body: SignOff, who: Signer
) -> SettlementRead:
    role = SIGN_OFF_BY_ROLE[who.role]
    if body.role not in (None, role):
        raise Forbidden(
            f"a {who.role} token signs off as {role}, not {body.role}",
            field="role",
            rule="sign_off_role",
        )
    return act(app, SignOffCosts(number, role=role, by=who.subject), who)


@router.post(
    "/{number}/over-receipt-tolerance",
    response_model=SettlementRead,
    summary="Record the customer's own over-receipt ratio on the settlement, with a reason",
)
def tolerance(
    app: Settlements, number: CaseNumberText, body: ToleranceChange, who: Finance
) -> SettlementRead:
    return act(app, ChangeTolerance(number, tolerance=body.tolerance, reason=body.reason), who)


@router.post(
    "/{number}/apportionment",
    response_model=SettlementRead,
    summary="Split the confirmed costs by ratio (total exactly 100%); frozen",
)
def apportionment(
    app: Settlements, number: CaseNumberText, body: Apportionment, who: Finance
) -> SettlementRead:
    parties = [p.model_dump(mode="json") for p in body.parties] if body.parties else None
    return act(app, ApportionCosts(number, parties=parties, reason=body.reason), who)


@router.post("/{number}/penalties", response_model=SettlementRead)
def penalty(
    app: Settlements, number: CaseNumberText, body: Penalty, who: Finance
) -> SettlementRead:
    return act(
        app,
        AssessPenalty(
            number,
            target_kind=body.target_kind,
            target=body.target,
            basis=body.basis,
            value=body.value,
            reason=body.reason,
        ),
        who,
    )


@router.post(
    "/{number}/reversals",
    response_model=SettlementRead,
    summary="Correct a voucher by a reversal voucher (never an edit)",
)
def reversal(
    app: Settlements, number: CaseNumberText, body: Reversal, who: Finance
) -> SettlementRead:
    return act(app, ReverseVoucher(number, voucher=body.voucher, reason=body.reason), who)


@router.post("/{number}/completion", response_model=SettlementRead)
def complete(app: Settlements, number: CaseNumberText, who: Finance) -> SettlementRead:
    return act(app, Complete(number, completed_by=who.subject), who)
