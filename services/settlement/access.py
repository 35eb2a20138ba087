"""Who may read and act on settlements.

Acting is finance's, but for the four sign-offs of the cost sheet, each by its own role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.settlement.schemas import SIGN_OFF_BY_ROLE
from shared.kernel.principal import Principal, Role
from shared.platform.auth.access import allow

#: Who reads settlements. Acting on them is finance's, but for the sign-offs of the cost
#: sheet; settlement does not know a case's unit, so handlers read their case's money
#: through routing and analytics instead.
READERS = (
    Role.finance,
    Role.manager,
    Role.auditor,
    Role.admin,
    Role.quality_engineer,
    Role.product_manager,
)

Reader = Annotated[Principal, Depends(allow(*READERS))]
Finance = Annotated[Principal, Depends(allow(Role.finance))]
Signer = Annotated[Principal, Depends(allow(*SIGN_OFF_BY_ROLE))]
