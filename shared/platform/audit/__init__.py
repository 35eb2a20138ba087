"""Tamper evidence and replay for auditors.

`chain`: every stored event carries a link (an HMAC) chained to its predecessor in its
stream, so no row can be edited, inserted, reordered or dropped from the middle of a stream
without the key. `checkpoints`: a chain over the whole notification log, pinned by signed
checkpoints appended to an append-only location. `verify` recomputes both and names the
first broken link. `history` reads a case's events back from the store, and its state at
any past moment.
"""
