"""The analytics use cases: applying an event, rebuilding projections, the dashboards and counts, and telling
open dashboards that figures changed.

Each takes the worker's unit of work (one transaction, committed by the entrypoint before it acknowledges or
replies) and, last, the storage it uses (the tables, unless a test hands in a fake).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.analytics import domain, figures, models, policy, suppression
from services.analytics.contract import (
    ActionCount,
    Dashboard,
    DashboardCode,
    DashboardFilters,
    FiguresChanged,
    FigureTable,
    FilterOption,
    ReviewCount,
)
from services.analytics.queries import Scope, Tally
from services.analytics.repository import EventStore, EventStoreTables, Figures, FiguresTables
from services.analytics.settings import analytics_settings
from services.kernel.events import Envelope
from services.kernel.identity import Actor
from services.kernel.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


# -- applying events ----------------------------------------------------------------------------------------


def apply_event(uow: UnitOfWork, envelope: Envelope, store: EventStore | None = None) -> bool:
    """One event analytics subscribes to arrived (apply_events); False if it was had before."""
    return apply_events(uow, [envelope], store) == 1


def apply_events(uow: UnitOfWork, envelopes: Sequence[Envelope], store: EventStore | None = None) -> int:
    """Events analytics subscribes to arrived, one or a batch: once per event (the inbox, then the store,
    which a rebuild replays), keep them and write what every projection takes from them, all in this
    transaction, in a few statements however many events. How many were new.

    Applying them together gives what applying them one by one would: a projection's row is kept only if its
    fact supersedes the one held (domain.latest, then the upsert's own condition)."""
    fresh = uow.first_deliveries(envelopes)
    if not fresh:
        return 0
    store = EventStoreTables(uow.session) if store is None else store
    kept = store.keep(fresh)
    store.store([fact for envelope in kept for fact in domain.facts_of(envelope)])
    store.touch({envelope.partnership_id for envelope in kept if envelope.partnership_id is not None})
    return len(kept)


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did: the projections, the events replayed and how long it took."""

    projections: list[str]
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float(self.events)


def rebuild(
    session: Session,
    name: str | None = None,
    *,
    batch: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Rebuilt:
    """Drop a projection's rows (or every projection's) and replay the event store into them, in the order the
    events occurred, a batch at a time, in one transaction: readers see the old figures until it commits, and
    live events wait for it (the store is locked against writes) and are applied on top of the rebuilt rows.

    A projection added since the events arrived is back-filled the same way. `progress(done, total)` is
    called after each batch. The caller commits."""
    chosen = domain.projections_named(name)
    types = frozenset().union(*(projection.handles for projection in chosen))
    session.execute(text("LOCK TABLE analytics.event IN SHARE MODE"))
    started = time.perf_counter()
    total = models.count_events(session, types)
    models.clear_tables(session, [table for projection in chosen for table in projection.tables])
    done = 0
    if progress is not None:
        progress(0, total)
    for envelopes in models.replay(session, types, batch or analytics_settings().rebuild_batch):
        models.store_facts(session, [fact for e in envelopes for fact in domain.facts_of(e, chosen)])
        done += len(envelopes)
        if progress is not None:
            progress(done, total)
    models.touch_every_partnership(session)
    models.note_rebuild(session)
    return Rebuilt([projection.name for projection in chosen], done, time.perf_counter() - started)


# -- telling open dashboards --------------------------------------------------------------------------------

# The advisory lock a process takes to publish figures_changed: one publisher per tick across processes.
FIGURES_CHANGED_LOCK = 0x616E616C  # "anal"


def announce_figures_changed(uow: UnitOfWork) -> list[UUID]:
    """Publish analytics.figures_changed for the partnerships whose figures changed since the last time, once
    for all of them, if no other process is doing it now (a transaction advisory lock). Called by a timer
    about once a second, so however fast events arrive a dashboard refreshes at most that often."""
    session = uow.session
    if not session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FIGURES_CHANGED_LOCK}
    ).scalar():
        return []
    touched = models.take_touched(session)
    if touched:
        uow.emit(FiguresChanged(partnership_ids=touched))
    return touched


# -- the dashboards -----------------------------------------------------------------------------------------


Kept = TypeVar("Kept")


class KeptWhileUnchanged(Generic[Kept]):
    """What was computed lately from the projections, each kept under its key with the mark of the
    projections it was computed from (Figures.mark), and given again only while the mark is the same: so a
    dashboard asked for again before any event arrived is not computed again, and one asked for after is. At
    most `size` kept, the least lately asked dropped.

    Only what the first computation showed is given (suppressed as it was for that audience and filters),
    to a caller whom the policy already let see it: it decides nothing about access."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.held: OrderedDict[Hashable, tuple[Hashable, Kept]] = OrderedDict()

    def get(self, key: Hashable, mark: Hashable | None) -> Kept | None:
        """What is kept under the key if it was computed at this mark."""
        found = self.held.get(key)
        if mark is None or found is None or found[0] != mark:
            return None
        self.held.move_to_end(key)
        return found[1]

    def keep(self, key: Hashable, mark: Hashable | None, computed: Kept) -> None:
        """Keep what was computed at a mark (nothing, with no mark)."""
        if mark is None:
            return
        self.held[key] = (mark, computed)
        self.held.move_to_end(key)
        while len(self.held) > self.size:
            self.held.popitem(last=False)

    def clear(self) -> None:
        """Forget everything kept."""
        self.held.clear()


