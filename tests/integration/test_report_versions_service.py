"""Named versions on the real broker and database, through the reports service's RPCs as the gateway calls
them: a version named once under a repeated key, the text compacted after it, restored as one new update, and
read back equal to the version; a version the partners signed off is locked and refuses deletion; a stranger
finds none of it."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from pycrdt import Doc

from gateway.rpc import RemoteError
from services.reports.contract import NameVersion, NewDocument, Reports, SectionUpdates
from tests.integration.test_reports_store import person, texts
from tests.integration.test_shell_rpcs import SealedWith, _with_transport
from tests.unit.test_reports_domain import typed


@pytest.mark.slow
def test_a_version_named_then_restored_over_a_compacted_section_reads_as_it_was(make_harness: Any) -> None:
    harness = make_harness(CASEREV_REPORTS_COMPACT_AFTER="2")
    harness.start("reports")
    review = uuid.uuid4()
    manager = person("bm", "business_manager")
    stranger = person("other", "agency_lead", agency=uuid.uuid4())
    doc: Doc = Doc()

    def update(text: str) -> SectionUpdates:
        return SectionUpdates(updates_base64=[base64.b64encode(typed(doc, "paragraph", text)).decode()])

    async def work(transport: SealedWith) -> dict[str, Any]:
        reports = Reports.client(transport)
        created = await reports.create_document(manager, NewDocument(review_id=review, kind="learning_brief"))
        section = created.sections[0].id
        await reports.save_updates(manager, section, update("Kept in the version."))
        named = await reports.name_version(
            manager, created.id, NameVersion(name="For factual accuracy"), "k1"
        )
        repeated = await reports.name_version(
            manager, created.id, NameVersion(name="For factual accuracy"), "k1"
        )
        for later in ("Written after.", "And more after."):
            await reports.save_updates(manager, section, update(later))
        before = await reports.compare_versions(manager, created.id, named.id, None)
        restored = await reports.restore_version(manager, named.id, "r1")
        current = await reports.document_text(manager, created.id)
        version = await reports.version_text(manager, named.id)
        after = await reports.compare_versions(manager, created.id, named.id, None)
        grant = await reports.open_section(manager, section)
        listed = await reports.versions_of_document(manager, created.id)
        for number in range(3):  # the three partners' sign-off locks the version
            signer = person(f"p{number}", "safeguarding_partner", agency=uuid.uuid4())
            await reports.sign_off_version(signer, named.id)
        refused = []
        for call in (
            reports.delete_version(manager, named.id),
            reports.version_text(stranger, named.id),
            reports.versions_of_document(stranger, created.id),
            reports.restore_version(stranger, named.id),
        ):
            try:
                await call
                refused.append("answered")
            except RemoteError as error:
                refused.append(error.exc_type)
        return {
            "named": named,
            "repeated": repeated,
            "before": before,
            "restored": restored,
            "current": current,
            "version": version,
            "after": after,
            "grant": grant,
            "listed": listed,
            "refused": refused,
        }

    answers = _with_transport(harness, work)
    assert answers["repeated"].id == answers["named"].id
    assert [v.id for v in answers["listed"]] == [answers["named"].id], "named once under the repeated key"
    assert [b.change for b in answers["before"].sections[0].blocks] == ["same", "added", "added"]
    assert [b.text for b in answers["current"].sections[0].blocks] == ["Kept in the version."]
    assert answers["current"].sections == answers["version"].sections
    assert not any(s.changed for s in answers["after"].sections)
    assert texts(base64.b64decode(answers["grant"].state_base64)) == ["Kept in the version."]
    (section,) = answers["restored"].sections
    # The section was compacted after the version (three updates, compaction after two); the restore is one
    # update appended after that snapshot, and it is exactly what the service answered to be sent live.
    rows = harness.sql(
        "SELECT update, saved_by FROM reports.section_update WHERE section_id = %s ORDER BY id",
        (str(section.section_id),),
    )
    assert (
        harness.sql(
            "SELECT compactions FROM reports.section_state WHERE section_id = %s", (str(section.section_id),)
        )[0][0]
        >= 1
    )
    assert [bytes(r[0]) for r in rows][-1] == base64.b64decode(section.update_base64)
    assert answers["refused"] == ["Conflict", "NotFound", "NotFound", "NotFound"]
    events = harness.sql(
        "SELECT event_type FROM reports.outbox WHERE event_type LIKE 'reports.version_%%' ORDER BY id"
    )
    assert [e[0] for e in events] == [
        "reports.version_named",
        "reports.version_restored",
        *["reports.version_sign_off_recorded"] * 3,
        "reports.version_locked",
        "reports.version_signed_off",
    ]
