"""What every command is: the case it is for, and how it applies to the aggregate.

Each service declares its commands as frozen dataclasses (`services/<name>/commands.py`);
the application runs them through `ServiceApplication.run_command`, which loads the
aggregate, authorizes the caller on that state and saves, again on a concurrent write.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from shared.kernel.meta import Meta

A_contra = TypeVar("A_contra", contravariant=True)


class Command(Protocol[A_contra]):
    @property
    def number(self) -> str: ...

    def run(self, aggregate: A_contra, meta: Meta) -> None: ...
