"""Settlement's aggregates: the money of one approved remedy, document sequences, and the
receivables hold on the complained part numbers.

Rounding points (the only ones): each refund or allowance line's net amount is rounded half-up
to the currency's minor unit, then its tax (net × rate) is rounded half-up; totals are sums of
rounded lines. Apportioned shares are exact by construction (`shared.kernel.money.apportion`).
Every financial effect posts a balanced voucher in the same event batch; documents and
vouchers are numbered from their own gapless sequences.

Money goes to the customer only as approved (核决权限, 002 §九.11): credit notes by the
approved return lines (with the over-receipt rule), allowances and compensation up to the
approved amounts of their kind, replacement and rework orders up to the approved exchange and
repair amounts, all summed over the cycle's approvals (the first and its supplements). Every
such document names the approval in force that covers it.
"""

from services.settlement.domain.holds import ReceivableHold
from services.settlement.domain.sequences import DocumentSequence, Numbering
from services.settlement.domain.settlement import Settlement
from services.settlement.domain.state import SettlementStatus, settlement_id

__all__ = [
    "DocumentSequence",
    "Numbering",
    "ReceivableHold",
    "Settlement",
    "SettlementStatus",
    "settlement_id",
]
