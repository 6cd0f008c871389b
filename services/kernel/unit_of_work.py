"""The nameko dependency that gives each worker a unit of work on its service's schema.

A unit of work is one transaction: the state change, the events it causes (outbox) and the record
that an event was handled (inbox) commit together or not at all. The kernel's entrypoints commit it
*before* they acknowledge a message or reply to an RPC: nameko acknowledges before dependencies see
the result, so a commit left to `worker_result` could follow an ack and be lost in a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from functools import cached_property, partial
from typing import Any
from uuid import UUID

from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from services.kernel.broker import ConfirmedPublisher
from services.kernel.config import get_settings
from services.kernel.db import create_schema_engine, make_psycopg2_cooperative, messaging_table
from services.kernel.errors import Conflict
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor
from services.kernel.metrics import INBOX_DUPLICATES, CallbackGauges
from services.kernel.outbox import OutboxRelay, add_to_outbox, outbox_backlog, prune

log = logging.getLogger(__name__)


class UnitOfWork:
    """One worker's transaction on its service's schema."""

    def __init__(self, database: Database, worker_ctx: Any) -> None:
        self._database = database
        self._worker_ctx = worker_ctx
        self._session: Session | None = None
        self.emitted: list[Envelope] = []
        self.finished = False

    @property
    def session(self) -> Session:
        """The SQLAlchemy session, opened on first use."""
        if self._session is None:
            self._session = self._database.sessions()
        return self._session

    @property
    def worker_ctx(self) -> Any:
        """The nameko worker context this unit of work belongs to (its call's context data)."""
        return self._worker_ctx

    @property
    def sessions(self) -> sessionmaker[Session]:
        """New sessions on the schema, for work that must commit in steps (`with uow.sessions.begin() as s`):
        an e-mail sender records `sending` before it talks to the relay, and `sent` after."""
        return self._database.sessions

    def emit(
        self,
        payload: EventData,
        *,
        partnership_id: UUID | None = None,
        review_id: UUID | None = None,
        actor_id: str | None = None,
    ) -> Envelope:
        """Record an event in this transaction's outbox; it is published after commit."""
        envelope = Envelope.wrap(
            payload, partnership_id=partnership_id, review_id=review_id, actor_id=actor_id
        )
        add_to_outbox(self.session, self._database.table("outbox"), envelope)
        self.emitted.append(envelope)
        return envelope

    def first_delivery(self, envelope: Envelope) -> bool:
        """Record in the inbox that this handler has this event; False if it had it before (skip it)."""
        return self.first_receipt(envelope.event_id, envelope.type)

    def first_deliveries(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """Record in the inbox, in one statement, that this handler has these events; those it had not had
        before, in order (an id twice in the batch counts once)."""
        if not envelopes:
            return []
        handler = self._handler_name()
        types = {envelope.event_id: envelope.type for envelope in envelopes}
        # In id order: concurrent batches holding the same ids then wait for each other, never deadlock.
        rows = [
            {"event_id": event_id, "handler": handler, "event_type": types[event_id]}
            for event_id in sorted(types, key=str)
        ]
        inserted = set(self.session.execute(self._database.record_receipt, rows).scalars())
        fresh: list[Envelope] = []
        for envelope in envelopes:
            if envelope.event_id in inserted:
                inserted.discard(envelope.event_id)
                fresh.append(envelope)
            else:
                INBOX_DUPLICATES.labels(self._database.container.service_name, handler).inc()
                log.info("skipped duplicate message %s in %s", envelope.event_id, handler)
        return fresh

    def _handler_name(self) -> str:
        return f"{self._database.container.service_name}.{self._worker_ctx.entrypoint.method_name}"

    def first_receipt(self, message_id: UUID, message_type: str) -> bool:
        """Record in the inbox that this handler has this message (an event, or a message from outside
        with an id of its own); False if it had it before (skip it)."""
        handler = self._handler_name()
        inserted = self.session.execute(
            self._database.record_receipt,
            {"event_id": message_id, "handler": handler, "event_type": message_type},
        ).first()
        if inserted is None:
            INBOX_DUPLICATES.labels(self._database.container.service_name, handler).inc()
            log.info("skipped duplicate message %s in %s", message_id, handler)
            return False
        return True

    def idempotent(self, method: str, caller: Actor, key: str | None, request: Any) -> IdempotentCommand:
        """An RPC command guarded by the caller's idempotency key (see IdempotentCommand)."""
        return IdempotentCommand(self, method, caller, key, request)

    def finish(self, exc_info: Any) -> Any:
        """Commit (or roll back after an error); return the exc_info of a failed commit, else None."""
        if self.finished:
            return None
        self.finished = True
        if self._session is None:
            return None
        try:
            if exc_info is None:
                self._session.commit()
                if self.emitted:
                    self._database.wake_relay()
            else:
                self._session.rollback()
        except Exception:
            log.exception("commit failed")
            self._session.rollback()
            return sys.exc_info()
        finally:
            self._session.close()
        return None


class IdempotentCommand:
    """A command that runs once per (method, caller, key): a repeat returns the first result.

    Concurrent repeats wait on a transaction-level advisory lock, then see the first one's result; the
    same key with a different request is refused, so a client bug cannot silently return the wrong record.
    """

    def __init__(self, unit: UnitOfWork, method: str, caller: Actor, key: str | None, request: Any) -> None:
        self._unit, self.method, self.done = unit, method, False
        self.result: Any = None
        self._key = None
        if not key:
            return
        scope = "\0".join([method, caller.user_id, str(caller.partnership_id), key])
        self._key = hashlib.sha256(scope.encode()).hexdigest()
        self._fingerprint = hashlib.sha256(
            json.dumps(request, sort_keys=True, default=str).encode()
        ).hexdigest()
        session = unit.session
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(self._key, 0))))
        table = unit._database.table("idempotency_key")
        row = session.execute(
            select(table.c.result, table.c.fingerprint).where(table.c.key == self._key)
        ).first()
        if row is not None:
            if row.fingerprint != self._fingerprint:
                raise Conflict("This idempotency key was already used for a different request: use a new key")
            self.done, self.result = True, row.result

    def remember(self, result: Any) -> None:
        """Store the result under the key, in the command's transaction."""
        if self._key is not None:
            self._unit.session.execute(
                insert(self._unit._database.table("idempotency_key")).values(
                    key=self._key, method=self.method, fingerprint=self._fingerprint, result=result
                )
            )


