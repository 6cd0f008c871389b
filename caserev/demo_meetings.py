"""The demo's meetings, played through the meetings service as people use it (the services must be running):

- NB-2026-009 (overdue): its rapid review meeting was held three days ago; attendance recorded, the minutes
  approved by the chair with an action and a decision arising (so forms completes the review's meeting step).
- NB-2026-014 (under way): the rapid review meeting is scheduled on its day of the day plan, with replies
  (the police accept, health sends a deputy); a practitioner learning event was scheduled, then cancelled.
- NB-2026-014: a contact with the family, recorded by the business manager.

Made-up people and events only. Seeding again adds nothing once a review has meetings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from caserev.bus import service_client
from services.kernel.calendar import add_working_days, today_in_england
from services.kernel.config import OperatorSettings
from services.kernel.identity import Actor, Role
from services.kernel.remote import run_at_once
from services.meetings.contract import (
    Attendance,
    Circulation,
    FamilyContact,
    Invitee,
    Meetings,
    MinutesComment,
    MinutesDraft,
    MinutesItem,
    Reply,
    ScheduleMeeting,
)

# (e-mail, role) of the Northbridge people the demo invites.
INVITED = (
    ("business.manager@northbridge.example", "business_manager"),
    ("subgroup@northbridge.example", "subgroup_member"),
    ("police.lead@northbridge.example", "agency_lead"),
    ("health.lead@northbridge.example", "agency_lead"),
    ("reviewer@northbridge.example", "independent_reviewer"),
)


def seed_meetings(
    settings: OperatorSettings,
    partnership_id: uuid.UUID,
    reviews: dict[str, uuid.UUID],
    user_id_of: Callable[[str], uuid.UUID],
    name_of: Callable[[str], str],
) -> None:
    """The meetings of two Northbridge reviews, in several states."""
    ids = {email: str(user_id_of(email)) for email, _ in INVITED}
    invitees = [Invitee(user_id=ids[email], name=name_of(email), role=role) for email, role in INVITED]

    def person(email: str, role: str, review_id: uuid.UUID) -> Actor:
        return Actor(
            user_id=ids[email],
            partnership_id=partnership_id,
            roles=frozenset({role}),
            reviews=frozenset({review_id}),
        )

    # The business manager, as the system: it may record a meeting held before the demo began.
    seeder = Actor(
        user_id=ids["business.manager@northbridge.example"],
        partnership_id=partnership_id,
        roles=frozenset({Role.BUSINESS_MANAGER, Role.SYSTEM}),
    )
    overdue, under_way = (
        reviews["NB-2026-009 child, serious injury"],
        reviews["NB-2026-014 infant, serious harm"],
    )
    chair = ids["subgroup@northbridge.example"]

    def plan(review_id: uuid.UUID, title: str, kind: str, day: date, hour: int) -> ScheduleMeeting:
        return ScheduleMeeting(
            review_id=review_id,
            review_reference=title,
            kind=kind,  # type: ignore[arg-type]
            starts_at=datetime.combine(day, time(hour)),
            ends_at=datetime.combine(day, time(hour + 2)),
            place="Committee Room 2, Northbridge Civic Centre",
            online_link="https://meet.example/northbridge-review",
            chair_id=chair,
            agenda=[
                {
                    "title": "Agency summaries and key practice episodes",
                    "owner_id": ids["police.lead@northbridge.example"],
                },
                {"title": "Immediate safeguarding actions"},
                {"title": "Learning and the recommendation to the partners"},
            ],
            invitees=invitees,
            # Practitioners who knew the family take part in a learning event without an account.
            participants=[
                {"name": "Robin Demo-Nurse", "role": "school nurse"},
                {"name": "Chris Demo-Worker", "role": "family support worker"},
            ]
            if kind == "practitioner_event"
            else [],
        )

    with service_client(settings, Meetings) as meetings:
        if run_at_once(meetings.meetings_of_review(seeder, overdue)) or run_at_once(
            meetings.meetings_of_review(seeder, under_way)
        ):
            return
        today = today_in_england()

        # Held, minutes approved, actions arising.
        held = run_at_once(
            meetings.schedule_meeting(
                seeder, plan(overdue, "NB-2026-009", "rapid_review_meeting", today - timedelta(days=3), 10)
            )
        )
        for email in ("police.lead@northbridge.example", "health.lead@northbridge.example"):
            run_at_once(
                meetings.reply(person(email, Role.AGENCY_LEAD, overdue), held.id, Reply(reply="accepted"))
            )
        present = [ids[email] for email, _ in INVITED if email != "reviewer@northbridge.example"]
        apologies = [ids["reviewer@northbridge.example"]]
        run_at_once(
            meetings.record_attendance(seeder, held.id, Attendance(present=present, apologies=apologies))
        )
        minutes = MinutesDraft(
            text="The sub-group heard each agency's summary. Information sharing between the GP and the "
            "school nurse was the main practice episode. Immediate actions were confirmed.",
            items=[
                MinutesItem(
                    kind="action",
                    what="Confirm the GP and school nurse information-sharing protocol is in use",
                    owner_id=ids["health.lead@northbridge.example"],
                    due_on=add_working_days(today, 10),
                ),
                MinutesItem(
                    kind="action",
                    what="Brief front-line officers on referrals where a child is not seen",
                    owner_id=ids["police.lead@northbridge.example"],
                    due_on=add_working_days(today, 15),
                ),
                MinutesItem(kind="decision", what="Recommend a local child safeguarding practice review"),
            ],
        )
        run_at_once(meetings.save_minutes(seeder, held.id, minutes))
        run_at_once(meetings.circulate_minutes(seeder, held.id, Circulation(comments_by=today)))
        police = person("police.lead@northbridge.example", Role.AGENCY_LEAD, overdue)
        run_at_once(
            meetings.comment_on_minutes(
                police, held.id, MinutesComment(text="Please add the strategy meeting date.")
            )
        )
        run_at_once(
            meetings.approve_minutes(
                person("subgroup@northbridge.example", Role.SUBGROUP_MEMBER, overdue), held.id
            )
        )

        # Scheduled on the day plan's day (working day 12 after the notification, five working days ago).
        meeting_day = add_working_days(today, 7)
        scheduled = run_at_once(
            meetings.schedule_meeting(
                seeder, plan(under_way, "NB-2026-014", "rapid_review_meeting", meeting_day, 10)
            )
        )
        run_at_once(
            meetings.reply(
                person("police.lead@northbridge.example", Role.AGENCY_LEAD, under_way),
                scheduled.id,
                Reply(reply="accepted"),
            )
        )
        run_at_once(
            meetings.reply(
                person("health.lead@northbridge.example", Role.AGENCY_LEAD, under_way),
                scheduled.id,
                Reply(reply="deputy", deputy_name="Named nurse for safeguarding (deputy)"),
            )
        )

        # Scheduled, then cancelled.
        event = run_at_once(
            meetings.schedule_meeting(
                seeder, plan(under_way, "NB-2026-014", "practitioner_event", add_working_days(today, 20), 13)
            )
        )
        run_at_once(meetings.cancel_meeting(seeder, event.id))

        run_at_once(
            meetings.record_family_contact(
                seeder,
                under_way,
                FamilyContact(
                    contacted_on=today - timedelta(days=1),
                    family_member="Mother",
                    method="Home visit",
                    through_professional="The family's health visitor",
                    consent=True,
                    wishes="To understand why the injuries were not noticed sooner",
                    outcome="Agreed to meet the independent reviewer",
                    wants_report_before_publication=True,
                ),
            )
        )
