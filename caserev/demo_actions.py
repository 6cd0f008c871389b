"""The demo's learning into change, played through the actions service's own commands:

- The toddler's LCSPR (NB-2025-031, begun months ago) has two lessons, two recommendations and an action in
  every status: not started, on track, at risk, overdue (never typed: its date passed), completed awaiting its
  impact check, closed by the Executive, and not implemented with its reason.
- Its learning brief was sent to every agency, acknowledged by two and used at a practitioner event.
- The infant's rapid review (NB-2026-014) has a lesson on information sharing, which recurs across the two
  reviews: its plan warns of the toddler review's open and not-implemented actions on that theme; and an
  immediate action of the rapid review owned by the demo action owner.

Made-up lessons and people only. Seeding again changes nothing once the toddler review has its lessons.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta

from caserev.bus import service_client
from services.actions.contract import (
    Actions,
    AssignAction,
    MakeRecommendation,
    RecordBrief,
    RecordDissemination,
    RecordImpact,
    RecordLesson,
    UpdateAction,
)
from services.kernel.calendar import today_in_england
from services.kernel.config import OperatorSettings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once

EARLIER_REVIEW = "NB-2025-031 toddler, neglect"
LATER_REVIEW = "NB-2026-014 infant, serious harm"


def _in(days: int) -> date:
    return today_in_england() + timedelta(days=days)


def seed_actions(
    settings: OperatorSettings,
    review_ids: dict[str, uuid.UUID],
    partnership_id: uuid.UUID,
    user_of: Callable[[str], uuid.UUID],
    agency_of: Callable[[str], uuid.UUID],
    wait: Callable[[Callable[[], object], str], object],
) -> None:
    """The plans above (skipped if the toddler review already has lessons)."""
    earlier, later = review_ids[EARLIER_REVIEW], review_ids[LATER_REVIEW]

    def person(email: str, role: str, agency: str | None = None) -> Actor:
        return Actor(
            user_id=str(user_of(email)),
            partnership_id=partnership_id,
            agency_id=agency_of(agency) if agency else None,
            roles=frozenset({role}),
            reviews=frozenset({earlier, later}),
        )

    manager = person("business.manager@northbridge.example", Role.BUSINESS_MANAGER)
    executive = person("executive@northbridge.example", Role.EXECUTIVE)
    owner = user_of("action.owner@northbridge.example")
    police, health = user_of("police.lead@northbridge.example"), user_of("health.lead@northbridge.example")

    with service_client(settings, Actions) as actions:

        def knows_everything() -> bool:
            try:
                owners = {choice.user_id for choice in run_at_once(actions.owners(manager))}
                run_at_once(actions.plan_of_review(manager, later))
                plan = run_at_once(actions.plan_of_review(manager, earlier))
            except Exception:
                return False
            return {owner, police, health} <= owners and plan is not None

        # The service learns of reviews from forms' events and of people from the gateway's.
        wait(knows_everything, "the actions service learning of the demo's reviews and people")
        if run_at_once(actions.plan_of_review(manager, earlier)).lessons:
            return

        def lesson(review: uuid.UUID, finding: str, *themes: str) -> uuid.UUID:
            command = RecordLesson(review_id=review, finding=finding, themes=list(themes))
            return run_at_once(actions.record_lesson(manager, command)).id

        def recommendation(
            review: uuid.UUID, text: str, lessons: list[uuid.UUID], audience: str
        ) -> uuid.UUID:
            command = MakeRecommendation(review_id=review, text=text, lesson_ids=lessons, audience=audience)  # type: ignore[arg-type]
            return run_at_once(actions.make_recommendation(manager, command)).id

        def assign(
            review: uuid.UUID, answers: uuid.UUID | None, what: str, who: uuid.UUID, due: date, measure: str
        ) -> uuid.UUID:
            command = AssignAction(
                review_id=review,
                recommendation_id=answers,
                source="recommendation" if answers else "rapid_review",
                description=what,
                owner_id=who,
                due_on=due,
                success_measure=measure,
            )
            return run_at_once(actions.assign_action(manager, command)).id

        def update(action_id: uuid.UUID, status: str, note: str, reason: str = "") -> None:
            command = UpdateAction(action_id=action_id, status=status, note=note, reason=reason)  # type: ignore[arg-type]
            run_at_once(actions.update_action(manager, command))

        sharing = lesson(
            earlier,
            "Health visiting and early help each held part of the picture of the toddler's weight loss; "
            "neither shared it with children's social care until the hospital admission.",
            "information_sharing",
            "neglect",
        )
        fathers = lesson(
            earlier,
            "The mother's partner lived in the household but was never seen or assessed by any agency.",
            "fathers_and_men",
        )
        share_referrals = recommendation(
            earlier,
            "The partnership should agree a shared threshold for passing concerns about a young child's "
            "growth to children's social care the same day.",
            [sharing],
            "partnership",
        )
        # A recommendation to named agencies names them: the police and health.
        see_fathers = run_at_once(
            actions.make_recommendation(
                manager,
                MakeRecommendation(
                    review_id=earlier,
                    text="Agencies should record and assess every adult living in a young child's household.",
                    lesson_ids=[fathers],
                    audience="agency",
                    agency_ids=[agency_of("Northbridge Police"), agency_of("Northbridge Health ICB")],
                ),
            )
        ).id

        assign(
            earlier,
            share_referrals,
            "Publish the same-day threshold for growth concerns",
            police,
            _in(120),
            "Threshold published and cited in 90% of audited referrals",
        )
        on_track = assign(
            earlier,
            share_referrals,
            "Audit referrals about young children's growth",
            police,
            _in(60),
            "Quarterly audit of 20 referrals",
        )
        update(on_track, "on_track", "First audit sample drawn; results due next month.")
        at_risk = assign(
            earlier,
            see_fathers,
            "Add household members to the health visiting record",
            health,
            _in(30),
            "Every new birth visit records each adult in the household",
        )
        update(at_risk, "at_risk", "The record system change is waiting for the supplier's release.")

        def overdue_assigned() -> uuid.UUID | None:
            # Due before today: allowed once the service knows the review began with its notification.
            try:
                return assign(
                    earlier,
                    see_fathers,
                    "Brief children's services teams on assessing fathers and men",
                    owner,
                    _in(-10),
                    "Every team briefed, with attendance recorded",
                )
            except Exception:
                return None

        overdue = wait(overdue_assigned, "the actions service learning when the toddler's review began")
        assert isinstance(overdue, uuid.UUID)
        update(overdue, "on_track", "Three of five teams briefed.")
        completed = assign(
            earlier,
            share_referrals,
            "Train health visitors in the referral pathway",
            police,
            _in(20),
            "All health visitors trained",
        )
        update(completed, "completed", "All 42 health visitors attended the training.")
        closed = assign(
            earlier,
            see_fathers,
            "Add a prompt about other adults to the police domestic abuse form",
            health,
            _in(15),
            "Prompt live on the form",
        )
        update(closed, "completed", "The prompt went live on the form.")
        run_at_once(
            actions.record_impact(
                manager,
                RecordImpact(
                    action_id=closed,
                    practice_changed="yes",
                    how_tested="Dip sample of 30 forms: 28 recorded every adult in the household.",
                ),
            )
        )
        run_at_once(actions.sign_off(executive, closed))
        dropped = assign(
            earlier,
            share_referrals,
            "Commission a shared growth-monitoring dashboard",
            owner,
            _in(45),
            "Dashboard in use by health visiting and early help",
        )
        update(
            dropped,
            "not_implemented",
            "The commissioning round closed without a provider.",
            reason="No provider could meet the data-sharing requirements; the audit action covers the risk.",
        )

        brief = run_at_once(
            actions.record_brief(
                manager,
                RecordBrief(review_id=earlier, title="Seeing the whole household", published_on=_in(-40)),
            )
        )
        for kind, to_whom, days, people in (
            ("sent", "Every Northbridge agency's safeguarding lead", -38, None),
            ("acknowledged", "Northbridge Police", -30, None),
            ("acknowledged", "Northbridge Health ICB", -28, None),
            ("training", "Multi-agency practitioner learning event", -14, 46),
        ):
            run_at_once(
                actions.record_dissemination(
                    manager,
                    RecordDissemination(
                        review_id=earlier,
                        brief_id=brief.id,
                        kind=kind,
                        to_whom=to_whom,
                        on=_in(days),
                        people=people,
                    ),
                )
            )

        infant = lesson(
            later,
            "The maternity unit and the health visitor did not share the mother's disclosure of domestic "
            "abuse before the infant's discharge.",
            "information_sharing",
            "pre_birth_babies",
        )
        assert infant
        assign(
            later,
            None,
            "Safety plan for the sibling reviewed weekly until the strategy meeting",
            owner,
            _in(14),
            "Weekly reviews recorded on the sibling's case file",
        )
