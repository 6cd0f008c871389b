"""The factual-accuracy round's messages by the notification rules (real PostgreSQL; the engine the service's
entrypoints call): each agency asked is told when the round opens, reminded two working days before its check
is due, chased each working day once overdue, and no longer once it answers (either way) or the round closes.

The round opens on Monday 4 January 2027; checks are due on day 10, Monday 18 January.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.kernel.calendar import add_working_days
from services.reports.contract import (
    AccuracyConfirmed,
    AccuracyDisputed,
    AccuracyRequested,
    AccuracyRoundClosed,
)
from tests.integration.test_notification_schedule import (  # noqa: F401 (sessions is a fixture)
    HEALTH,
    POLICE,
    REVIEW,
    SCHOOLS,
    Bus,
    at,
    days_of,
    handle,
    run_days,
    seed_people,
    sent,
    sessions,
)

OPENED = date(2027, 1, 4)
DUE = add_working_days(OPENED, 10)
ROUND, VERSION, DOCUMENT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def ids(request_id: uuid.UUID, agency_id: uuid.UUID) -> dict[str, uuid.UUID]:
    return {
        "request_id": request_id,
        "round_id": ROUND,
        "version_id": VERSION,
        "document_id": DOCUMENT,
        "review_id": REVIEW,
        "agency_id": agency_id,
    }


def test_agencies_are_told_reminded_and_chased_until_they_answer_or_the_round_closes(sessions):  # noqa: F811
    assert date(2027, 1, 18) == DUE
    bus = Bus()
    seed_people(sessions)
    requests = {agency: uuid.uuid4() for agency in (POLICE, HEALTH, SCHOOLS)}
    for agency, request_id in requests.items():
        handle(sessions, AccuracyRequested(**ids(request_id, agency), due_on=DUE), at(OPENED, 9), bus)
    # The police confirm early; health disputes on its second day late; schools never answer, and the round
    # is closed on their fourth day late.
    run_days(sessions, OPENED, date(2027, 1, 5), bus)
    handle(sessions, AccuracyConfirmed(**ids(requests[POLICE], POLICE)), at(date(2027, 1, 6), 9), bus)
    run_days(sessions, date(2027, 1, 6), date(2027, 1, 19), bus)
    handle(
        sessions,
        AccuracyDisputed(**ids(requests[HEALTH], HEALTH), sections_disputed=1),
        at(date(2027, 1, 20), 9),
        bus,
    )
    run_days(sessions, date(2027, 1, 20), date(2027, 1, 21), bus)
    handle(
        sessions,
        AccuracyRoundClosed(
            round_id=ROUND,
            version_id=VERSION,
            document_id=DOCUMENT,
            review_id=REVIEW,
            request_ids=[requests[SCHOOLS]],
        ),
        at(date(2027, 1, 22), 9),
        bus,
    )
    run_days(sessions, date(2027, 1, 22), date(2027, 1, 29), bus)
    log = sent(sessions)

    # Told when the round opens: the police lead by e-mail; health's lead has no address (logged, in-app
    # only); schools have no lead in Case Review (logged as sent to nobody).
    assert days_of(log, "accuracy_requested", "Pip Test-Police") == [OPENED]
    assert days_of(log, "accuracy_requested", "Rowan Test-Health") == [OPENED]
    assert days_of(log, "accuracy_requested", "Nobody") == [OPENED]
    # Reminded two working days before the due date, only those who had not answered.
    assert days_of(log, "accuracy_check_due_soon", "Pip Test-Police") == []
    assert days_of(log, "accuracy_check_due_soon", "Rowan Test-Health") == [date(2027, 1, 14)]
    # Chased each working day late until they answer or the round closes.
    assert days_of(log, "accuracy_check_overdue", "Pip Test-Police") == []
    assert days_of(log, "accuracy_check_overdue", "Rowan Test-Health") == [date(2027, 1, 19)]
    assert days_of(log, "accuracy_check_overdue", "Nobody") == [
        date(2027, 1, 19),
        date(2027, 1, 20),
        date(2027, 1, 21),
    ]
    # The dispute reaches the business manager at once, with no comment's words.
    assert days_of(log, "accuracy_disputed", "Morgan Test-Manager") == [date(2027, 1, 20)]
