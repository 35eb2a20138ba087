"""Contracts published by notifications on `complaints.notifications.v1`.

What was told to whom, without the address itself (personal data stays in the notifications
store): that a message about an event reached its recipient, or was given up on. `case_number`
in the envelope is the case of the event told about.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.contracts.common import Contract


class MessageSentV1(Contract):
    delivery_id: str = Field(description="The delivery; the email's Message-ID or webhook-id")
    channel: Literal["email", "webhook"]
    audience: str = Field(description="customer, handler, manager, reports or subscriber")
    about_event_id: str = Field(description="The integration event the message told about")
    about_event_type: str
    attempt: int = Field(ge=1, description="Which attempt succeeded")
    status_code: int | None = Field(description="The receiver's answer (HTTP, SMTP)")


class DeliveryParkedV1(Contract):
    delivery_id: str
    channel: Literal["email", "webhook"]
    audience: str
    about_event_id: str
    about_event_type: str
    attempts: int = Field(ge=0)
    reason: str = Field(description="Why it was given up on; an admin may deliver it again")
