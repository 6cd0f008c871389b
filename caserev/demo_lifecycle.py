"""Where the demo's reviews stand: each one's steps with synthetic answers dated relative to today, and its
agencies' returns, played through the forms service's own commands (so the clock, the stages and the
events are what a user's actions would make). Replaying skips what is already done.

Stages shown: a rapid review under way (returns in, in draft and not started), one overdue, one LCSPR
paused for a criminal trial, a SAR just referred, a DHR awaiting its decision, and Eastmoor's review.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.forms.contract import Forms, RecordPause
from services.kernel.calendar import is_working_day, today_in_england
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once

SYSTEM = Actor(user_id="system:seed-demo", roles=frozenset({Role.SYSTEM}))


def working_days_ago(count: int) -> str:
    """The date `count` working days before today (ISO)."""
    day = today_in_england()
    while count > 0:
        day -= timedelta(days=1)
        count -= is_working_day(day)
    return day.isoformat()


def days_ago(count: int) -> str:
    return (today_in_england() - timedelta(days=count)).isoformat()


CHILD_SUMMARY = (
    "Infant A (4 months) admitted with injuries not consistent with the account given. "
    "Known to health visiting and to police after a domestic incident."
)


def referral(
    aware: str, incident: str, nature: str = "serious_harm", summary: str = CHILD_SUMMARY
) -> dict[str, Any]:
    """A referral's answers (synthetic: roles and initials only)."""
    return {
        "referring_organisation": "Northbridge Hospital Trust",
        "referrer_role": "Named nurse for safeguarding",
        "incident_date": incident,
        "date_aware": aware,
        "nature": nature,
        "summary": summary,
        "senior_lead_agreed": True,
    }


CRITERIA_MET = {
    "abuse_or_neglect": "suspected",
    "abuse_or_neglect_rationale": "Injuries unexplained; medical opinion is that they are inflicted.",
    "harm": "seriously_harmed",
    "harm_rationale": "Fractures and a head injury needing intensive care: serious harm.",
    "looked_after_child_death": False,
    "care_leaver_death": False,
}


def sin(aware: str, incident: str, notified: str, children: int = 1) -> dict[str, Any]:
    child = {
        "sex": "male",
        "age_years": 0,
        "ethnicity": "white",
        "disability": "no",
        "legal_status": ["child_in_need"],
        "placement": "with_parents",
    }
    return {
        "notifying_local_authority": "Northbridge Council",
        "notifier_role": "Head of safeguarding",
        "incident_date": incident,
        "date_aware": aware,
        "notified_on": notified,
        "nature": "serious_harm",
        "children": [child] * children,
        "known_to_agencies": True,
        "agencies_known": "Health visiting, police, children's social care",
        "case_outline": "Child A admitted with inflicted injuries; parents known to services after a "
        "domestic incident reported by a neighbour.",
        "police_investigation": "yes",
        "other_local_authorities": "",
        "threshold_met": "yes",
    }


@dataclass(frozen=True)
class ReturnPlan:
    """What the demo does with one agency's return: leave it, draft it, submit it or make it nil."""

    agency: str
    action: str  # requested, draft, submitted, nil


