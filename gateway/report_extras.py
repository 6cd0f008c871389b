"""What a report's page shows beside its sections: the comments on each section the caller may read (with whom
they may mention), where the partners' sign-off stands (for its managers), and what the caller may insert into
a section they write: the review's key practice episodes, extracts of its merged chronology and its
recommendations, asked of the chronology and actions services with the caller's own rights (what either
refuses is left out, not shown empty by mistake).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from gateway.rpc import RemoteError, RpcClient, RpcUnavailable
from services.actions.contract import Actions
from services.chronology.contract import Chronology, ChronologyQuery
from services.kernel.identity import Actor
from services.reports.contract import (
    CommentView,
    DocumentComments,
    DocumentDetail,
    PersonOption,
    Reports,
    SignOffStanding,
)

log = logging.getLogger(__name__)

# How many entries of the merged chronology the page offers to insert (the first, in date order).
CHRONOLOGY_EXTRACTS = 50


@dataclass(frozen=True)
class Insertable:
    """An item the caller may insert into a section at the caret: what the button says, and the text."""

    label: str
    text: str


@dataclass
class Insertables:
    """The review's episodes, chronology extracts and recommendations, as text to insert."""

    episodes: list[Insertable] = field(default_factory=list)
    chronology: list[Insertable] = field(default_factory=list)
    recommendations: list[Insertable] = field(default_factory=list)


@dataclass
class SectionComments:
    """A section's comments, open and resolved, and whom the caller may mention on it."""

    open: list[CommentView] = field(default_factory=list)
    resolved: list[CommentView] = field(default_factory=list)
    mentionable: list[PersonOption] = field(default_factory=list)


async def _quietly(call: Any, what: str) -> Any:
    """The answer, or None when the service refuses the caller or does not answer (the page still draws)."""
    try:
        return await call
    except (RemoteError, RpcUnavailable) as exc:
        log.info("report page: %s left out (%s)", what, type(exc).__name__)
        return None


async def comments_by_section(
    reports: Reports, actor: Actor, document: DocumentDetail
) -> dict[UUID, SectionComments]:
    """Each readable section's comments (an unanswered call leaves the sections without any, not the page)."""
    listed = await _quietly(reports.comments_of_document(actor, document.id), "comments")
    return by_section(document, listed)


def by_section(document: DocumentDetail, listed: DocumentComments | None) -> dict[UUID, SectionComments]:
    """The document's comments sorted to their sections, open and resolved (none where `listed` is None)."""
    found = {section.id: SectionComments() for section in document.sections}
    if listed is None:
        return found
    for comment in listed.comments:
        if comment.section_id in found:
            kept = found[comment.section_id]
            (kept.resolved if comment.resolved else kept.open).append(comment)
    for section_id, people in listed.mentionable.items():
        if section_id in found:
            found[section_id].mentionable = people
    return found


async def insertables(rpc: RpcClient, actor: Actor, review_id: UUID) -> Insertables:
    """What the caller may insert, each asked of the service that owns it with the caller's rights."""
    chronology = Chronology.client(rpc)
    episodes = await _quietly(chronology.episodes_of_review(actor, review_id), "episodes") or []
    page = await _quietly(
        chronology.chronology_of_review(actor, review_id, ChronologyQuery(limit=CHRONOLOGY_EXTRACTS)),
        "chronology",
    )
    plan = await _quietly(Actions.client(rpc).plan_of_review(actor, review_id), "recommendations")
    return Insertables(
        episodes=[
            Insertable(
                label=f"{e.date_typed}, {e.agency_name}",
                text=f"{e.date_typed}, {e.agency_name}: {e.event} What this episode shows: {e.learning}",
            )
            for e in episodes
        ],
        chronology=[
            Insertable(
                label=f"{entry.date_typed}, {entry.agency_name}",
                text=f"{entry.date_typed}, {entry.source}: {entry.event}"
                + (f" Action: {entry.action}" if entry.action else ""),
            )
            for entry in (page.entries if page else [])
        ],
        recommendations=[
            Insertable(label=f"Recommendation {number}", text=r.text)
            for number, r in enumerate(plan.recommendations if plan else [], start=1)
            if r.text.strip()
        ],
    )


async def sign_off_standing(
    reports: Reports, actor: Actor, document: DocumentDetail
) -> SignOffStanding | None:
    """Where the partners' sign-off of the document stands, for its managers (None: no version yet, or the
    service did not answer; agencies are not shown it)."""
    if not document.may_manage:
        return None
    standings = await _quietly(reports.sign_offs_of_review(actor, document.review_id), "sign-off") or []
    return next((s for s in standings if s.document_id == document.id), None)


async def page_extras(rpc: RpcClient, actor: Actor, document: DocumentDetail) -> dict[str, Any]:
    """The comments for every page; what to insert only for a caller who writes some section; where the
    partners' sign-off stands for the document's managers."""
    writes = any(section.access == "edit" for section in document.sections)
    reports = Reports.client(rpc)
    return {
        "comments": await comments_by_section(reports, actor, document),
        "insertables": await insertables(rpc, actor, document.review_id) if writes else None,
        "sign_off": await sign_off_standing(reports, actor, document),
    }
