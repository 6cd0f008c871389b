"""Reports written together, on the real system through the gateway: the business manager begins the demo
infant review's rapid review report and gives a section to the police, shared with health to read. Each
section's websocket is refused at the handshake, before any content, to a person with no part in the review,
to an agency on a section not its own, to a member with no section, to another partnership and to a page of
another site; the police edit their section live (what they type is kept by the reports service and drawn by
the server for a page without JavaScript); health may read it and what health sends is dropped."""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Iterator

import pytest
from pycrdt import Doc, YMessageType, YSyncMessageType, create_update_message
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.helpers import Database, SignedIn, sign_in
from tests.e2e.test_agency_returns import (
    HEALTH,
    HEALTH_LEAD,
    MANAGER,
    POLICE,
    POLICE_LEAD,
    agency_id,
    user_id,
)
from tests.support.system import SystemEnv, wait_for
from tests.unit.test_reports_domain import typed

SUBGROUP = "subgroup@northbridge.example"
EASTMOOR_MANAGER = "business.manager@eastmoor.example"


def cookie_of(person: SignedIn) -> str:
    return "; ".join(f"{name}={value}" for name, value in person.client.cookies.items())


def open_socket(
    system: SystemEnv, person: SignedIn, path: str, origin: str | None = None
) -> ClientConnection:
    url = system.gateway_url.replace("http://", "ws://") + path
    return connect(
        url,
        origin=origin or system.gateway_url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie_of(person)},
        open_timeout=10,
    )


def refused_status(system: SystemEnv, person: SignedIn, path: str, origin: str | None = None) -> int:
    """The HTTP status of a refused handshake (the test fails if the websocket opens)."""
    try:
        with open_socket(system, person, path, origin) as socket:
            socket.recv(timeout=2)
    except InvalidStatus as refused:
        return refused.response.status_code
    raise AssertionError(f"the websocket {path} opened and sent content")


class Report:
    def __init__(self, review: str, document: str, sections: list[str]) -> None:
        self.review, self.document, self.sections = review, document, sections

    def sync(self, index: int) -> str:
        return f"/reviews/{self.review}/reports/{self.document}/sections/{self.sections[index]}/sync"

    @property
    def page(self) -> str:
        return f"/reviews/{self.review}/reports/{self.document}"


@pytest.fixture(scope="module")
def report(system: SystemEnv) -> Iterator[Report]:
    manager = sign_in(system, MANAGER)
    reviews = manager.client.get("/reviews").text
    found = re.search(r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', reviews)
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    begun = manager.post_form(f"/reviews/{review}/reports", {"kind": "rapid_review_report", "title": ""})
    assert begun.status_code == 303, begun.text[:2000]
    document = begun.headers["location"].rsplit("/", 1)[1]
    page = manager.client.get(f"/reviews/{review}/reports/{document}").text
    sections = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)
    assert len(sections) == 13, "the rapid review report's template has 13 sections"
    police, health = agency_id(POLICE), agency_id(HEALTH)
    # The reports service learns the demo's agencies from the gateway's identity events.
    wait_for(
        lambda: str(police) in manager.client.get(f"/reviews/{review}/reports/{document}").text,
        timeout=30,
        message="the reports service to know the demo's agencies",
    )
    assigned = manager.post_form(
        f"/reviews/{review}/reports/{document}/sections/{sections[0]}/assignment",
        {"assigned_agency_id": str(police), "shared_with_agency_ids": [str(health)]},
    )
    assert assigned.status_code == 303, assigned.text[:2000]
    yield Report(review, document, sections)


@pytest.mark.parametrize(
    ("who", "section", "why"),
    [
        (POLICE_LEAD, 1, "an agency on a section not its own"),
        (HEALTH_LEAD, 1, "an agency on a section not its own or shared with it"),
        (SUBGROUP, 0, "a member of the review with no section"),
        (EASTMOOR_MANAGER, 0, "another partnership's business manager"),
    ],
)
def test_a_section_is_refused_at_the_handshake_to_whoever_has_no_part_in_it(
    system: SystemEnv, report: Report, who: str, section: int, why: str
) -> None:
    assert refused_status(system, sign_in(system, who), report.sync(section)) == 403, why


def test_a_page_of_another_site_cannot_open_a_section_with_the_police_cookie(
    system: SystemEnv, report: Report
) -> None:
    police = sign_in(system, POLICE_LEAD)
    assert refused_status(system, police, report.sync(0), origin="http://evil.example") == 403


def test_a_websocket_of_an_unknown_section_or_without_a_session_is_refused(
    system: SystemEnv, report: Report, db: Database
) -> None:
    police = sign_in(system, POLICE_LEAD)
    elsewhere = report.sync(0).replace(report.sections[0], str(uuid.uuid4()))
    assert refused_status(system, police, elsewhere) == 403
    wrong_document = report.sync(0).replace(report.document, str(uuid.uuid4()))
    assert refused_status(system, police, wrong_document) == 403
    url = system.gateway_url.replace("http://", "ws://") + report.sync(0)
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=system.gateway_url, open_timeout=10)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    denied = db.rows(
        "SELECT count(*) FROM audit.audit_entry WHERE record_type = 'report_section' AND outcome = 'denied'"
    )
    assert denied[0][0] >= 2, "refused handshakes are audited"


def test_the_police_edit_their_section_live_health_reads_it_and_a_page_without_javascript_shows_it(
    system: SystemEnv, report: Report, db: Database
) -> None:
    police, health = sign_in(system, POLICE_LEAD), sign_in(system, HEALTH_LEAD)
    words = f"Officers attended twice in March ({uuid.uuid4().hex[:6]})."
    with (
        open_socket(system, health, report.sync(0)) as reader,
        open_socket(system, police, report.sync(0)) as writer,
    ):
        # The server opens with its own sync request, then what is kept.
        first = writer.recv(timeout=5)
        assert first[:2] == bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1])
        reader.recv(timeout=5)
        writer.send(create_update_message(typed(Doc(), "paragraph", words)))
        relayed = wait_for(
            lambda: _next_update(reader), timeout=10, message="the police's update relayed to health's reader"
        )
        assert words.encode() in relayed
        # What a reader sends is dropped: it reaches neither the store nor the writer.
        reader.send(create_update_message(typed(Doc(), "paragraph", "Health changed this")))
        time.sleep(1)
    kept = wait_for(
        lambda: words in html.unescape(police.client.get(report.page).text),
        timeout=20,
        message="the police's words drawn in the page from the store",
    )
    assert kept
    police_page = html.unescape(police.client.get(report.page).text)
    assert "Partnership and authorities" in police_page
    assert "The incident" not in police_page, "the police see only their own section"
    health_page = html.unescape(health.client.get(report.page).text)
    assert words in health_page and "Shared with your agency to read" in health_page
    assert "Health changed this" not in health_page
    savers = db.rows(
        "SELECT DISTINCT saved_by FROM reports.section_update WHERE section_id = %s", (report.sections[0],)
    )
    assert savers == [(str(user_id(POLICE_LEAD)),)]


def _next_update(socket: ClientConnection) -> bytes | None:
    """The next sync update a socket receives (others are skipped); None if none comes within a second."""
    try:
        while True:
            message = socket.recv(timeout=1)
            if isinstance(message, bytes) and message[:2] == bytes(
                [YMessageType.SYNC, YSyncMessageType.SYNC_UPDATE]
            ):
                return message
    except TimeoutError:
        return None
