"""Domain errors with the HTTP status they mean, so routers stay thin.

Commands raise these before any event is triggered, so a refused command leaves no event.
"""

from __future__ import annotations

from collections.abc import Sized


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        field: str | None = None,
        rule: str | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.rule = rule
        self.errors = errors


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    """The caller is known but may not do this: its role, its unit, or its authority."""

    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The command does not fit the current state (e.g. judging a complaint twice)."""

    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    """The caller acted on a version of the case it read (`If-Match`), and the case has
    moved on since: it reads the case again and decides on what it sees then."""

    status = 412
    title = "Precondition failed"


class Invalid(DomainError):
    """The input breaks a business rule; `field` and `rule` say which."""

    status = 422
    title = "Unprocessable entity"


class UnsupportedMediaType(DomainError):
    """A body of a type the operation does not take (a JSON operation sent a form; an
    evidence file of a type not accepted)."""

    status = 415
    title = "Unsupported media type"


class TooLarge(DomainError):
    status = 413
    title = "Payload too large"


def check_room(kept: Sized, most: int, holder: str, what: str, field: str, rule: str) -> None:
    """Refuse adding to a list that an aggregate keeps and shows whole once it holds `most`:
    every such list is bounded, so every read of what holds it is bounded too."""
    if len(kept) >= most:
        raise Conflict(f"{holder} has {most} {what}, the most it keeps", field=field, rule=rule)
