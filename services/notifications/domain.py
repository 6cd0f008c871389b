"""What to tell whom, and the words. Pure Python: the e-mail says what is needed and links to the page,
and never carries details of the child or family (they are behind sign-in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

MAX_SEND_ATTEMPTS = 8

REVIEW_TYPE_WORDS = {
    "child_safeguarding": "child safeguarding review",
    "safeguarding_adults": "Safeguarding Adults Review",
    "domestic_homicide": "Domestic Homicide Review",
}


@dataclass(frozen=True)
class Message:
    """One notification for one contact: in-app, and by e-mail."""

    contact_id: UUID
    kind: str
    title: str
    body: str
    link: str


def review_link(public_url: str, review_id: UUID, partnership_id: UUID) -> str:
    """The review's page (the partnership travels in the link until sign-in knows it)."""
    return f"{public_url.rstrip('/')}/reviews/{review_id}?partnership_id={partnership_id}"


def review_opened_messages(
    review_id: UUID, partnership_id: UUID, review_type: str, business_managers: list[UUID], public_url: str
) -> list[Message]:
    """Tell each business manager of the partnership that a review was opened."""
    words = REVIEW_TYPE_WORDS.get(review_type, "review")
    link = review_link(public_url, review_id, partnership_id)
    return [
        Message(
            contact_id=contact,
            kind="review_opened",
            title=f"A new {words} has been opened",
            body=(
                f"A new {words} has been opened in your partnership. "
                f"Sign in to Case Review to see it and plan the next steps: {link}"
            ),
            link=link,
        )
        for contact in business_managers
    ]


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try a failed e-mail again (exponential back-off), or None when it has failed for good."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return now + timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))
