"""What others may know of the analytics service: the read models it answers with."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

SERVICE = "analytics"


class ReviewCount(BaseModel):
    """How many reviews of a type are at a stage, in one partnership or summed over several.

    An aggregate only: no review ids, no titles. `partnership_id` is None when the count is summed
    over every partnership the caller may see.
    """

    partnership_id: UUID | None
    review_type: str
    stage: str
    count: int
