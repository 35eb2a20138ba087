"""Who is calling, and what they may do: bearer tokens, roles, and per-token limits.

`tokens` verifies (and, for local use, mints) JWTs; `principal` turns their claims into a
`Principal` with one role; `access` holds the FastAPI dependencies routes declare; `limits`
is the per-token rate limit. Object-level rules (which case a handler or customer may touch)
live with each service's routes, because only the service knows a case's unit or customer.
"""
