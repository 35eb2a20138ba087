"""Who may manage webhook subscriptions and read what was sent.

Subscriptions carry where the company's events go, and their secrets: admins manage them.
Deliveries hold customers' addresses and what they were told: admins and auditors read them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.kernel.principal import Principal, Role
from shared.platform.auth.access import allow

Admin = Annotated[Principal, Depends(allow(Role.admin))]
Reader = Annotated[Principal, Depends(allow(Role.admin, Role.auditor))]
