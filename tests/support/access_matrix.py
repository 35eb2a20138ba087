"""The access specification, written independently of the code it checks.

For every operation of every service: who may call it, and which roles are further bound to
their own cases (a handler to its unit's cases, a customer to its own complaints). The matrix
test walks every role through every operation on its own and on someone else's case; the
schemathesis run uses it to call each operation as someone allowed to.
"""

from __future__ import annotations

CLERK, HANDLER, MANAGER, FINANCE = "clerk", "handler", "manager", "finance"
AUDITOR, ADMIN, CUSTOMER, SERVICE = "auditor", "admin", "customer", "service"
CQE, PRODUCT = "quality_engineer", "product_manager"
ROLES = (CLERK, HANDLER, MANAGER, FINANCE, AUDITOR, ADMIN, CUSTOMER, SERVICE, CQE, PRODUCT)
STAFF = frozenset({CLERK, HANDLER, MANAGER, FINANCE, AUDITOR, ADMIN, CQE, PRODUCT})
#: The four who sign the cost confirmation sheet (seed 000), each a different person.
SIGNERS = {MANAGER, FINANCE, CQE, PRODUCT}
PUBLIC = None

KERNEL = {
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /events": {SERVICE, AUDITOR, ADMIN},
    "GET /dead-letters": {AUDITOR, ADMIN},
    "POST /dead-letters/{letter_id}/redrive": {ADMIN},
    "GET /outbox/withheld": {AUDITOR, ADMIN},
    "POST /outbox/withheld/{position}/republish": {ADMIN},
    "GET /audit/cases/{number}": {AUDITOR, ADMIN},
    "GET /audit/cases/{number}/state": {AUDITOR, ADMIN},
    "GET /audit/cases/{number}/proof": {AUDITOR, ADMIN},
    "GET /audit/verify": {AUDITOR, ADMIN},
}

