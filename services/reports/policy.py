"""Who may read and change which document and section: the one place for the reports service's access rules.
Pure Python. Deny by default, from the caller's partnership, roles, agency and review memberships (the Actor
every RPC carries). A document or section the caller may not read is not found.

- The review's business manager (of the partnership holding it) and its independent reviewer (appointed to it)
  read and change every section, begin documents and assign sections.
- Agency people (leads and authors) who are members of the review change the sections assigned to their agency
  and read those shared with it; nothing else.
- A member of the review to whom a section is assigned by name changes that section.
- Nobody outside the review reads anything: not the partnership's other people, analysts, administrators.
"""

from __future__ import annotations

from uuid import UUID

from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import CASE_ROLES, Actor, Role
from services.reports.contract import Access
from services.reports.domain import Document, Section

AGENCY_PEOPLE = frozenset({Role.AGENCY_LEAD, Role.AGENCY_AUTHOR})


def _in_partnership(actor: Actor, partnership_id: UUID) -> bool:
    return actor.partnership_id is not None and actor.partnership_id == partnership_id


def writes_all(actor: Actor, review_id: UUID, partnership_id: UUID) -> bool:
    """The review's business manager and independent reviewer read and change all of its documents."""
    if not _in_partnership(actor, partnership_id):
        return False
    if actor.has_role(Role.BUSINESS_MANAGER):
        return True
    return actor.has_role(Role.INDEPENDENT_REVIEWER) and review_id in actor.reviews


def _member(actor: Actor, review_id: UUID, partnership_id: UUID) -> bool:
    return _in_partnership(actor, partnership_id) and review_id in actor.reviews and actor.has_case_role()


def section_access(actor: Actor, document: Document, section: Section) -> Access | None:
    """What the caller may do with one section: "edit", "read", or nothing (None)."""
    if writes_all(actor, document.review_id, document.partnership_id):
        return "edit"
    if not _member(actor, document.review_id, document.partnership_id):
        return None
    if section.assigned_user_id is not None and section.assigned_user_id == actor.user_id:
        return "edit"
    if actor.agency_id is None or not actor.has_role(*AGENCY_PEOPLE):
        return None
    if section.assigned_agency_id == actor.agency_id:
        return "edit"
    if actor.agency_id in section.shared_with_agency_ids:
        return "read"
    return None


def readable_sections(actor: Actor, document: Document) -> list[tuple[Section, Access]]:
    """The sections the caller may read, in order, with what they may do with each."""
    found = [(section, section_access(actor, document, section)) for section in document.sections]
    return [(section, access) for section, access in found if access is not None]


def may_read_document(actor: Actor, document: Document) -> bool:
    """A document is the caller's to see when they may read any of its sections."""
    return bool(readable_sections(actor, document))


def check_reads_document(actor: Actor, document: Document | None) -> Document:
    """The document, or NotFound (never Forbidden: a document the caller may not read is not revealed)."""
    if document is None or not may_read_document(actor, document):
        raise NotFound("No such document")
    return document


def check_reads_section(actor: Actor, document: Document, section: Section) -> Access:
    """What the caller may do with a section they may read; NotFound for one they may not."""
    access = section_access(actor, document, section)
    if access is None:
        raise NotFound("No such section")
    return access


def check_edits_section(actor: Actor, document: Document, section: Section) -> None:
    """Refuse a change to a section the caller may only read (NotFound if they may not even read it)."""
    if check_reads_section(actor, document, section) != "edit":
        raise Forbidden("This section is shared with your agency to read: only its writers can change it")


def may_see_review(actor: Actor, review_id: UUID, holder: UUID | None) -> bool:
    """Whether the caller has a part in the review at all (before anything of it is read)."""
    if holder is None or not _in_partnership(actor, holder):
        return False
    if actor.has_role(Role.BUSINESS_MANAGER):
        return True
    return review_id in actor.reviews and bool(actor.roles & CASE_ROLES)


def check_may_see_review(actor: Actor, review_id: UUID, holder: UUID | None) -> None:
    """may_see_review, or NotFound."""
    if not may_see_review(actor, review_id, holder):
        raise NotFound("No such review")


def check_writes_all(actor: Actor, review_id: UUID, partnership_id: UUID, doing: str) -> None:
    """Refuse what only the review's business manager or independent reviewer may do."""
    if not writes_all(actor, review_id, partnership_id):
        raise Forbidden(f"Only the review's business manager or independent reviewer can {doing}")


# -- versions --


def check_names_versions(actor: Actor, document: Document | None, doing: str) -> Document:
    """Naming, restoring, renaming, deleting and locking versions are the review's business manager's and
    independent reviewer's (NotFound first for a caller who may read nothing of the document)."""
    document = check_reads_document(actor, document)
    check_writes_all(actor, document.review_id, document.partnership_id, doing)
    return document


# -- factual accuracy --


def checks_accuracy_for(actor: Actor, document: Document) -> UUID | None:
    """The agency an agency's lead or author, a member of the review, checks a version for (None: not one)."""
    if actor.agency_id is None or not actor.has_role(*AGENCY_PEOPLE):
        return None
    return actor.agency_id if _member(actor, document.review_id, document.partnership_id) else None


def signs_off(actor: Actor, partnership_id: UUID) -> bool:
    """A lead or delegated safeguarding partner of the partnership holding the review signs versions off."""
    return _in_partnership(actor, partnership_id) and actor.has_role(Role.SAFEGUARDING_PARTNER)


def check_sees_sign_off(actor: Actor, document: Document | None) -> Document:
    """A version's sign-off is seen by the review's manager and reviewer and the partnership's partners; for
    anyone else the version is not found."""
    if document is None or not (
        writes_all(actor, document.review_id, document.partnership_id)
        or signs_off(actor, document.partnership_id)
    ):
        raise NotFound("No such version")
    return document


# -- comments --


def check_comments_on(actor: Actor, document: Document, section: Section) -> None:
    """Whoever may read a section may comment on it, reply and resolve (an agency on a section shared with it
    included); NotFound for anyone else, as for reading."""
    check_reads_section(actor, document, section)


def may_be_mentioned(
    document: Document, section: Section, *, user_id: str, agency_id: UUID | None, roles: frozenset[str]
) -> bool:
    """Whether a person of the partnership may be mentioned on a section: one who would read it as a member of
    the review. The service learns people (not review memberships) from identity's events, so this takes a
    person with the right roles to be a member; the page the message links to checks membership itself."""
    person = Actor(
        user_id=user_id,
        partnership_id=document.partnership_id,
        agency_id=agency_id,
        roles=roles,
        reviews=frozenset({document.review_id}),
    )
    return section_access(person, document, section) is not None
