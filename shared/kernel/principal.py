"""The caller as the services see it: one subject, one role, and what binds that role.

A token carries exactly one role. A handler is bound to a unit, a manager to an authority
level (核决权限), a customer to its customer id; a token of those roles without its binding is
refused, because every object-level rule depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.kernel.meta import Actor


class Role(StrEnum):
    clerk = "clerk"
    handler = "handler"
    manager = "manager"
    finance = "finance"
    auditor = "auditor"
    admin = "admin"
    customer = "customer"
    #: Signs the cost confirmation sheet for quality (客户品质工程师, CQE; seed 000).
    quality_engineer = "quality_engineer"
    #: Signs the cost confirmation sheet for product management (seed 000).
    product_manager = "product_manager"
    #: Another service of this system reading a feed (embedded transport).
    service = "service"


#: The claim each bound role must carry, and the principal attribute it fills.
BINDINGS: dict[Role, str] = {
    Role.handler: "unit",
    Role.manager: "authority",
    Role.customer: "customer_id",
}

#: Roles that work inside the company; everyone but customers and machines.
STAFF = frozenset(
    {
        Role.clerk,
        Role.handler,
        Role.manager,
        Role.finance,
        Role.auditor,
        Role.admin,
        Role.quality_engineer,
        Role.product_manager,
    }
)


class ClaimsRefused(ValueError):
    """The token is genuine but its claims do not describe a usable principal."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    unit: str | None = None
    authority: str | None = None
    customer_id: str | None = None

    @property
    def actor(self) -> Actor:
        """How events record this caller."""
        return Actor(id=self.subject, role=self.role.value)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 1 <= len(subject) <= 200:
            raise ClaimsRefused("the subject (sub) must be text of 1 to 200 characters")
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise ClaimsRefused("the token has no known role") from None
        bound: dict[str, str] = {}
        if role in BINDINGS:
            claim = BINDINGS[role]
            value = claims.get(claim)
            if not isinstance(value, str) or not 1 <= len(value) <= 100:
                raise ClaimsRefused(
                    f"a {role} token must carry the {claim!r} claim (1 to 100 characters)"
                )
            bound[claim] = value
        return cls(subject=subject, role=role, **bound)
