"""Who may touch which case in routing: handlers only their unit's cases.

A handler's token names its unit; a case's unit is the one it is assigned to now, so a
reassigned case leaves the old unit's reach at once. Managers act across units (within the
authority their token carries, checked by the case itself at approval). Auditors and the
other staff read.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from services.routing.application import RoutingApplication
from services.routing.dependencies import application
from shared.kernel.errors import Forbidden
from shared.kernel.principal import STAFF, Principal, Role
from shared.kernel.values import CaseNumberText
from shared.platform.auth.access import allow
from shared.platform.threads import run_sync

READERS = tuple(STAFF)


def case_access(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting `roles` on the case in the path, handlers on their unit's."""
    admitted = allow(*roles)

    async def on_case(
        number: CaseNumberText,
        who: Annotated[Principal, Depends(admitted)],
        app: Annotated[RoutingApplication, Depends(application)],
    ) -> Principal:
        """Refuse early what the command would refuse (reads have no command); commands
        check again, against the state they run on (`RoutingApplication.act`)."""
        if who.role is Role.handler:
            (await run_sync(app.case, number)).check_actor(who)
        return who

    return on_case


def own_unit(unit: str, who: Principal) -> None:
    """A handler sees only its own unit's queue."""
    if who.role is Role.handler and unit != who.unit:
        raise Forbidden(f"a handler of {who.unit} may not read {unit}'s queue", rule="own_unit")


#: The caller, admitted on the case in the path (handlers on their unit's) or by role.
Reader = Annotated[Principal, Depends(case_access(*READERS))]
Handler = Annotated[Principal, Depends(case_access(Role.handler))]
HandlerOrManager = Annotated[Principal, Depends(case_access(Role.handler, Role.manager))]
Manager = Annotated[Principal, Depends(allow(Role.manager))]
Staff = Annotated[Principal, Depends(allow(*READERS))]
