"""Comments on report sections: the domain (plain text, mentions, resolve), the policy (who comments, who may
be mentioned) and the use cases with fake stores (what is emitted: ids, never words; refusals)."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from services.kernel.errors import InvalidRequest, NotFound
from services.reports import comment_handlers, comments, handlers, policy
from services.reports.comment_store import Member
from services.reports.comments import Comment, Reply
from services.reports.contract import MAX_COMMENT, Assignment, NewComment, NewDocument, NewReply, Resolution
from services.reports.domain import Document, Section
from tests.unit.test_reports_domain import HEALTH, NOW, POLICE, REVIEW
from tests.unit.test_reports_handlers import HEALTH_LEAD, MANAGER, POLICE_LEAD, STRANGER, FakeStore, FakeUnit

ANCHOR = uuid.uuid4()


class FakeNotes:
    def __init__(self, members: list[Member]) -> None:
        self.comments: dict[UUID, Comment] = {}
        self._members = members

    def comment(self, comment_id: UUID, *, lock: bool = False) -> Comment | None:
        found = self.comments.get(comment_id)
        return found.model_copy(deep=True) if found else None

    def of_document(self, document_id: UUID) -> list[Comment]:
        return [c for c in self.comments.values() if c.document_id == document_id]

    def add(self, comment: Comment) -> None:
        self.comments[comment.id] = comment.model_copy(deep=True)

    def add_reply(self, comment: Comment, reply: Reply) -> None:
        self.comments[comment.id].replies.append(reply)

    def save_resolution(self, comment: Comment) -> None:
        self.comments[comment.id].resolved_by = comment.resolved_by
        self.comments[comment.id].resolved_at = comment.resolved_at

    def members(self, partnership_id: UUID) -> list[Member]:
        return self._members

    def names(self, user_ids: set[str]) -> dict[str, str]:
        return {m.user_id: m.name for m in self._members if m.user_id in user_ids}


MEMBERS = [
    Member("bm", "Bea Manager", None, frozenset({"business_manager"})),
    Member("pl", "Pat Police", POLICE, frozenset({"agency_lead"})),
    Member("hl", "Hal Health", HEALTH, frozenset({"agency_lead"})),
    Member("ex", "Eve Executive", None, frozenset({"executive"})),
    Member("an", "Ann Analyst", None, frozenset({"regional_analyst"})),
]


@pytest.fixture
def report() -> tuple[FakeUnit, FakeStore, FakeNotes, Document]:
    """A rapid review report whose first section the police write and health may read; the second the
    business manager's and the reviewer's only."""
    unit, store = FakeUnit(), FakeStore()
    detail = handlers.create_document(
        unit, MANAGER, NewDocument(review_id=REVIEW, kind="rapid_review_report"), store
    )
    document = store.documents[detail.id]
    handlers.assign_section(
        unit,
        MANAGER,
        document.sections[0].id,
        Assignment(assigned_agency_id=POLICE, shared_with_agency_ids=[HEALTH]),
        store,
    )
    unit.emitted.clear()
    return unit, store, FakeNotes(MEMBERS), document


def a_comment(body: str = "Is this date right?") -> NewComment:
    return NewComment(anchor_id=ANCHOR, quote="on 3 March", body=body)


# -- the domain ----------------------------------------------------------------------------------------------


def test_a_mention_is_an_at_and_a_whole_name_of_someone_who_may_be_mentioned() -> None:
    people = {"s1": "Sam Lee", "s2": "Sam", "p": "Pat Police"}
    assert comments.mentioned("@Sam Lee and @pat police, please look", people, author_id="x") == ["s1", "p"]
    assert comments.mentioned("@Sam, please", people, author_id="x") == ["s2"]
    assert comments.mentioned("@Samantha and Sam Lee without an at", people, author_id="x") == []


def test_mentioning_yourself_tells_nobody() -> None:
    assert comments.mentioned("Note to self @Sam Lee", {"s1": "Sam Lee"}, author_id="s1") == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("   \n ", "Write the comment"),
        ("x" * (MAX_COMMENT + 1), f"The comment must be {MAX_COMMENT} characters or fewer"),
        ("bad \x07 bell", "The comment must be plain text: take out the control characters"),
    ],
)
def test_a_comment_that_is_not_plain_text_of_the_right_length_is_refused_saying_why(
    body: str, message: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        comments.plain_text(body)
    assert refused.value.problems == [{"field": "body", "message": message}]


def test_the_contract_refuses_an_empty_or_overlong_body() -> None:
    with pytest.raises(ValueError, match="Write the comment"):
        NewComment(anchor_id=ANCHOR, body="   ")
    with pytest.raises(ValueError):
        NewReply(body="x" * (MAX_COMMENT + 1))


def test_resolving_twice_changes_nothing_and_reopening_opens() -> None:
    comment = comments.begin(
        a_comment(), document_id=uuid.uuid4(), section_id=uuid.uuid4(), author_id="a", people={}, now=NOW
    )
    assert comments.resolve(comment, by="b", now=NOW) is True
    assert comments.resolve(comment, by="c", now=NOW) is False
    assert (comment.resolved, comment.resolved_by) == (True, "b")
    assert comments.reopen(comment) is True
    assert comments.reopen(comment) is False
    assert comment.resolved is False


# -- the policy ----------------------------------------------------------------------------------------------


def test_who_may_be_mentioned_on_a_section_is_who_would_read_it(
    report: tuple[FakeUnit, FakeStore, FakeNotes, Document],
) -> None:
    _, _, _, document = report
    police_section, managers_section = document.sections[0], document.sections[1]

    def mentionable(section: Section) -> set[str]:
        return {
            m.user_id
            for m in MEMBERS
            if policy.may_be_mentioned(
                document,
                section,
                user_id=m.user_id,
                agency_id=m.agency_id,
                roles=m.roles,  # type: ignore[arg-type]
            )
        }

    assert mentionable(police_section) == {"bm", "pl", "hl"}
    assert mentionable(managers_section) == {"bm"}


# -- the use cases -------------------------------------------------------------------------------------------


def test_a_comment_emits_ids_and_the_people_mentioned_never_its_words(
    report: tuple[FakeUnit, FakeStore, FakeNotes, Document],
) -> None:
    unit, store, notes, document = report
    section = document.sections[0]
    view = comment_handlers.add_comment(
        unit,
        HEALTH_LEAD,
        section.id,
        a_comment("@Pat Police is the date right? @Eve Executive @Ann Analyst"),
        store,
        notes,
    )
    assert (view.author_name, view.quote, view.anchor_id) == ("Hal Health", "on 3 March", ANCHOR)
    (added,) = unit.emitted
    assert added.event_type == "reports.comment_added"
    assert (added.comment_id, added.reply_id, added.section_id, added.document_id, added.review_id) == (
        view.id,
        None,
        section.id,
        document.id,
        REVIEW,
    )
    # The executive and the analyst would not read the section: named, but not told.
    assert (added.author_id, added.mentioned_user_ids) == ("hl", ["pl"])
    assert "date" not in added.model_dump_json() and "March" not in added.model_dump_json()


def test_a_reply_and_a_resolution_are_kept_and_emitted(
    report: tuple[FakeUnit, FakeStore, FakeNotes, Document],
) -> None:
    unit, store, notes, document = report
    section = document.sections[0]
    view = comment_handlers.add_comment(unit, MANAGER, section.id, a_comment(), store, notes)
    replied = comment_handlers.reply_to_comment(
        unit, POLICE_LEAD, view.id, NewReply(body="Yes, @Bea Manager: checked"), store, notes
    )
    assert [(r.author_name, r.body) for r in replied.replies] == [
        ("Pat Police", "Yes, @Bea Manager: checked")
    ]
    resolved = comment_handlers.resolve_comment(
        unit, HEALTH_LEAD, view.id, Resolution(resolved=True), store, notes
    )
    again = comment_handlers.resolve_comment(unit, MANAGER, view.id, Resolution(resolved=True), store, notes)
    assert (resolved.resolved, resolved.resolved_by_name, again.resolved_by_name) == (
        True,
        "Hal Health",
        "Hal Health",
    )
    reply_event, resolved_event = unit.emitted[1:]
    assert (reply_event.reply_id, reply_event.mentioned_user_ids) == (replied.replies[0].id, ["bm"])
    assert (resolved_event.event_type, resolved_event.resolved) == ("reports.comment_resolved", True)
    assert len(unit.emitted) == 3, "resolving a resolved comment emits nothing"


def test_nobody_outside_the_section_comments_replies_resolves_or_lists(
    report: tuple[FakeUnit, FakeStore, FakeNotes, Document],
) -> None:
    unit, store, notes, document = report
    managers_section = document.sections[1]
    view = comment_handlers.add_comment(unit, MANAGER, managers_section.id, a_comment(), store, notes)
    emitted = len(unit.emitted)
    # An agency on a section not its own, and a person with no part in the review.
    for outsider in (POLICE_LEAD, STRANGER):
        with pytest.raises(NotFound):
            comment_handlers.add_comment(unit, outsider, managers_section.id, a_comment(), store, notes)
        with pytest.raises(NotFound):
            comment_handlers.reply_to_comment(unit, outsider, view.id, NewReply(body="Hi"), store, notes)
        with pytest.raises(NotFound):
            comment_handlers.resolve_comment(unit, outsider, view.id, Resolution(resolved=True), store, notes)
    with pytest.raises(NotFound):
        comment_handlers.comments_of_document(unit, STRANGER, document.id, store, notes)
    assert len(unit.emitted) == emitted and not notes.comments[view.id].replies


def test_a_document_lists_only_comments_on_sections_the_caller_reads(
    report: tuple[FakeUnit, FakeStore, FakeNotes, Document],
) -> None:
    unit, store, notes, document = report
    on_police = comment_handlers.add_comment(
        unit, MANAGER, document.sections[0].id, a_comment(), store, notes
    )
    comment_handlers.add_comment(unit, MANAGER, document.sections[1].id, a_comment(), store, notes)
    listed = comment_handlers.comments_of_document(unit, HEALTH_LEAD, document.id, store, notes)
    assert [c.id for c in listed.comments] == [on_police.id]
    assert list(listed.mentionable) == [document.sections[0].id]
    assert [p.user_id for p in listed.mentionable[document.sections[0].id]] == ["bm", "pl"]
    everything = comment_handlers.comments_of_document(unit, MANAGER, document.id, store, notes)
    assert len(everything.comments) == 2
