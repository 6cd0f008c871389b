"""What to tell whom, and the words. Pure Python: the e-mail says what is needed and links to the page,
and never carries details of the child or family (they are behind sign-in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from services.kernel.errors import InvalidRequest
from services.notifications.contract import AccountEmail

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


def review_link(public_url: str, review_id: UUID) -> str:
    """The review's page (behind sign-in, which knows the partnership)."""
    return f"{public_url.rstrip('/')}/reviews/{review_id}"


def review_opened_messages(
    review_id: UUID, partnership_id: UUID, review_type: str, business_managers: list[UUID], public_url: str
) -> list[Message]:
    """Tell each business manager of the partnership that a review was opened."""
    words = REVIEW_TYPE_WORDS.get(review_type, "review")
    link = review_link(public_url, review_id)
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


@dataclass(frozen=True)
class Letter:
    """The subject and plain-text body of one e-mail."""

    subject: str
    body: str


SIGN_OFF = "Case Review\nThis e-mail was sent automatically. Replies are not read."

# Kinds that are no use without a link: the person has to act on the page it opens.
LINK_NEEDED = frozenset({"invitation", "password_reset"})


def in_words(minutes: int) -> str:
    """A period as people say it: 60 -> "1 hour", 10080 -> "7 days", 45 -> "45 minutes"."""
    for unit, size in (("day", 24 * 60), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def check_link(link: str | None, kind: str, public_url: str) -> None:
    """A link must open a page of this Case Review; invitations and resets must have one."""
    problem = None
    if link is None:
        if kind in LINK_NEEDED:
            problem = "Give the link the person must open"
    elif not link.startswith(public_url.rstrip("/") + "/") or any(ch.isspace() for ch in link):
        problem = "The link must be a page of this Case Review"
    if problem:
        raise InvalidRequest("The e-mail has problems", problems=[{"field": "link", "message": problem}])


def account_letter(
    message: AccountEmail, *, public_url: str, invitation_days: int, password_reset_minutes: int
) -> Letter:
    """The words of an account e-mail: what happened, what to do and by when; never anything about a case."""
    check_link(message.link, message.kind, public_url)
    link = message.link or ""
    invitation_expiry = in_words(invitation_days * 24 * 60)
    reset_expiry = in_words(password_reset_minutes)
    tell_admin = "If you did not ask for this, tell your administrator today."
    paragraphs: list[str]
    if message.kind == "invitation":
        subject = "You have been invited to Case Review"
        paragraphs = [
            "You have been invited to Case Review, the service your safeguarding partnership uses "
            "to run case reviews.",
            f"To accept, open this link within {invitation_expiry}, choose a password and set up "
            f"an authenticator app for your security codes:\n{link}",
            f"The link works once and expires in {invitation_expiry}. If it has expired, ask your "
            "administrator to invite you again.",
            "If you were not expecting this invitation, you can ignore this e-mail.",
        ]
    elif message.kind == "password_reset":
        subject = "Reset your Case Review password"
        paragraphs = [
            "We have been asked to reset the password for your Case Review account.",
            f"To choose a new password, open this link within {reset_expiry}:\n{link}",
            f"The link works once and expires in {reset_expiry}.",
            "If you did not ask for this, you do not need to do anything: your password has not "
            "changed. Tell your administrator if you get this e-mail again without asking.",
        ]
    elif message.kind == "second_factor_reset":
        subject = "Set up your Case Review security codes again"
        paragraphs = [
            "Your administrator has reset the security codes for your Case Review account.",
            "The next time you sign in, you will need to set up an authenticator app again."
            + (f" To do it now, open this link:\n{link}" if link else ""),
            tell_admin,
        ]
    elif message.kind == "code_reused":
        subject = "Someone tried to use an old security code on your Case Review account"
        paragraphs = [
            "Someone tried to sign in to your account with a security code that had already been used.",
            "If this was not you, change your password today and tell your administrator."
            + (f" To change your password, open this link:\n{link}" if link else ""),
        ]
    elif message.kind == "password_changed":
        subject = "Your Case Review password has been changed"
        paragraphs = [
            "The password for your Case Review account has been changed.",
            "If you changed it, you do not need to do anything.",
            "If you did not, reset your password today and tell your administrator."
            + (f" To reset it, open this link:\n{link}" if link else ""),
        ]
    else:  # account_deactivated
        subject = "Your Case Review account has been deactivated"
        paragraphs = [
            "Your administrator has deactivated your Case Review account. You can no longer sign in.",
            "If you think this is a mistake, contact your administrator."
            + (f" You can find out more here:\n{link}" if link else ""),
        ]
    body = "\n\n".join([f"Dear {message.display_name},", *paragraphs, SIGN_OFF]) + "\n"
    return Letter(subject=subject, body=body)
