"""FastAPI dependencies that authenticate the caller and check its role.

Routes declare who may call them with `allow(...)`, which returns the `Principal` so the
route records it as the event's actor: the acting identity always comes from the token,
never from the request body. Object-level checks (the case's unit, the complaint's customer)
build on `allow` in each service's `access` module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.kernel.errors import Forbidden
from shared.kernel.principal import Principal, Role
from shared.platform.auth.limits import rate_limiter
from shared.platform.auth.tokens import TokenVerifier, Unauthenticated
from shared.platform.settings import Settings
from shared.platform.threads import run_sync

bearer = HTTPBearer(
    auto_error=False,
    description="A JWT from the identity provider (or `complaints token` locally).",
)


class Access:
    """One per service, on `app.state.access`: the token verifier and the rate limiter."""

    def __init__(self, settings: Settings) -> None:
        self.verifier = TokenVerifier(settings.auth)
        self.limiter = rate_limiter(settings.storage, settings.rate_limit_per_minute)


async def authenticated(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    access: Access = request.app.state.access
    if access.verifier.fetches_keys:
        principal = await run_sync(access.verifier.verify, credentials.credentials)
    else:
        principal = access.verifier.verify(credentials.credentials)
    await access.limiter.take(principal.subject)
    return principal


def allow(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers in `roles`; it returns the caller."""
    allowed = frozenset(roles)
    names = ", ".join(sorted(allowed))

    async def admitted(who: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if who.role not in allowed:
            raise Forbidden(f"a {who.role} may not do this (allowed: {names})", rule="role")
        return who

    return admitted
