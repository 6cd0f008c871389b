"""E-mail about a person's account (invitations, resets, security alerts), asked for by the gateway."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.kernel.config import notification_settings
from services.kernel.identity import Actor
from services.kernel.remote import answered_before
from services.notifications import domain, policy
from services.notifications.contract import AccountEmail
from services.notifications.unit_of_work import Unit

log = logging.getLogger(__name__)


def send_account_email(unit: Unit, actor: Actor, message: AccountEmail, idempotency_key: str | None) -> str:
    """Queue the e-mail for its kind, in the domain's words; returns its id. Only the system may ask.

    The sender timer sends it. Repeating an idempotency key returns the first e-mail's id and queues nothing
    more.
    """
    policy.check_may_send_account_email(actor)
    # The fingerprint of the request is what the caller sent, as it was before calls were typed.
    sent = message.model_dump(mode="json", exclude_unset=True)
    command_once = unit.idempotent("send_account_email", actor, idempotency_key, sent)
    if command_once.done:
        return answered_before(command_once.result)
    settings = notification_settings()
    letter = domain.account_letter(
        message,
        public_url=settings.public_url,
        invitation_days=settings.invitation_days,
        password_reset_minutes=settings.password_reset_minutes,
    )
    email = unit.repository.queue_account_email(
        str(message.to), letter.subject, letter.body, message.partnership_id, datetime.now(UTC)
    )
    log.info("queued account e-mail %s (%s)", email.id, message.kind)
    command_once.remember(str(email.id))
    return str(email.id)
