"""Named versions of a report: the readable difference between two texts (difference.py), the update that
restores a version as a new edit (yjs_restore.py), the rules of naming, renaming, deleting and locking
(versions.py), who may do what (policy.py), and the use cases with fake stores (version_handlers.py)."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import docx
import pytest
from pycrdt import Doc, XmlFragment

from services.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.reports import (
    accuracy,
    accuracy_handlers,
    difference,
    handlers,
    version_handlers,
    versions,
    yjs_restore,
    yjs_text,
)
from services.reports.contract import Assignment, NameVersion, NewDocument, TextBlock
from services.reports.domain import Document
from services.reports.versions import Version
from tests.unit.test_reports_domain import HEALTH, POLICE, REVIEW, person, typed
from tests.unit.test_reports_handlers import (
    HEALTH_LEAD,
    MANAGER,
    POLICE_LEAD,
    STRANGER,
    FakeStore,
    FakeUnit,
)

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
REVIEWER = person("independent_reviewer", user="ir")


def paragraph(text: str, kind: str = "paragraph") -> TextBlock:
    return TextBlock(kind=kind, text=text)  # type: ignore[arg-type]


# -- the difference ------------------------------------------------------------------------------------------


def test_words_inserted_and_deleted_are_marked_in_reading_order() -> None:
    changes = difference.words("The police visited on Monday.", "The police visited twice on Tuesday.")
    assert [(c.change, c.text) for c in changes] == [
        ("same", "The police visited "),
        ("inserted", "twice "),
        ("same", "on "),
        ("deleted", "Monday"),
        ("inserted", "Tuesday"),
        ("same", "."),
    ]


def test_blocks_added_removed_changed_and_the_same_are_told_apart() -> None:
    earlier = [paragraph("Findings", "heading"), paragraph("Information was not shared."), paragraph("Gone.")]
    later = [
        paragraph("Findings", "heading"),
        paragraph("Information was not shared in time."),
        paragraph("A wholly new thought about schools."),
    ]
    found = difference.blocks(earlier, later)
    assert [b.change for b in found] == ["same", "changed", "removed", "added"]
    changed = found[1]
    assert [(c.change, c.text) for c in changed.words if c.change != "same"] == [("inserted", " in time")]
    assert difference.changed(found)
    assert not difference.changed(difference.blocks(earlier, earlier))


def test_a_heading_that_becomes_a_paragraph_is_removed_and_added_not_changed() -> None:
    found = difference.blocks([paragraph("Findings", "heading")], [paragraph("Findings")])
    assert [(b.change, b.kind) for b in found] == [("removed", "heading"), ("added", "paragraph")]


def test_nothing_against_something_is_all_added() -> None:
    found = difference.blocks([], [paragraph("One."), paragraph("Two.")])
    assert [b.change for b in found] == ["added", "added"]
    assert found[0].words[0].change == "inserted"


# -- restoring as a new edit ---------------------------------------------------------------------------------


def _text(state: bytes) -> str:
    doc: Doc = Doc()
    doc.apply_update(state)
    return str(doc.get(yjs_text.FRAGMENT, type=XmlFragment))


def test_the_restoring_update_turns_the_current_text_into_the_versions_with_marks_and_attributes() -> None:
    doc: Doc = Doc()
    typed(doc, "heading", "Findings", level="3")
    typed(doc, "paragraph", "Information was not shared.")
    fragment = doc.get(yjs_text.FRAGMENT, type=XmlFragment)
    text = fragment.children[1].children[0]
    text.insert(len(text), " Urgently.", {"bold": {}})
    version = doc.get_update()
    # Later edits: one paragraph changed, one added, the heading deleted.
    del fragment.children[0]
    text.insert(0, "Sadly, ")
    typed(doc, "paragraph", "A later thought.")
    current = doc.get_update()
    update = yjs_restore.restoring_update(current, version)
    assert update is not None
    restored: Doc = Doc()
    restored.apply_update(current)
    restored.apply_update(update)
    assert _text(restored.get_update()) == _text(version)
    assert "<bold> Urgently.</bold>" in _text(restored.get_update())
    assert yjs_text.blocks(restored.get_update()) == yjs_text.blocks(version)


def test_restoring_what_already_reads_the_same_makes_no_update() -> None:
    doc: Doc = Doc()
    typed(doc, "paragraph", "Unchanged.")
    state = doc.get_update()
    assert yjs_restore.restoring_update(state, state) is None


def test_the_restoring_update_keeps_history_and_merges_with_an_edit_made_at_the_same_time() -> None:
    doc: Doc = Doc()
    typed(doc, "paragraph", "Kept paragraph.")
    version = doc.get_update()
    typed(doc, "paragraph", "To be taken out.")
    current = doc.get_update()
    update = yjs_restore.restoring_update(current, version)
    assert update is not None
    # An editor who had not yet seen the restore adds a paragraph: both changes survive, in any order.
    editor: Doc = Doc()
    editor.apply_update(current)
    concurrent = typed(editor, "paragraph", "Typed meanwhile.")
    one: Doc = Doc()
    for u in (current, update, concurrent):
        one.apply_update(u)
    other: Doc = Doc()
    for u in (concurrent, current, update):
        other.apply_update(u)
    assert _text(one.get_update()) == _text(other.get_update())
    assert [b.text for b in yjs_text.blocks(one.get_update())] == ["Kept paragraph.", "Typed meanwhile."]


# -- the rules -----------------------------------------------------------------------------------------------


def _a_version(**overrides: Any) -> Version:
    arguments: dict[str, Any] = {
        "document_id": UUID(int=1),
        "review_id": UUID(int=2),
        "partnership_id": UUID(int=3),
        "name": "For factual accuracy",
        "taken": [],
        "sections": {UUID(int=4): (yjs_text.EMPTY, [])},
        "named_by": "bm",
        "now": NOW,
    }
    return versions.name(**{**arguments, **overrides})


def test_a_name_is_needed_and_unique_within_the_document_whatever_its_case() -> None:
    assert _a_version(name="  Final to the Panel ").name == "Final to the Panel"
    with pytest.raises(InvalidRequest) as empty:
        _a_version(name="   ")
    assert empty.value.problems[0]["field"] == "name"
    with pytest.raises(InvalidRequest, match="problems") as taken:
        _a_version(taken=["for FACTUAL accuracy"])
    assert "Another version" in taken.value.problems[0]["message"]


def test_a_locked_version_is_neither_renamed_nor_deleted_and_locking_again_changes_nothing() -> None:
    version = _a_version()
    assert (
        versions.rename(version, "For factual accuracy", ["For factual accuracy"]).name
        == "For factual accuracy"
    )
    assert versions.lock(version, by="bm", now=NOW)
    assert not versions.lock(version, by="ir", now=datetime(2027, 1, 1, tzinfo=UTC))
    assert (version.locked_by, version.locked_at) == ("bm", NOW)
    with pytest.raises(Conflict, match="locked"):
        versions.rename(version, "Another", [])
    with pytest.raises(Conflict, match="locked"):
        versions.check_deletable(version)


# -- the use cases with fakes --------------------------------------------------------------------------------


class FakeVersions:
    def __init__(self) -> None:
        self.versions: dict[UUID, Version] = {}

    def get(self, version_id: UUID, *, lock: bool = False) -> Version | None:
        found = self.versions.get(version_id)
        return found.model_copy(deep=True) if found else None

    def of_document(self, document_id: UUID) -> list[Version]:
        return sorted(
            (v for v in self.versions.values() if v.document_id == document_id), key=lambda v: v.named_at
        )[::-1]

    def names(self, document_id: UUID) -> list[str]:
        return [v.name for v in self.of_document(document_id)]

    def add(self, version: Version) -> None:
        self.versions[version.id] = version.model_copy(deep=True)

    def save(self, version: Version) -> None:
        self.versions[version.id] = version.model_copy(deep=True)

    def delete(self, version_id: UUID) -> None:
        del self.versions[version_id]


class IdempotentUnit(FakeUnit):
    """A unit of work whose idempotency keys remember their first answer, as the kernel's do."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[tuple[str, str], Any] = {}

    def idempotent(self, method: str, caller: Any, key: str | None, request: Any) -> Any:
        unit = self

        class Once:
            done = key is not None and (method, key) in unit.answers
            result = unit.answers.get((method, key or ""))

            def remember(self, result: Any) -> None:
                if key is not None:
                    unit.answers[(method, key)] = result

        return Once()


