"""Time is aware UTC from an injectable clock."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.kernel.clock import ManualClock, ensure_utc


def test_a_manual_clock_moves_only_when_told():
    clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 11, 1, tzinfo=UTC)
    clock.advance(timedelta(hours=25))
    assert clock.now() == datetime(2026, 11, 2, 1, tzinfo=UTC)


def test_naive_datetimes_are_refused_and_offsets_normalised():
    with pytest.raises(ValueError, match="timezone-aware"):
        ensure_utc(datetime(2026, 11, 1))
    shanghai = timezone(timedelta(hours=8))
    assert ensure_utc(datetime(2026, 11, 1, 8, tzinfo=shanghai)) == datetime(
        2026, 11, 1, tzinfo=UTC
    )
