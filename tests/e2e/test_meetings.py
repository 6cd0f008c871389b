"""Meetings on the real system, through the gateway: the business manager schedules the rapid review
meeting, invitations go out by e-mail with a calendar file, an invitee replies by the link (the later reply
wins), someone not invited is refused, papers go up checked by content and come down audited, attendance
and quorum are recorded, the minutes go from draft through comment to approved and locked, the review's
meeting step is done, and a cancelled meeting's calendar entry is cancelled with the same UID."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fpdf import FPDF
from icalendar import Calendar

from caserev.smtp_catcher import CaughtMessage, caught_messages
from services.kernel.calendar import ENGLAND, today_in_england
from tests.e2e.helpers import Database, SignedIn, sign_in
from tests.e2e.test_agency_returns import (  # noqa: F401 - the fixture is used by name
    HEALTH_LEAD,
    MANAGER,
    POLICE_AUTHOR,
    POLICE_LEAD,
    SYSTEM_ACTOR,
    RapidReview,
    call,
    new_rapid_review,
    user_id,
)
from tests.support.system import SystemEnv, wait_for

REVIEWER = "reviewer@northbridge.example"
PARTNER = "partner@northbridge.example"
EASTMOOR = "business.manager@eastmoor.example"
INVITED = (MANAGER, POLICE_LEAD, HEALTH_LEAD, REVIEWER)


def a_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Synthetic agenda paper")
    return bytes(pdf.output())


def mail(system: SystemEnv, address: str, link: str, attachment: str) -> list[CaughtMessage]:
    return [
        m
        for m in caught_messages(system.maildir, limit=1000)
        if address in m.recipients and link in m.body and any(name == attachment for name, _ in m.attachments)
    ]


def told(db: Database, email: str, meeting_id: str, rule: str) -> list[tuple[Any, ...]]:
    """The in-app messages of a rule to a person about a meeting."""
    return db.rows(
        "SELECT n.title FROM notifications.notification n"
        " JOIN notifications.person p ON p.user_id = n.user_id"
        " WHERE p.email = %s AND n.rule = %s AND n.link LIKE %s",
        (email, rule, f"%{meeting_id}"),
    )


def calendar_in(message: CaughtMessage) -> Any:
    (text,) = [body for name, body in message.attachments if name.endswith(".ics")]
    calendar = Calendar.from_ical(text)
    return calendar, next(iter(calendar.walk("VEVENT")))


def schedule(manager: SignedIn, review: RapidReview, starts: datetime, **change: Any) -> Any:
    form = {
        "kind": "rapid_review_meeting",
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": (starts + timedelta(hours=1)).strftime("%H:%M"),
        "place": "Committee Room 2, Civic Centre",
        "chair": str(user_id(MANAGER)),
        "invitees": [str(user_id(email)) for email in INVITED],
        "agenda-0-title": "Agency summaries",
        "agenda-0-owner": str(user_id(POLICE_LEAD)),
        **change,
    }
    return manager.client.post(f"/reviews/{review.id}/meetings", data={**form, "csrf_token": manager.csrf()})


def meeting_path(response: Any) -> str:
    assert response.status_code == 303, response.text[:800]
    path = response.headers["location"].split("#")[0]
    assert re.fullmatch(r"/reviews/[0-9a-f-]+/meetings/[0-9a-f-]+", path), path
    return path


@pytest.fixture
def later_today() -> datetime:
    now = datetime.now(ENGLAND).replace(second=0, microsecond=0) + timedelta(minutes=10)
    if now.hour >= 22:
        pytest.skip("a meeting later today must end before midnight, UK time")
    return now.replace(tzinfo=None)


def test_a_rapid_review_meeting_from_invitation_to_the_reviews_meeting_step_done(
    system: SystemEnv,
    db: Database,
    later_today: datetime,
    new_rapid_review: Any,  # noqa: F811 - the fixture of the returns suite
) -> None:
    review: RapidReview = new_rapid_review()
    manager, police = sign_in(system, MANAGER), sign_in(system, POLICE_LEAD)

    # The form offers the rapid review meeting on its day of the day plan.
    form = manager.client.get(f"/reviews/{review.id}/meetings/new?kind=rapid_review_meeting")
    assert form.status_code == 200 and "day plan has the rapid review meeting on" in form.text

    # A meeting in the past is refused, with the reason, and nothing is stored.
    past = schedule(manager, review, later_today - timedelta(days=2))
    assert past.status_code == 422 and "The meeting must start in the future" in past.text
    assert db.scalar("SELECT count(*) FROM meetings.meeting WHERE review_id = %s", (review.id,)) == 0

    path = meeting_path(schedule(manager, review, later_today))
    meeting_id = path.rsplit("/", 1)[1]

    # The invitation: by e-mail with the link and a calendar file, nothing of the case.
    (invitation,) = wait_for(
        lambda: mail(system, POLICE_LEAD, path, "invitation.ics"), message="the invitation"
    )
    calendar, event = calendar_in(invitation)
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert str(event["UID"]) == f"{meeting_id}@caserev"
    assert "Infant" not in invitation.body and "Infant" not in str(event.get("SUMMARY"))

    # The invitee replies by the link (signed in); the later reply wins and both are kept.
    assert police.post_form(path + "/reply", {"answer": "accepted"}).status_code == 303
    assert (
        police.post_form(path + "/reply", {"answer": "deputy", "deputy_name": "DS Deputy"}).status_code == 303
    )
    page = police.client.get(path)
    assert "Sending a deputy: DS Deputy" in page.text and "2 replies" in page.text

    # Someone not invited, and another partnership, are not told the meeting exists.
    for outsider in (sign_in(system, POLICE_AUTHOR), sign_in(system, EASTMOOR)):
        assert outsider.client.get(path).status_code == 404
        assert outsider.post_form(path + "/reply", {"answer": "accepted"}).status_code == 404

    # Papers: one over the limit is refused before it is read; a renamed program is refused with the reason;
    # a PDF goes up and comes down, audited.
    too_big = manager.client.post(
        path + "/papers",
        data={"csrf_token": manager.csrf()},
        files={"file": ("big.pdf", io.BytesIO(b"%PDF-1.4" + b"\0" * (22 * 1024 * 1024)), "application/pdf")},
    )
    assert too_big.status_code == 413 and "larger than" in too_big.text
    exe = manager.client.post(
        path + "/papers",
        data={"csrf_token": manager.csrf()},
        files={"file": ("agenda.pdf", io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200), "application/pdf")},
    )
    assert exe.status_code == 422 and "Windows program" in exe.text
    pdf = a_pdf()
    uploaded = manager.client.post(
        path + "/papers",
        data={"csrf_token": manager.csrf()},
        files={"file": ("agenda.pdf", io.BytesIO(pdf), "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text[:600]
    (paper,) = re.findall(rf'href="({re.escape(path)}/papers/[0-9a-f-]+)"', police.client.get(path).text)
    download = police.client.get(paper)
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert sign_in(system, POLICE_AUTHOR).client.get(paper).status_code == 404
    audited = db.scalar(
        "SELECT count(*) FROM audit.audit_entry WHERE record_type = 'meeting_paper' AND action = 'download'"
        " AND review_id = %s",
        (review.id,),
    )
    assert audited >= 2  # the invitee's download and the outsider's refusal

    # Attendance on the day; the quorum is shown.
    attendance = {f"attendance-{user_id(email)}": "present" for email in INVITED}
    assert manager.post_form(path + "/attendance", attendance).status_code == 303
    assert "Quorate" in manager.client.get(path).text

    # Minutes: drafted with an action arising, circulated, commented on, approved by the chair, locked.
    draft = {
        "text": "Agency summaries were discussed.",
        "item-0-kind": "action",
        "item-0-what": "Share the strategy discussion notes",
        "item-0-owner": str(user_id(POLICE_LEAD)),
        "item-0-due": (today_in_england() + timedelta(days=14)).isoformat(),
        "item-1-kind": "decision",
        "item-1-what": "Recommend a local review to the partners",
    }
    assert manager.post_form(path + "/minutes", draft).status_code == 303
    today = today_in_england().isoformat()
    assert manager.post_form(path + "/minutes/circulate", {"comments_by": today}).status_code == 303
    assert (
        police.post_form(
            path + "/minutes/comments", {"text": "Add the date of the strategy meeting"}
        ).status_code
        == 303
    )
    # Those who attended are told the minutes are out for comment; the organiser heard of each reply.
    for email, rule in ((POLICE_LEAD, "minutes_for_comment"), (MANAGER, "meeting_reply")):
        wait_for(
            lambda email=email, rule=rule: told(db, email, meeting_id, rule), message=f"{rule} to {email}"
        )
    assert manager.post_form(path + "/minutes/approve").status_code == 303
    locked = manager.post_form(path + "/minutes", {**draft, "text": "Changed after approval"})
    assert locked.status_code == 409 and "locked" in locked.text
    assert (
        manager.post_form(
            path + "/minutes/amendments", {"reason": "A date", "text": "The strategy meeting was on Monday"}
        ).status_code
        == 303
    )

    # The action arising is an event for the actions service; the review's meeting step is done.
    agreed = db.rows(
        "SELECT envelope->'data'->>'what' FROM meetings.outbox WHERE event_type = 'meetings.action_agreed'"
        " AND envelope->>'review_id' = %s",
        (review.id,),
    )
    assert agreed == [("Share the strategy discussion notes",)]

    def meeting_step() -> Any:
        file = call(system, "get_review_file", SYSTEM_ACTOR, review.id)
        step = next(s for s in file["steps"] if s["code"] == "meeting")
        return step if step["status"] == "completed" else None

    step = wait_for(meeting_step, message="the review's meeting step to be completed")
    assert step["completed_on"] is not None


def test_actions_agreed_in_approved_minutes_are_on_the_reviews_plan_with_their_meeting(
    system: SystemEnv,
    db: Database,
    later_today: datetime,
    new_rapid_review: Any,  # noqa: F811
) -> None:
    review: RapidReview = new_rapid_review()
    manager = sign_in(system, MANAGER)
    path = meeting_path(schedule(manager, review, later_today))
    attendance = {f"attendance-{user_id(email)}": "present" for email in INVITED}
    assert manager.post_form(path + "/attendance", attendance).status_code == 303
    due = today_in_england() + timedelta(days=21)
    draft = {
        "text": "Agency summaries were discussed.",
        "item-0-kind": "action",
        "item-0-what": "Share the strategy discussion notes",
        "item-0-owner": str(user_id(POLICE_LEAD)),
        "item-0-due": due.isoformat(),
        # The independent reviewer owns no actions of the partnership: this one waits to be assigned.
        "item-1-kind": "action",
        "item-1-what": "Write to the school about attendance",
        "item-1-owner": str(user_id(REVIEWER)),
        "item-1-due": due.isoformat(),
    }
    assert manager.post_form(path + "/minutes", draft).status_code == 303
    today = today_in_england().isoformat()
    assert manager.post_form(path + "/minutes/circulate", {"comments_by": today}).status_code == 303
    assert manager.post_form(path + "/minutes/approve").status_code == 303

    plan_path = f"/reviews/{review.id}/plan"

    def plan_with_both() -> str | None:
        page = manager.client.get(plan_path).text
        return page if 'id="meeting-actions"' in page and 'id="to-be-assigned"' in page else None

    page = wait_for(plan_with_both, message="the agreed actions on the review's plan")
    on_plan = page.split('id="meeting-actions"', 1)[1].split("</table>", 1)[0]
    assert "Share the strategy discussion notes" in on_plan and f'href="{path}"' in on_plan
    assert "Write to the school about attendance" not in on_plan
    waiting = page.split('id="to-be-assigned-table"', 1)[1].split("</table>", 1)[0]
    assert "Write to the school about attendance" in waiting
    assert "cannot own actions of the partnership" in waiting and f'href="{path}"' in waiting
    (item_id,) = re.findall(r'data-agreed-item-id="([0-9a-f-]+)"', waiting)
    (action_path,) = re.findall(r'href="(/actions/[0-9a-f-]+)"', on_plan)
    assert f'href="{path}" id="action-meeting"' in manager.client.get(action_path).text
    # Each agreed action once, however the event comes: one action and one waiting item.
    assert db.scalar("SELECT count(*) FROM actions.action WHERE review_id = %s", (review.id,)) == 1
    assert db.scalar("SELECT count(*) FROM actions.agreed_action WHERE review_id = %s", (review.id,)) == 2

    # The business manager completes the waiting one from the form the plan fills in from the minutes.
    form = manager.client.get(f"{plan_path}?assign={item_id}")
    assert f'value="agreed:{item_id}" selected' in form.text
    assigned = manager.post_form(
        f"/reviews/{review.id}/actions",
        {
            "answers": f"agreed:{item_id}",
            "description": "Write to the school about attendance",
            "owner_id": str(user_id(HEALTH_LEAD)),
            "due_on-day": str(due.day),
            "due_on-month": str(due.month),
            "due_on-year": str(due.year),
            "success_measure": "The school's reply is on file",
        },
    )
    assert assigned.status_code == 303, assigned.text[:800]
    page = manager.client.get(plan_path).text
    on_plan = page.split('id="meeting-actions"', 1)[1].split("</table>", 1)[0]
    assert "Write to the school about attendance" in on_plan and 'id="to-be-assigned"' not in page
    assert (
        db.rows("SELECT source, meeting_id::text FROM actions.action WHERE review_id = %s", (review.id,))
        == [("meeting", path.rsplit("/", 1)[1])] * 2
    )


def test_a_changed_then_cancelled_meeting_keeps_its_uid_with_a_rising_sequence_and_cannot_be_changed(
    system: SystemEnv,
    later_today: datetime,
    new_rapid_review: Any,  # noqa: F811
) -> None:
    review: RapidReview = new_rapid_review()
    manager = sign_in(system, MANAGER)
    next_week = later_today + timedelta(days=7)
    path = meeting_path(schedule(manager, review, next_week))
    meeting_id = path.rsplit("/", 1)[1]
    form = manager.client.get(path + "/edit")
    assert form.status_code == 200 and "Change the meeting" in form.text
    moved = {
        "kind": "rapid_review_meeting",
        "day": next_week.date().isoformat(),
        "start": "14:00",
        "end": "15:00",
        "place": "Committee Room 3, Civic Centre",
        "chair": str(user_id(MANAGER)),
        "invitees": [str(user_id(email)) for email in INVITED],
    }
    changed = manager.client.post(path, data={**moved, "csrf_token": manager.csrf()})
    assert changed.status_code == 303, changed.text[:600]

    def update() -> list[CaughtMessage]:
        return [m for m in mail(system, HEALTH_LEAD, path, "invitation.ics") if "has changed" in m.subject]

    (updated,) = wait_for(update, message="the update")
    _, event = calendar_in(updated)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (f"{meeting_id}@caserev", 1)
    assert event.decoded("DTSTART").astimezone(ENGLAND).hour == 14

    assert manager.post_form(path + "/cancel").status_code == 303
    (cancellation,) = wait_for(
        lambda: mail(system, HEALTH_LEAD, path, "cancellation.ics"), message="the cancellation"
    )
    calendar, event = calendar_in(cancellation)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (f"{meeting_id}@caserev", 2)
    again = manager.post_form(path + "/cancel")
    assert again.status_code == 409 and "cancelled" in again.text
    refused = manager.client.post(path, data={**moved, "csrf_token": manager.csrf()})
    assert refused.status_code == 409 and "This meeting was cancelled: it cannot be changed" in refused.text
    reply = sign_in(system, HEALTH_LEAD).post_form(path + "/reply", {"answer": "accepted"})
    assert reply.status_code == 409


def test_the_familys_contacts_are_kept_for_the_business_manager_alone_here(
    system: SystemEnv,
    new_rapid_review: Any,  # noqa: F811
) -> None:
    review: RapidReview = new_rapid_review()
    linked: RapidReview = new_rapid_review()  # another review of the same incident
    manager = sign_in(system, MANAGER)
    path = f"/reviews/{review.id}/family-contacts"
    missing = manager.post_form(path, {"family_member": ""})
    assert missing.status_code == 422 and "Enter the date of the contact" in missing.text
    contact = {
        "contacted_on": today_in_england().isoformat(),
        "family_member": "Mother",
        "method": "Home visit",
        "through_professional": "Health visitor",
        "consent": "yes",
        "wants_report": "yes",
        "wishes": "To understand what happened",
        "outcome": "Agreed to meet the reviewer",
        "linked": [linked.id],
    }
    assert manager.post_form(path, contact).status_code == 303
    assert "Agreed to meet the reviewer" in manager.client.get(path).text
    # One record serves the linked review too.
    served = manager.client.get(f"/reviews/{linked.id}/family-contacts")
    assert "Agreed to meet the reviewer" in served.text and review.title in served.text
    for refused in (POLICE_LEAD, PARTNER, EASTMOOR):
        assert sign_in(system, refused).client.get(path).status_code in (403, 404), refused


def test_the_calendar_lists_the_meetings_one_may_see(system: SystemEnv) -> None:
    page = sign_in(system, MANAGER).client.get("/meetings")
    assert page.status_code == 200 and "Meetings calendar" in page.text