@dataclass(frozen=True)
class Lifecycle:
    """A demo review's steps (code, answers, acting roles), its returns, and an open pause if any."""

    steps: tuple[tuple[str, dict[str, Any], tuple[str, ...]], ...]
    returns: tuple[ReturnPlan, ...] = ()
    pause: dict[str, Any] | None = None
    returns_after: str = "rapid_review"

    def play(
        self,
        forms: Forms,
        review_id: uuid.UUID,
        code: str,
        partnership_id: uuid.UUID,
        agency_id_of: Callable[[str, str], uuid.UUID],
        person_of: Callable[[str, str], str | None] = lambda role, agency: None,
    ) -> None:
        """Complete the steps not completed yet, then the returns and the pause (skipping what is done).
        Each step is recorded by the demo person holding its role (`person_of`), on the day its story
        dates it, so that "completed on" and the stages tell the same story. `forms` answers at once (a
        blocking client, caserev/bus.py)."""

        def acting(roles: tuple[str, ...]) -> Actor:
            # The system, on the person's behalf: only the system may record a step on an earlier day.
            return Actor(
                user_id=person_of(roles[0], "") or "system:seed-demo",
                partnership_id=partnership_id,
                roles=frozenset({*roles, Role.SYSTEM}),
            )

        review = run_at_once(forms.get_review_file(SYSTEM, review_id))
        done = {step.code for step in review.steps if step.status == "completed"}
        recorded_on = ""
        for step, answers, roles in self.steps:
            recorded_on = max([recorded_on, *_dates_in(answers)])
            if step in done:
                continue
            if step == self.returns_after:
                answers = {
                    **answers,
                    "agencies": [
                        {"agency_id": str(agency_id_of(code, plan.agency)), "name": plan.agency}
                        for plan in self.returns
                    ],
                }
            saved = run_at_once(forms.save_step(acting(roles), review_id, step, answers, None))
            version = next(s.version for s in saved.steps if s.code == step)
            run_at_once(
                forms.complete_step(
                    acting(roles),
                    review_id,
                    step,
                    version,
                    f"seed-demo:{review_id}:{step}",
                    date.fromisoformat(recorded_on) if recorded_on else None,
                )
            )
            if step == self.returns_after:
                self._returns(forms, review_id, partnership_id, code, agency_id_of, person_of)
        if self.pause is not None:
            review = run_at_once(forms.get_review_file(SYSTEM, review_id))
            if not review.pauses:
                manager = acting((Role.BUSINESS_MANAGER,))
                pause = RecordPause.model_validate(self.pause)
                run_at_once(forms.record_pause(manager, review_id, pause, f"seed-demo:{review_id}:pause"))

    def _returns(
        self,
        forms: Forms,
        review_id: uuid.UUID,
        partnership_id: uuid.UUID,
        code: str,
        agency_id_of: Callable[[str, str], uuid.UUID],
        person_of: Callable[[str, str], str | None],
    ) -> None:
        review = run_at_once(forms.get_review_file(SYSTEM, review_id))
        by_agency = {r.agency_name: r for r in review.returns}
        for plan in self.returns:
            found = by_agency.get(plan.agency)
            if found is None or found.status != "requested" or plan.action == "requested":
                continue
            lead = Actor(
                user_id=person_of(Role.AGENCY_LEAD, plan.agency) or "system:seed-demo",
                partnership_id=partnership_id,
                agency_id=agency_id_of(code, plan.agency),
                roles=frozenset({Role.AGENCY_LEAD, Role.SYSTEM}),
            )
            # A return the story has in was sent by its due date (today if that is still to come).
            sent_on = min(found.due_on, today_in_england())
            if plan.action == "nil":
                run_at_once(forms.nil_return(lead, found.id, found.version, sent_on))
                continue
            answers = AGENCY_SUMMARY if plan.action == "submitted" else {"author_role": "Detective sergeant"}
            saved = run_at_once(forms.save_return(lead, found.id, answers, found.version))
            if plan.action == "submitted":
                run_at_once(forms.submit_return(lead, found.id, saved.version, sent_on))


def _dates_in(answers: dict[str, Any]) -> list[str]:
    """The ISO dates among a step's answers (its own date, say when the notification was sent)."""
    found = []
    for value in answers.values():
        if isinstance(value, str) and len(value) == 10:
            try:
                found.append(date.fromisoformat(value).isoformat())
            except ValueError:
                continue
    return found


AGENCY_SUMMARY = {
    "author_role": "Named professional for safeguarding",
    "involvement_from": days_ago(400),
    "involvement_to": days_ago(20),
    "summary": "Universal health visiting from birth; two missed contacts; a domestic incident noted "
    "in the records but not shared with the GP.",
    "episodes": [
        {
            "what_happened": "New birth visit: mother disclosed low mood.",
            "went_well": "Screening was done and a follow-up booked.",
            "could_improve": "The follow-up was not chased when missed.",
        }
    ],
    "immediate_actions": "Records secured; the family's health visitor supported by supervision.",
    "learning": "Missed contacts with babies under one are escalated after the second.",
    "records_secured": True,
}

MANAGER = ("business_manager",)
EXECUTIVE = ("executive",)


def _rapid_review_so_far(
    aware: int, notified: int, letters: int
) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """Referral, criteria check, notification and letters, dated in working days before today."""
    aware_on, incident_on = working_days_ago(aware), working_days_ago(aware + 1)
    return [
        ("referral", referral(aware_on, incident_on), MANAGER),
        ("criteria_check", CRITERIA_MET, MANAGER),
        ("notification", sin(aware_on, incident_on, working_days_ago(notified)), MANAGER),
        ("rapid_review", {"letters_sent_on": working_days_ago(letters)}, MANAGER),
    ]


