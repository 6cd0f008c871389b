"""What others may know of the notifications service: a person's messages and choices, a partnership's
rules and what was sent, account e-mail, and the events it publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from services.kernel.data_protection import PersonQuery, PersonRecord
from services.kernel.events import EventData
from services.kernel.identity import Actor
from services.kernel.remote import Refused, RemoteService, found_by_id

SERVICE = "notifications"


class InAppNotification(BaseModel):
    """A message in a person's notification centre. `link` is the page to open (a path of this site)."""

    id: UUID
    partnership_id: UUID
    review_id: UUID | None
    kind: str
    title: str
    body: str
    link: str | None = None
    urgent: bool = False
    created_at: datetime | None = None
    read: bool


class Inbox(BaseModel):
    """A person's notification centre: how many are unread, and the newest messages (`inbox` RPC)."""

    unread: int
    items: list[InAppNotification]


class MarkRead(BaseModel):
    """Command: mark some of one's own messages read, or all of them (`ids` empty and `all` true)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[UUID] = Field(default_factory=list, max_length=500)
    all: bool = False


Timing = Literal["immediate", "digest"]


class KindChoice(BaseModel):
    """How a person receives one kind of message. Statutory and urgent kinds are always immediate."""

    kind: str
    label: str
    fixed: bool
    timing: Timing


class Preferences(BaseModel):
    """A person's choices, one per kind of message they can receive (`preferences` RPC)."""

    digest_hour: int
    choices: list[KindChoice]


class SetPreferences(BaseModel):
    """Command: choose immediate or daily digest per kind; a fixed kind cannot be changed."""

    model_config = ConfigDict(extra="forbid")

    timings: dict[str, Timing]


class RuleSetting(BaseModel):
    """One rule as a partnership has it (`rules` RPC): what triggers it, whom it tells, and its figures.

    `days` is None for a rule triggered by an event; `problem` says in plain words why a rule is not
    active (when the part of Case Review it waits for is added, say; it never names an event), and such a
    rule sends nothing.
    """

    code: str
    label: str
    trigger: str
    recipients: list[str]
    statutory: bool
    enabled: bool
    days: int | None
    default_days: int | None
    min_days: int | None
    max_days: int | None
    problem: str | None


class SetRule(BaseModel):
    """Command: a partnership's own figure for a rule, or switching it off (a statutory rule stays on)."""

    model_config = ConfigDict(extra="forbid")

    partnership_id: UUID
    code: str = Field(min_length=1, max_length=60)
    enabled: bool = True
    days: int | None = None


DeliveryStatus = Literal["queued", "sending", "sent", "failed", "uncertain", "not_sent"]


class DeliveryAttempt(BaseModel):
    """One thing that happened to an e-mail: queued, sending, sent, retry (with the reason), failed (with the
    reason), uncertain, not_sent, sent_again (a copy was queued by the business manager)."""

    at: datetime
    status: str
    detail: str | None


class Delivery(BaseModel):
    """One message to one person by one channel, and what became of it (`delivery_log` RPC).

    `recipient` is the person's name as the partnership knows them, with their role in words, and
    `address` the e-mail address it went to (None in-app);
    `status` not_sent means there was nobody to send it to, or no address (see `last_error`);
    `uncertain` means the service stopped while sending: it may have gone, and is not sent again
    automatically, so that nobody gets it twice (a business manager may send it again).
    """

    id: UUID
    review_id: UUID | None
    rule: str
    kind: str
    title: str
    channel: Literal["email", "in_app"]
    recipient: str
    address: str | None
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    history: list[DeliveryAttempt]


class DeliveryQuery(BaseModel):
    """Which deliveries to list: a partnership's, optionally of one review."""

    model_config = ConfigDict(extra="forbid")

    partnership_id: UUID
    review_id: UUID | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class NotificationCreated(EventData):
    """An in-app message was put in a person's notification centre. No words of the message travel:
    the gateway uses it to tell that person's open pages their unread count changed."""

    event_type: ClassVar[str] = "notifications.notification_created"

    notification_id: UUID
    user_id: UUID
    kind: str
    urgent: bool


