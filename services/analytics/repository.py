"""The seam between the handlers and storage: the event store, the projections' tables, the figures' queries.

Handlers speak to `EventStore` and `Figures`; the `...Table` classes keep them in the schema through
models.py and queries.py, and a unit test hands the handler a fake instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from services.analytics import models, queries
from services.analytics.domain import Fact, StageCount
from services.analytics.queries import Scope, Tally
from services.kernel.events import Envelope


class EventStore(Protocol):
    """Every event applied, and the rows the projections keep of them."""

    def keep(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """Keep the events; those that were not kept before, in order (nothing more is done with the rest)."""
        ...

    def store(self, facts: Iterable[Fact]) -> None:
        """Write facts into the projections' tables, each only if it supersedes the row held."""

    def touch(self, partnerships: Iterable[UUID]) -> None:
        """Note that these partnerships' figures changed (analytics.figures_changed tells open dashboards)."""


class EventStoreTables:
    """EventStore in schema `analytics`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        kept = models.keep_events(self.session, envelopes)
        fresh = []
        for envelope in envelopes:
            if envelope.event_id in kept:
                kept.discard(envelope.event_id)
                fresh.append(envelope)
        return fresh

    def store(self, facts: Iterable[Fact]) -> None:
        models.store_facts(self.session, facts)

    def touch(self, partnerships: Iterable[UUID]) -> None:
        models.touch(self.session, partnerships)

    def replay(self, types: Iterable[str], batch: int) -> Iterator[list[Envelope]]:
        """The stored events of these types in the order they occurred, a batch at a time."""
        return models.replay(self.session, types, batch)


class Figures(Protocol):
    """The figures' aggregates over the projections' tables, within a scope of partnerships and filters."""

    def stage_counts(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        """Reviews by type and stage over these partnerships (None: every partnership)."""
        ...

    def action_counts(self, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
        """Actions by state over these partnerships (None: every partnership)."""
        ...

    def aggregate(self, name: str, scope: Scope) -> list[Tally]:
        """One of queries.AGGREGATES over a scope: its tallies."""
        ...

    def partnership_names(self, partnerships: frozenset[UUID] | None) -> dict[UUID, str]:
        """The names of these partnerships (None: every partnership known)."""
        ...

    def options(self, scope: Scope) -> dict[str, list[str]]:
        """The values each filter may take within a scope: review types, agency types, themes."""
        ...

    def as_of(self, partnerships: frozenset[UUID] | None) -> datetime | None:
        """When the latest event counted occurred."""
        ...

    def mark(self) -> Hashable | None:
        """A cheap value that changes whenever the projections do (None: not known; nothing is cached)."""
        ...


class FiguresTables:
    """Figures read from the projections' tables."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def stage_counts(self, partnerships: frozenset[UUID] | None) -> list[StageCount]:
        return [StageCount(*row) for row in queries.stage_counts(self.session, partnerships)]

    def action_counts(self, partnerships: frozenset[UUID] | None) -> list[tuple[str, int]]:
        return queries.action_counts(self.session, partnerships)

    def aggregate(self, name: str, scope: Scope) -> list[Tally]:
        return queries.AGGREGATES[name](self.session, scope)

    def partnership_names(self, partnerships: frozenset[UUID] | None) -> dict[UUID, str]:
        return queries.partnership_names(self.session, partnerships)

    def options(self, scope: Scope) -> dict[str, list[str]]:
        return queries.filter_values(self.session, scope)

    def as_of(self, partnerships: frozenset[UUID] | None) -> datetime | None:
        return models.latest_event_at(self.session, partnerships)

    def mark(self) -> Hashable | None:
        return models.store_mark(self.session)
