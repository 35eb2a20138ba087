"""The four deployable services: intake, routing, settlement, analytics."""
