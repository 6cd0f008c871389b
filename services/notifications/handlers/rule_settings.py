"""A partnership's notification rules: its deciders read them, its business manager sets its figures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from services.kernel.errors import InvalidRequest
from services.kernel.identity import Actor
from services.notifications import domain, policy, views
from services.notifications.contract import RuleSetting, SetRule
from services.notifications.rule_book import RULES
from services.notifications.unit_of_work import Unit

log = logging.getLogger(__name__)


def rules(unit: Unit, actor: Actor, partnership_id: UUID) -> list[RuleSetting]:
    """The partnership's rules as it has them, with what stops any from working."""
    policy.check_may_read_rules(actor, partnership_id)
    settings = unit.repository.rule_settings(partnership_id)
    return [views.rule_setting(rule, settings.get(rule.code)) for rule in RULES.rules]


def set_rule(unit: Unit, actor: Actor, request: SetRule) -> RuleSetting:
    """A partnership's own days for a rule, or switching it off; a statutory rule stays on."""
    policy.check_may_set_rules(actor, request.partnership_id)
    rule = RULES.rule(request.code)
    if rule is None:
        raise InvalidRequest("The rule has problems", problems=[{"field": "code", "message": "No such rule"}])
    problems = domain.rule_change_problems(rule, request.enabled, request.days)
    if problems:
        raise InvalidRequest("The rule has problems", problems=problems)
    record = unit.repository.set_rule(
        request.partnership_id, rule.code, request.enabled, request.days, datetime.now(UTC), actor.user_id
    )
    log.info("rule %s set for partnership %s", rule.code, request.partnership_id)
    return views.rule_setting(rule, record)
