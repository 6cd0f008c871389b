"""The partnership's deadline figures: reading them with their bounds, and setting them for one review type.
Reviews opened from then on keep the figures of their day; open reviews keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from services.forms import domain, policy, views
from services.forms.contract import ChangeDeadlineSettings, DeadlineSetting
from services.forms.unit_of_work import FormsUnitOfWork
from services.kernel.identity import Actor


def deadline_settings(uow: FormsUnitOfWork, caller: Actor) -> list[DeadlineSetting]:
    """The caller's partnership's figures (its business manager, partners and executive only)."""
    return views.deadline_settings(uow.reviews, policy.figures_partnership(caller))


def change_deadline_settings(
    uow: FormsUnitOfWork, caller: Actor, change: ChangeDeadlineSettings
) -> list[DeadlineSetting]:
    """Set the figures of one review type, each within its bounds (domain.check_deadline_figures: nothing
    is stored if one is not), by the business manager."""
    partnership_id = policy.figures_partnership(caller)
    policy.check_may_manage(caller, partnership_id)
    definition = domain.review_type(change.review_type)
    domain.check_deadline_figures(definition, change.values)
    now = datetime.now(UTC)
    uow.reviews.set_deadline_settings(partnership_id, definition.code, change.values, caller.user_id, now)
    return views.deadline_settings(uow.reviews, partnership_id)
