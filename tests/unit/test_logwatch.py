"""A follower of the log waits for news instead of polling, and never misses any."""

import asyncio
import threading
import time

from shared.platform.logwatch import LogWatch
from tests.support.waiting import ANSWERED_BEFORE_THE_WAIT_ENDS


async def unchanged_head() -> int:
    return 7


async def test_a_record_in_a_worker_thread_wakes_the_waiter_at_once():
    watch = LogWatch()
    since = watch.generation
    threading.Timer(0.05, watch.appended).start()
    started = time.monotonic()
    await watch.wait(since, 20, 1, unchanged_head)
    assert time.monotonic() - started < ANSWERED_BEFORE_THE_WAIT_ENDS


async def test_a_record_between_reading_the_log_and_waiting_is_not_missed():
    watch = LogWatch()
    since = watch.generation  # taken before reading the log...
    watch.appended()  # ...a transaction lands while the read runs...
    await asyncio.sleep(0)
    started = time.monotonic()
    await watch.wait(since, 20, 1, unchanged_head)  # ...so the wait returns at once
    assert time.monotonic() - started < ANSWERED_BEFORE_THE_WAIT_ENDS


async def test_another_process_writing_is_seen_by_the_head_at_the_next_recheck():
    watch = LogWatch()
    heads = iter([7, 7, 8])

    async def head() -> int:
        return next(heads, 8)

    started = time.monotonic()
    await watch.wait(watch.generation, 20, 0.05, head)
    assert time.monotonic() - started < ANSWERED_BEFORE_THE_WAIT_ENDS


async def test_with_nothing_new_the_wait_ends_after_its_seconds():
    watch = LogWatch()
    started = time.monotonic()
    await watch.wait(watch.generation, 0.2, 0.05, unchanged_head)
    assert 0.2 <= time.monotonic() - started < ANSWERED_BEFORE_THE_WAIT_ENDS


async def test_a_reader_waiting_on_a_case_is_woken_by_that_case_only():
    watch = LogWatch()
    acknowledged, other = watch.case_changed("2612-0001"), watch.case_changed("2612-0002")
    assert watch.waits_on_cases()

    watch.appended({"2612-0001"})
    await asyncio.sleep(0)  # the wake is handed to the loop

    assert acknowledged.is_set()
    assert not other.is_set()


async def test_a_record_about_cases_unknown_wakes_every_waiting_reader_to_look_again():
    watch = LogWatch()
    waiting = [watch.case_changed(number) for number in ("2612-0001", "2612-0002")]

    watch.appended(None)  # another process recorded; which cases, the listener could not tell
    await asyncio.sleep(0)

    assert all(changed.is_set() for changed in waiting)
    assert not watch.waits_on_cases()  # each reads its case again, and waits anew if unmoved
