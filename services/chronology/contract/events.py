"""The facts the chronology service publishes (exchange `chronology.events`): identifiers and counts, never
an entry's words or a person's name."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from services.kernel.events import EventData


class ChronologyUploaded(EventData):
    """An agency's first chronology of a review was imported: its entries are in the merged chronology."""

    event_type: ClassVar[str] = "chronology.chronology_uploaded"

    review_id: UUID
    agency_id: UUID
    upload_id: UUID
    entries: int


class ChronologyReplaced(EventData):
    """An agency imported a new version of its chronology of a review; the previous one is kept as history."""

    event_type: ClassVar[str] = "chronology.chronology_replaced"

    review_id: UUID
    agency_id: UUID
    upload_id: UUID
    replaced_upload_id: UUID
    entries: int


class ChronologyRejected(EventData):
    """An agency's file was checked and refused whole: nothing of it was stored but the list of problems."""

    event_type: ClassVar[str] = "chronology.chronology_rejected"

    review_id: UUID
    agency_id: UUID
    upload_id: UUID
    problems: int
    uploaded_by: UUID  # the person who uploaded it hears, with the agency's safeguarding lead


class EpisodeTagged(EventData):
    """The reviewer tagged an entry as a key practice episode (or changed its learning)."""

    event_type: ClassVar[str] = "chronology.episode_tagged"

    review_id: UUID
    agency_id: UUID
    entry_id: UUID


class EpisodeUntagged(EventData):
    """The reviewer took an entry off the key practice episodes."""

    event_type: ClassVar[str] = "chronology.episode_untagged"

    review_id: UUID
    agency_id: UUID
    entry_id: UUID


class DuplicateResolved(EventData):
    """The reviewer decided whether two agencies' entries are one event (confirm), or not (dismiss)."""

    event_type: ClassVar[str] = "chronology.duplicate_resolved"

    review_id: UUID
    duplicate_id: UUID
    decision: str


class EntriesPublished(EventData):
    """An agency's case system published entries of a review on the bus, and they were applied."""

    event_type: ClassVar[str] = "chronology.entries_published"

    review_id: UUID
    agency_id: UUID
    upload_id: UUID
    entries: int


class AgencyMessageRefused(EventData):
    """A message from an agency's system was refused (and dead-lettered with the reason)."""

    event_type: ClassVar[str] = "chronology.agency_message_refused"

    agency_id: UUID
    review_id: UUID | None
    refusal_id: UUID
