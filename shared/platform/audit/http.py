"""The audit endpoints every service serves, for auditors and admins only.

`complaints audit show` merges the four services' answers into one case history, and
`complaints audit export` their proofs into one file an auditor checks offline;
`complaints audit verify` checks a store directly (large stores take longer than an HTTP
request should).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from shared.kernel.principal import Role
from shared.kernel.values import CaseNumberText, PastInstant
from shared.platform.audit.checkpoints import CheckpointFile
from shared.platform.audit.export import Exporter, case_proof
from shared.platform.audit.history import case_history, state_as_of
from shared.platform.audit.report import SERVICES
from shared.platform.audit.signing import CheckpointSigner, published_keys
from shared.platform.audit.verify import verify
from shared.platform.auth.access import allow
from shared.platform.settings import AuditSettings
from shared.platform.threads import run_sync

MAX_PAGE = 1000


def _exporter(audit: AuditSettings) -> Exporter:
    """This service's part of every export, signed with the installation's checkpoint key."""
    return Exporter(
        audit.service.value,
        SERVICES,
        audit.store,
        CheckpointSigner.of_installation(audit.signing_key_file),
    )


def audit_router(app: Any, audit: AuditSettings) -> APIRouter:
    router = APIRouter(
        prefix="/audit", tags=["audit"], dependencies=[Depends(allow(Role.auditor, Role.admin))]
    )

    @router.get(
        "/cases/{number}",
        summary="The case's events in this service, from the event store, with chain links",
    )
    async def history(
        number: CaseNumberText,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
    ) -> dict[str, Any]:
        entries = await run_sync(case_history, app, number)
        page = entries[offset : offset + limit]
        following = offset + limit if offset + limit < len(entries) else None
        return {"service": audit.service.value, "events": page, "next_offset": following}

    @router.get(
        "/cases/{number}/state",
        summary="The case's aggregates in this service replayed up to a moment",
    )
    async def state(number: CaseNumberText, as_of: PastInstant) -> dict[str, Any]:
        aggregates = await run_sync(state_as_of, app, number, as_of)
        return {"service": audit.service.value, "as_of": as_of, "aggregates": aggregates}

    exporter = _exporter(audit)

    @router.get(
        "/cases/{number}/proof",
        summary="The case's events in this service with their proofs, as of the last "
        "checkpoint, for `complaints audit export` (checked offline with the public key)",
    )
    async def proof(number: CaseNumberText) -> dict[str, Any]:
        checkpoints = CheckpointFile(audit.checkpoint_dir, audit.store).all()
        exported = await run_sync(case_proof, app, exporter, number, checkpoints)
        return {
            "service": audit.service.value,
            "unpinned": exported.unpinned,
            "lines": exported.lines,
        }

    @router.get("/verify", summary="Recompute every link and the log chain against checkpoints")
    async def check() -> dict[str, Any]:
        checkpoints = CheckpointFile(audit.checkpoint_dir, audit.store).all()
        keys = published_keys(audit.checkpoint_dir)
        report = await run_sync(
            verify, audit.store, app.recorder, app.mapper.ring, checkpoints, keys
        )
        return report.to_dict()

    return router
