"""The comment use cases (contract.Reports, "comments"): comment on a section's text, reply, resolve or
reopen, list a document's comments. Each takes the worker's unit of work, the typed arguments and, last, the
stores (the tables, unless a unit test hands in fakes); each checks the policy against the section the comment
is on, asks the domain (comments.py), stores, and emits its event through the outbox: ids only, never
words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.kernel.errors import NotFound
from services.kernel.identity import Actor
from services.reports import comments, policy
from services.reports.comment_store import CommentStore, CommentTables, Member
from services.reports.comments import Comment
from services.reports.contract import (
    CommentAdded,
    CommentResolved,
    CommentView,
    DocumentComments,
    NewComment,
    NewReply,
    PersonOption,
    ReplyView,
    Resolution,
)
from services.reports.domain import Document, Section
from services.reports.repository import ReportStore, ReportTables

# How a comment's author reads when identity has not (yet) told the service their name.
SOMEONE = "A former member of the review"


def _stores(
    uow: Any, store: ReportStore | None, notes: CommentStore | None
) -> tuple[ReportStore, CommentStore]:
    return (
        ReportTables(uow.session) if store is None else store,
        CommentTables(uow.session) if notes is None else notes,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _mentionable(document: Document, section: Section, members: list[Member]) -> dict[str, str]:
    return {
        m.user_id: m.name
        for m in members
        if policy.may_be_mentioned(document, section, user_id=m.user_id, agency_id=m.agency_id, roles=m.roles)
    }


def _views(found: list[Comment], notes: CommentStore) -> list[CommentView]:
    people = {c.author_id for c in found} | {r.author_id for c in found for r in c.replies}
    people |= {c.resolved_by for c in found if c.resolved_by}
    names = notes.names(people)
    return [
        CommentView(
            id=c.id,
            document_id=c.document_id,
            section_id=c.section_id,
            anchor_id=c.anchor_id,
            quote=c.quote,
            author_id=c.author_id,
            author_name=names.get(c.author_id, SOMEONE),
            body=c.body,
            created_at=c.created_at,
            replies=[
                ReplyView(
                    id=r.id,
                    author_id=r.author_id,
                    author_name=names.get(r.author_id, SOMEONE),
                    body=r.body,
                    created_at=r.created_at,
                )
                for r in c.replies
            ],
            resolved=c.resolved,
            resolved_by_name=names.get(c.resolved_by, SOMEONE) if c.resolved_by else None,
            resolved_at=c.resolved_at,
        )
        for c in found
    ]


def _section_of(actor: Actor, store: ReportStore, section_id: UUID) -> tuple[Document, Section]:
    document = store.of_section(section_id)
    if document is None:
        raise NotFound("No such section")
    section = document.section(section_id)
    policy.check_comments_on(actor, document, section)
    return document, section


def _thread(
    actor: Actor, store: ReportStore, notes: CommentStore, comment_id: UUID
) -> tuple[Document, Section, Comment]:
    """The comment, its document and section, or NotFound for a comment on a section the caller may not
    read (as for one that does not exist)."""
    comment = notes.comment(comment_id, lock=True)
    if comment is None:
        raise NotFound("No such comment")
    document = store.of_section(comment.section_id)
    if (
        document is None
        or policy.section_access(actor, document, document.section(comment.section_id)) is None
    ):
        raise NotFound("No such comment")
    return document, document.section(comment.section_id), comment


def add_comment(
    uow: Any,
    actor: Actor,
    section_id: UUID,
    command: NewComment,
    store: ReportStore | None = None,
    notes: CommentStore | None = None,
) -> CommentView:
    """A comment on a section's text; emits reports.comment_added with the people it mentions."""
    store, notes = _stores(uow, store, notes)
    document, section = _section_of(actor, store, section_id)
    people = _mentionable(document, section, notes.members(document.partnership_id))
    comment = comments.begin(
        command,
        document_id=document.id,
        section_id=section.id,
        author_id=actor.user_id,
        people=people,
        now=_now(),
    )
    notes.add(comment)
    uow.emit(
        CommentAdded(
            comment_id=comment.id,
            reply_id=None,
            section_id=section.id,
            document_id=document.id,
            review_id=document.review_id,
            author_id=actor.user_id,
            mentioned_user_ids=comment.mentioned_user_ids,
        ),
        partnership_id=document.partnership_id,
        review_id=document.review_id,
        actor_id=actor.user_id,
    )
    return _views([comment], notes)[0]


def reply_to_comment(
    uow: Any,
    actor: Actor,
    comment_id: UUID,
    command: NewReply,
    store: ReportStore | None = None,
    notes: CommentStore | None = None,
) -> CommentView:
    """A reply in a comment's thread; emits reports.comment_added with `reply_id` and the people mentioned."""
    store, notes = _stores(uow, store, notes)
    document, section, comment = _thread(actor, store, notes, comment_id)
    people = _mentionable(document, section, notes.members(document.partnership_id))
    reply = comments.reply(comment, command, author_id=actor.user_id, people=people, now=_now())
    notes.add_reply(comment, reply)
    uow.emit(
        CommentAdded(
            comment_id=comment.id,
            reply_id=reply.id,
            section_id=section.id,
            document_id=document.id,
            review_id=document.review_id,
            author_id=actor.user_id,
            mentioned_user_ids=reply.mentioned_user_ids,
        ),
        partnership_id=document.partnership_id,
        review_id=document.review_id,
        actor_id=actor.user_id,
    )
    return _views([comment], notes)[0]


def resolve_comment(
    uow: Any,
    actor: Actor,
    comment_id: UUID,
    command: Resolution,
    store: ReportStore | None = None,
    notes: CommentStore | None = None,
) -> CommentView:
    """Resolve or reopen a comment; emits reports.comment_resolved when that changes anything."""
    store, notes = _stores(uow, store, notes)
    document, section, comment = _thread(actor, store, notes, comment_id)
    changed = (
        comments.resolve(comment, by=actor.user_id, now=_now())
        if command.resolved
        else comments.reopen(comment)
    )
    if changed:
        notes.save_resolution(comment)
        uow.emit(
            CommentResolved(
                comment_id=comment.id,
                section_id=section.id,
                document_id=document.id,
                review_id=document.review_id,
                resolved=comment.resolved,
            ),
            partnership_id=document.partnership_id,
            review_id=document.review_id,
            actor_id=actor.user_id,
        )
    return _views([comment], notes)[0]


def comments_of_document(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    store: ReportStore | None = None,
    notes: CommentStore | None = None,
) -> DocumentComments:
    """The comments on the sections the caller may read, and whom they may mention on each."""
    store, notes = _stores(uow, store, notes)
    document = policy.check_reads_document(actor, store.get(document_id))
    readable = [section for section, _ in policy.readable_sections(actor, document)]
    members = notes.members(document.partnership_id)
    ids = {section.id for section in readable}
    return DocumentComments(
        document_id=document.id,
        comments=_views([c for c in notes.of_document(document.id) if c.section_id in ids], notes),
        mentionable={
            section.id: [
                PersonOption(user_id=user_id, name=name)
                for user_id, name in _mentionable(document, section, members).items()
                if user_id != actor.user_id
            ]
            for section in readable
        },
    )
