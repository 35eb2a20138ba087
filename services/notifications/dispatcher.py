"""The dispatcher: attempts the deliveries that are due, each on its own, and records how
each went.

Durable because nothing lives in memory: what is due comes from the deliveries view, and
whether a delivery still needs sending is decided by the delivery itself, loaded before the
attempt. Killed anywhere, a restarted dispatcher attempts what was queued and not yet
recorded as sent; the one attempt a kill may have cut between sending and recording is
repeated, with the same Message-ID / `webhook-id`, which receivers deduplicate on.

Each attempt runs as its own task with a timeout; at most `concurrency` run at once, and at
most `per_recipient` for one recipient (a webhook subscription, a mailbox), so a receiver
that is slow or never answers holds its own slots and delays nobody else.

One process per installation dispatches (the one that runs the consumers, like routing's
scheduler); API-only replicas do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications import read_models
from services.notifications.application import NotificationsApplication, Outcome
from services.notifications.channels import Channel
from services.notifications.domain import Channel as ChannelName
from shared.kernel import clock
from shared.platform.sqlviews import IDLE_SECONDS, LocalProjector
from shared.platform.threads import run_sync

log = logging.getLogger(__name__)

#: How often a dispatcher with attempts in flight or retries pending looks again, at least.
SHORTEST_WAIT = 0.2


@dataclass(eq=False)
class Dispatcher:
    app: NotificationsApplication
    engine: AsyncEngine
    projector: LocalProjector
    channels: dict[ChannelName, Channel]
    timeout: float
    concurrency: int
    per_recipient: int
    in_flight: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)
    holding: Counter[str] = field(default_factory=Counter, init=False)
    #: Attempts by channel and outcome, for the metrics.
    attempted: Counter[tuple[str, str]] = field(default_factory=Counter, init=False)

    async def tick(self) -> int:
        """Start an attempt for each due delivery there is room for; how many started."""
        await self.projector.catch_up()
        room = self.concurrency - len(self.in_flight)
        if room <= 0:
            return 0
        busy = {r for r, n in self.holding.items() if n >= self.per_recipient}
        rows = await read_models.due(self.engine, clock.now(), room * 2, self.per_recipient, busy)
        started = 0
        for row in rows:
            if len(self.in_flight) >= self.concurrency:
                break
            if row["id"] in self.in_flight or self.holding[row["recipient"]] >= self.per_recipient:
                continue
            self.holding[row["recipient"]] += 1
            task = asyncio.create_task(self._attempt(row), name=f"delivery-{row['id']}")
            self.in_flight[row["id"]] = task
            started += 1
        return started

    async def _attempt(self, row: dict[str, Any]) -> None:
        try:
            delivery = await run_sync(self.app.delivery, UUID(row["id"]))
            if not delivery.is_due(clock.now()):
                return  # already recorded (the view was behind), or requeued for later
            channel = self.channels[delivery.channel]
            try:
                outcome = await asyncio.wait_for(channel.attempt(delivery), self.timeout)
            except TimeoutError:
                outcome = Outcome(False, None, f"no answer within {self.timeout:g} s")
            except Exception as error:  # a failed attempt, retried after the backoff like any
                log.exception("delivery %s: the attempt failed", delivery.id)
                outcome = Outcome(False, None, f"{type(error).__name__}: {error}")
            self.attempted[delivery.channel.value, "sent" if outcome.ok else "failed"] += 1
            await run_sync(self.app.record, delivery.id, outcome)
        except Exception:
            log.exception("delivery %s: the attempt could not be recorded; retrying", row["id"])
        finally:
            self.in_flight.pop(row["id"], None)
            self.holding[row["recipient"]] -= 1
            if self.holding[row["recipient"]] <= 0:
                del self.holding[row["recipient"]]

    async def _wait(self, since: int) -> None:
        """Until this process records something (a new plan, an attempt's outcome), the
        store's head moves, or the next delivery is due."""
        upcoming = await read_models.next_due(self.engine)
        seconds = IDLE_SECONDS
        if upcoming is not None:
            seconds = max(
                SHORTEST_WAIT, min(IDLE_SECONDS, (upcoming - clock.now()).total_seconds())
            )
        await self.app.watch.wait(since, seconds, 1.0, self._head)

    async def _head(self) -> int:
        return await run_sync(self.app.recorder.max_notification_id) or 0

    async def run(self) -> None:
        try:
            while True:
                since = self.app.watch.generation
                try:
                    await self.tick()
                    await self._wait(since)
                except Exception:
                    log.exception("dispatcher tick failed; retrying")
                    await asyncio.sleep(1)
        finally:
            for task in list(self.in_flight.values()):
                task.cancel()
            for task in list(self.in_flight.values()):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for channel in self.channels.values():
                await channel.close()
