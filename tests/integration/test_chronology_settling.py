"""Settling a version (flagging its likely duplicates, then making it searchable) on the real database: an
agency system's message that commits while its feed is being settled is left for its own turn, so that no
entry is ever marked searchable without having been compared with the other agencies'."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.chronology.contract import ChronologyEntry
from services.chronology.handlers import entry_fields
from services.chronology.models import DuplicateRecord, EntryRecord, ReviewRecord, UploadRecord
from services.chronology.repository import ChronologyStore, Judgements
from services.kernel.config import Settings
from services.kernel.db import create_schema_engine
from tests.support.infra import isolated_database
from tests.support.system import SystemEnv, caserev, system_env

REVIEW, PARTNERSHIP = uuid.uuid4(), uuid.uuid4()
POLICE, HEALTH = uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    with isolated_database() as db_name:
        system = system_env(db_name, "amqp://unused/", Path(tmp_path_factory.mktemp("settling")))
        caserev(system, "migrate", "--skip-broker")
        yield system


@pytest.fixture
def sessions(migrated: SystemEnv) -> Iterator[Any]:
    """Sessions as the chronology's own role, each committing what it did (its own connection)."""
    engine = create_schema_engine("chronology", Settings(db_name=migrated.db_name), pool_size=3)

    @contextmanager
    def session() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as opened:
            yield opened
            opened.commit()

    try:
        yield session
    finally:
        engine.dispose()


def upload(agency: uuid.UUID, source: str) -> UploadRecord:
    now = datetime.now(UTC)
    return UploadRecord(
        id=uuid.uuid4(),
        review_id=REVIEW,
        agency_id=agency,
        source=source,
        filename=source,
        size_bytes=0,
        state="current",
        rows_expected=0,
        rows_read=0,
        entries=1,
        problems=[],
        warnings=[],
        uploaded_by="test",
        uploaded_by_name="test",
        uploaded_at=now,
        touched_at=now,
    )


def fields(row: int, typed: str, event: str) -> dict[str, Any]:
    entry = ChronologyEntry.model_validate(
        {
            "row": row,
            "occurred": typed,
            "source_record": f"REC-{row}",
            "practitioner_role": "Response officer",
            "event": event,
            "action": "Shared with social care",
        }
    )
    return entry_fields(entry, [])


def test_a_message_committed_while_its_feed_settles_is_compared_in_its_own_turn(
    sessions, monkeypatch
) -> None:
    health_file, police_feed = upload(HEALTH, "file"), upload(POLICE, "system")
    with sessions() as session:
        session.add(
            ReviewRecord(
                id=REVIEW,
                partnership_id=PARTNERSHIP,
                review_type="child_safeguarding",
                opened_at=datetime.now(UTC),
                closed=False,
            )
        )
        session.add_all([health_file, police_feed])
        session.flush()
        store = ChronologyStore(session)
        store.stage(
            health_file,
            [fields(2, "03/03/2021", "Police attended the family home after a neighbour reported shouting")],
        )
        store.stage(police_feed, [fields(2, "04/04/2021", "Routine patrol past the address, nothing seen")])
        store.settle(health_file.id, REVIEW)

    # The police system's second message commits after its feed's settling has compared the first.
    flag = Judgements.flag_duplicates

    def message_arrives_meanwhile(self: Judgements, *args: Any) -> int:
        flagged = flag(self, *args)
        with sessions() as other:
            ChronologyStore(other).stage(
                police_feed,
                [
                    fields(
                        3,
                        "03/03/2021",
                        "Officers attended the family home after a neighbour reported shouting",
                    )
                ],
            )
        return flagged

    monkeypatch.setattr(Judgements, "flag_duplicates", message_arrives_meanwhile)
    with sessions() as session:
        ChronologyStore(session).settle(police_feed.id, REVIEW)
    monkeypatch.setattr(Judgements, "flag_duplicates", flag)

    with sessions() as session:
        late = session.scalar(select(EntryRecord).where(EntryRecord.source_record == "REC-3"))
        assert late is not None and late.search is None, "the late message is left for its own turn"
        assert ChronologyStore(session).unsettled_agencies(REVIEW, None) == [POLICE]
        assert session.scalars(select(DuplicateRecord)).all() == []
        ChronologyStore(session).settle(police_feed.id, REVIEW)  # its own turn (entries_published)

    with sessions() as session:
        (pair,) = session.scalars(select(DuplicateRecord).where(DuplicateRecord.review_id == REVIEW)).all()
        assert late.id in (pair.entry_a, pair.entry_b), "it was compared, and the pair flagged"
        assert ChronologyStore(session).unsettled_agencies(REVIEW, None) == []