class Database(DependencyProvider):
    """Gives each worker a UnitOfWork on `metadata.schema`, and relays that schema's outbox."""

    def __init__(self, metadata: MetaData, *, relay: bool = True) -> None:
        self.metadata = metadata
        self.schema = str(metadata.schema)
        self.relay_enabled = relay
        self.engine: Engine | None = None
        self.sessions: sessionmaker[Session]
        self.relay: OutboxRelay | None = None
        self._units: dict[Any, UnitOfWork] = {}
        self._gauges: CallbackGauges | None = None

    def table(self, name: str) -> Any:
        """A messaging table (outbox, inbox, idempotency_key) of this schema."""
        return messaging_table(self.metadata, name)

    @cached_property
    def record_receipt(self) -> Any:
        """The inbox's insert (event_id, handler, event_type), returning nothing for an id already there.

        Built once: every event handler runs it."""
        inbox = self.table("inbox")
        return insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)

    def setup(self) -> None:
        make_psycopg2_cooperative()
        settings = get_settings()
        self.engine = create_schema_engine(self.schema, settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        amqp_uri = self.container.config.get("AMQP_URI", settings.amqp_uri)
        if self.relay_enabled:
            self.relay = OutboxRelay(
                self.container.service_name,
                self.engine,
                self.table("outbox"),
                ConfirmedPublisher(amqp_uri),
                batch=settings.outbox_batch,
                sweep_seconds=settings.outbox_sweep_s,
                prune_every_seconds=settings.prune_every_s,
                prune_old=partial(
                    prune,
                    self.engine,
                    self.table("outbox"),
                    self.table("inbox"),
                    outbox_keep_days=settings.outbox_keep_days,
                    inbox_keep_days=settings.inbox_keep_days,
                    idempotency=self.table("idempotency_key"),
                    idempotency_keep_days=settings.idempotency_keep_days,
                ),
            )
        service, engine, outbox = self.container.service_name, self.engine, self.table("outbox")

        def read_backlog() -> list[tuple[tuple[str, str], float]]:
            count, age = outbox_backlog(engine, outbox)
            return [((service, "events"), float(count)), ((service, "oldest_age_seconds"), age)]

        self._gauges = CallbackGauges(
            "caserev_outbox_backlog",
            "Unpublished outbox events and the age of the oldest",
            ["service", "measure"],
            read_backlog,
        )
        REGISTRY.register(self._gauges)

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self._gauges is not None:
            REGISTRY.unregister(self._gauges)
            self._gauges = None
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def wake_relay(self) -> None:
        """Publish newly committed events now rather than at the next sweep."""
        if self.relay is not None:
            self.relay.wake()

    def get_dependency(self, worker_ctx: Any) -> UnitOfWork:
        unit = UnitOfWork(self, worker_ctx)
        self._units[worker_ctx] = unit
        return unit

    def finish(self, worker_ctx: Any, exc_info: Any) -> Any:
        """Called by the kernel's entrypoints before they ack or reply."""
        unit = self._units.get(worker_ctx)
        return unit.finish(exc_info) if unit is not None else None

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        # Entrypoints that are not the kernel's (timers) commit here.
        self.finish(worker_ctx, exc_info)

    def worker_teardown(self, worker_ctx: Any) -> None:
        self._units.pop(worker_ctx, None)


def finish_units_of_work(worker_ctx: Any, exc_info: Any) -> Any:
    """Commit every Database dependency of a worker; a failed commit becomes the worker's error."""
    for dependency in worker_ctx.container.dependencies:
        if isinstance(dependency, Database):
            failure = dependency.finish(worker_ctx, exc_info)
            if failure is not None and exc_info is None:
                exc_info = failure
    return exc_info
