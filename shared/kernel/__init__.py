"""Value types and domain building blocks every service's domain stands on.

Nothing here touches infrastructure (store, broker, HTTP, settings), so aggregates can
import it freely and unit tests need no I/O.
"""