def _lcspr_paused() -> Lifecycle:
    steps = _rapid_review_so_far(aware=118, notified=115, letters=114)
    steps += [
        (
            "meeting",
            {
                "held_on": working_days_ago(104),
                "immediate_safety_actions": "Sibling's plan reviewed; GP alerted.",
                "learning": "Neglect drifted without a chronology across agencies.",
            },
            MANAGER,
        ),
        (
            "report",
            {
                "lived_experience": "Toddler B's days were shaped by hunger and missed health appointments.",
                "learning_under_way": "Neglect toolkit relaunched.",
                "parallel_processes": "Police investigation of neglect.",
                "local_authority_signed_on": working_days_ago(102),
                "police_signed_on": working_days_ago(102),
                "health_signed_on": working_days_ago(102),
            },
            MANAGER,
        ),
        (
            "decision",
            {
                "outcome": "lcspr",
                "rationale": "Both criteria met and the case may show systemic learning about neglect.",
                "decided_on": working_days_ago(101),
            },
            EXECUTIVE,
        ),
        ("panel_submission", {"sent_on": working_days_ago(100), "copied_to_ofsted_and_dfe": True}, MANAGER),
        ("panel_response", {"received_on": working_days_ago(92), "response": "agrees"}, MANAGER),
        (
            "lcspr_setup",
            {
                "lead_reviewer": "Independent reviewer (demo)",
                "lead_reviewer_appointed_on": working_days_ago(85),
                "review_group_formed": True,
                "practitioner_group_formed": True,
                "family_informed": True,
                "terms_of_reference_agreed": True,
                "chronology_template_issued": True,
                "methodology": "Systems approach",
            },
            MANAGER,
        ),
    ]
    return Lifecycle(
        steps=tuple(steps),
        returns=(
            ReturnPlan("Northbridge Police", "submitted"),
            ReturnPlan("Northbridge Health ICB", "submitted"),
        ),
        pause={
            "reason": "criminal_investigation",
            "detail": "Criminal trial listed; the police asked that practitioners are not interviewed "
            "before it.",
            "starts_on": days_ago(30),
            "ends_on": None,
            "approved_by": "Lead safeguarding partner (police)",
        },
    )


LIFECYCLES: dict[str, Lifecycle] = {
    # A rapid review under way: one return in, one in draft, one not started.
    "NB-2026-014 infant, serious harm": Lifecycle(
        steps=tuple(_rapid_review_so_far(aware=7, notified=5, letters=4)),
        returns=(
            ReturnPlan("Northbridge Children's Services", "submitted"),
            ReturnPlan("Northbridge Police", "draft"),
            ReturnPlan("Northbridge Health ICB", "requested"),
        ),
    ),
    # Overdue: the notification went 20 working days ago and the rapid review report has not.
    "NB-2026-009 child, serious injury": Lifecycle(
        steps=tuple(_rapid_review_so_far(aware=22, notified=20, letters=19)),
        returns=(
            ReturnPlan("Northbridge Police", "submitted"),
            ReturnPlan("Northbridge Health ICB", "requested"),
        ),
    ),
    # An LCSPR paused for a criminal trial.
    "NB-2025-031 toddler, neglect": _lcspr_paused(),
    # A SAR referred three working days ago: its acknowledgement is due soon.
    "NB-SAR-2026-03": Lifecycle(
        steps=(
            (
                "referral",
                referral(
                    working_days_ago(3),
                    working_days_ago(5),
                    summary="Adult C (68), with care and support needs, found with pressure sores after "
                    "home care visits stopped.",
                ),
                MANAGER,
            ),
        )
    ),
    # A DHR notified ten days ago, awaiting the decision.
    "NB-DHR-2026-01": Lifecycle(
        steps=(
            (
                "notification",
                referral(
                    days_ago(10),
                    days_ago(12),
                    "death",
                    summary="Adult D (34) died; the police treat it as a domestic homicide.",
                ),
                MANAGER,
            ),
        )
    ),
    "EM-2026-007 adolescent, extra-familial harm": Lifecycle(
        steps=tuple(_rapid_review_so_far(aware=4, notified=3, letters=2)),
        returns=(ReturnPlan("Eastmoor Police", "requested"), ReturnPlan("Eastmoor Health ICB", "requested")),
    ),
}
