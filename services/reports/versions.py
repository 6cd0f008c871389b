"""Named versions of a document: the rules. A version keeps, for every section of the document, the section's
Yjs state and its text as blocks, as they were when it was named. Its name is unique within the document; once
locked (the partners' sign-off) it can no longer be renamed or deleted, and locking again changes nothing.
Pure Python: no I/O (the restoring update is yjs_restore.py's, the comparison difference.py's).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.kernel.errors import Conflict, InvalidRequest, NotFound
from services.reports.contract import TextBlock


class SectionCopy(BaseModel):
    """A section as a version keeps it: its Yjs state (one update) and its text as blocks."""

    section_id: UUID
    state: bytes
    blocks: list[TextBlock]


class Version(BaseModel):
    """A named version of a document (the aggregate: its sections' copies travel with it)."""

    id: UUID
    document_id: UUID
    review_id: UUID
    partnership_id: UUID
    name: str
    named_by: str
    named_at: datetime
    locked_by: str | None = None
    locked_at: datetime | None = None
    sections: list[SectionCopy]

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    def copy_of(self, section_id: UUID) -> SectionCopy:
        """The version's copy of one section, or NotFound."""
        for copy in self.sections:
            if copy.section_id == section_id:
                return copy
        raise NotFound("No such section")


def _check_name(name: str, taken: Collection[str]) -> str:
    name = name.strip()
    if not name:
        raise InvalidRequest(
            "The version has problems", problems=[{"field": "name", "message": "Name the version"}]
        )
    if name.casefold() in {t.casefold() for t in taken}:
        raise InvalidRequest(
            "The version has problems",
            problems=[
                {"field": "name", "message": "Another version of this document has this name: choose another"}
            ],
        )
    return name


def name(
    *,
    document_id: UUID,
    review_id: UUID,
    partnership_id: UUID,
    name: str,
    taken: Collection[str],
    sections: Mapping[UUID, tuple[bytes, list[TextBlock]]],
    named_by: str,
    now: datetime,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> Version:
    """A new version of the document holding every section's state and blocks (`sections`, in the document's
    order); InvalidRequest for an empty name or one another version of the document has (`taken`)."""
    return Version(
        id=new_id(),
        document_id=document_id,
        review_id=review_id,
        partnership_id=partnership_id,
        name=_check_name(name, taken),
        named_by=named_by,
        named_at=now,
        sections=[SectionCopy(section_id=i, state=s, blocks=b) for i, (s, b) in sections.items()],
    )


def _check_unlocked(version: Version, doing: str) -> None:
    if version.locked:
        raise Conflict(f"This version is locked (signed off): it cannot be {doing}")


def rename(version: Version, name: str, taken: Collection[str]) -> Version:
    """The version under another name; Conflict once locked, InvalidRequest for a name taken or empty (its own
    name is not taken by itself)."""
    _check_unlocked(version, "renamed")
    others = [t for t in taken if t.casefold() != version.name.casefold()]
    version.name = _check_name(name, others)
    return version


def check_deletable(version: Version) -> None:
    """Conflict once the version is locked."""
    _check_unlocked(version, "deleted")


def lock(version: Version, *, by: str, now: datetime) -> bool:
    """Lock the version; False when it already was (nothing changes, the first sign-off stands)."""
    if version.locked:
        return False
    version.locked_by, version.locked_at = by, now
    return True
