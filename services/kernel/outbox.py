"""The transactional outbox: events are rows written with the state change, then relayed to the broker.

A relay loop in every process of a service claims unpublished rows with FOR UPDATE SKIP LOCKED
(so two processes never publish the same row at once), publishes them persistent, waits once for the
broker's confirms of the whole batch, and marks published, in the same transaction, only the rows whose
confirm arrived: a refused one (a nack) stays for the next pass, and a lost connection or confirms not
in time leave the whole batch unpublished. It wakes at once after a
commit that wrote events, and otherwise every `outbox_sweep_s` seconds: that periodic pass is the
sweep that republishes whatever a crash or a broker outage left unsent. A crash after publishing and
before marking publishes again; consumers' inboxes make that harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from services.kernel.broker import ConfirmedPublisher
from services.kernel.events import Envelope
from services.kernel.metrics import OUTBOX_PUBLISHED, OUTBOX_RELAY_ERRORS

log = logging.getLogger(__name__)


def add_to_outbox(session: Session | Connection, outbox: Table, envelope: Envelope) -> None:
    """Write an event in the caller's transaction: it is published if and only if the transaction commits."""
    session.execute(
        outbox.insert().values(
            event_id=envelope.event_id,
            event_type=envelope.type,
            envelope=envelope.model_dump(mode="json"),
        )
    )


def outbox_backlog(engine: Engine, outbox: Table) -> tuple[int, float]:
    """How many events wait to be published, and the age in seconds of the oldest."""
    with engine.connect() as connection:
        count, oldest = connection.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        ).one()
        age = 0.0
        if oldest is not None:
            age = connection.execute(select(func.extract("epoch", func.now() - oldest))).scalar_one()
        return int(count), float(age)


class Pruned(NamedTuple):
    """How many rows one pruning deleted: published events, inbox ids, and idempotency keys with answers."""

    outbox: int
    inbox: int
    keys: int = 0


def prune(
    engine: Engine,
    outbox: Table,
    inbox: Table | None,
    *,
    outbox_keep_days: int,
    inbox_keep_days: int,
    idempotency: Table | None = None,
    idempotency_keep_days: int = 2,
) -> Pruned:
    """Delete outbox rows published before the keep period, inbox ids older than theirs, and idempotency keys
    (with the answers they keep, which may name people) older than a client would retry.

    An unpublished event is never deleted, however old. Safe to run in several processes at once.
    `inbox` is None for a schema that only publishes (the gateway's identity).
    """
    with engine.begin() as connection:
        published_before = func.now() - text(f"interval '{int(outbox_keep_days)} days'")
        received_before = func.now() - text(f"interval '{int(inbox_keep_days)} days'")
        pruned_outbox = connection.execute(
            delete(outbox).where(outbox.c.published_at.is_not(None), outbox.c.published_at < published_before)
        ).rowcount
        pruned_inbox = pruned_keys = 0
        if inbox is not None:
            pruned_inbox = connection.execute(
                delete(inbox).where(inbox.c.received_at < received_before)
            ).rowcount
        if idempotency is not None:
            answered_before = func.now() - text(f"interval '{int(idempotency_keep_days)} days'")
            pruned_keys = connection.execute(
                delete(idempotency).where(idempotency.c.created_at < answered_before)
            ).rowcount
    return Pruned(pruned_outbox, pruned_inbox, pruned_keys)


class EventsRefused(Exception):
    """The broker refused some events of a pass (nacks): they stay unpublished for the next one."""


class OutboxRelay:
    """Publishes a service's committed events; run `run()` in a green thread and `wake()` after commits."""

    def __init__(
        self,
        service: str,
        engine: Engine,
        outbox: Table,
        publisher: ConfirmedPublisher,
        *,
        batch: int = 200,
        sweep_seconds: float = 2.0,
        prune_every_seconds: float = 3600.0,
        prune_old: Callable[[], Pruned] | None = None,
    ) -> None:
        self.service = service
        self.engine = engine
        self.outbox = outbox
        self.publisher = publisher
        self.batch = batch
        self.sweep_seconds = sweep_seconds
        self._wake = threading.Event()
        self._stopping = False
        self.prune_every_seconds = prune_every_seconds
        self.prune_old = prune_old
        self._last_prune = time.monotonic()

    # Built once: the relay runs them on every pass.
    @cached_property
    def _claim(self) -> Select[tuple[int, Any]]:
        outbox = self.outbox
        return (
            select(outbox.c.id, outbox.c.envelope)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.id)
            .limit(self.batch)
            .with_for_update(skip_locked=True)
        )

    @cached_property
    def _mark_published(self) -> Update:
        outbox = self.outbox
        return (
            update(outbox)
            .where(outbox.c.id.in_(bindparam("ids", expanding=True)))
            .values(published_at=func.now(), attempts=outbox.c.attempts + 1)
        )

    def wake(self) -> None:
        """Ask for a pass now (a commit wrote events)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current pass and stop."""
        self._stopping = True
        self._wake.set()

    def run(self) -> None:
        """Relay until stopped; errors (broker or database away) are logged and retried on the next pass."""
        failures = 0
        while not self._stopping:
            # Back off while the broker or database is away, but not so far that recovery waits long.
            self._wake.wait(timeout=self.sweep_seconds if failures == 0 else min(10.0, 0.5 * 2**failures))
            self._wake.clear()
            try:
                while not self._stopping and self.publish_pending() == self.batch:
                    pass
                failures = 0
                self._prune_when_due()
            except Exception as exc:
                failures = min(failures + 1, 6)
                OUTBOX_RELAY_ERRORS.labels(self.service).inc()
                log.warning("outbox relay pass failed (%s); will retry", type(exc).__name__)
                self.publisher.close()

    def _prune_when_due(self) -> None:
        if self.prune_old is None or time.monotonic() - self._last_prune < self.prune_every_seconds:
            return
        self._last_prune = time.monotonic()
        pruned = self.prune_old()
        if any(pruned):
            log.info(
                "pruned %d published events, %d inbox ids and %d idempotency keys",
                pruned.outbox,
                pruned.inbox,
                pruned.keys,
            )

    def publish_pending(self) -> int:
        """One pass: publish up to `batch` unpublished events in id order; return how many were claimed.

        EventsRefused (after marking the others) if the broker refused any.
        """
        started = time.monotonic()
        with self.engine.begin() as connection:
            rows = connection.execute(self._claim).all()
            if not rows:
                return 0
            confirmed = self.publisher.publish_events([row.envelope for row in rows])
            published = [row.id for row, ok in zip(rows, confirmed, strict=True) if ok]
            if published:
                connection.execute(self._mark_published, {"ids": published})
        OUTBOX_PUBLISHED.labels(self.service).inc(len(published))
        log.debug("relayed %d events in %.3fs", len(published), time.monotonic() - started)
        if len(published) < len(rows):
            raise EventsRefused(f"the broker refused {len(rows) - len(published)} of {len(rows)} events")
        return len(rows)
