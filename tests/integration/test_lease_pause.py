"""A lease an operator's tool pauses: the holder lets go, no standby takes it, the tool does.

The same story on both kinds of lease: a PostgreSQL advisory lock (held by a session of its
own) and an `flock` beside an SQLite store. When the tool lets go, a standby leads again.
"""

import pytest

from shared.platform.leadership import lease_for
from tests.conftest import settings_from


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request, tmp_path):
    if request.param == "postgres":
        env = request.getfixturevalue("production_env")
        return settings_from(env, "intake")
    return settings_from({"COMPLAINTS_DATA_DIR": str(tmp_path)}, "intake", store="sqlite")


async def test_a_paused_lease_is_let_go_taken_by_the_tool_alone_then_resumed(settings):
    holder, standby, tool, other = (lease_for(settings.storage, "relay") for _ in range(4))
    try:
        assert await holder.acquire()
        assert not await standby.acquire()
        assert await holder.holding()

        assert await tool.pause()
        assert not await other.pause(), "one pause at a time"
        assert await holder.paused()
        assert not await tool.paused(), "the tool's own pause does not stop the tool"
        assert not await holder.holding(), "the holder sees the pause within one check"
        await holder.release()

        assert not await standby.acquire(), "nobody else takes a paused lease"
        assert await tool.acquire()
        assert await tool.holding()
        await tool.release()

        assert await standby.acquire()
        assert await standby.holding()
    finally:
        for lease in (holder, standby, tool, other):
            await lease.release()
