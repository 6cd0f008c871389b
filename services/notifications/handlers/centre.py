"""A person's notification centre and their choices of timing: only their own, whoever asks."""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.config import notification_settings
from services.kernel.errors import InvalidRequest
from services.kernel.identity import Actor
from services.notifications import domain, policy, views
from services.notifications.contract import Inbox, MarkRead, NotificationsRead, Preferences, SetPreferences
from services.notifications.rule_book import RULES
from services.notifications.unit_of_work import Unit

INBOX_MOST = 200


def inbox(unit: Unit, actor: Actor, limit: int) -> Inbox:
    """The caller's own messages, newest first (at most INBOX_MOST), and how many are unread."""
    user_id = policy.person_of(actor)
    rows = unit.repository.newest_notifications(user_id, max(1, min(limit, INBOX_MOST)))
    return views.inbox(rows, unit.repository.unread_count(user_id))


def unread_count(unit: Unit, actor: Actor) -> int:
    """How many of the caller's own messages are unread."""
    return unit.repository.unread_count(policy.person_of(actor))


def mark_read(unit: Unit, actor: Actor, request: MarkRead) -> int:
    """Mark own messages read (others' ids are ignored), telling the caller's other open pages; returns the
    unread count after."""
    user_id = policy.person_of(actor)
    changed = unit.repository.mark_read(user_id, request.ids, request.all, datetime.now(UTC))
    unread = unit.repository.unread_count(user_id)
    if changed:
        unit.emit(NotificationsRead(user_id=user_id, unread=unread), actor.partnership_id)
    return unread


def preferences(unit: Unit, actor: Actor) -> Preferences:
    """The caller's choice per kind of message: immediate or the daily digest."""
    user_id = policy.person_of(actor)
    return views.preferences(RULES, unit.repository.timings(user_id), notification_settings().digest_hour)


def set_preferences(unit: Unit, actor: Actor, request: SetPreferences) -> Preferences:
    """Choose immediate or digest per kind; statutory and urgent kinds stay immediate."""
    user_id = policy.person_of(actor)
    problems = domain.timing_problems(RULES.kinds(), request.timings)
    if problems:
        raise InvalidRequest("Your choices have problems", problems=problems)
    unit.repository.choose_timings(user_id, request.timings)
    return views.preferences(RULES, unit.repository.timings(user_id), notification_settings().digest_hour)
