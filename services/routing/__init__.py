"""Routing: who handles a case, by when, and with whose approval."""