Begun = tuple[FakeUnit, FakeStore, Document]


@pytest.fixture
def begun() -> Begun:
    """A rapid review report whose first section the police write, shared with health to read."""
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
    return unit, store, document


def _write(store: FakeStore, section_id: UUID, text: str) -> None:
    doc: Doc = Doc()
    doc.apply_update(store.state(section_id))
    store.append(section_id, [typed(doc, "paragraph", text)], "bm", NOW)


def test_the_manager_names_a_version_of_every_section_and_the_event_holds_no_text(begun: Begun) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    _write(store, document.sections[0].id, "Officers attended twice.")
    named = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="For factual accuracy"), "key-1", store, kept
    )
    assert (named.name, named.named_by, named.named_by_name) == (
        "For factual accuracy",
        "bm",
        "Business Manager",
    )
    again = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="For factual accuracy"), "key-1", store, kept
    )
    assert again.id == named.id and len(kept.versions) == 1, "a repeated key names it once"
    (event,) = unit.emitted
    assert event.event_type == "reports.version_named"
    assert (event.version_id, event.sections) == (named.id, len(document.sections))
    assert "Officers" not in event.model_dump_json()
    stored = kept.versions[named.id]
    assert stored.copy_of(document.sections[0].id).blocks[0].text == "Officers attended twice."
    listed = version_handlers.versions_of_document(unit, POLICE_LEAD, document.id, store, kept)
    assert [v.id for v in listed] == [named.id]


