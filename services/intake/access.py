"""Who may touch which complaint at the desk.

Staff roles are admitted by role; a handler, as in routing, only to the complaints now with
its unit (intake learns the unit from routing's CaseAssigned and CaseReassigned), in lists
and reads alike. A customer (the portal) reaches only complaints filed under its own
customer id; anyone else's complaint answers 404, so a customer cannot even learn that
another's complaint number exists.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from services.intake.application import IntakeApplication
from services.intake.dependencies import application
from shared.kernel.principal import STAFF, Principal, Role
from shared.kernel.values import CaseNumberText
from shared.platform.auth.access import allow
from shared.platform.threads import run_sync

#: Who reads complaints (a customer only its own).
READERS = (*STAFF, Role.customer)


def complaint_access(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting `roles` on the complaint in the path, customers on their own."""
    admitted = allow(*roles)

    async def on_complaint(
        number: CaseNumberText,
        who: Annotated[Principal, Depends(admitted)],
        app: Annotated[IntakeApplication, Depends(application)],
    ) -> Principal:
        """Refuse early what a command would refuse (reads have no command); commands check
        again, against the complaint they run on (`IntakeApplication.act`)."""
        if who.role in (Role.customer, Role.handler):
            (await run_sync(app.complaint, number)).check_actor(who)
        return who

    return on_complaint


#: The caller, admitted on the complaint in the path.
Clerk = Annotated[Principal, Depends(complaint_access(Role.clerk))]
ClerkOrCustomer = Annotated[Principal, Depends(complaint_access(Role.clerk, Role.customer))]
Reader = Annotated[Principal, Depends(complaint_access(*READERS))]
#: A reader admitted by role only: the route checks the complaint itself (a list, or a read
#: that may wait for the complaint to exist).
ReaderByRole = Annotated[Principal, Depends(allow(*READERS))]
Staff = Annotated[Principal, Depends(complaint_access(*STAFF))]
