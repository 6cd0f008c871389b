"""The notifications service's storage as its handlers use it: one class over the unit of work's session.

Handlers ask it for records and to keep them; they never build a query. A unit test gives a handler a
fake in its place (tests/unit/test_notification_handlers.py). The data protection queries go through the
`models` module at call time, where the service's entrypoint tests fake them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.notifications import engine, models
from services.notifications.models import (
    ContactRecord,
    DeliveryEventRecord,
    EmailRecord,
    NotificationRecord,
    PersonRecord,
    PreferenceRecord,
    RuleSettingRecord,
)


class NotificationsRepository:
    """Messages, choices, rules' figures and e-mail of the notifications schema, on one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ----------------------------------------------------------------------------- people, from identity

    def learn_person(self, person: Mapping[str, Any]) -> None:
        """Keep the latest of a person (an older change arriving late changes nothing)."""
        engine.learn_person(self.session, person)

    def learn_agency(self, agency: Mapping[str, Any]) -> None:
        """Keep the latest name of an agency."""
        engine.learn_agency(self.session, agency)

    # ------------------------------------------------------------------------- the notification centre

    def newest_notifications(self, user_id: UUID, limit: int) -> list[NotificationRecord]:
        """A person's own messages, newest first."""
        return list(
            self.session.scalars(
                select(NotificationRecord)
                .where(NotificationRecord.user_id == user_id)
                .order_by(NotificationRecord.created_at.desc(), NotificationRecord.id)
                .limit(limit)
            )
        )

    def unread_count(self, user_id: UUID) -> int:
        return int(
            self.session.execute(
                select(func.count())
                .select_from(NotificationRecord)
                .where(NotificationRecord.user_id == user_id, NotificationRecord.read_at.is_(None))
            ).scalar_one()
        )

    def mark_read(self, user_id: UUID, ids: Iterable[UUID], everything: bool, now: datetime) -> int:
        """Mark the person's own messages read (others' ids are ignored); returns how many changed."""
        statement = update(NotificationRecord).where(
            NotificationRecord.user_id == user_id, NotificationRecord.read_at.is_(None)
        )
        if not everything:
            wanted = list(ids)
            if not wanted:
                return 0
            statement = statement.where(NotificationRecord.id.in_(wanted))
        result = self.session.execute(statement.values(read_at=now).returning(NotificationRecord.id))
        return len(result.all())

    def timings(self, user_id: UUID) -> dict[str, str]:
        """A person's chosen timing per kind of message (a kind never chosen is absent)."""
        return {
            row.kind: row.timing
            for row in self.session.scalars(
                select(PreferenceRecord).where(PreferenceRecord.user_id == user_id)
            )
        }

    def choose_timings(self, user_id: UUID, timings: Mapping[str, str]) -> None:
        """Keep a person's timing for each kind given (the others stay as they were)."""
        for kind, timing in timings.items():
            record = self.session.get(PreferenceRecord, (user_id, kind)) or PreferenceRecord(
                user_id=user_id, kind=kind
            )
            record.timing = timing
            self.session.add(record)
        self.session.flush()

    # ------------------------------------------------------------------------------ a partnership's rules

    def rule_settings(self, partnership_id: UUID) -> dict[str, RuleSettingRecord]:
        """The partnership's own figures, by rule code."""
        return models.rule_settings(self.session, partnership_id)

    def set_rule(
        self, partnership_id: UUID, code: str, enabled: bool, days: int | None, at: datetime, by: str
    ) -> RuleSettingRecord:
        """Keep a partnership's own figure for a rule, or that it switched the rule off."""
        record = self.session.get(RuleSettingRecord, (partnership_id, code)) or RuleSettingRecord(
            partnership_id=partnership_id, rule=code
        )
        record.enabled, record.days = enabled, days
        record.updated_at, record.updated_by = at, by
        self.session.add(record)
        return record

    # ------------------------------------------------------------------------------------------ e-mail

    def email(self, email_id: UUID) -> EmailRecord | None:
        return self.session.get(EmailRecord, email_id)

    def queue_account_email(
        self, to: str, subject: str, body: str, partnership_id: UUID | None, now: datetime
    ) -> EmailRecord:
        """An account e-mail (no rule, no message in-app), queued to be sent at once."""
        email = EmailRecord(
            id=uuid.uuid4(),
            notification_id=None,
            partnership_id=partnership_id,
            to_address=to,
            subject=subject,
            body=body,
            status="queued",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
        self.session.add(email)
        return email

    def deliveries(self, partnership_id: UUID, review_id: UUID | None, limit: int) -> list[EmailRecord]:
        """E-mail a partnership's rules sent, newest first, optionally about one review. Account e-mail (no
        rule) is the person's own business, not a review's."""
        emails = select(EmailRecord).where(
            EmailRecord.partnership_id == partnership_id, EmailRecord.rule.is_not(None)
        )
        if review_id is not None:
            emails = emails.where(EmailRecord.review_id == review_id)
        return list(self.session.scalars(emails.order_by(EmailRecord.created_at.desc()).limit(limit)).all())

    def delivery_history(self, email_ids: list[UUID]) -> dict[UUID, list[DeliveryEventRecord]]:
        """What happened to each of these e-mails, in order."""
        history: dict[UUID, list[DeliveryEventRecord]] = {}
        if not email_ids:
            return history
        for event in self.session.scalars(
            select(DeliveryEventRecord)
            .where(DeliveryEventRecord.email_id.in_(email_ids))
            .order_by(DeliveryEventRecord.id)
        ):
            history.setdefault(event.email_id, []).append(event)
        return history

    def send_again(self, email: EmailRecord, now: datetime, by: str) -> EmailRecord:
        """Queue a copy of a failed or uncertain e-mail, and say so in the original's history."""
        again = engine.send_again(self.session, email, now, by)
        engine.add_delivery_event(
            self.session, email.id, now, "sent_again", f"a copy was queued ({again.id})"
        )
        return again

    # ---------------------------------------------------------------------------------- data protection

    def people_matching(
        self, user_id: str | None, email: str | None, partnership_id: UUID | None
    ) -> list[PersonRecord]:
        return models.people_matching(self.session, user_id, email, partnership_id)

    def contacts_with_address(self, email: str, partnership_id: UUID | None) -> list[ContactRecord]:
        return models.contacts_with_address(self.session, email, partnership_id)

    def notifications_of(self, contact_ids: list[UUID], user_ids: list[UUID]) -> list[NotificationRecord]:
        return models.notifications_of(self.session, contact_ids, user_ids)

    def emails_to(self, email: str, partnership_id: UUID | None) -> list[EmailRecord]:
        return models.emails_to(self.session, email, partnership_id)
