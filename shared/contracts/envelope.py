"""The integration-event envelope: the public, versioned shape of everything that leaves a service.

Domain events stay inside their service. What crosses the bus (Kafka or the HTTP feed) is an
`IntegrationEvent`: a documented type with a schema version, the case number as the shared
key, the producer's notification-log position (how consumers deduplicate and resume), and
causation/correlation ids so one complaint can be followed through every service.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.kernel.case_number import NAMESPACE
from shared.kernel.meta import Actor


class IntegrationEvent(BaseModel):
    """Envelope version 1. Fields are only ever added, never renamed or removed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_version: int = Field(default=1, description="Version of this envelope shape.")
    event_id: UUID = Field(description="Stable id: the same event re-published keeps it.")
    type: str = Field(description="Event type, e.g. `intake.ComplaintRegistered`.")
    schema_version: int = Field(ge=1, description="Version of the `data` schema for `type`.")
    case_number: str = Field(description="The case this event is about; the partition key.")
    occurred_at: AwareDatetime = Field(description="When it happened in the business.")
    recorded_at: AwareDatetime = Field(description="When the producer stored it.")
    producer: str = Field(description="The service whose store holds the source event.")
    position: int = Field(ge=1, description="Position in the producer's notification log.")
    causation_id: UUID | None = Field(
        default=None, description="The event_id of the integration event that caused this one."
    )
    correlation_id: UUID = Field(description="Shared by every event of one complaint's flow.")
    actor: Actor
    data: dict[str, Any] = Field(description="The type's payload; see its JSON Schema.")

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> IntegrationEvent:
        return cls.model_validate_json(raw)


def stable_event_id(producer: str, originator_id: UUID | str, version: int) -> UUID:
    """An event id that survives re-publication: derived from the stored event's identity."""
    return uuid5(NAMESPACE, f"event:{producer}:{originator_id}:{version}")


def envelope_json_schema() -> dict[str, Any]:
    return IntegrationEvent.model_json_schema()


def dumps_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
