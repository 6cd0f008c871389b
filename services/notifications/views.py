"""What the pages get: read models built from the service's records, already decided. Pure Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from uuid import UUID

from services.kernel.data_protection import PersonRecord, person_record
from services.notifications import domain
from services.notifications.contract import (
    SERVICE,
    Delivery,
    DeliveryAttempt,
    InAppNotification,
    Inbox,
    KindChoice,
    Preferences,
    RuleSetting,
)
from services.notifications.models import (
    ContactRecord,
    DeliveryEventRecord,
    EmailRecord,
    NotificationRecord,
)
from services.notifications.models import PersonRecord as PersonWrittenTo
from services.notifications.rules import Rule, RuleBook


def inbox(rows: Iterable[NotificationRecord], unread: int) -> Inbox:
    """A person's notification centre: their newest messages and how many are unread."""
    items = [
        InAppNotification(
            id=row.id,
            partnership_id=row.partnership_id,
            review_id=row.review_id,
            kind=row.kind,
            title=row.title,
            body=row.body,
            link=row.link,
            urgent=row.urgent,
            created_at=row.created_at,
            read=row.read_at is not None,
        )
        for row in rows
    ]
    return Inbox(unread=unread, items=items)


def preferences(book: RuleBook, chosen: Mapping[str, str], digest_hour: int) -> Preferences:
    """A person's timing for each kind of message an active rule sends (fixed kinds are always immediate)."""
    choices = [
        KindChoice(
            kind=kind,
            label=label,
            fixed=fixed,
            timing="immediate" if fixed else chosen.get(kind, "immediate"),  # type: ignore[arg-type]
        )
        for kind, (label, fixed) in book.kinds().items()
        if any(rule.kind == kind and rule.active for rule in book.rules)
    ]
    return Preferences(digest_hour=digest_hour, choices=choices)


def rule_setting(rule: Rule, choice: domain.RuleChoice | None) -> RuleSetting:
    """One rule as the partnership has it, in the settings page's words."""
    figures = domain.effective(rule, choice)
    return RuleSetting(
        code=rule.code,
        label=rule.label,
        trigger=rule.trigger(figures.days),
        recipients=rule.recipients_in_words(),
        statutory=rule.statutory,
        enabled=figures.enabled,
        days=figures.days,
        default_days=rule.days,
        min_days=rule.bounds[0] if rule.bounds else None,
        max_days=rule.bounds[1] if rule.bounds else None,
        problem=rule.problem_in_words,
    )


def deliveries(
    rows: Iterable[EmailRecord], history: Mapping[UUID, Sequence[DeliveryEventRecord]]
) -> list[Delivery]:
    """The delivery log: each e-mail, what became of it, and its history."""
    return [
        Delivery(
            id=row.id,
            review_id=row.review_id,
            rule=row.rule or "",
            kind=row.rule or "",
            title=row.subject,
            channel="email",
            recipient=row.recipient or "",
            address=row.to_address or None,
            status=row.status,  # type: ignore[arg-type]
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
            next_attempt_at=row.next_attempt_at if row.status == "queued" else None,
            history=[
                DeliveryAttempt(at=event.at, status=event.status, detail=event.detail)
                for event in history.get(row.id, [])
            ],
        )
        for row in rows
    ]


def person_records(
    people: Iterable[PersonWrittenTo],
    contacts: Iterable[ContactRecord],
    notifications: Iterable[NotificationRecord],
    emails: Iterable[EmailRecord],
) -> list[PersonRecord]:
    """Data protection: what the service holds about a person, one line per record, in that order."""
    records = [
        person_record(
            SERVICE,
            "person",
            found.user_id,
            partnership_id=found.partnership_id,
            summary=f"Person written to, in the roles {', '.join(found.roles) or 'none'}",
            recorded_at=found.changed_at,
        )
        for found in people
    ]
    records += [
        person_record(
            SERVICE,
            "contact",
            contact.id,
            partnership_id=contact.partnership_id,
            summary=f"Contact of the partnership in the role {contact.role}",
            recorded_at=contact.recorded_at,
        )
        for contact in contacts
    ]
    records += [
        person_record(
            SERVICE,
            "notification",
            notification.id,
            partnership_id=notification.partnership_id,
            summary=f"In-app notification: {notification.title}",
            recorded_at=notification.created_at,
        )
        for notification in notifications
    ]
    records += [
        person_record(
            SERVICE,
            "email",
            email.id,
            partnership_id=email.partnership_id,
            summary=f"E-mail ({email.status}): {email.subject}",
            recorded_at=email.created_at,
        )
        for email in emails
    ]
    return records
