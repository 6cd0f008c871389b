"""What others may know of the analytics service: the read models it answers with."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

SERVICE = "analytics"


class ReviewCount(BaseModel):
    """How many reviews of a type are at a stage, in one partnership."""

    partnership_id: UUID
    review_type: str
    stage: str
    count: int
