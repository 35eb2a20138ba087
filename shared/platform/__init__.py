"""What runs a service: event store, bus, relay, consumers, HTTP, runtime, auth, audit and
settings. Services' wiring (`main.py`), applications and APIs stand on it; domains do not.
"""
