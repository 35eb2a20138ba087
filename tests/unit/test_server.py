"""An idle service looks whether to stop once a second, and a signal stops it at once."""

import asyncio
import signal

import uvicorn

from cli.server import Server


async def app(scope, receive, send) -> None:
    raise AssertionError("no request in these stories")


def server(stopping=lambda: None) -> Server:
    config = uvicorn.Config(app, log_config=None)
    config.load()
    return Server(config, stopping)


async def test_a_signal_to_stop_ends_the_loop_at_once_though_it_looks_once_a_second():
    serving = server()
    looping = asyncio.create_task(serving.main_loop())
    await asyncio.sleep(0.1)  # inside its one-second wait
    loop = asyncio.get_running_loop()
    asked = loop.time()

    serving.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(looping, 1)

    assert loop.time() - asked < 0.2
    assert serving.should_exit


async def test_left_alone_it_looks_once_a_second_and_keeps_the_date_header_current():
    serving = server()
    looking = asyncio.create_task(serving.main_loop())
    await asyncio.sleep(0.05)
    first = serving.server_state.default_headers

    await asyncio.sleep(1.1)

    assert not looking.done()
    assert first[0][0] == b"date"
    assert serving.server_state.default_headers is not first  # refreshed at the second look
    serving.should_exit = True  # as uvicorn's own flag: seen at the next look
    await asyncio.wait_for(looking, 2)


async def test_stopping_is_told_before_the_requests_in_flight_are_waited_for():
    told = []
    serving = server(stopping=lambda: told.append("stopping"))
    looping = asyncio.create_task(serving.main_loop())
    await asyncio.sleep(0.05)
    assert told == []

    serving.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(looping, 1)  # uvicorn's shutdown, the graceful wait, comes next

    assert told == ["stopping"]
