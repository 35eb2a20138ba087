"""The project's small kernel: what every service shares and nothing service-specific.

Envelope and contracts, money, case numbers, clock, settings, the bus (Kafka and HTTP feed),
the relay (outbox = notification log -> bus), the tracking consumer, logging and HTTP helpers.
"""
