"""The reports service's rules: each kind of document's template of sections, beginning a document from
it, and assigning or sharing a section. Pure Python: no I/O (the Yjs text of sections is yjs_text.py's).

Templates follow DOMAIN.md ("What the forms hold") and the Panel's expectations of a rapid review report,
a local CSPR's overview report, its learning brief, and an agency's report to the review.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.kernel.errors import InvalidRequest, NotFound
from services.reports.contract import KIND_LABELS, Assignment, DocumentKind, NewDocument


class TemplateSection(BaseModel):
    """A section a kind of document starts with: its key, title and what it should hold."""

    key: str
    title: str
    guidance: str


def _section(key: str, title: str, guidance: str) -> TemplateSection:
    return TemplateSection(key=key, title=title, guidance=guidance)


TEMPLATES: dict[str, tuple[TemplateSection, ...]] = {
    "rapid_review_report": (
        _section(
            "partnership",
            "Partnership and authorities",
            "The partnership, the local authority and the other authorities involved.",
        ),
        _section(
            "notification",
            "Serious Incident Notification",
            "The notification's reference, the date of becoming aware and the date notified.",
        ),
        _section(
            "meetings", "Rapid review meetings", "The dates of the rapid review meetings and who took part."
        ),
        _section(
            "children_family",
            "The children and family",
            "Who the children and family are, by their pseudonyms.",
        ),
        _section("incident", "The incident", "What happened, as far as it is known."),
        _section(
            "agencies",
            "Agencies involved",
            "Each agency that knew the child and family, and its involvement.",
        ),
        _section(
            "key_practice_episodes",
            "Key practice episodes",
            "The episodes the agencies' summaries and the chronology bring out: what happened, "
            "what went well, what could improve.",
        ),
        _section(
            "lived_experience",
            "The child's lived experience",
            "The child's daily life, including race, culture, disability and other protected "
            "characteristics.",
        ),
        _section(
            "immediate_actions",
            "Immediate safeguarding actions",
            "What was done at once to keep children safe.",
        ),
        _section(
            "learning",
            "Learning and actions under way",
            "The learning identified so far and the actions already under way.",
        ),
        _section(
            "parallel_processes",
            "Parallel processes",
            "Criminal investigation, inquest, family proceedings or other reviews.",
        ),
        _section(
            "decision",
            "Decision and rationale",
            "Whether a local CSPR will be undertaken, and why, against the criteria; the view on a "
            "national review.",
        ),
        _section(
            "sign_off",
            "Sign-off by the safeguarding partners",
            "The three partners' agreement, with their names and dates.",
        ),
    ),
    "overview_report": (
        _section(
            "introduction",
            "Introduction and terms of reference",
            "Why the review was undertaken, its scope and its questions.",
        ),
        _section(
            "methodology",
            "Methodology",
            "How the review was carried out: agencies' reports, chronologies, practitioner events.",
        ),
        _section(
            "family",
            "The family's contribution",
            "How the family took part, and their views in their own words where they agreed.",
        ),
        _section("child", "The child", "Who the child was: their lived experience, culture and identity."),
        _section(
            "narrative",
            "What happened",
            "The story of the agencies' involvement, drawn from the merged chronology.",
        ),
        _section(
            "analysis",
            "Key practice episodes and analysis",
            "Each key practice episode and what it shows about practice and systems.",
        ),
        _section("findings", "Findings", "What the review found, theme by theme."),
        _section(
            "recommendations",
            "Recommendations",
            "What the partnership should do, each recommendation tied to a finding.",
        ),
        _section("conclusion", "Conclusion", "The review's conclusion."),
    ),
    "learning_brief": (
        _section("summary", "What happened", "A short, anonymised account for practitioners."),
        _section("learning", "What we learned", "The main learning, in plain words."),
        _section("practice", "What to do differently", "What practitioners and managers should do now."),
        _section("resources", "Further reading and training", "Guidance, tools and training that help."),
    ),
    "agency_report": (
        _section(
            "agency_author",
            "Agency and author",
            "The agency, the author's role and their independence from the case.",
        ),
        _section(
            "involvement_period",
            "Period of involvement",
            "When the agency was involved with the child and family.",
        ),
        _section("involvement", "Summary of involvement", "What the agency knew and did."),
        _section(
            "key_practice_episodes",
            "Key practice episodes",
            "What happened, what went well, what could improve.",
        ),
        _section("immediate_actions", "Immediate actions taken", "What the agency has done already."),
        _section("learning", "Single-agency learning", "What the agency has learned and will change."),
    ),
}
assert set(TEMPLATES) == set(KIND_LABELS), "every kind of document has a template"


class Section(BaseModel):
    """A section of a document: its place, who writes it, which other agencies may read it."""

    id: UUID
    key: str
    title: str
    guidance: str
    position: int
    assigned_user_id: str | None = None
    assigned_agency_id: UUID | None = None
    shared_with_agency_ids: list[UUID] = Field(default_factory=list)


class Document(BaseModel):
    """A document of a review (the aggregate: its sections travel with it)."""

    id: UUID
    review_id: UUID
    partnership_id: UUID
    kind: DocumentKind
    title: str
    agency_id: UUID | None = None
    created_by: str
    created_at: datetime
    sections: list[Section]

    def section(self, section_id: UUID) -> Section:
        """One section, or NotFound."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise NotFound("No such section")


def begin(
    command: NewDocument,
    *,
    partnership_id: UUID,
    created_by: str,
    now: datetime,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> Document:
    """A new document from its kind's template. An agency report's sections are all its agency's to write."""
    title = command.title.strip() or KIND_LABELS[command.kind]
    sections = [
        Section(
            id=new_id(),
            key=template.key,
            title=template.title,
            guidance=template.guidance,
            position=position,
            assigned_agency_id=command.agency_id,
        )
        for position, template in enumerate(TEMPLATES[command.kind])
    ]
    return Document(
        id=new_id(),
        review_id=command.review_id,
        partnership_id=partnership_id,
        kind=command.kind,
        title=title,
        agency_id=command.agency_id,
        created_by=created_by,
        created_at=now,
        sections=sections,
    )


def assign(
    document: Document,
    section_id: UUID,
    assignment: Assignment,
    *,
    agencies: Collection[UUID],
    people: Collection[str],
) -> Section:
    """Assign a section to a person or an agency of the partnership (`agencies`, `people`: those known), and
    share it with other agencies of the partnership; InvalidRequest naming each problem otherwise."""
    section = document.section(section_id)
    problems = []
    if assignment.assigned_user_id is not None and assignment.assigned_user_id not in people:
        problems.append({"field": "assigned_user_id", "message": "Choose a person of the partnership"})
    if assignment.assigned_agency_id is not None and assignment.assigned_agency_id not in agencies:
        problems.append({"field": "assigned_agency_id", "message": "Choose an agency of the partnership"})
    shared = list(dict.fromkeys(assignment.shared_with_agency_ids))
    if any(agency not in agencies for agency in shared):
        problems.append(
            {"field": "shared_with_agency_ids", "message": "Share only with agencies of the partnership"}
        )
    if document.agency_id is not None and assignment.assigned_agency_id not in (None, document.agency_id):
        problems.append(
            {"field": "assigned_agency_id", "message": "An agency report's sections stay with its agency"}
        )
    if problems:
        raise InvalidRequest("The assignment has problems", problems=problems)
    section.assigned_user_id = assignment.assigned_user_id
    section.assigned_agency_id = assignment.assigned_agency_id
    # The writing agency reads its own section anyway: sharing with it says nothing more.
    section.shared_with_agency_ids = [a for a in shared if a != section.assigned_agency_id]
    return section
