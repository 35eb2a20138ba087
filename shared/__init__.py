"""The project's own small library, in three layers that import only downward.

- `shared.kernel`: value types and domain building blocks (money, clock, case number, meta,
  errors, the clocked aggregate base); no infrastructure, safe to import from any domain.
- `shared.contracts`: the published integration events (envelope, payload models, schemas).
- `shared.platform`: what runs a service (store, bus, relay, consumer, HTTP, runtime, auth,
  audit, settings).

import-linter (`make lint`) keeps the layers honest.
"""
