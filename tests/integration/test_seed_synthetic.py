"""`caserev seed-synthetic` through a real broker into a real analytics service: the figures analytics keeps
are the generator's, the partnerships are the gateway's with their regions, and no other service hears a
thing (the events go to analytics' own queues only)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date

import pytest

from caserev.seed_synthetic import analytics_queues
from caserev.synthetic import national_set
from gateway.rpc import RpcClient
from services.analytics.contract import Analytics, Cell, Dashboard, FigureTable
from services.kernel.identity import Actor, Role
from tests.integration.test_shell_rpcs import SealedWith

pytestmark = pytest.mark.slow

# Each test seeds thousands of persistent messages in bulk: on a private RabbitMQ node of its own
# (tests/support/infra.py PrivateRabbit), so that the load stays off the broker other suites share.

UNTIL = date(2026, 11, 30)
SEEDED = "SELECT count(*) FROM analytics.inbox WHERE event_type <> 'identity.partnership_changed'"


def _expected_stages(years: int, partnerships: int, seed: int) -> Counter[tuple[str, str, str]]:
    """(partnership id, review type, stage) of every review, as the generator leaves it on UNTIL."""
    stage_of: dict[str, tuple[str, str, str]] = {}
    for envelope in national_set(years, partnerships, seed, UNTIL).events():
        if envelope.type in ("forms.review_opened", "forms.stage_changed"):
            data = envelope.data
            stage_of[data["review_id"]] = (str(envelope.partnership_id), data["review_type"], data["stage"])
    return Counter(stage_of.values())


def test_seeded_national_data_reaches_analytics_figures_and_no_other_service(make_harness) -> None:
    harness = make_harness(private_broker=True)
    harness.start("analytics")
    output = harness.caserev(
        "seed-synthetic", "--years", "1", "--partnerships", "4", "--seed", "7", "--until", UNTIL.isoformat()
    )
    national = national_set(1, 4, 7, UNTIL)
    queues = analytics_queues()
    applied = [e for e in national.events() if e.type in queues]
    assert f"{len(applied):,} events published" in output, output

    # Every event analytics applies was applied once by each handler of it (the partnerships' own
    # identity.partnership_changed come from the gateway's outbox, as for any partnership).
    deliveries = sum(len(queues[e.type]) for e in applied)
    harness.wait_for(
        lambda: harness.sql(SEEDED)[0][0] >= deliveries,
        timeout=180,
        message=f"analytics to apply the {len(applied)} synthetic events",
    )
    assert harness.sql(SEEDED)[0][0] == deliveries

    # Reviews by partnership, type and stage: as the generator left them.
    rows = harness.sql(
        "SELECT partnership_id::text, review_type, stage, count(*) FROM analytics.review_stage"
        " GROUP BY 1, 2, 3"
    )
    assert Counter({(p, t, s): n for p, t, s, n in rows}) == _expected_stages(1, 4, 7)

    # The partnerships exist for the gateway, each in a region of England, with obviously synthetic names.
    partnerships = harness.sql("SELECT code, name, region FROM identity.partnership ORDER BY code")
    assert [(code, name, region) for code, name, region in partnerships] == [
        (p.code, p.name, p.region) for p in national.partnerships
    ]
    assert all(name.startswith("Synthetic partnership") for _, name, _ in partnerships)

    # Nobody else heard of the reviews: no handler queue of another service holds one of their events, no
    # inbox took one (the partnerships themselves are everyone's to know).
    for schema in ("notifications", "chronology", "actions", "meetings"):
        heard = harness.sql(
            f"SELECT count(*) FROM {schema}.inbox WHERE event_type <> 'identity.partnership_changed'"
        )
        assert heard[0][0] == 0, schema
    assert harness.ready("evt-forms-review_opened--notifications.on_forms_review_opened") == 0


def test_seeding_again_with_the_same_seed_adds_nothing(make_harness) -> None:
    harness = make_harness(private_broker=True)
    harness.start("analytics")
    args = (
        "seed-synthetic",
        "--years",
        "1",
        "--partnerships",
        "2",
        "--seed",
        "3",
        "--until",
        UNTIL.isoformat(),
    )
    harness.caserev(*args)
    queues = analytics_queues()
    applied = sum(len(queues[e.type]) for e in national_set(1, 2, 3, UNTIL).events() if e.type in queues)
    harness.wait_for(
        lambda: harness.sql(SEEDED)[0][0] >= applied,
        timeout=120,
        message="the first seeding to be applied",
    )
    reviews = harness.sql("SELECT count(*) FROM analytics.review_stage")[0][0]
    harness.caserev(*args)
    harness.wait_for(
        lambda: all(harness.ready(q) == 0 for names in queues.values() for q in names),
        timeout=120,
        message="the second seeding to be consumed",
    )
    assert harness.sql(SEEDED)[0][0] == applied
    assert harness.sql("SELECT count(*) FROM analytics.review_stage")[0][0] == reviews
    assert harness.sql("SELECT count(*) FROM identity.partnership")[0][0] == 2


def _dashboard(harness, actor: Actor, code: str) -> Dashboard:
    async def go() -> Dashboard:
        client = RpcClient(harness.amqp_uri, timeout=30)
        try:
            return await Analytics.client(SealedWith(client, harness.system)).dashboard(actor, code)  # type: ignore[arg-type]
        finally:
            await client.close()

    return asyncio.run(go())


def _cell(table: FigureTable, row: str, column: str = "Total") -> Cell:
    found = next(r for r in table.rows if r.label == row)
    return found.cells[table.columns.index(column)]


def test_the_dashboards_show_the_seeded_children_to_their_partnership_and_england(make_harness) -> None:
    harness = make_harness(private_broker=True)
    harness.start("analytics")
    harness.caserev(
        "seed-synthetic", "--years", "2", "--partnerships", "3", "--seed", "11", "--until", UNTIL.isoformat()
    )
    national = national_set(2, 3, 11, UNTIL)
    queues = analytics_queues()
    deliveries = sum(len(queues[e.type]) for e in national.events() if e.type in queues)
    harness.wait_for(
        lambda: harness.sql(SEEDED)[0][0] >= deliveries, timeout=240, message="the seeding applied"
    )

    children: Counter[tuple[str, str]] = Counter()
    for envelope in national.events():
        if envelope.type == "forms.sin_submitted":
            for child in envelope.data["children_categories"]:
                children[str(envelope.partnership_id), child["age_band"]] += 1
    first = national.partnerships[0]
    manager = Actor(
        user_id=str(uuid.uuid4()), partnership_id=first.id, roles=frozenset({Role.BUSINESS_MANAGER})
    )
    own = _dashboard(harness, manager, "children")
    assert own.scope == "partnership" and own.suppression_threshold is None
    by_age = next(t for t in own.tables if t.code == "children_by_age")
    assert _cell(by_age, "Under 1").value == children[str(first.id), "under_1"]
    assert _cell(by_age, "Total").value == sum(n for (p, _), n in children.items() if p == str(first.id))

    analyst = Actor(user_id=str(uuid.uuid4()), roles=frozenset({Role.NATIONAL_ANALYST}))
    england = _dashboard(harness, analyst, "children")
    assert england.scope == "england" and england.suppression_threshold is not None
    total = _cell(next(t for t in england.tables if t.code == "children_by_age"), "Total")
    assert total.suppressed or total.value == sum(children.values())
