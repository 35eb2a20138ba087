"""A client trickling its headers is cut off, and cannot starve the others of connections.

The intake process runs as in production (uvicorn with the project's protocol), with a
one-second header deadline and the smallest connection cap, so the story is short: as
many slow clients as the cap allows open connections and send a header line every 0.3 s;
each gets 408 and its connection closed after the deadline, and a client arriving after
them is served.
"""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.support.processes import ServiceProcesses

pytestmark = pytest.mark.integration

DEADLINE_SECONDS = 1.0
CAP = 10


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    processes = ServiceProcesses(
        {
            "COMPLAINTS_STORE": "sqlite",
            "COMPLAINTS_TRANSPORT": "http",
            "COMPLAINTS_CONSUMERS_ENABLED": "false",
            "COMPLAINTS_DATA_DIR": str(folder / "data"),
            "COMPLAINTS_EVIDENCE_DIR": str(folder / "evidence"),
            "COMPLAINTS_HEADER_TIMEOUT_SECONDS": str(DEADLINE_SECONDS),
            "COMPLAINTS_MAX_CONNECTIONS": str(CAP),
        },
        folder,
    )
    processes.start("intake")
    yield processes.url("intake")
    processes.stop_all()


def trickle(url: str, first: bytes = b"") -> tuple[bytes, float]:
    """Send `first`, then a request line and headers a line every 0.3 s; (answer, seconds)."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(first)
        if first:
            answer = b""
            while not answer.endswith(b"}"):  # the first request's answer, to its JSON body
                answer += connection.recv(65536)
            started = time.monotonic()
        received = b""
        lines = [b"GET /health HTTP/1.1\r\n", *[b"X-Slow-%d: y\r\n" % n for n in range(30)]]
        for line in lines:
            try:
                connection.sendall(line)
                time.sleep(0.3)
                connection.setblocking(False)
                received += connection.recv(65536)
            except BlockingIOError:
                pass
            except OSError:  # closed by the server
                break
            finally:
                connection.setblocking(True)
            if received:
                break
        return received, time.monotonic() - started


def test_headers_trickled_past_the_deadline_get_408_and_the_connection_closed(intake):
    answer, seconds = trickle(intake)

    assert answer.startswith(b"HTTP/1.1 408")
    assert DEADLINE_SECONDS <= seconds < DEADLINE_SECONDS + 4  # all the lines take 9.3 s


def test_the_deadline_holds_for_the_next_request_on_a_kept_alive_connection(intake):
    first = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"

    answer, seconds = trickle(intake, first)

    assert answer.startswith(b"HTTP/1.1 408")
    assert seconds < DEADLINE_SECONDS + 4  # all the lines take 9.3 s


def test_slow_clients_holding_every_connection_do_not_shut_out_the_next_client(intake):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(CAP) as pool:
        answers = list(pool.map(trickle, [intake] * CAP))

    assert [answer[:12] for answer, _ in answers] == [b"HTTP/1.1 408"] * CAP
    assert httpx.get(f"{intake}/health", timeout=5).status_code == 200


def test_a_client_sending_its_headers_in_time_is_served_as_usual(intake):
    assert httpx.get(f"{intake}/health", timeout=5).status_code == 200
