"""The key ring switches by the clock, but a clock set back never brings a retired key back.

An operator rotates the link key; the new key takes over at its instant. Then the clock is
set back before that instant (a wrong NTP server, a drill). A running process keeps the new
key, because it never goes back. A process started afresh with the clock still wrong would
read the old key as current, until the old key is marked retired: from then on every process
skips it, whatever its clock says.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.kernel import clock
from shared.kernel.clock import ManualClock
from shared.platform.audit.keys import KeyRing
from tests.support.timing import business_clock

SWITCH = timedelta(seconds=5)


pytestmark = pytest.mark.integration


@pytest.fixture
def machine():
    manual = ManualClock(clock.now())
    clock.install_clock(manual)
    yield manual
    clock.install_clock(business_clock())


def test_a_clock_set_back_does_not_bring_back_a_retired_key(machine, tmp_path):
    operator = KeyRing(b"f" * 32, tmp_path / "ring")
    first, _ = operator.current()
    entry = operator.rotate(SWITCH)
    running = KeyRing(b"f" * 32, tmp_path / "ring")
    assert running.current()[0] == first, "the new key waits for its instant"

    machine.advance(SWITCH)
    assert running.current()[0] == entry.key_id

    machine.advance(-2 * SWITCH)
    assert running.current()[0] == entry.key_id, "a running process never goes back"
    restarted = KeyRing(b"f" * 32, tmp_path / "ring")
    assert restarted.current()[0] == first, "a fresh process trusts its (wrong) clock..."

    operator.retire(first)
    again = KeyRing(b"f" * 32, tmp_path / "ring")
    assert again.current()[0] == entry.key_id, "...until the old key is marked retired"
    assert again.key(first) == b"f" * 32, "a retired key still verifies what it linked"
