"""The sender's timer: deliver queued e-mail, never one twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.kernel.config import notification_settings
from services.notifications import engine
from services.notifications.smtp import send_email
from services.notifications.unit_of_work import Unit

log = logging.getLogger(__name__)

SEND_BATCH = 20


def send_queued_email(unit: Unit) -> None:
    """Claim (SKIP LOCKED, committed as `sending`), send, record: each step its own transaction, so a stop
    between sending and recording leaves `sending`, which becomes `uncertain` and is never sent again by
    itself."""
    settings = notification_settings()
    sessions = unit.sessions
    now = datetime.now(UTC)
    with sessions.begin() as session:
        stalled = engine.mark_stalled(session, now, settings.sending_lease_s)
        claimed = engine.claim(session, now, SEND_BATCH)
    if stalled:
        log.warning("%d e-mails were left sending by a stopped sender: marked uncertain", stalled)
    for email in claimed:
        try:
            send_email(
                settings,
                to=email.to,
                subject=email.subject,
                body=email.body,
                message_key=str(email.id),
                attachment_name=email.attachment_name,
                attachment=email.attachment,
            )
        except Exception as exc:
            with sessions.begin() as session:
                status = engine.record_failure(session, email.id, datetime.now(UTC), exc)
            log.warning("e-mail %s not sent (%s): %s", email.id, status, type(exc).__name__)
            continue
        with sessions.begin() as session:
            engine.record_sent(session, email.id, datetime.now(UTC))
