"""The meetings service on the real broker and database: a paper is checked by content and kept in the store
configured (its own schema, or a folder), downloaded only by someone invited or with a part in the review,
and a refused file leaves nothing behind; the family's contacts are refused at the RPC to anyone but the
business manager and the review's independent reviewer."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.rpc import RemoteError
from services.kernel.identity import Actor
from services.meetings.contract import FamilyContact, Invitee, Meetings, NewPaper, ScheduleMeeting
from tests.integration.test_shell_rpcs import SealedWith, _with_transport
from tests.support.system import processes
from tests.unit.test_uploads import a_pdf

HOLDER, OTHER = uuid.uuid4(), uuid.uuid4()


def person(
    user: str, *roles: str, partnership: uuid.UUID = HOLDER, reviews: tuple[uuid.UUID, ...] = ()
) -> Actor:
    return Actor(user_id=user, partnership_id=partnership, roles=frozenset(roles), reviews=frozenset(reviews))


@pytest.mark.slow
@pytest.mark.parametrize("store", ["database", "filesystem"])
def test_papers_and_family_contacts_are_kept_and_refused_at_the_rpc(
    make_harness: Any, tmp_path: Path, store: str
) -> None:
    files = tmp_path / "files"
    harness = make_harness(CASEREV_FILE_STORE=store, CASEREV_FILE_STORE_DIR=str(files))
    review = uuid.uuid4()
    manager = person("bm", "business_manager")
    invited = person("police", "agency_lead")
    pdf = a_pdf()
    starts = datetime.now(UTC) + timedelta(days=2)

    async def work(transport: SealedWith) -> dict[str, Any]:
        meetings = Meetings.client(transport)
        meeting = await meetings.schedule_meeting(
            manager,
            ScheduleMeeting(
                review_id=review,
                review_reference="IT-0001",
                kind="panel",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                place="Room 1",
                chair_id="bm",
                invitees=[
                    Invitee(user_id="bm", name="Manager"),
                    Invitee(user_id="police", name="Police Lead"),
                ],
            ),
        )
        answers: dict[str, Any] = {}
        try:
            exe = base64.b64encode(b"MZ\x90\x00" + b"\x00" * 100).decode()
            await meetings.add_paper(manager, meeting.id, NewPaper(filename="agenda.pdf", content_base64=exe))
        except RemoteError as refused:
            answers["exe"] = (refused.exc_type, refused.message)
        detail = await meetings.add_paper(
            manager,
            meeting.id,
            NewPaper(filename="agenda.pdf", content_base64=base64.b64encode(pdf).decode()),
        )
        (paper,) = detail.papers
        answers["invited"] = await meetings.paper_file(invited, meeting.id, paper.id)
        for label, caller in (
            ("not invited", person("other", "agency_lead", reviews=(review,))),
            ("other partnership", person("bm2", "business_manager", partnership=OTHER)),
        ):
            try:
                await meetings.paper_file(caller, meeting.id, paper.id)
                answers[label] = "given"
            except RemoteError as refused:
                answers[label] = refused.exc_type
        contact = FamilyContact(
            contacted_on=date.today() - timedelta(days=1),
            family_member="Mother",
            method="Telephone",
            consent=True,
        )
        answers["recorded"] = await meetings.record_family_contact(manager, review, contact)
        answers["reviewer"] = await meetings.family_contacts(
            person("rev", "independent_reviewer", reviews=(review,)), review
        )
        for label, caller in (
            ("family: partner", person("p", "safeguarding_partner")),
            ("family: invited agency lead", invited),
            ("family: other manager", person("bm2", "business_manager", partnership=OTHER)),
        ):
            try:
                await meetings.family_contacts(caller, review)
                answers[label] = "given"
            except RemoteError as refused:
                answers[label] = refused.exc_type
        return answers

    with processes(harness.system, "meetings"):
        answers = _with_transport(harness, work)
    assert answers["exe"][0] == "FileRefused" and "Windows program" in answers["exe"][1]
    assert base64.b64decode(answers["invited"].content_base64) == pdf
    assert answers["not invited"] == answers["other partnership"] == "NotFound"
    assert len(answers["recorded"]) == len(answers["reviewer"]) == 1
    for label in ("family: partner", "family: invited agency lead", "family: other manager"):
        assert answers[label] == "NotFound", label
    # One paper row, its bytes in the store configured, nothing of the refused file.
    assert harness.sql("SELECT count(*) FROM meetings.paper") == [(1,)]
    in_database = harness.sql("SELECT count(*) FROM meetings.stored_file")[0][0]
    on_disk = [path for path in files.rglob("*") if path.is_file()] if files.exists() else []
    if store == "database":
        assert (in_database, len(on_disk)) == (1, 0)
    else:
        assert (in_database, len(on_disk)) == (0, 1) and on_disk[0].read_bytes() == pdf
