"""The notification rules as data: what a broken rule does (nothing, and says why), when a date rule
fires, whom a rule reaches, and what its words may say."""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest

from services.notifications import domain
from services.notifications.rules import known_events, load_rules, read_rules
from services.notifications.schedule import occurrence_on

RETURN_RULE = {
    "code": "chase",
    "label": "Chase",
    "kind": "return_overdue",
    "urgency": "urgent",
    "track": "return",
    "after": True,
    "every": True,
    "days": 1,
    "min_days": 1,
    "max_days": 3,
    "to": ["agency_lead"],
    "link": "/returns/{subject}",
    "title": "Overdue by {days_overdue}",
    "body": "{agency} was due by {due_on}.",
}
RETURN_TRACK = {
    "subject": "return_id",
    "events": {
        "forms.return_requested": {"effect": "open", "due": "due_on", "agency": "agency_id"},
        "forms.return_submitted": {"effect": "close"},
    },
}


def book(*rules: dict, tracks: dict | None = None):
    return read_rules(
        {"tracks": tracks if tracks is not None else {"return": RETURN_TRACK}, "rules": list(rules)}
    )


def test_the_shipped_rules_work_for_every_event_that_exists_and_wait_for_the_rest():
    shipped = load_rules()
    active = {rule.code for rule in shipped.active_rules()}
    assert {
        "return_requested",
        "return_due_soon",
        "return_overdue",
        "return_escalated_to_manager",
        "return_escalated_to_partner",
        "statutory_deadline_at_risk",
        "statutory_deadline_missed",
        "meeting_invitation",
        "meeting_updated",
        "meeting_cancelled",
        "meeting_reminder",
        "meeting_reply",
        "minutes_for_comment",
        "action_assigned",
        "action_due_soon",
        "action_overdue",
        "action_escalated_to_executive",
        "accuracy_requested",
        "accuracy_check_due_soon",
        "accuracy_check_overdue",
        "accuracy_disputed",
        "version_signed_off",
    } <= active
    # The reports service publishes the factual-accuracy events: no shipped rule waits for a part to come.
    waiting = {rule.code: rule.problems for rule in shipped.rules if not rule.active}
    assert waiting == {}
    assert all(event in known_events() for event in shipped.events_handled())
    assert all(rule.problem_in_words is None for rule in shipped.active_rules())
    assert shipped.rule("meeting_invitation").recipients_in_words() == ["The people invited to the meeting"]  # type: ignore[union-attr]
    assert shipped.rule("action_overdue").recipients_in_words() == [  # type: ignore[union-attr]
        "The person the action is assigned to",
        "The business manager",
    ]


def test_the_words_for_users_never_name_an_event_nor_a_field():
    shipped = load_rules()
    named = set(known_events()) | {rule.event for rule in shipped.rules if rule.event}
    for rule in shipped.rules:
        words = " ".join([rule.problem_in_words or "", *rule.recipients_in_words()])
        assert "event" not in words, (rule.code, words)
        assert not any(event in words for event in named), (rule.code, words)
        assert "(yet)" not in words and "`" not in words and "_" not in words, (rule.code, words)


def test_a_rule_naming_an_unknown_event_is_kept_inactive_with_the_reason_and_the_others_still_work():
    rules = book(
        RETURN_RULE,
        {**RETURN_RULE, "code": "typo", "track": None, "event": "forms.return_requestd", "after": False},
    )
    assert rules.rule("chase").active
    typo = rules.rule("typo")
    assert typo is not None and not typo.active
    assert "no service publishes the event forms.return_requestd" in typo.problems[0]  # for the log
    assert "forms.return_requestd" not in rules.events_handled()
    # Not a part of Case Review to come: a mistake to correct, said without the event's name.
    assert typo.problem_in_words == (
        "The rule is set up wrongly in the rules file, so it sends nothing. "
        "Ask your Case Review support team to correct it"
    )


