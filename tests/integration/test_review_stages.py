"""Analytics keeps each review's stage from forms' events, whatever order they arrive in; forms' migration
0004 restates the reviews opened before analytics counted stages, and the relay publishes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config

from caserev.topology import MIGRATIONS
from services.forms.contract import ReviewRestated, StageChanged
from services.kernel.config import Settings
from services.kernel.events import Envelope
from tests.integration.reliability_harness import publish_events, review_opened

pytestmark = pytest.mark.slow


def _at(envelope: dict, moment: datetime) -> dict:
    return {**envelope, "occurred_at": moment.isoformat()}


def _stages(harness, partnership: uuid.UUID) -> list[tuple[str, str]]:
    rows = harness.sql(
        "SELECT review_type, stage FROM analytics.review_stage WHERE partnership_id = %s ORDER BY stage",
        (str(partnership),),
    )
    return [(review_type, stage) for review_type, stage in rows]


def test_the_latest_event_places_a_review_whichever_arrives_last(make_harness) -> None:
    harness = make_harness()
    harness.start("analytics")
    partnership = uuid.uuid4()
    opened = review_opened(partnership)
    review_id = uuid.UUID(opened["review_id"])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def changed(previous: str, stage: str, minutes: int) -> dict:
        payload = StageChanged(
            review_id=review_id, review_type="child_safeguarding", previous_stage=previous, stage=stage
        )
        envelope = Envelope.wrap(payload, partnership_id=partnership, review_id=review_id)
        return _at(envelope.model_dump(mode="json"), start + timedelta(minutes=minutes))

    # Rapid review, then local review; delivered newest first, the opening last of all.
    publish_events(
        harness.amqp_uri,
        [
            changed("rapid_review", "local_review", 20),
            changed("referral", "rapid_review", 10),
            _at(opened, start),
        ],
    )
    harness.wait_for(
        lambda: (
            harness.inbox_rows("analytics.count_opened_review") == 1
            and harness.inbox_rows("analytics.count_stage_change") == 2
        ),
        timeout=30,
        message="analytics to apply all three events",
    )
    assert _stages(harness, partnership) == [("child_safeguarding", "local_review")]
    assert harness.review_count(partnership) == 1


def test_reviews_opened_before_the_upgrade_are_restated_and_counted_at_their_stage(make_harness) -> None:
    harness = make_harness()
    settings = Settings(db_name=harness.system.db_name)
    partnership = uuid.uuid4()
    reviews = {uuid.uuid4(): "rapid_review", uuid.uuid4(): "local_review", uuid.uuid4(): "referral"}

    # As the database stood before 0004: forms at 0003, its reviews already past their first stage.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS["forms"]))
    config.set_main_option("sqlalchemy.url", settings.schema_url("forms"))
    command.downgrade(config, "0003")
    for review_id, stage in reviews.items():
        harness.sql(
            "INSERT INTO forms.review (id, partnership_id, review_type, title, stage, opened_at, opened_by,"
            " version, deadline_figures) VALUES (%s, %s, 'child_safeguarding', 'Synthetic review', %s, now(),"
            " 'synthetic-manager', 1, '{}'::jsonb)",
            (str(review_id), str(partnership), stage),
        )
    command.upgrade(config, "head")

    restated = harness.sql(
        "SELECT envelope FROM forms.outbox WHERE event_type = %s AND published_at IS NULL",
        (ReviewRestated.event_type,),
    )
    assert {row[0]["data"]["review_id"]: row[0]["data"]["stage"] for row in restated} == {
        str(review_id): stage for review_id, stage in reviews.items()
    }

    harness.start("analytics")
    harness.start("forms")  # its relay publishes what the migration left in the outbox
    harness.wait_for(lambda: harness.review_count(partnership) == 3, 30, "the restated reviews to be counted")
    assert sorted(_stages(harness, partnership)) == sorted(
        ("child_safeguarding", s) for s in reviews.values()
    )
