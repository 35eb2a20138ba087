"""A service's reactions to upstream events, typed at the boundary.

A consumer never reads an envelope's data as a dict: the event is parsed into its contract
model by (type, version) and dispatched on the model's class, so a reaction sees typed
fields, and the fields it relies on are the published ones. Types a service does not react
to are skipped (producers may publish new types). A type it reacts to in a version it does
not handle, or data that breaks the contract, is `Unprocessable`: the consumer dead-letters
it at once with the reason, and the partition moves on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from shared.contracts import CATALOG, Unprocessable, parse
from shared.contracts.envelope import IntegrationEvent

#: A reaction: the envelope (case number, times, ids) and its typed payload -> aggregates.
Reaction = Callable[[IntegrationEvent, Any], Sequence[Any]]


class Reactions:
    """The policy of a service: contract model -> reaction."""

    def __init__(self, reactions: Mapping[type[BaseModel], Reaction]) -> None:
        self.reactions = dict(reactions)
        self.types = frozenset(spec.type for spec in CATALOG if spec.model in self.reactions)

    def __call__(self, event: IntegrationEvent) -> Sequence[Any]:
        if event.type not in self.types:
            return []
        payload = parse(event.type, event.schema_version, event.data, event.case_number)
        reaction = self.reactions.get(type(payload))
        if reaction is None:
            raise Unprocessable(f"{event.type} v{event.schema_version} is not handled here")
        return reaction(event, payload)
