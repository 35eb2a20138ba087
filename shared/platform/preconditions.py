"""If-Match: a command on a case runs only on the version its caller read (RFC 9110 §13.1.1).

Every read of a case carries its version as an ETag (`shared.platform.http.etagged`). Two
people may act on one case from what each last read: a manager approving a proposal the
handler has just changed, finance paying from a settlement another clerk has just moved on.
A client that sends `If-Match` with the ETag it read has its command refused with 412 when
the case has moved since, instead of acting on a state nobody looked at; without
`If-Match`, a command runs on the case as it is (the domain's own rules still hold).

The HTTP edge (`shared.platform.http.conditional_request`) puts the request's condition into
a context variable, as it does the Idempotency-Key. The command takes it once, inside its
retry (`ServiceApplication.change_retrying`), and checks it against the aggregate each
attempt loads: after the caller's authorization (a caller who may not act learns nothing of
the version), before the command. It then notes the version the command left, which the
edge answers as the ETag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from shared.kernel.errors import PreconditionFailed
from shared.platform.handoff import Handoff

A = TypeVar("A", bound=Any)

#: One strong entity tag as the services give them: a version in quotes.
_TAG = re.compile(r'^"(\d{1,12})"$')


class MalformedCondition(ValueError):
    """An `If-Match` that is neither `*` nor a list of this service's entity tags."""


@dataclass
class Condition:
    """A state-changing request on a case: the versions it may run on, and the version it
    left the case at."""

    #: The versions `If-Match` names; None without `If-Match` or with `*` (any version).
    versions: frozenset[int] | None = None
    #: The case's version after the command (or as a replayed answer had it).
    answered: int | None = None

    @classmethod
    def parse(cls, if_match: str | None) -> Condition:
        """`If-Match: "7"`, `"7", "8"` or `*`; a weak or unquoted tag can never match a
        strong one (RFC 9110 §8.8.3.2), so it is refused as malformed rather than failed."""
        if if_match is None or if_match.strip() == "*":
            return cls()
        versions = set()
        for tag in if_match.split(","):
            found = _TAG.match(tag.strip())
            if not found:
                raise MalformedCondition(
                    f"{tag.strip()!r} is not an ETag of this service (a version in quotes, "
                    'e.g. "7", as the case\'s read gave it), nor *'
                )
            versions.add(int(found.group(1)))
        return cls(frozenset(versions))

    def check(self, version: int) -> None:
        if self.versions is not None and version not in self.versions:
            named = ", ".join(f'"{v}"' for v in sorted(self.versions))
            raise PreconditionFailed(
                f'the case is at version "{version}", not {named}: read it again and decide '
                "on what it says now",
                field="header.if-match",
                rule="version",
            )


#: The condition of the request being served (None: not a command on a case).
_conditions: Handoff[Condition] = Handoff("condition")
serve, take = _conditions.serve, _conditions.take


def answering(condition: Condition | None, aggregate: A) -> A:
    """Note the version the command answers with (the edge gives it as the ETag)."""
    if condition is not None:
        condition.answered = aggregate.version
    return aggregate