# Each dashboard by its code, audience, filters and day ("overdue" is of today); and, shared by the five
# dashboards of an audience, the partnerships' names and the filters' choices.
DASHBOARDS_COMPUTED: KeptWhileUnchanged[Dashboard] = KeptWhileUnchanged()
CHOICES_COMPUTED: KeptWhileUnchanged[tuple[dict[UUID, str], dict[str, list[FilterOption]]]] = (
    KeptWhileUnchanged()
)


FILTERS = ("partnership", "period", "review_type", "agency_type", "theme")


def _without(scope: Scope, removed: Iterable[str], everyone: frozenset[UUID] | None) -> Scope:
    changes: dict[str, Any] = {}
    for name in removed:
        if name == "partnership":
            changes["partnerships"] = everyone
        elif name == "period":
            changes.update(period_from=None, period_to=None)
        else:
            changes[name] = None
    return replace(scope, **changes)


def wider_scopes(scope: Scope, chosen: UUID | None, everyone: frozenset[UUID] | None) -> list[Scope]:
    """The views a filtered view could be compared with: the same figures without each non-empty set of the
    filters chosen (the partnership chosen counts as a filter of the analyst's region or England)."""
    chosen_filters = [
        name
        for name, on in (
            ("partnership", chosen is not None),
            ("period", scope.period_from is not None or scope.period_to is not None),
            ("review_type", scope.review_type is not None),
            ("agency_type", scope.agency_type is not None),
            ("theme", scope.theme is not None),
        )
        if on
    ]
    return [
        _without(scope, removed, everyone)
        for size in range(1, len(chosen_filters) + 1)
        for removed in itertools.combinations(chosen_filters, size)
    ]


def dashboard(
    uow: UnitOfWork,
    actor: Actor,
    code: DashboardCode,
    filters: DashboardFilters | None,
    data: Figures | None = None,
) -> Dashboard:
    """One dashboard's figure tables for the caller and filters: a partnership's own, unsuppressed; a region's
    or England's, with small numbers hidden (figures.py, suppression.py). Forbidden to anyone who may not see
    them, and for a partnership the caller may not see (policy.dashboard_scope)."""
    filters = filters or DashboardFilters()
    kind, everyone = policy.dashboard_scope(actor, filters.partnership_id)
    data = FiguresTables(uow.session) if data is None else data
    # Read before the figures: an event kept meanwhile moves the mark, and the next caller computes anew.
    mark = data.mark()
    key = (code, kind, everyone, filters, date.today())
    held = DASHBOARDS_COMPUTED.get(key, mark)
    if held is not None:
        return held
    choices = CHOICES_COMPUTED.get((kind, everyone), mark)
    if choices is None:
        names = data.partnership_names(everyone)
        choices = (names, _filter_options(data, Scope(everyone), names, kind))
        CHOICES_COMPUTED.keep((kind, everyone), mark, choices)
    computed = _computed_dashboard(code, filters, kind, everyone, data, *choices)
    DASHBOARDS_COMPUTED.keep(key, mark, computed)
    return computed


def _computed_dashboard(
    code: DashboardCode,
    filters: DashboardFilters,
    kind: policy.ScopeKind,
    everyone: frozenset[UUID] | None,
    data: Figures,
    names: dict[UUID, str],
    filter_options: dict[str, list[FilterOption]],
) -> Dashboard:
    """The dashboard computed from the projections (the names and filters' choices given)."""
    threshold = None if kind == "partnership" else analytics_settings().suppression_threshold
    chosen = filters.partnership_id if kind != "partnership" else None
    partnerships = frozenset({filters.partnership_id}) if filters.partnership_id is not None else everyone
    scope = Scope(
        partnerships,
        filters.period_from,
        filters.period_to,
        filters.review_type,
        filters.agency_type,
        filters.theme,
    )
    spec = figures.DASHBOARDS[code]
    tables = dashboard_tables(spec, scope, data, threshold, chosen, everyone, names)
    return Dashboard(
        code=code,
        title=spec.title,
        scope=kind,
        scope_label=_scope_label(kind, everyone, names),
        filters=filters,
        filter_options=filter_options,
        tables=tables,
        suppression_threshold=threshold,
        as_of=data.as_of(partnerships),
    )