def test_a_rule_waiting_for_a_part_to_come_and_with_a_mistake_too_is_a_mistake_to_correct():
    waiting = {
        **RETURN_RULE,
        "code": "invite",
        "track": None,
        "after": False,
        "event": "meetings.meeting_held",
    }
    rule = book(waiting).rule("invite")
    assert rule is not None and rule.problem_in_words == (
        "Starts working when review meetings are added to Case Review"
    )
    also_wrong = book({**waiting, "to": ["the_cat"]}).rule("invite")
    assert also_wrong is not None and also_wrong.problem_in_words.startswith("The rule is set up wrongly")  # type: ignore[union-attr]
    twice = book(waiting, waiting).rules[1]
    assert twice.problem_in_words.startswith("The rule is set up wrongly")  # type: ignore[union-attr]


def test_a_date_rule_waits_for_the_part_its_track_follows():
    track = {"subject": "action_id", "events": {"actions.action_set": {"effect": "open", "due": "due_on"}}}
    rule = book(
        {**RETURN_RULE, "track": "action", "to": ["business_manager"]}, tracks={"action": track}
    ).rule("chase")
    assert rule is not None and not rule.active
    assert rule.problem_in_words == "Starts working when actions from reviews are added to Case Review"
    typo = {"subject": "return_id", "events": {"forms.return_requestd": {"effect": "open"}}}
    wrong = book(RETURN_RULE, tracks={"return": typo}).rule("chase")
    assert wrong is not None and wrong.problem_in_words.startswith("The rule is set up wrongly")  # type: ignore[union-attr]


def test_an_event_rule_starts_working_once_its_event_exists_with_no_code_change():
    meeting = {
        **RETURN_RULE,
        "code": "invite",
        "track": None,
        "after": False,
        "every": False,
        "event": "meetings.room_booked",
        "to": ["user:invitee_ids"],
        "link": "/meetings/{meeting_id}",
        "title": "Invitation",
        "body": "You are invited.",
    }
    assert not book(meeting).rule("invite").active  # type: ignore[union-attr]

    from typing import ClassVar

    from services.kernel.events import EventData

    class RoomBooked(EventData):
        event_type: ClassVar[str] = "meetings.room_booked"
        meeting_id: uuid.UUID
        invitee_ids: list[uuid.UUID]

    later = read_rules(
        {"tracks": {}, "rules": [meeting]}, {**known_events(), "meetings.room_booked": RoomBooked}
    )
    assert later.rule("invite").active  # type: ignore[union-attr]
    assert later.events_handled() == ["meetings.room_booked"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"to": ["the_cat"]}, "unknown recipient 'the_cat'"),
        ({"days": 9}, "days 9 is outside 1 to 3"),
        ({"title": "Overdue by {child_name}"}, "uses child_name, which it cannot fill"),
        ({"link": "https://elsewhere.example/x"}, "the link must be a page of this site"),
        ({"urgency": "whenever"}, "urgency must be one of"),
        ({"before": True}, "a date rule is `before: true` or `after: true`"),
        ({"track": "meetings"}, "unknown track 'meetings'"),
        ({"days": "two"}, "`days` must be a whole number"),
    ],
)
def test_each_problem_of_a_rule_is_named(change, problem):
    rule = book({**RETURN_RULE, **change}).rule("chase")
    assert rule is not None and not rule.active
    assert any(problem in found for found in rule.problems), rule.problems


def test_a_track_on_a_field_the_event_does_not_have_is_not_active():
    broken = {**RETURN_TRACK, "subject": "the_return"}
    rules = book(RETURN_RULE, tracks={"return": broken})
    assert rules.tracks["return"].problems
    assert not rules.rule("chase").active  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------- dates


