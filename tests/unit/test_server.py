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


async def until(condition, seconds: float = 3) -> float:
    """Seconds until `condition()` holds; fails after `seconds`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not condition():
        assert loop.time() - started < seconds, "not within the deadline"
        await asyncio.sleep(0.01)
    return loop.time() - started


async def looking(serving: Server) -> asyncio.Task:
    """The server's loop, started and past its first look (the Date header is set)."""
    task = asyncio.create_task(serving.main_loop())
    await until(lambda: serving.server_state.default_headers)
    return task


async def test_a_signal_to_stop_ends_the_loop_at_once_though_it_looks_once_a_second():
    serving = server()
    looping = await looking(serving)  # now inside its one-second wait
    loop = asyncio.get_running_loop()
    asked = loop.time()

    serving.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(looping, 1)

    assert loop.time() - asked < 0.8  # not at its next look, a second after the last
    assert serving.should_exit


async def test_left_alone_it_looks_once_a_second_and_keeps_the_date_header_current():
    serving = server()
    looping = await looking(serving)
    first = serving.server_state.default_headers

    took = await until(lambda: serving.server_state.default_headers is not first)

    assert took > 0.8  # the second look, a second after the first (not a tenth)
    assert not looping.done()
    assert first[0][0] == b"date"
    serving.should_exit = True  # as uvicorn's own flag: seen at the next look
    await asyncio.wait_for(looping, 2)


async def test_stopping_is_told_before_the_requests_in_flight_are_waited_for():
    told = []
    serving = server(stopping=lambda: told.append("stopping"))
    looping = await looking(serving)
    assert told == []

    serving.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(looping, 1)  # uvicorn's shutdown, the graceful wait, comes next

    assert told == ["stopping"]
