"""Storage of comments: the tables `reports.comment` and `reports.comment_reply` (migration 0003), and the
seam the comment handlers speak to (`CommentStore`; `CommentTables` in the worker's transaction, a fake in
unit tests). The anchor itself is in the section's Yjs document; here only its id and the text it quoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.reports.comments import Comment, Reply
from services.reports.models import Base, PersonRecord


class CommentRecord(Base):
    """A comment on a range of a section's text: the anchor's id, the text quoted, who wrote what, when, whom
    it mentions, and whether it is resolved."""

    __tablename__ = "comment"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    document_id: Mapped[UUID] = mapped_column(ForeignKey("reports.document.id"), index=True)
    section_id: Mapped[UUID] = mapped_column(ForeignKey("reports.section.id"), index=True)
    anchor_id: Mapped[UUID]
    quote: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    mentioned_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CommentReplyRecord(Base):
    """A reply in a comment's thread."""

    __tablename__ = "comment_reply"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    comment_id: Mapped[UUID] = mapped_column(ForeignKey("reports.comment.id"), index=True)
    author_id: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    mentioned_user_ids: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Member:
    """A person of the partnership as identity last announced them: enough to decide who may be mentioned."""

    user_id: str
    name: str
    agency_id: UUID | None
    roles: frozenset[str]


class CommentStore(Protocol):
    """Comments with their replies, and the partnership's people (for mentions and authors' names)."""

    def comment(self, comment_id: UUID, *, lock: bool = False) -> Comment | None: ...

    def of_document(self, document_id: UUID) -> list[Comment]: ...

    def add(self, comment: Comment) -> None: ...

    def add_reply(self, comment: Comment, reply: Reply) -> None: ...

    def save_resolution(self, comment: Comment) -> None: ...

    def members(self, partnership_id: UUID) -> list[Member]:
        """The partnership's active people, by name."""
        ...

    def names(self, user_ids: set[str]) -> dict[str, str]:
        """The names of these people, active or not (an author who has left still wrote their comment)."""
        ...


def _reply(record: CommentReplyRecord) -> Reply:
    return Reply(
        id=record.id,
        author_id=record.author_id,
        body=record.body,
        mentioned_user_ids=list(record.mentioned_user_ids or []),
        created_at=record.created_at,
    )


def _comment(record: CommentRecord, replies: list[CommentReplyRecord]) -> Comment:
    return Comment(
        id=record.id,
        document_id=record.document_id,
        section_id=record.section_id,
        anchor_id=record.anchor_id,
        quote=record.quote,
        author_id=record.author_id,
        body=record.body,
        mentioned_user_ids=list(record.mentioned_user_ids or []),
        created_at=record.created_at,
        replies=[_reply(r) for r in replies],
        resolved_by=record.resolved_by,
        resolved_at=record.resolved_at,
    )


class CommentTables:
    """CommentStore in the schema `reports`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _replies(self, comment_ids: list[UUID]) -> list[CommentReplyRecord]:
        if not comment_ids:
            return []
        query = select(CommentReplyRecord).where(CommentReplyRecord.comment_id.in_(comment_ids))
        return list(
            self.session.scalars(query.order_by(CommentReplyRecord.created_at, CommentReplyRecord.id))
        )

    def comment(self, comment_id: UUID, *, lock: bool = False) -> Comment | None:
        record = self.session.get(CommentRecord, comment_id, with_for_update=lock)
        return _comment(record, self._replies([record.id])) if record is not None else None

    def of_document(self, document_id: UUID) -> list[Comment]:
        query = select(CommentRecord).where(CommentRecord.document_id == document_id)
        records = list(self.session.scalars(query.order_by(CommentRecord.created_at, CommentRecord.id)))
        replies = self._replies([r.id for r in records])
        return [_comment(r, [x for x in replies if x.comment_id == r.id]) for r in records]

    def add(self, comment: Comment) -> None:
        self.session.add(
            CommentRecord(
                id=comment.id,
                document_id=comment.document_id,
                section_id=comment.section_id,
                anchor_id=comment.anchor_id,
                quote=comment.quote,
                author_id=comment.author_id,
                body=comment.body,
                mentioned_user_ids=comment.mentioned_user_ids,
                created_at=comment.created_at,
            )
        )
        self.session.flush()

    def add_reply(self, comment: Comment, reply: Reply) -> None:
        self.session.add(
            CommentReplyRecord(
                id=reply.id,
                comment_id=comment.id,
                author_id=reply.author_id,
                body=reply.body,
                mentioned_user_ids=reply.mentioned_user_ids,
                created_at=reply.created_at,
            )
        )
        self.session.flush()

    def save_resolution(self, comment: Comment) -> None:
        record = self.session.get(CommentRecord, comment.id, with_for_update=True)
        assert record is not None, "a comment is resolved after it is read"
        record.resolved_by = comment.resolved_by
        record.resolved_at = comment.resolved_at
        self.session.flush()

    def members(self, partnership_id: UUID) -> list[Member]:
        query = select(PersonRecord).where(PersonRecord.partnership_id == partnership_id, PersonRecord.active)
        return [
            Member(p.user_id, p.display_name, p.agency_id, frozenset(p.roles or []))
            for p in self.session.scalars(query.order_by(PersonRecord.display_name))
        ]

    def names(self, user_ids: set[str]) -> dict[str, str]:
        if not user_ids:
            return {}
        query = select(PersonRecord.user_id, PersonRecord.display_name).where(
            PersonRecord.user_id.in_(user_ids)
        )
        return {user_id: name for user_id, name in self.session.execute(query)}