def test_a_reminder_comes_on_the_nth_working_day_before_or_the_first_working_day_after_if_missed():
    due = date(2026, 12, 30)  # Wednesday; 25 and 28 December are bank holidays
    fire = [
        d
        for d in (date(2026, 12, n) for n in range(20, 31))
        if occurrence_on(d, due, before=True, every=False, days=2)
    ]
    assert fire[0] == date(2026, 12, 24)
    assert (
        date(2026, 12, 25) not in fire and date(2026, 12, 26) not in fire and date(2026, 12, 28) not in fire
    )
    assert occurrence_on(date(2026, 12, 29), due, before=True, every=False, days=2).working_days == 1  # type: ignore[union-attr]
    assert occurrence_on(date(2026, 12, 31), due, before=True, every=False, days=2) is None


def test_a_chaser_is_numbered_by_the_working_days_late_so_each_day_has_its_own():
    due = date(2026, 12, 30)
    numbers = [
        occurrence_on(day, due, before=False, every=True, days=1)
        for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 4))
    ]
    assert [n.number if n else None for n in numbers] == [1, None, None, 2]
    assert occurrence_on(due, due, before=False, every=True, days=1) is None


def test_an_escalation_is_sent_once_from_its_day_on():
    due = date(2026, 12, 30)
    assert occurrence_on(date(2026, 12, 31), due, before=False, every=False, days=2) is None
    later = [
        occurrence_on(day, due, before=False, every=False, days=2)
        for day in (date(2027, 1, 4), date(2027, 1, 5))
    ]
    assert [o.number for o in later if o] == [0, 0]  # the same key: recorded once, never sent again


# ------------------------------------------------------------------------------------ whom, and words


@dataclass
class Person:
    display_name: str
    roles: list[str]
    agency_id: uuid.UUID | None = None
    email: str | None = "someone@test.example"
    active: bool = True
    partnership_id: uuid.UUID | None = None
    user_id: uuid.UUID = field(default_factory=uuid.uuid4)


def test_recipients_are_the_active_people_of_the_partnership_in_the_role_and_agency():
    partnership, other, police, schools = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    people = [
        Person("Lead", ["agency_lead"], police, partnership_id=partnership),
        Person("Gone", ["agency_lead"], police, active=False, partnership_id=partnership),
        Person("Elsewhere", ["agency_lead"], police, partnership_id=other),
        Person("Partner", ["safeguarding_partner"], police, partnership_id=partnership),
        Person("LA partner", ["safeguarding_partner"], None, partnership_id=partnership),
    ]
    pick = lambda who, agency: [  # noqa: E731
        p.display_name
        for p in domain.choose_recipients(who, people, partnership_id=partnership, agency_id=agency)
    ]
    assert pick("agency_lead", police) == ["Lead"]
    assert pick("agency_lead", schools) == []
    assert pick("agency_safeguarding_partner", police) == ["Partner"]
    assert pick("agency_safeguarding_partner", schools) == ["LA partner", "Partner"]
    assert "add one" in domain.nobody_reason("agency_lead", "Schools")


def test_a_message_email_links_to_the_page_and_says_it_holds_no_case_details():
    rule = book(RETURN_RULE).rule("chase")
    assert rule is not None
    wording = domain.word(
        rule,
        {"agency": "Testshire Police", "due_on": date(2026, 12, 30), "days_overdue": 2, "subject": "abc"},
    )
    assert wording.title == "Overdue by 2"
    assert wording.body == "Testshire Police was due by Wednesday 30 December 2026."
    letter = domain.message_letter("Pip Test", wording, "https://caserev.test/")
    assert "https://caserev.test/returns/abc" in letter.body
    assert "no details of the case" in letter.body


def test_sending_failures_say_whether_trying_again_could_help():
    refused = smtplib.SMTPRecipientsRefused({"x@test.example": (550, b"No such mailbox")})
    assert domain.failure_in_words(refused) == ("The mail server refused the address (550)", False)
    busy = smtplib.SMTPRecipientsRefused({"x@test.example": (451, b"Try later")})
    assert domain.failure_in_words(busy)[1] is True
    assert domain.failure_in_words(ConnectionRefusedError()) == ("The mail server could not be reached", True)