@pytest.mark.parametrize(
    ("who", "refusal"),
    [(POLICE_LEAD, Forbidden), (HEALTH_LEAD, Forbidden), (STRANGER, NotFound)],
)
def test_only_the_manager_and_reviewer_name_or_restore(
    begun: Begun, who: Any, refusal: type[Exception]
) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    named = version_handlers.name_version(
        unit, REVIEWER, document.id, NameVersion(name="v1"), None, store, kept
    )
    with pytest.raises(refusal):
        version_handlers.name_version(unit, who, document.id, NameVersion(name="v2"), None, store, kept)
    for act in (version_handlers.restore_version, version_handlers.delete_version):
        with pytest.raises(refusal):
            act(unit, who, named.id, store=store, kept=kept)  # type: ignore[operator]


def test_a_stranger_sees_no_version_and_an_agency_reads_only_its_sections_of_one(begun: Begun) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    _write(store, document.sections[0].id, "Police words.")
    _write(store, document.sections[1].id, "Manager words.")
    named = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v1"), None, store, kept
    )
    with pytest.raises(NotFound):
        version_handlers.versions_of_document(unit, STRANGER, document.id, store, kept)
    with pytest.raises(NotFound):
        version_handlers.version_text(unit, STRANGER, named.id, store, kept)
    with pytest.raises(NotFound):
        version_handlers.version_text(unit, MANAGER, UUID(int=99), store, kept)
    police = version_handlers.version_text(unit, POLICE_LEAD, named.id, store, kept)
    assert [s.section_id for s in police.sections] == [document.sections[0].id]
    assert police.sections[0].blocks[0].text == "Police words."
    assert police.version.name == "v1"
    compared = version_handlers.compare_versions(unit, HEALTH_LEAD, document.id, named.id, None, store, kept)
    assert [s.section_id for s in compared.sections] == [document.sections[0].id], (
        "health reads only what is shared"
    )
    whole = version_handlers.version_text(unit, MANAGER, named.id, store, kept)
    assert len(whole.sections) == len(document.sections)


def test_a_version_exports_its_own_text_of_the_readable_sections_named_after_it(begun: Begun) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    _write(store, document.sections[0].id, "Police words then.")
    _write(store, document.sections[1].id, "Manager words then.")
    named = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="For factual accuracy"), None, store, kept
    )
    _write(store, document.sections[0].id, "Police words later.")
    police = version_handlers.export_version(
        unit, POLICE_LEAD, document.id, named.id, "docx", "Northbridge", store, kept
    )
    assert police.file_name.endswith("-for-factual-accuracy.docx")
    word = docx.Document(io.BytesIO(base64.b64decode(police.content_base64)))
    paragraphs = [p.text for p in word.paragraphs]
    assert "Police words then." in paragraphs, "the version's text"
    assert "Police words later." not in paragraphs, "not the text written since"
    assert "Manager words then." not in paragraphs, "only the sections the police may read"
    with pytest.raises(NotFound):
        version_handlers.export_version(unit, STRANGER, document.id, named.id, "pdf", "N", store, kept)
    with pytest.raises(NotFound):
        version_handlers.export_version(unit, MANAGER, UUID(int=7), named.id, "pdf", "N", store, kept)


def test_restoring_appends_a_new_edit_that_reads_as_the_version_and_compares_equal(begun: Begun) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    section = document.sections[0].id
    _write(store, section, "As first written.")
    named = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v1"), None, store, kept
    )
    _write(store, section, "Added after the version.")
    compared = version_handlers.compare_versions(unit, MANAGER, document.id, named.id, None, store, kept)
    changed = [s for s in compared.sections if s.changed]
    assert [s.section_id for s in changed] == [section]
    assert [b.change for b in changed[0].blocks] == ["same", "added"]
    updates_before = len(store.updates[section])
    restored = version_handlers.restore_version(unit, MANAGER, named.id, "key-r", store, kept)
    assert [s.section_id for s in restored.sections] == [section]
    assert len(store.updates[section]) == updates_before + 1, "a new update appended, none rewritten"
    assert base64.b64decode(restored.sections[0].update_base64) == store.updates[section][-1]
    assert [b.text for b in yjs_text.blocks(store.state(section))] == ["As first written."]
    assert unit.emitted[-1].event_type == "reports.version_restored"
    assert unit.emitted[-1].sections_changed == 1
    again = version_handlers.restore_version(unit, MANAGER, named.id, "key-r", store, kept)
    assert again == restored and len(store.updates[section]) == updates_before + 1
    after = version_handlers.compare_versions(unit, MANAGER, document.id, named.id, None, store, kept)
    assert not any(s.changed for s in after.sections)


