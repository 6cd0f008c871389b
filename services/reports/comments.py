"""Comments on a report's sections: a thread anchored to a range of a section's text, its replies, the people
it mentions, and resolving or reopening it. Pure Python: no I/O.

The anchor lives in the section's Yjs document (a TipTap mark `comment` whose `commentId` is the comment's
`anchor_id`), so it moves with the text as others edit; the thread lives here. Who may comment, and who may be
mentioned, is policy.py's.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.kernel.errors import InvalidRequest
from services.reports.contract import MAX_COMMENT, NewComment, NewReply

# What may not be in a comment's plain text: control characters other than line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Reply(BaseModel):
    """A reply in a comment's thread."""

    id: UUID
    author_id: str
    body: str
    mentioned_user_ids: list[str] = Field(default_factory=list)
    created_at: datetime


class Comment(BaseModel):
    """A comment's thread (the aggregate: its replies travel with it)."""

    id: UUID
    document_id: UUID
    section_id: UUID
    anchor_id: UUID
    quote: str
    author_id: str
    body: str
    mentioned_user_ids: list[str] = Field(default_factory=list)
    created_at: datetime
    replies: list[Reply] = Field(default_factory=list)
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


def plain_text(body: str, field: str = "body") -> str:
    """The comment's words with line breaks made uniform and the ends trimmed; InvalidRequest saying what to
    fix for empty text, text too long or control characters."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    problem = None
    if not text:
        problem = "Write the comment"
    elif len(text) > MAX_COMMENT:
        problem = f"The comment must be {MAX_COMMENT} characters or fewer"
    elif _CONTROL.search(text):
        problem = "The comment must be plain text: take out the control characters"
    if problem:
        raise InvalidRequest("The comment has problems", problems=[{"field": field, "message": problem}])
    return text


def mentioned(body: str, people: Mapping[str, str], *, author_id: str) -> list[str]:
    """The people an @Name in the text mentions, in the order of `people` (user id -> name): those who may be
    mentioned. The longest name wins where one name begins another ("@Sam Lee" over "@Sam"); the author
    mentioning themselves tells nobody."""
    folded = body.casefold()
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for user_id, name in sorted(people.items(), key=lambda p: -len(p[1])):
        needle = "@" + name.casefold()
        start = folded.find(needle)
        while start >= 0:
            end = start + len(needle)
            # A name must end at a word's end: "@Sam" does not mention anyone in "@Samantha".
            whole = end == len(folded) or not (folded[end].isalnum() or folded[end] == "_")
            if whole and not any(s <= start < e for s, e in taken):
                taken.append((start, end))
                if user_id != author_id and user_id not in found:
                    found.append(user_id)
                break
            start = folded.find(needle, start + 1)
    order = list(people)
    return sorted(found, key=order.index)


def begin(
    command: NewComment,
    *,
    document_id: UUID,
    section_id: UUID,
    author_id: str,
    people: Mapping[str, str],
    now: datetime,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> Comment:
    """A new comment on a section's text, with the people it mentions among `people` (who may be)."""
    body = plain_text(command.body)
    return Comment(
        id=new_id(),
        document_id=document_id,
        section_id=section_id,
        anchor_id=command.anchor_id,
        quote=command.quote.strip(),
        author_id=author_id,
        body=body,
        mentioned_user_ids=mentioned(body, people, author_id=author_id),
        created_at=now,
    )


def reply(
    comment: Comment,
    command: NewReply,
    *,
    author_id: str,
    people: Mapping[str, str],
    now: datetime,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> Reply:
    """A reply added to the comment's thread (a resolved thread stays resolved until someone reopens it)."""
    body = plain_text(command.body)
    answer = Reply(
        id=new_id(),
        author_id=author_id,
        body=body,
        mentioned_user_ids=mentioned(body, people, author_id=author_id),
        created_at=now,
    )
    comment.replies.append(answer)
    return answer


def resolve(comment: Comment, *, by: str, now: datetime) -> bool:
    """Mark the thread resolved; False when it was already (nothing changes)."""
    if comment.resolved:
        return False
    comment.resolved_by = by
    comment.resolved_at = now
    return True


def reopen(comment: Comment) -> bool:
    """Open the thread again; False when it was open."""
    if not comment.resolved:
        return False
    comment.resolved_by = None
    comment.resolved_at = None
    return True
