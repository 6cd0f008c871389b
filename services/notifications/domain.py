"""What to tell whom, and the words. Pure Python: the e-mail says what is needed and links to the page,
and never carries details of the child or family (they are behind sign-in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from services.kernel.errors import InvalidRequest
from services.notifications.contract import AccountEmail
from services.notifications.rules import Rule

MAX_SEND_ATTEMPTS = 8


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try a failed e-mail again (exponential back-off), or None when it has failed for good."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    return now + timedelta(seconds=min(3600, 5 * 2 ** (attempts - 1)))


class RuleChoice(Protocol):
    """A partnership's own figure for a rule, as it was stored (models.RuleSettingRecord)."""

    enabled: bool
    days: int | None


@dataclass(frozen=True)
class Effective:
    """A rule as a partnership has it: on or off, and its days."""

    enabled: bool
    days: int | None


def effective(rule: Rule, choice: RuleChoice | None) -> Effective:
    """The partnership's figure where it set one; a statutory rule is always on."""
    if choice is None:
        return Effective(enabled=True, days=rule.days)
    days = choice.days if choice.days is not None else rule.days
    return Effective(enabled=choice.enabled or rule.statutory, days=days)


def rule_change_problems(rule: Rule, enabled: bool, days: int | None) -> list[dict[str, str]]:
    """What is wrong with a partnership's change to a rule: a statutory alert stays on, and its days stay
    within the rule's bounds (none: nothing wrong)."""
    problems = []
    if rule.statutory and not enabled:
        problems.append({"field": "enabled", "message": "A statutory alert cannot be switched off"})
    if days is not None:
        if rule.bounds is None:
            problems.append({"field": "days", "message": "This rule has no days to set"})
        elif not rule.bounds[0] <= days <= rule.bounds[1]:
            low, high = rule.bounds
            problems.append(
                {"field": "days", "message": f"Enter a number of working days from {low} to {high}"}
            )
    return problems


def timing_problems(
    kinds: Mapping[str, tuple[str, bool]], timings: Mapping[str, str]
) -> list[dict[str, str]]:
    """What is wrong with a person's choice of timings (`kinds`: each kind's label and whether its timing
    is fixed, RuleBook.kinds): a kind that does not exist, or a statutory or urgent kind put in a digest."""
    problems = []
    for kind, timing in timings.items():
        if kind not in kinds:
            problems.append({"field": kind, "message": "There is no such kind of message"})
        elif kinds[kind][1] and timing != "immediate":
            problems.append(
                {"field": kind, "message": f"{kinds[kind][0]}: always sent at once (statutory or urgent)"}
            )
    return problems


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


# ------------------------------------------------------------------------------------ rules into messages


def day_in_words(day: date) -> str:
    """A date as the pages say it: Tuesday 5 May 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"


class Words(dict[str, str]):
    """Placeholders for a rule's words; one the context lacks reads as nothing rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def words_for(context: Mapping[str, Any]) -> Words:
    """The placeholders' values: dates in words, everything else as text."""
    return Words(
        {
            key: day_in_words(value)
            if isinstance(value, date) and not isinstance(value, datetime)
            else str(value)
            for key, value in context.items()
            if value is not None
        }
    )


@dataclass(frozen=True)
class Wording:
    """A rule's message for one context: its title, body and the page it opens (a path of this site)."""

    title: str
    body: str
    link: str


def word(rule: Rule, context: Mapping[str, Any]) -> Wording:
    """Fill a rule's words; the link's parts are identifiers only."""
    values = words_for(context)
    return Wording(
        title=rule.title.format_map(values)[:200],
        body=rule.body.format_map(values),
        link=rule.link.format_map(values),
    )


class Recipient(Protocol):
    """What the service knows of a person it may write to (models.PersonRecord)."""

    user_id: UUID
    partnership_id: UUID | None
    agency_id: UUID | None
    display_name: str
    email: str | None
    roles: list[str]
    active: bool


ROLE_WORDS = {
    "business_manager": "business manager",
    "executive": "Executive",
    "safeguarding_partner": "safeguarding partner",
    "agency_lead": "agency safeguarding lead",
}