ALLOWED: dict[str, dict[str, frozenset[str] | set[str] | None]] = {
    "intake": {
        **KERNEL,
        "POST /complaints": {CLERK, CUSTOMER, ADMIN},
        "GET /complaints": STAFF | {CUSTOMER},
        "GET /complaints/{number}": STAFF | {CUSTOMER},
        "GET /complaints/{number}/timeline": STAFF,
        "GET /complaints/{number}/repeat-candidates": STAFF,
        "POST /complaints/{number}/repeat-links": {CLERK},
        "DELETE /complaints/{number}/repeat-links/{earlier}": {CLERK},
        "POST /complaints/{number}/acknowledgement": {CLERK},
        "POST /complaints/{number}/judgement": {CLERK},
        "POST /complaints/{number}/classification": {CLERK},
        "POST /complaints/{number}/evidence": {CLERK, CUSTOMER},
        "GET /complaints/{number}/evidence/{sha256}": STAFF | {CUSTOMER},
        "POST /complaints/{number}/confirmation": {CLERK, CUSTOMER},
        "POST /complaints/{number}/rejection": {CLERK, CUSTOMER},
        "POST /complaints/{number}/withdrawal": {CLERK, CUSTOMER},
        "GET /taxonomies": STAFF | {CUSTOMER},
    },
    "routing": {
        **KERNEL,
        "GET /deadline-policy": STAFF,
        "GET /cases/{number}": STAFF,
        "GET /cases/{number}/closing-gate": STAFF,
        "GET /cases/{number}/late-steps": STAFF,
        "POST /cases/{number}/reassignment": {MANAGER},
        "POST /cases/{number}/unit-pin": {MANAGER},
        "POST /cases/{number}/clocks/{name}/pause": {HANDLER, MANAGER},
        "POST /cases/{number}/clocks/{name}/resume": {HANDLER, MANAGER},
        "POST /cases/{number}/clocks/{name}/extension": {MANAGER},
        "POST /cases/{number}/rebaseline": {MANAGER},
        "POST /cases/{number}/investigation": {HANDLER},
        "POST /cases/{number}/remedies": {HANDLER},
        "POST /cases/{number}/memos": {HANDLER, MANAGER},
        "POST /cases/{number}/approval": {MANAGER},
        "POST /cases/{number}/rejection": {MANAGER},
        "POST /cases/{number}/follow-up": {HANDLER},
        "POST /cases/{number}/closure": {MANAGER},
        "GET /units/{unit}/queue": STAFF,
        "GET /overdue": STAFF,
        "GET /routing-rules": STAFF,
        "PUT /routing-rules": {ADMIN},
        "POST /routing-rules/dry-run": {ADMIN, MANAGER},
    },
    "settlement": {
        **KERNEL,
        "GET /settlements/{number}": {FINANCE, MANAGER, AUDITOR, ADMIN, CQE, PRODUCT},
        "POST /settlements/{number}/cost-sign-offs": SIGNERS,
        **{
            f"POST /settlements/{{number}}/{action}": {FINANCE}
            for action in (
                "receipts",
                "over-receipt-decisions",
                "credit-note",
                "orders",
                "allowances",
                "compensations",
                "costs",
                "cost-header",
                "over-receipt-tolerance",
                "apportionment",
                "penalties",
                "reversals",
                "completion",
            )
        },
    },
    "analytics": {
        **KERNEL,
        "GET /reports/monthly/{month}": STAFF,
        "GET /reports/monthly/{month}/versions/{version}": STAFF,
        "GET /reports/weekly/{week}": STAFF,
        "GET /reports/monthly/{month}/charts/{name}.{fmt}": STAFF,
        "GET /dashboard": STAFF,
        "POST /admin/rebuild": {ADMIN},
        "POST /admin/reports/keep": {ADMIN},
    },
    "notifications": {
        **KERNEL,
        "POST /webhooks": {ADMIN},
        "GET /webhooks": {ADMIN, AUDITOR},
        "GET /webhooks/{subscription_id}": {ADMIN, AUDITOR},
        "POST /webhooks/{subscription_id}/pause": {ADMIN},
        "POST /webhooks/{subscription_id}/resume": {ADMIN},
        "POST /webhooks/{subscription_id}/secret-rotation": {ADMIN},
        "PATCH /webhooks/{subscription_id}": {ADMIN},
        "DELETE /webhooks/{subscription_id}": {ADMIN},
        "GET /webhooks/{subscription_id}/deliveries": {ADMIN, AUDITOR},
        "GET /deliveries": {ADMIN, AUDITOR},
        "GET /deliveries/{delivery_id}": {ADMIN, AUDITOR},
        "POST /deliveries/{delivery_id}/redelivery": {ADMIN},
    },
}


def bound_to_own_case(service: str, operation: str, role: str) -> bool:
    """Whether `role` may use `operation` only on its own case (or its own unit's queue)."""
    if service == "intake" and role in (CUSTOMER, HANDLER):
        return "{number}" in operation
    if service == "routing" and role == HANDLER:
        return "{number}" in operation or "{unit}" in operation
    return False


#: Fields of an operation's body that only some of the roles allowed the operation may set:
#: (service, operation, field) -> the roles that may, and a value to try.
FIELDS: dict[tuple[str, str, str], tuple[frozenset[str], object]] = {
    ("intake", "POST /complaints", "channel"): (frozenset({CLERK, ADMIN}), "regulator"),
    ("intake", "POST /complaints", "complainant.type"): (frozenset({CLERK, ADMIN}), "vip"),
    ("intake", "POST /complaints", "flags"): (frozenset({CLERK, ADMIN}), ["public_exposure"]),
    ("intake", "POST /complaints", "received_at"): (
        frozenset({CLERK, ADMIN}),
        "2026-11-05T01:00:00Z",
    ),
    ("intake", "POST /complaints", "backdating_reason"): (frozenset({ADMIN}), "found late"),
    ("settlement", "POST /settlements/{number}/cost-sign-offs", "role"): (
        frozenset({FINANCE}),
        "finance",
    ),
}
