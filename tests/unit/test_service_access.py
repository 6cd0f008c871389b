"""Each service enforces its own access rules at its entrypoints (worker_factory; storage faked)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from services.analytics import queries as analytics_queries
from services.analytics.service import AnalyticsService
from services.forms import models as forms_models
from services.forms.contract import ReviewShared
from services.forms.models import ReviewRecord, ReviewShareRecord
from services.forms.service import LIST_LIMIT, FormsService
from services.kernel.config import notification_settings as get_settings  # the service's settings
from services.kernel.errors import Forbidden, InvalidRequest, NotFound
from services.notifications import models as notifications_models
from services.notifications.models import ContactRecord, EmailRecord
from services.notifications.service import NotificationsService

OWNER = uuid.uuid4()
OTHER = uuid.uuid4()
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def actor(*roles: str, partnership=OWNER, reviews=(), partnerships=(), user_id="u-1") -> dict:
    return {
        "user_id": user_id,
        "partnership_id": None if partnership is None else str(partnership),
        "roles": list(roles),
        "reviews": [str(review) for review in reviews],
        "partnerships": [str(p) for p in partnerships],
    }


def review(partnership=OWNER, title="NB-2026-001", opened_at=OPENED) -> ReviewRecord:
    return ReviewRecord(
        id=uuid.uuid4(),
        partnership_id=partnership,
        review_type="child_safeguarding",
        title=title,
        stage="referral",
        opened_at=opened_at,
        opened_by="bm-1",
    )


@pytest.fixture
def forms(monkeypatch):
    service = worker_factory(FormsService)
    service.uow.idempotent.return_value.done = False
    stored: dict[uuid.UUID, tuple[ReviewRecord, list[uuid.UUID]]] = {}
    monkeypatch.setattr(
        forms_models, "review_with_shares", lambda session, review_id, lock=False: stored.get(review_id)
    )
    service.stored = stored
    return service


# ------------------------------------------------------------------------------------------ get_review


@pytest.mark.parametrize(
    "caller",
    [
        actor("business_manager", partnership=OTHER),
        actor("agency_author", partnership=OTHER),
        actor("agency_author"),  # of the partnership, but not a member of the review
        actor("independent_reviewer", partnership=None),
        actor("national_analyst"),
        actor("regional_analyst", partnerships=[OWNER]),
        actor("partnership_admin"),
        actor("data_protection_officer"),
        actor(),
    ],
)
def test_get_review_is_not_found_for_a_caller_who_may_not_see_it(forms, caller):
    record = review()
    forms.stored[record.id] = (record, [])
    with pytest.raises(NotFound) as refused:
        forms.get_review(caller, str(record.id))
    assert refused.value.message == "No such review", "must read exactly as a review that does not exist"


def test_get_review_shows_a_review_to_its_partnership_a_member_and_a_partnership_it_is_shared_with(forms):
    record = review()
    forms.stored[record.id] = (record, [OTHER])
    for caller in (
        actor("executive"),
        actor("agency_lead", reviews=[record.id]),
        actor("safeguarding_partner", partnership=OTHER),
        actor("system", partnership=None),
    ):
        assert forms.get_review(caller, str(record.id))["shared_with"] == [str(OTHER)]


def test_get_review_of_a_missing_or_malformed_id_is_not_found(forms):
    for review_id in (str(uuid.uuid4()), "not-an-id"):
        with pytest.raises(NotFound):
            forms.get_review(actor("business_manager"), review_id)


# ----------------------------------------------------------------------------------------- list_reviews


def test_list_reviews_returns_only_what_the_caller_may_read(forms, monkeypatch):
    own, shared, foreign = (
        review(title="OWN-1"),
        review(OTHER, title="SHARED-1"),
        review(OTHER, title="NOPE-1"),
    )
    asked: dict[str, Any] = {}

    def readable_reviews(session, scope, limit):
        asked.update(scope=scope, limit=limit)
        # A query that let too much through: the service must still drop what the caller may not read.
        return [(own, []), (shared, [OWNER]), (foreign, [])]

    monkeypatch.setattr(forms_models, "readable_reviews", readable_reviews)
    titles = [row["title"] for row in forms.list_reviews(actor("business_manager"))]
    assert titles == ["OWN-1", "SHARED-1"]
    assert asked["limit"] == LIST_LIMIT == 500
    assert asked["scope"].whole_partnership == OWNER and not asked["scope"].everything


def test_list_reviews_gives_a_member_their_reviews_of_their_partnership_only(forms, monkeypatch):
    mine, not_mine, elsewhere = review(), review(), review(OTHER)
    monkeypatch.setattr(
        forms_models,
        "readable_reviews",
        lambda session, scope, limit: [(mine, []), (not_mine, []), (elsewhere, [OWNER])],
    )
    member = actor("agency_author", reviews=[mine.id, elsewhere.id])
    assert [row["id"] for row in forms.list_reviews(member)] == [str(mine.id)]


def test_list_reviews_of_an_analyst_is_empty():
    service = worker_factory(FormsService)
    assert service.list_reviews(actor("national_analyst")) == []
    service.uow.session.scalars.assert_not_called()


# ---------------------------------------------------------------------------------------- share_review


@pytest.mark.parametrize(
    "caller",
    [
        actor("executive"),
        actor("safeguarding_partner"),
        actor("agency_lead", reviews=["__review__"]),
        actor("system", partnership=None),
    ],
)
def test_share_review_is_refused_to_anyone_but_the_owning_business_manager(forms, caller):
    record = review()
    forms.stored[record.id] = (record, [])
    caller["reviews"] = [str(record.id) if r == "__review__" else r for r in caller["reviews"]]
    with pytest.raises(Forbidden):
        forms.share_review(caller, str(record.id), str(OTHER))
    forms.uow.emit.assert_not_called()
    forms.uow.session.add.assert_not_called()


def test_share_review_of_a_review_the_caller_cannot_see_is_not_found(forms):
    record = review(OTHER)
    forms.stored[record.id] = (record, [])
    with pytest.raises(NotFound):
        forms.share_review(actor("business_manager"), str(record.id), str(uuid.uuid4()))


def test_share_review_stores_the_share_and_emits_review_shared(forms):
    record = review()
    forms.stored[record.id] = (record, [])
    result = forms.share_review(actor("business_manager", user_id="bm-1"), str(record.id), str(OTHER), "k-1")
    assert result["shared_with"] == [str(OTHER)]
    (stored,), _ = forms.uow.session.add.call_args
    assert isinstance(stored, ReviewShareRecord) and stored.shared_by == "bm-1"
    (event,), kwargs = forms.uow.emit.call_args
    assert event == ReviewShared(review_id=record.id, shared_with_partnership_id=OTHER)
    assert kwargs["partnership_id"] == OWNER and kwargs["review_id"] == record.id
    (method, _, key, _), _ = forms.uow.idempotent.call_args
    assert (method, key) == ("share_review", "k-1")
    forms.uow.idempotent.return_value.remember.assert_called_once_with(result)


def test_sharing_a_review_again_with_the_same_partnership_changes_nothing(forms):
    record = review()
    forms.stored[record.id] = (record, [OTHER])
    forms.share_review(actor("business_manager"), str(record.id), str(OTHER))
    forms.uow.emit.assert_not_called()
    forms.uow.session.add.assert_not_called()


# ------------------------------------------------------------------------------------ data protection


@pytest.mark.parametrize("role", ["business_manager", "partnership_admin", "national_analyst", "agency_lead"])
def test_data_protection_searches_are_refused_to_anyone_but_the_dpo_and_the_system(role):
    forms, notifications = worker_factory(FormsService), worker_factory(NotificationsService)
    person = {"user_id": "u-9", "email": "someone@example.org"}
    for search in (
        lambda: forms.records_about_person(actor(role), person),
        lambda: forms.reviews_for_retention(actor(role), "2020-01-01"),
        lambda: notifications.records_about_person(actor(role), person),
    ):
        with pytest.raises(Forbidden):
            search()


def test_forms_finds_the_reviews_a_person_opened_in_the_dpos_partnership(monkeypatch):
    service = worker_factory(FormsService)
    record = review()
    asked: dict[str, Any] = {}

    def reviews_opened_by(session, user_id, partnership_id):
        asked.update(user_id=user_id, partnership_id=partnership_id)
        return [record]

    monkeypatch.setattr(forms_models, "reviews_opened_by", reviews_opened_by)
    monkeypatch.setattr(forms_models, "shares_made_by", lambda session, user_id, partnership_id: [])
    monkeypatch.setattr(forms_models, "work_of_person", lambda session, user_id, partnership_id: [])
    found = service.records_about_person(actor("data_protection_officer"), {"user_id": "bm-1", "email": None})
    assert asked == {"user_id": "bm-1", "partnership_id": OWNER}
    assert [(f["service"], f["record_type"], f["record_id"]) for f in found] == [
        ("forms", "review", str(record.id))
    ]


def test_reviews_for_retention_lists_the_dpos_partnership_before_the_date(monkeypatch):
    service = worker_factory(FormsService)
    record = review()
    asked: dict[str, Any] = {}

    def reviews_opened_before(session, before, partnership_id):
        asked.update(before=before, partnership_id=partnership_id)
        return [record]

    monkeypatch.setattr(forms_models, "reviews_opened_before", reviews_opened_before)
    found = service.reviews_for_retention(actor("data_protection_officer"), "2027-04-01")
    assert asked["partnership_id"] == OWNER and asked["before"].date().isoformat() == "2027-04-01"
    assert found == [
        {
            "id": str(record.id),
            "partnership_id": str(OWNER),
            "title": "NB-2026-001",
            "review_type": "child_safeguarding",
            "opened_at": "2026-03-02T09:00:00Z",
        }
    ]
    with pytest.raises(InvalidRequest):
        service.reviews_for_retention(actor("data_protection_officer"), "last spring")


def test_notifications_finds_contacts_and_email_to_the_address_in_the_dpos_partnership(monkeypatch):
    service = worker_factory(NotificationsService)
    contact = ContactRecord(
        id=uuid.uuid4(),
        partnership_id=OWNER,
        role="business_manager",
        display_name="A",
        email="a@example.org",
    )
    email = EmailRecord(
        id=uuid.uuid4(), partnership_id=OWNER, subject="Reset your Case Review password", status="sent"
    )
    email.created_at = OPENED
    asked: list[uuid.UUID | None] = []

    def contacts_with_address(session, address, partnership_id):
        asked.append(partnership_id)
        return [contact]

    def emails_to(session, address, partnership_id):
        asked.append(partnership_id)
        return [email]

    def people_matching(session, user_id, address, partnership_id):
        asked.append(partnership_id)
        return []

    monkeypatch.setattr(notifications_models, "people_matching", people_matching)
    monkeypatch.setattr(notifications_models, "contacts_with_address", contacts_with_address)
    monkeypatch.setattr(notifications_models, "notifications_of", lambda session, contacts, users: [])
    monkeypatch.setattr(notifications_models, "emails_to", emails_to)
    found = service.records_about_person(actor("data_protection_officer"), {"email": "A@example.org"})
    assert asked == [OWNER, OWNER, OWNER], "a DPO searches their own partnership only"
    assert [(f["record_type"], f["record_id"]) for f in found] == [
        ("contact", str(contact.id)),
        ("email", str(email.id)),
    ]


# -------------------------------------------------------------------------------------- account e-mail

INVITATION = {"to": "new.user@example.org", "display_name": "Sam Patel", "kind": "invitation"}


@pytest.mark.parametrize(
    "caller",
    [actor("partnership_admin"), actor("business_manager"), actor("data_protection_officer"), actor()],
)
def test_send_account_email_is_refused_to_anyone_but_the_system(caller):
    service = worker_factory(NotificationsService)
    link = get_settings().public_url.rstrip("/") + "/invitations/abc"
    with pytest.raises(Forbidden):
        service.send_account_email(caller, {**INVITATION, "link": link}, "k-1")
    service.uow.session.add.assert_not_called()
    service.uow.idempotent.assert_not_called()


def test_send_account_email_queues_an_email_with_the_link_and_no_case_detail():
    service = worker_factory(NotificationsService)
    service.uow.idempotent.return_value.done = False
    link = get_settings().public_url.rstrip("/") + "/invitations/abc"
    email_id = service.send_account_email(
        actor("system", partnership=None), {**INVITATION, "link": link, "partnership_id": str(OWNER)}, "k-1"
    )
    (email,), _ = service.uow.session.add.call_args
    assert isinstance(email, EmailRecord) and str(email.id) == email_id
    assert (email.status, email.notification_id, email.partnership_id) == ("queued", None, OWNER)
    assert email.to_address == "new.user@example.org" and link in email.body
    assert "expires in 7 days" in email.body
    for case_word in ("review of", "child", "NB-", "incident"):
        assert case_word not in email.body.lower().replace("case review", ""), case_word
    service.uow.idempotent.return_value.remember.assert_called_once_with(email_id)


def test_send_account_email_repeated_with_its_key_queues_nothing_more():
    service = worker_factory(NotificationsService)
    service.uow.idempotent.return_value.done = True
    service.uow.idempotent.return_value.result = "earlier"
    assert (
        service.send_account_email(actor("system"), {**INVITATION, "kind": "code_reused"}, "k") == "earlier"
    )
    service.uow.session.add.assert_not_called()


def test_send_account_email_refuses_a_link_to_another_site():
    service = worker_factory(NotificationsService)
    service.uow.idempotent.return_value.done = False
    with pytest.raises(InvalidRequest) as refused:
        service.send_account_email(actor("system"), {**INVITATION, "link": "https://evil.example/x"})
    assert refused.value.problems == [
        {"field": "link", "message": "The link must be a page of this Case Review"}
    ]
    service.uow.session.add.assert_not_called()


# --------------------------------------------------------------------------------------- review_counts

REGION_A, REGION_B, OUTSIDE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def analytics(monkeypatch):
    service = worker_factory(AnalyticsService)
    service.asked = []

    def stage_counts(session, partnerships):
        if partnerships is not None and len(partnerships) == 1:
            service.asked.append(("one", next(iter(partnerships))))
            return [("child_safeguarding", "referral", 2)]
        service.asked.append(("sum", partnerships))
        return [("child_safeguarding", "referral", 5)]

    monkeypatch.setattr(analytics_queries, "stage_counts", stage_counts)
    return service


@pytest.mark.parametrize("role", ["business_manager", "safeguarding_partner", "executive"])
def test_review_counts_partnership_case_roles_see_their_own_partnership_only(analytics, role):
    rows = analytics.review_counts(actor(role), str(OWNER))
    assert rows == [
        {"partnership_id": str(OWNER), "review_type": "child_safeguarding", "stage": "referral", "count": 2}
    ]
    for other in (str(OTHER), None):
        with pytest.raises(Forbidden):
            analytics.review_counts(actor(role), other)
    assert analytics.asked == [("one", OWNER)]


def test_review_counts_a_regional_analyst_sees_their_region_only(analytics):
    regional = actor("regional_analyst", partnership=None, partnerships=[REGION_A, REGION_B])
    analytics.review_counts(regional, str(REGION_A))
    summed = analytics.review_counts(regional, None)
    assert summed == [
        {"partnership_id": None, "review_type": "child_safeguarding", "stage": "referral", "count": 5}
    ]
    with pytest.raises(Forbidden):
        analytics.review_counts(regional, str(OUTSIDE))
    assert analytics.asked == [("one", REGION_A), ("sum", frozenset({REGION_A, REGION_B}))]


def test_review_counts_a_regional_analyst_of_no_region_sums_nothing(analytics):
    assert analytics.review_counts(actor("regional_analyst"), None) == []
    assert analytics.asked == []


@pytest.mark.parametrize("role", ["national_analyst", "system"])
def test_review_counts_national_analysts_and_the_system_see_every_partnership(analytics, role):
    analytics.review_counts(actor(role), str(OUTSIDE))
    analytics.review_counts(actor(role), None)
    assert analytics.asked == [("one", OUTSIDE), ("sum", None)]


@pytest.mark.parametrize(
    "role",
    [
        "agency_lead",
        "agency_author",
        "subgroup_member",
        "action_owner",
        "agency_system",
        "independent_reviewer",
        "partnership_admin",
        "data_protection_officer",
    ],
)
def test_review_counts_are_refused_to_every_other_role(analytics, role):
    for partnership_id in (str(OWNER), None):
        with pytest.raises(Forbidden):
            analytics.review_counts(actor(role), partnership_id)
    assert analytics.asked == []


def test_review_counts_are_aggregates_without_review_ids_or_titles(analytics):
    (row,) = analytics.review_counts(actor("national_analyst"), None)
    assert set(row) == {"partnership_id", "review_type", "stage", "count"}


@pytest.mark.parametrize(
    "role",
    [
        "agency_lead",
        "agency_author",
        "subgroup_member",
        "action_owner",
        "agency_system",
        "independent_reviewer",
        "partnership_admin",
        "data_protection_officer",
    ],
)
def test_dashboards_are_refused_to_every_other_role_before_any_figure_is_read(role):
    service = worker_factory(AnalyticsService)
    for filters in (None, {"partnership_id": str(OWNER)}):
        with pytest.raises(Forbidden):
            service.dashboard(actor(role), "reviews", filters)
    service.uow.session.execute.assert_not_called()


def test_a_partnership_cannot_see_anothers_dashboard_nor_an_analyst_one_outside_their_region():
    service = worker_factory(AnalyticsService)
    with pytest.raises(Forbidden):
        service.dashboard(actor("business_manager"), "children", {"partnership_id": str(OUTSIDE)})
    regional = actor("regional_analyst", partnership=None, partnerships=(REGION_A, REGION_B))
    with pytest.raises(Forbidden):
        service.dashboard(regional, "children", {"partnership_id": str(OUTSIDE)})
    service.uow.session.execute.assert_not_called()


def test_a_dashboard_that_is_none_or_a_filter_it_does_not_have_is_refused_naming_it():
    service = worker_factory(AnalyticsService)
    with pytest.raises(InvalidRequest):
        service.dashboard(actor("national_analyst", partnership=None), "salaries", None)
    with pytest.raises(InvalidRequest):
        service.dashboard(actor("national_analyst", partnership=None), "reviews", {"child_name": "x"})
    service.uow.session.execute.assert_not_called()


# -------------------------------------------------------------------------------- notification pages

PERSON = str(uuid.uuid4())


@pytest.mark.parametrize(
    "caller",
    [
        actor("system", user_id="system:x"),
        actor("agency_system", user_id="client:x"),
        actor("business_manager"),
    ],
)
def test_only_a_person_has_an_inbox_and_choices(caller):
    """The system and an agency's system have no messages; a user id that is not a person's id neither."""
    service = worker_factory(NotificationsService)
    for call in (
        lambda: service.inbox(caller),
        lambda: service.unread_count(caller),
        lambda: service.mark_read(caller, {"all": True}),
        lambda: service.preferences(caller),
        lambda: service.set_preferences(caller, {"timings": {}}),
    ):
        with pytest.raises(Forbidden):
            call()
    service.uow.session.add.assert_not_called()


@pytest.mark.parametrize(
    ("caller", "reads", "sets"),
    [
        (actor("business_manager", user_id=PERSON), True, True),
        (actor("safeguarding_partner", user_id=PERSON), True, False),
        (actor("executive", user_id=PERSON), True, False),
        (actor("agency_lead", user_id=PERSON), False, False),
        (actor("partnership_admin", user_id=PERSON), False, False),
        (actor("business_manager", partnership=OTHER, user_id=PERSON), False, False),
    ],
)
def test_a_partnerships_rules_are_its_managers_to_set_and_its_deciders_to_read(caller, reads, sets):
    service = worker_factory(NotificationsService)
    service.uow.session.scalars.return_value = []
    service.uow.session.get.return_value = None
    if reads:
        assert service.rules(caller, str(OWNER))
    else:
        with pytest.raises(Forbidden):
            service.rules(caller, str(OWNER))
    change = {"partnership_id": str(OWNER), "code": "return_due_soon", "days": 3}
    if sets:
        assert service.set_rule(caller, change)["days"] == 3
    else:
        with pytest.raises(Forbidden):
            service.set_rule(caller, change)
        service.uow.session.add.assert_not_called()


@pytest.mark.parametrize(
    "caller",
    [
        actor("safeguarding_partner", user_id=PERSON),
        actor("agency_lead", user_id=PERSON),
        actor("data_protection_officer", user_id=PERSON),
        actor("business_manager", partnership=OTHER, user_id=PERSON),
    ],
)
def test_what_was_sent_is_the_business_managers_of_that_partnership_only(caller):
    service = worker_factory(NotificationsService)
    with pytest.raises(Forbidden):
        service.delivery_log(caller, {"partnership_id": str(OWNER)})
    service.uow.session.scalars.assert_not_called()


def test_a_statutory_alert_cannot_be_switched_off_nor_a_figure_set_out_of_bounds():
    service = worker_factory(NotificationsService)
    manager = actor("business_manager", user_id=PERSON)
    with pytest.raises(InvalidRequest) as off:
        service.set_rule(
            manager, {"partnership_id": str(OWNER), "code": "statutory_deadline_missed", "enabled": False}
        )
    assert off.value.problems == [{"field": "enabled", "message": "A statutory alert cannot be switched off"}]
    with pytest.raises(InvalidRequest) as far:
        service.set_rule(manager, {"partnership_id": str(OWNER), "code": "return_due_soon", "days": 30})
    assert far.value.problems[0]["field"] == "days"
    service.uow.session.add.assert_not_called()
