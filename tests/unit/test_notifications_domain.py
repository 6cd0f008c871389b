"""What account e-mail says, and how e-mail delivery backs off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.errors import InvalidRequest
from services.notifications import domain
from services.notifications.contract import AccountEmail


def test_failed_email_is_retried_later_each_time_then_given_up():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    waits = [domain.next_attempt(attempt, now) for attempt in range(1, domain.MAX_SEND_ATTEMPTS)]
    assert all(wait is not None for wait in waits)
    gaps = [wait - now for wait in waits]  # type: ignore[operator]
    assert gaps == sorted(gaps) and gaps[0] == timedelta(seconds=5)
    assert domain.next_attempt(domain.MAX_SEND_ATTEMPTS, now) is None


URL = "https://caserev.example"


def letter(kind: str, link: str | None = None):
    message = AccountEmail(to="sam@example.org", display_name="Sam Patel", kind=kind, link=link)
    return domain.account_letter(message, public_url=URL, invitation_days=7, password_reset_minutes=60)


def test_every_kind_of_account_email_says_what_happened_and_what_to_do_without_case_details():
    kinds = AccountEmail.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    for kind in kinds:
        written = letter(kind, f"{URL}/account/{kind}")
        assert written.subject and written.body.startswith("Dear Sam Patel,"), kind
        assert f"{URL}/account/{kind}" in written.body, f"{kind}: the link must be in the body"
        assert "review of" not in written.body and "child" not in written.body.lower(), kind


def test_an_invitation_says_the_link_works_once_and_when_it_expires():
    written = letter("invitation", f"{URL}/invitations/abc")
    assert written.subject == "You have been invited to Case Review"
    assert "The link works once and expires in 7 days" in written.body


def test_a_reused_code_tells_the_person_what_to_do():
    body = letter("code_reused").body
    assert "security code that had already been used" in body
    assert "change your password today and tell your administrator" in body


def test_a_password_reset_says_when_its_link_expires():
    assert "expires in 1 hour" in letter("password_reset", f"{URL}/reset/x").body


def test_invitations_and_resets_need_a_link_of_this_case_review():
    for kind, link in [
        ("invitation", None),
        ("password_reset", None),
        ("invitation", "https://caserev.example.evil.org/x"),
        ("code_reused", "javascript:alert(1)"),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            letter(kind, link)
        assert refused.value.problems[0]["field"] == "link", (kind, link)


def test_periods_are_said_as_people_say_them():
    assert [domain.in_words(m) for m in (1, 45, 60, 120, 1440, 7 * 1440)] == [
        "1 minute",
        "45 minutes",
        "1 hour",
        "2 hours",
        "1 day",
        "7 days",
    ]
