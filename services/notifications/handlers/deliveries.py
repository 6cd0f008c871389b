"""What was sent to whom about a partnership's reviews, and sending a failed or uncertain e-mail again."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.kernel.errors import InvalidRequest, NotFound
from services.kernel.identity import Actor
from services.kernel.remote import answered_before
from services.notifications import policy, views
from services.notifications.contract import Delivery, DeliveryQuery
from services.notifications.unit_of_work import Unit

# Only what may not have reached its reader is offered again.
SENT_AGAIN_FROM = ("failed", "uncertain")


def delivery_log(unit: Unit, actor: Actor, query: DeliveryQuery) -> list[Delivery]:
    """The partnership's e-mail, newest first, each with its history (its business manager only)."""
    policy.check_may_see_deliveries(actor, query.partnership_id)
    rows = unit.repository.deliveries(query.partnership_id, query.review_id, query.limit)
    return views.deliveries(rows, unit.repository.delivery_history([row.id for row in rows]))


def send_again(unit: Unit, actor: Actor, delivery_id: UUID, idempotency_key: str | None) -> str:
    """Queue a failed or uncertain e-mail again, as a new e-mail; returns its id. Repeating the key returns
    the first copy's id and queues nothing more."""
    email = unit.repository.email(delivery_id)
    if email is None or email.rule is None or email.partnership_id != actor.partnership_id:
        raise NotFound("No such message")
    policy.check_may_see_deliveries(actor, email.partnership_id)
    command_once = unit.idempotent("send_again", actor, idempotency_key, str(delivery_id))
    if command_once.done:
        return answered_before(command_once.result)
    if email.status not in SENT_AGAIN_FROM:
        raise InvalidRequest(
            "This message cannot be sent again",
            problems=[
                {"field": "delivery_id", "message": "Only a failed or uncertain e-mail can be sent again"}
            ],
        )
    again = unit.repository.send_again(email, datetime.now(UTC), "the business manager")
    command_once.remember(str(again.id))
    return str(again.id)