def choose_recipients(
    who: str,
    people: Iterable[Recipient],
    *,
    partnership_id: UUID,
    agency_id: UUID | None,
    named: Iterable[UUID] = (),
) -> list[Recipient]:
    """The active people of the partnership a rule's `to` entry names, in a stable order.

    `agency_safeguarding_partner` is the agency's own safeguarding partner, or every safeguarding partner
    of the partnership when the agency has none of its own (schools, the voluntary sector).
    """
    present = [p for p in people if p.active and p.partnership_id == partnership_id]
    if who.startswith("user:"):
        wanted = set(named)
        chosen = [p for p in present if p.user_id in wanted]
    elif who == "agency_lead":
        chosen = [p for p in present if "agency_lead" in p.roles and agency_id and p.agency_id == agency_id]
    elif who == "agency_safeguarding_partner":
        partners = [p for p in present if "safeguarding_partner" in p.roles]
        own = [p for p in partners if agency_id and p.agency_id == agency_id]
        chosen = own or partners
    elif who == "safeguarding_partners":
        chosen = [p for p in present if "safeguarding_partner" in p.roles]
    else:
        chosen = [p for p in present if who in p.roles]
    return sorted(chosen, key=lambda p: (p.display_name, str(p.user_id)))


def nobody_reason(who: str, agency: str | None) -> str:
    """Why a message went to nobody, for the business manager's delivery log."""
    if who == "agency_lead":
        return f"Nobody is the safeguarding lead of {agency or 'the agency'} in Case Review: add one"
    if who == "agency_safeguarding_partner":
        return "The partnership has no safeguarding partner in Case Review: add one"
    words = ROLE_WORDS.get(who, who.removeprefix("user:").replace("_", " "))
    return f"Nobody in Case Review is the partnership's {words}"


def recipient_words(person: Recipient, who: str) -> str:
    """A person as the delivery log names them: name, and the role the rule reached them in."""
    if who.startswith("user:"):
        return person.display_name
    role = {
        "agency_safeguarding_partner": "safeguarding_partner",
        "safeguarding_partners": "safeguarding_partner",
    }
    return f"{person.display_name} ({ROLE_WORDS.get(role.get(who, who), who)})"


def message_letter(display_name: str, wording: Wording, public_url: str) -> Letter:
    """The e-mail of a message: what is needed, and the link; the detail is behind sign-in."""
    url = public_url.rstrip("/") + wording.link
    body = "\n\n".join(
        [
            f"Dear {display_name},",
            wording.body,
            f"Sign in to Case Review to see it:\n{url}",
            "For the privacy of the people concerned, this e-mail holds no details of the case.",
            SIGN_OFF,
        ]
    )
    return Letter(subject=wording.title, body=body + "\n")


def digest_letter(display_name: str, items: list[Wording], public_url: str, day: date) -> Letter:
    """One e-mail with a day's messages for a person who chose the daily digest."""
    base = public_url.rstrip("/")
    count = len(items)
    lines = [f"Dear {display_name},", f"Your Case Review messages for {day_in_words(day)}:"]
    for item in items:
        lines.append(f"- {item.title}\n  {base}{item.link}")
    lines += [f"All your messages:\n{base}/notifications", SIGN_OFF]
    subject = (
        "Your Case Review summary: 1 message" if count == 1 else f"Your Case Review summary: {count} messages"
    )
    return Letter(subject=subject, body="\n\n".join(lines) + "\n")


PERMANENT_SMTP_CODES = range(500, 600)


def failure_in_words(error: BaseException) -> tuple[str, bool]:
    """A sending failure as the delivery log says it, and whether trying again could help."""
    import smtplib

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(code in PERMANENT_SMTP_CODES for code in codes)
        return (f"The mail server refused the address ({', '.join(map(str, codes))})", not permanent)
    if isinstance(error, smtplib.SMTPResponseException):
        permanent = error.smtp_code in PERMANENT_SMTP_CODES
        return (f"The mail server refused the message ({error.smtp_code})", not permanent)
    if isinstance(error, (ConnectionError, OSError, smtplib.SMTPServerDisconnected)):
        return ("The mail server could not be reached", True)
    return (f"Sending failed ({type(error).__name__})", True)
