"""Idempotency-Key: a retried request gets its first answer back, on every command.

A client that lost an answer (a timeout, a dropped connection, a service killed between its
commit and its reply) retries with the same `Idempotency-Key`. The first execution recorded
an `AnsweredRequest` in the same transaction as the command's events: which aggregate it
answered with, at which version. The retry finds the record and answers with the aggregate
as it was then, marked `Idempotent-Replayed: true`, and nothing is executed twice. The same
key with another request (method, path or body) is refused with 409.

Keys are scoped by caller and operation (the token's subject, the method and the route), so
one customer's key can neither collide with nor replay another's.

The HTTP edge (`shared.platform.http.idempotent_request`, a dependency of every state-changing
route) puts the request into a context variable (`serve`), the way the correlation id
travels; the application takes it once, inside its command's retry loop
(`ServiceApplication.change_retrying`). Only answers of commands that changed something
are recorded: a refused command changed nothing, so its retry simply runs again against
the state as it is then.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.kernel.aggregate import ClockedAggregate
from shared.kernel.case_number import aggregate_id
from shared.kernel.errors import Conflict
from shared.platform.handoff import Handoff


@dataclass
class IdempotentRequest:
    """One request that carries an Idempotency-Key."""

    key: str
    scope: str
    fingerprint: str
    replayed: bool = False

    def check_same(self, answered: str) -> None:
        """A key answered for another request (method, path or body) is refused."""
        if answered != self.fingerprint:
            raise Conflict(
                "this Idempotency-Key was used for a different request; use a new key",
                field="Idempotency-Key",
                rule="same_key_same_request",
            )

    @property
    def record_id(self) -> UUID:
        return AnsweredRequest.create_id(self.scope, self.key)


#: The request being served, if it carries a key: served by the edge, taken by the command.
_requests: Handoff[IdempotentRequest] = Handoff("idempotent_request")
serve, take = _requests.serve, _requests.take


class AnsweredRequest(ClockedAggregate):
    """A request that changed state, and the aggregate version it was answered with."""

    @staticmethod
    def create_id(scope: str, key: str, **_: Any) -> UUID:
        return aggregate_id("idempotency", f"{scope}\n{key}")

    class Answered(ClockedAggregate.Created):
        scope: str
        key: str
        fingerprint: str
        stream: str
        version: int

    @event(Answered)
    def __init__(self, scope: str, key: str, fingerprint: str, stream: str, version: int) -> None:
        self.fingerprint = fingerprint
        self.stream = stream
        self.version = version

    @classmethod
    def of(cls, request: IdempotentRequest, answer: Any) -> AnsweredRequest:
        return cls(
            scope=request.scope,
            key=request.key,
            fingerprint=request.fingerprint,
            stream=str(answer.id),
            version=answer.version,
        )

    def check(self, request: IdempotentRequest) -> None:
        request.check_same(self.fingerprint)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests the same: method, path and body (JSON compared as data)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).hexdigest()