def dashboard_tables(
    spec: figures.DashboardSpec,
    scope: Scope,
    data: Figures,
    threshold: int | None,
    chosen: UUID | None,
    everyone: frozenset[UUID] | None,
    names: dict[UUID, str],
) -> list[FigureTable]:
    """The figure tables of a dashboard within a scope; with a threshold, each made safe against its wider
    views and, when one partnership is chosen, against its siblings."""
    cache: dict[tuple[str, Scope], list[Tally]] = {}

    def tallies(aggregate: str, within: Scope) -> list[Tally]:
        if (aggregate, within) not in cache:
            cache[(aggregate, within)] = data.aggregate(aggregate, within)
        return cache[(aggregate, within)]

    wider = wider_scopes(scope, chosen, everyone) if threshold is not None else []
    row_names = figures.partnership_words(names)
    hidden_rows: dict[str, set[str]] = {}
    tables: list[FigureTable] = []
    for table in spec.tables:
        mine = tallies(table.aggregate, scope)
        if table.unit != "count":
            grid = figures.layout(table, mine)
            hidden = hidden_rows.get(table.derived_from or "", set())
            tables.append(figures.derived_table(table, grid, threshold, hidden))
            continue
        others = [tallies(table.aggregate, view) for view in wider]
        split = tallies(table.aggregate, replace(scope, partnerships=everyone).split()) if chosen else []
        also = [t for view in others for t in view] + split
        widest = tallies(table.aggregate, Scope(everyone)) if threshold is not None else None
        grid = figures.layout(table, mine, also=also, widest=widest)
        protection = figures.Protection(threshold)
        if threshold is not None and chosen is None:
            counts = grid.counts()
            protection.complements = [
                suppression.complement(figures.aligned(grid, view), counts) for view in others
            ]
        elif threshold is not None and chosen is not None:
            protection.decided = _with_siblings(
                table.aggregate, grid, scope, wider, split, everyone, names, threshold, tallies
            )[chosen]
        figure, hidden_cells = figures.count_table(table, grid, protection, row_names)
        hidden_rows[table.code] = figures.hidden_row_codes(grid, hidden_cells)
        tables.append(figure)
    return tables


def _with_siblings(
    aggregate: str,
    grid: figures.Grid,
    scope: Scope,
    wider: list[Scope],
    split: list[Tally],
    everyone: frozenset[UUID] | None,
    names: dict[UUID, str],
    threshold: int,
    tallies: Callable[[str, Scope], list[Tally]],
) -> dict[UUID, frozenset[tuple[int, int]]]:
    """Each partnership's hidden cells of one table, decided together (figures.sibling_hidden): its own view
    in the grid, and its complements in each wider view (the region's when the wider view drops the
    partnership, its own otherwise)."""
    siblings = sorted(
        set(everyone if everyone is not None else names) | {t.partnership for t in split if t.partnership},
        key=str,
    )

    def of(partnership: UUID, found: list[Tally]) -> list[list[int]]:
        return figures.aligned(grid, [t for t in found if t.partnership == partnership])

    views = {p: of(p, split) for p in siblings}
    complements: dict[UUID, list[list[list[int]]]] = {p: [] for p in siblings}
    for view in wider:
        if view.partnerships == everyone:
            whole = figures.aligned(grid, tallies(aggregate, view))
            for p in siblings:
                complements[p].append(suppression.complement(whole, views[p]))
        else:
            each = tallies(aggregate, replace(view, partnerships=everyone).split())
            for p in siblings:
                complements[p].append(suppression.complement(of(p, each), views[p]))
    return figures.sibling_hidden(views, complements, threshold)


def _scope_label(kind: str, everyone: frozenset[UUID] | None, names: dict[UUID, str]) -> str:
    if kind == "england":
        return "England"
    if kind == "region":
        return f"Your region ({len(everyone or ())} partnerships)"
    own = next(iter(everyone or ()), None)
    return names.get(own, "Your partnership") if own is not None else "Your partnership"


def _filter_options(
    data: Figures, scope: Scope, names: dict[UUID, str], kind: str
) -> dict[str, list[FilterOption]]:
    values = data.options(scope)
    options = {
        field: [FilterOption(value=code, label=figures.words(code)) for code in codes]
        for field, codes in values.items()
    }
    if kind != "partnership":
        options["partnership_id"] = [
            FilterOption(value=str(partnership), label=name)
            for partnership, name in sorted(names.items(), key=lambda item: item[1])
        ]
    return options


# -- the counts (the first dashboard's) ---------------------------------------------------------------------


def review_counts(
    uow: UnitOfWork, actor: Actor, partnership_id: UUID | None, data: Figures | None = None
) -> list[ReviewCount]:
    """Reviews by type and stage for one partnership, or summed over those the actor may see (policy)."""
    partnerships = policy.visible_partnerships(actor, partnership_id)
    if partnerships is not None and not partnerships:
        return []  # a region of no partnerships has nothing to sum
    data = FiguresTables(uow.session) if data is None else data
    return domain.review_counts(partnership_id, data.stage_counts(partnerships))


def action_counts(
    uow: UnitOfWork, actor: Actor, partnership_id: UUID | None, data: Figures | None = None
) -> list[ActionCount]:
    """Actions by state for one partnership, or summed over those the actor may see (policy)."""
    partnerships = policy.visible_partnerships(actor, partnership_id)
    if partnerships is not None and not partnerships:
        return domain.action_counts(partnership_id, [])
    data = FiguresTables(uow.session) if data is None else data
    return domain.action_counts(partnership_id, data.action_counts(partnerships))
