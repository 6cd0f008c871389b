"""What others may know of the analytics service: the read models it answers with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService

SERVICE = "analytics"


class ReviewCount(BaseModel):
    """How many reviews of a type are at a stage, in one partnership or summed over several.

    An aggregate only: no review ids, no titles. `partnership_id` is None when the count is summed
    over every partnership the caller may see.
    """

    partnership_id: UUID | None
    review_type: str
    stage: str
    count: int


class ActionCount(BaseModel):
    """How many actions of review action plans are in a state (open, overdue, completed, not implemented,
    closed), in one partnership or summed over several. An aggregate only: no ids, no words."""

    partnership_id: UUID | None
    state: str
    count: int


# -- dashboards ---------------------------------------------------------------------------------------------

# The dashboards the gateway shows; each is a list of figure tables (Dashboard.tables).
DashboardCode = Literal["reviews", "timeliness", "learning", "children", "actions"]

# Below this a count is shown to analysts as "fewer than 5" (the default; set by the environment variable
# CASEREV_ANALYTICS_SUPPRESSION_THRESHOLD).
SUPPRESSION_THRESHOLD = 5


class DashboardFilters(BaseModel):
    """What a reader narrowed a dashboard to. Every field is optional: None means all.

    `partnership_id` is one partnership the caller may see (policy.visible_partnerships); the period is of
    the date each figure is counted on (a review's opening, a deadline's due date, a lesson's recording).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    partnership_id: UUID | None = None
    period_from: date | None = None
    period_to: date | None = None
    review_type: str | None = None
    agency_type: str | None = None
    theme: str | None = None


class Cell(BaseModel):
    """One figure of a table as it may be shown: `value` None when suppressed or when there is nothing to
    show; `text` as a reader sees it ("12", "fewer than 5", "62%", "3.5", "none")."""

    value: float | None
    text: str
    suppressed: bool = False


class FigureRow(BaseModel):
    """A line of a figure table: its label (a period, a stage, a partnership's name, a theme) and one cell
    per column."""

    label: str
    cells: list[Cell]


class FigureTable(BaseModel):
    """One figure of a dashboard, already decided and suppressed: what the chart draws and the accessible
    table beside it show. `summary` is the sentence that says what it shows; `chart` how to draw it."""

    code: str
    title: str
    summary: str
    row_heading: str
    columns: list[str]
    rows: list[FigureRow]
    chart: Literal["bar", "stacked_bar", "line", "heatmap"]
    unit: Literal["count", "percent", "working_days"] = "count"


class FilterOption(BaseModel):
    """A choice a filter offers: the value sent back and the words shown."""

    value: str
    label: str


class Dashboard(BaseModel):
    """A dashboard's figures for one caller and one set of filters.

    `scope` is whose figures these are: one partnership's own (not suppressed: `suppression_threshold`
    None), or a region's or England's (suppressed: every count below the threshold, and every cell from
    which one could be worked out, shown as "fewer than N"). `filter_options` maps each filter field of
    DashboardFilters to its choices. `as_of` is when the latest event counted occurred.
    """

    code: DashboardCode
    title: str
    scope: Literal["partnership", "region", "england"]
    scope_label: str
    filters: DashboardFilters
    filter_options: dict[str, list[FilterOption]] = Field(default_factory=dict)
    tables: list[FigureTable]
    suppression_threshold: int | None
    as_of: datetime | None


class FiguresChanged(EventData):
    """Figures of these partnerships changed (new events were applied): a dashboard that shows any of them
    fetches its figures again. Published at most about once a second, whatever the rate of events."""

    event_type = "analytics.figures_changed"

    partnership_ids: list[UUID]


def _give_a_partnership_id(error: ValidationError) -> list[dict[str, str]]:
    return [{"field": "partnership_id", "message": "Give a partnership id"}]


# One partnership's figures, or None for figures summed over every partnership the caller may see. The
# service's method takes this very alias, so the contract test finds the two annotations equal.
PartnershipChoice = Annotated[UUID | None, Refused("The partnership", _give_a_partnership_id)]


class Analytics(RemoteService):
    """Read models built from every event: aggregated figures only, never a case's details.

    The service implements each with the same signature (services/analytics/service.py); the gateway calls
    them through `Analytics.client(rpc)`. tests/unit/test_contracts.py proves the two agree.
    """

    service = SERVICE

    async def review_counts(
        self, actor: Actor, partnership_id: PartnershipChoice = None
    ) -> list[ReviewCount]:
        """Reviews by type and stage, for one partnership or summed over all the caller may see.

        Forbidden to anyone who may not see those figures (policy.visible_partnerships); a partnership id
        that is not an id is refused as InvalidRequest naming `partnership_id`.
        """
        raise NotImplementedError

    async def dashboard(
        self, actor: Actor, code: DashboardCode, filters: DashboardFilters | None = None
    ) -> Dashboard:
        """One dashboard's figure tables for the caller and filters, suppressed for analysts.

        A partnership's own people (policy.visible_partnerships) see their partnership's figures unsuppressed;
        a regional analyst the partnerships of the region, a national analyst all of England, suppressed.
        Forbidden to anyone else, and for a partnership the caller may not see.
        """
        raise NotImplementedError

    async def action_counts(
        self, actor: Actor, partnership_id: PartnershipChoice = None
    ) -> list[ActionCount]:
        """Actions of review action plans by state, from the actions service's events, for one partnership or
        summed over all the caller may see (the same rule as review_counts)."""
        raise NotImplementedError
