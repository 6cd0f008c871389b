"""A section's Yjs store on the real database, as the reports service's own role: updates appended in
transactions, compacted into snapshots while others append, loaded as snapshot plus later updates; and the
service on the real broker keeping what an editor saved, compacting it, and refusing a stranger."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pycrdt import Doc
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from gateway.rpc import RemoteError
from services.kernel.config import Settings
from services.kernel.identity import Actor
from services.reports import yjs_text
from services.reports.contract import NewDocument, Reports, SectionUpdates
from services.reports.domain import begin
from services.reports.repository import ReportTables
from tests.integration.test_shell_rpcs import SealedWith, _with_transport
from tests.unit.test_reports_domain import typed

HOLDER = uuid.uuid4()
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def texts(state: bytes) -> list[str]:
    return [block.text for block in yjs_text.blocks(state)]


@pytest.mark.slow
def test_updates_appended_while_a_compaction_runs_are_neither_lost_nor_doubled(make_harness: Any) -> None:
    harness = make_harness()
    engine = create_engine(Settings(db_name=harness.system.db_name).schema_url("reports"))
    sessions = sessionmaker(engine)
    document = begin(
        NewDocument(review_id=uuid.uuid4(), kind="learning_brief"),
        partnership_id=HOLDER,
        created_by="bm",
        now=NOW,
    )
    section = document.sections[0].id
    with sessions.begin() as session:
        ReportTables(session).add(document)
    doc: Doc = Doc()
    updates = [typed(doc, "paragraph", f"Line {n}") for n in range(6)]
    try:
        with sessions.begin() as session:
            assert ReportTables(session).append(section, updates[:3], "bm", NOW) == 3

        # An editor's transaction appends and has not committed when the compaction reads and commits.
        late: Session = sessions()
        late.begin()
        ReportTables(late).append(section, [updates[3]], "bm", NOW)
        with sessions.begin() as session:
            assert ReportTables(session).compact(section, NOW)
        late.commit()
        late.close()

        with sessions.begin() as session:
            store = ReportTables(session)
            assert store.append(section, updates[4:], "bm", NOW) == 3  # the late one and two more
            assert texts(store.state(section)) == [f"Line {n}" for n in range(6)]
            assert store.compact(section, NOW)
        with sessions.begin() as session:
            rows = session.execute(
                text("SELECT count(*) FROM section_update WHERE section_id = :s"), {"s": section}
            ).scalar()
            assert rows == 0
            assert texts(ReportTables(session).state(section)) == [f"Line {n}" for n in range(6)]

        # A second compaction waits for nobody: while one holds the snapshot, another skips it.
        holding: Session = sessions()
        holding.begin()
        assert ReportTables(holding).compact(section, NOW)
        with sessions.begin() as session:
            assert not ReportTables(session).compact(section, NOW)
        holding.rollback()
        holding.close()
    finally:
        engine.dispose()


def person(user: str, *roles: str, agency: uuid.UUID | None = None, review: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=user,
        partnership_id=HOLDER,
        agency_id=agency,
        roles=frozenset(roles),
        reviews=frozenset({review} if review else set()),
    )


@pytest.mark.slow
def test_the_service_keeps_what_an_editor_saved_compacts_it_and_refuses_a_stranger(make_harness: Any) -> None:
    harness = make_harness(CASEREV_REPORTS_COMPACT_AFTER="3")
    harness.start("reports")
    review = uuid.uuid4()
    manager = person("bm", "business_manager")
    stranger = person("other", "agency_lead", agency=uuid.uuid4())
    doc: Doc = Doc()
    updates = [base64.b64encode(typed(doc, "paragraph", f"Line {n}")).decode() for n in range(5)]

    async def work(transport: SealedWith) -> dict[str, Any]:
        reports = Reports.client(transport)
        created = await reports.create_document(
            manager, NewDocument(review_id=review, kind="overview_report")
        )
        section = created.sections[0].id
        saved = [
            await reports.save_updates(manager, section, SectionUpdates(updates_base64=[u])) for u in updates
        ]
        grant = await reports.open_section(manager, section)
        words = await reports.document_text(manager, created.id)
        refused = []
        for call in (reports.open_section(stranger, section), reports.get_document(stranger, created.id)):
            try:
                await call
                refused.append("answered")
            except RemoteError as error:
                refused.append(error.exc_type)
        return {"saved": saved, "grant": grant, "words": words, "refused": refused}

    answers = _with_transport(harness, work)
    assert [s.compacted for s in answers["saved"]] == [False, False, True, False, False]
    assert answers["grant"].access == "edit"
    assert texts(base64.b64decode(answers["grant"].state_base64)) == [f"Line {n}" for n in range(5)]
    assert [b.text for b in answers["words"].sections[0].blocks] == [f"Line {n}" for n in range(5)]
    assert answers["refused"] == ["NotFound", "NotFound"]
    assert harness.sql("SELECT count(*) FROM reports.section_update")[0][0] == 2
    assert (
        harness.sql("SELECT count(*) FROM reports.outbox WHERE event_type = 'reports.document_created'")[0][0]
        == 1
    )
