"""Notifications on the real system: a rapid review asks agencies for returns, and each agency's lead is
told in-app and by e-mail (through the SMTP catcher), with a link to the return and no details of the case;
the business manager hears when a return is submitted; people come from identity's events."""

from __future__ import annotations

from typing import Any

from caserev.smtp_catcher import CaughtMessage, caught_messages
from tests.e2e.helpers import DEMO, Database
from tests.e2e.test_agency_returns import (  # noqa: F401 - the fixture is used by name
    HEALTH,
    HEALTH_LEAD,
    MANAGER,
    POLICE,
    POLICE_LEAD,
    RapidReview,
    call,
    new_rapid_review,
    user_id,
)
from tests.support.system import SystemEnv, wait_for

NORTHBRIDGE = DEMO.partnership("NBSCP")


def mail_to(system: SystemEnv, address: str, link: str) -> list[CaughtMessage]:
    return [
        m for m in caught_messages(system.maildir, limit=1000) if address in m.recipients and link in m.body
    ]


def in_app(db: Database, email: str, review_id: str, rule: str) -> list[tuple[Any, ...]]:
    return db.rows(
        "SELECT n.title, n.body, n.link, n.urgent FROM notifications.notification n"
        " JOIN notifications.person p ON p.user_id = n.user_id"
        " WHERE p.email = %s AND n.review_id = %s AND n.rule = %s",
        (email, review_id, rule),
    )


def test_each_agency_lead_is_asked_for_the_return_in_app_and_by_email_without_case_details(
    system: SystemEnv,
    db: Database,
    new_rapid_review: Any,  # noqa: F811 - the fixture of the returns suite
) -> None:
    review: RapidReview = new_rapid_review()
    for lead, agency in ((POLICE_LEAD, POLICE), (HEALTH_LEAD, HEALTH)):
        link = f"/returns/{review.return_id(agency)}"
        rows = wait_for(
            lambda lead=lead: in_app(db, lead, review.id, "return_requested"), message=f"{lead}'s message"
        )
        assert len(rows) == 1
        title, body, page, urgent = rows[0]
        assert (title, page, urgent) == ("Your agency has been asked for a rapid review return", link, True)
        assert agency in body and "due by" in body
        messages = wait_for(
            lambda lead=lead, link=link: mail_to(system, lead, link), message=f"the e-mail to {lead}"
        )
        assert len(messages) == 1
        message = messages[0]
        assert f"{system.gateway_url}{link}" in message.body
        for text in (message.subject, message.body):
            assert review.title not in text and "Infant" not in text and "injur" not in text


def test_the_business_manager_hears_when_a_return_is_submitted(
    system: SystemEnv,
    db: Database,
    new_rapid_review: Any,  # noqa: F811 - the fixture of the returns suite
) -> None:
    review: RapidReview = new_rapid_review()
    lead = {
        "user_id": str(user_id(POLICE_LEAD)),
        "partnership_id": str(NORTHBRIDGE.id),
        "roles": ["agency_lead"],
    }
    police = db.scalar("SELECT agency_id FROM notifications.person WHERE email = %s", (POLICE_LEAD,))
    version = review.returns[POLICE]["version"]
    call(system, "nil_return", {**lead, "agency_id": str(police)}, review.return_id(POLICE), version)
    rows = wait_for(
        lambda: in_app(db, MANAGER, review.id, "return_submitted"), message="the manager's message"
    )
    assert rows[0][0] == f"{POLICE} has submitted its return"
    # The request, the reminder and the chasers of that return stop: its due date is closed.
    assert wait_for(
        lambda: (
            db.scalar(
                "SELECT state FROM notifications.due_item WHERE subject = %s", (review.return_id(POLICE),)
            )
            == "closed"
        ),
        message="the return's due date to close",
    )


def test_people_come_from_identity_with_their_roles_and_agency(db: Database) -> None:
    rows = db.rows(
        "SELECT roles, agency_id IS NOT NULL, active FROM notifications.person WHERE email = %s",
        (POLICE_LEAD,),
    )
    assert rows == [(["agency_lead"], True, True)]
    names = {row[0] for row in db.rows("SELECT name FROM notifications.agency")}
    assert {POLICE, HEALTH, "Northbridge Schools"} <= names
