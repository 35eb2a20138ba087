"""What one connection may cost a service: a deadline for each request's headers.

uvicorn closes idle keep-alive connections and caps the number of connections, but a client
that sends its request line and headers a byte at a time (slowloris) holds a connection,
and a slot under that cap, for as long as it likes. This protocol gives every request a
deadline for its headers, counted from the moment the connection waits for one (the
connection opened, or the previous answer was sent): a request whose headers are not all in
by then gets `408 Request Timeout` and the connection is closed, as nginx's
`client_header_timeout` does. The body and the handler are bounded elsewhere (the size
limit and the request timeout in `shared.platform.http`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 26\r\nconnection: close\r\n\r\nRequest headers too slow.\n"
)


def with_header_deadline(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, each request's headers due within `seconds`."""

    class HeaderDeadlineProtocol(H11Protocol):
        _header_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._await_headers()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # a request's headers are all in
                self._cancel_header_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._await_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_header_deadline()
            super().connection_lost(exc)

        def _await_headers(self) -> None:
            self._cancel_header_deadline()
            self._header_deadline = self.loop.call_later(seconds, self._headers_too_slow)

        def _cancel_header_deadline(self) -> None:
            if self._header_deadline is not None:
                self._header_deadline.cancel()
                self._header_deadline = None

        def _headers_too_slow(self) -> None:
            self._header_deadline = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.write(TIMED_OUT)
                self.transport.close()

    return HeaderDeadlineProtocol