class NotificationsRead(EventData):
    """A person marked messages read (their other open pages update their unread count)."""

    event_type: ClassVar[str] = "notifications.notifications_read"

    user_id: UUID
    unread: int


AccountEmailKind = Literal[
    "invitation",
    "password_reset",
    "second_factor_reset",
    "code_reused",
    "password_changed",
    "account_deactivated",
]


class AccountEmail(BaseModel):
    """Command: e-mail a person about their account (the gateway, as the system, asks for it).

    The service writes the words for the kind; nothing about any case goes in. `link`, when given, must
    be a page of this Case Review (it starts with the configured public address). `partnership_id` is
    the account's partnership, kept with the e-mail so that the partnership's data protection officer
    finds it; leave it out for an account of no partnership.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    to: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    kind: AccountEmailKind
    link: str | None = Field(default=None, max_length=2000)
    partnership_id: UUID | None = None

    @field_validator("display_name", "link")
    @classmethod
    def _single_line(cls, value: str | None) -> str | None:
        if value is not None and any(ord(ch) < 32 for ch in value):
            raise ValueError("Must be a single line of text")
        return value


# The RPCs' arguments as both ends annotate them (the service's methods use these very aliases, so that the
# two signatures compare equal): the type, and how an argument that does not validate is refused.
RecordId = Annotated[UUID, found_by_id("record")]
AccountEmailArg = Annotated[AccountEmail, Refused("The e-mail")]
PersonQueryArg = Annotated[PersonQuery, Refused("The person")]
MarkReadArg = Annotated[MarkRead, Refused("The request")]
SetPreferencesArg = Annotated[SetPreferences, Refused("Your choices")]
SetRuleArg = Annotated[SetRule, Refused("The rule")]
DeliveryQueryArg = Annotated[DeliveryQuery, Refused("The query")]


class Notifications(RemoteService):
    """Everything sent to a person: the notification centre, choices, rules, the delivery log, account e-mail.

    The service implements each with the same signature (services/notifications/service.py); the gateway
    calls them through `Notifications.client(rpc)`. tests/unit/test_contracts.py proves the two agree.
    """

    service = SERVICE

    async def send_account_email(
        self,
        actor: Actor,
        message: AccountEmailArg,
        idempotency_key: str | None = None,
    ) -> str:
        """E-mail a person about their account (the system only); returns the e-mail's id."""
        raise NotImplementedError

    async def records_about_person(self, actor: Actor, person: PersonQueryArg) -> list[PersonRecord]:
        """Data protection: every notifications record about a person (the data protection officer only)."""
        raise NotImplementedError

    async def inbox(self, actor: Actor, limit: int = 50) -> Inbox:
        """The caller's notification centre: the unread count and the newest messages."""
        raise NotImplementedError

    async def unread_count(self, actor: Actor) -> int:
        """How many of the caller's messages are unread."""
        raise NotImplementedError

    async def mark_read(self, actor: Actor, request: MarkReadArg) -> int:
        """Mark some of the caller's messages read, or all of them; returns the unread count left."""
        raise NotImplementedError

    async def preferences(self, actor: Actor) -> Preferences:
        """The caller's choice of immediate e-mail or daily digest for each kind of message."""
        raise NotImplementedError

    async def set_preferences(self, actor: Actor, request: SetPreferencesArg) -> Preferences:
        """Change the caller's choices (statutory and urgent kinds stay immediate)."""
        raise NotImplementedError

    async def rules(self, actor: Actor, partnership_id: RecordId) -> list[RuleSetting]:
        """The partnership's notification rules as it has set them, with why any is not active."""
        raise NotImplementedError

    async def set_rule(self, actor: Actor, request: SetRuleArg) -> RuleSetting:
        """Change one rule's days or switch a non-statutory rule off (the business manager only)."""
        raise NotImplementedError

    async def delivery_log(self, actor: Actor, query: DeliveryQueryArg) -> list[Delivery]:
        """What was sent to whom, and what became of it (the business manager only)."""
        raise NotImplementedError

    async def send_again(
        self, actor: Actor, delivery_id: RecordId, idempotency_key: str | None = None
    ) -> str:
        """Send a failed or uncertain e-mail again, as a new e-mail; returns its id."""
        raise NotImplementedError