def test_a_version_of_another_document_is_not_compared_with_this_one(begun: Begun) -> None:
    unit0, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    named = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v1"), None, store, kept
    )
    other = handlers.create_document(
        unit0, MANAGER, NewDocument(review_id=document.review_id, kind="learning_brief"), store
    )
    with pytest.raises(NotFound):
        version_handlers.compare_versions(unit, MANAGER, other.id, named.id, None, store, kept)


def test_renaming_and_deleting_until_the_version_is_locked(begun: Begun) -> None:
    _, store, document = begun
    unit, kept = IdempotentUnit(), FakeVersions()
    first = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v1"), None, store, kept
    )
    second = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v2"), None, store, kept
    )
    with pytest.raises(InvalidRequest):
        version_handlers.rename_version(unit, MANAGER, second.id, NameVersion(name="V1"), store, kept)
    renamed = version_handlers.rename_version(
        unit, MANAGER, second.id, NameVersion(name="Final"), store, kept
    )
    assert renamed.name == "Final"
    # The partners' last signature locks a version (accuracy_handlers.sign_off_version), as here.
    locked = kept.versions[second.id]
    assert versions.lock(locked, by="jo", now=NOW)
    kept.save(locked)
    with pytest.raises(Conflict):
        version_handlers.delete_version(unit, MANAGER, second.id, store, kept)
    with pytest.raises(Conflict):
        version_handlers.rename_version(unit, MANAGER, second.id, NameVersion(name="Other"), store, kept)
    version_handlers.delete_version(unit, MANAGER, first.id, store, kept)
    assert [
        v.name for v in version_handlers.versions_of_document(unit, MANAGER, document.id, store, kept)
    ] == ["Final"]
    assert [e.event_type for e in unit.emitted][-1] == "reports.version_deleted"


# -- where the partners' sign-off stands (accuracy_handlers.sign_offs_of_review) -----------------------------


class FakeSignOffs:
    """The accuracy store's sign-offs only (what sign_offs_of_review reads)."""

    def __init__(self) -> None:
        self.signed: dict[UUID, list[accuracy.SignOff]] = {}

    def sign_offs_of(self, version_id: UUID) -> list[accuracy.SignOff]:
        return list(self.signed.get(version_id, []))

    def sign(self, version: Version, user: str, agency: UUID | None) -> None:
        kept = self.signed.setdefault(version.id, [])
        kept.append(
            accuracy.sign(
                kept, version_id=version.id, version_locked=False, user_id=user, agency_id=agency, now=NOW
            )
        )


PARTNER = person("safeguarding_partner", user="jo", agency=POLICE, reviews=())


def test_the_sign_off_standing_shows_the_newest_version_to_managers_and_partners_only(begun: Begun) -> None:
    _, store, document = begun
    unit, kept, signed = IdempotentUnit(), FakeVersions(), FakeSignOffs()
    assert accuracy_handlers.sign_offs_of_review(unit, MANAGER, REVIEW, store, kept, signed) == [], (
        "a document without a version has no sign-off to show"
    )
    first = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v1"), None, store, kept
    )
    kept.versions[first.id] = kept.versions[first.id].model_copy(update={"named_at": NOW})
    second = version_handlers.name_version(
        unit, MANAGER, document.id, NameVersion(name="v2"), None, store, kept
    )
    signed.sign(kept.versions[second.id], "jo", POLICE)

    (partner,) = accuracy_handlers.sign_offs_of_review(unit, PARTNER, REVIEW, store, kept, signed)
    assert (partner.version.id, partner.signatures, partner.required) == (second.id, 1, 3)
    assert partner.signed_by_caller and not partner.may_sign, "Jo has signed the newest version"
    other_partner = person("safeguarding_partner", user="sam", agency=HEALTH, reviews=())
    (standing,) = accuracy_handlers.sign_offs_of_review(unit, other_partner, REVIEW, store, kept, signed)
    assert standing.may_sign and not standing.signed_by_caller
    (managed,) = accuracy_handlers.sign_offs_of_review(unit, MANAGER, REVIEW, store, kept, signed)
    assert not managed.may_sign and managed.last_locked is None, "a manager never signs"
    for nobody in (
        POLICE_LEAD,
        HEALTH_LEAD,
        STRANGER,
        person("safeguarding_partner", partnership=UUID(int=5)),
    ):
        assert accuracy_handlers.sign_offs_of_review(unit, nobody, REVIEW, store, kept, signed) == [], nobody
