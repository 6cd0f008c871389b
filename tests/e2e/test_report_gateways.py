"""Reports written together across gateway processes: a second gateway (the Procfile's own command, another
port, the same broker, database and keys) serves the same section as the first. The business manager types
on the first, the independent reviewer on the second; each sees the other's words arrive live (the two
processes' rooms share them only through the broker's `reports.live` exchange), and the reports service keeps
both: a fresh connection, once both have left, loads them from the store."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pycrdt import Doc, XmlFragment, YMessageType, YSyncMessageType, create_sync_message, handle_sync_message
from pycrdt import create_update_message as update_message
from websockets.sync.client import ClientConnection

from services.reports.yjs_text import FRAGMENT
from tests.e2e.helpers import SignedIn, sign_in
from tests.e2e.test_agency_returns import MANAGER
from tests.e2e.test_reports import open_socket
from tests.support.infra import free_port
from tests.support.system import Process, SystemEnv, wait_for
from tests.unit.test_reports_domain import typed

REVIEWER = "reviewer@northbridge.example"


@pytest.fixture(scope="module")
def second_gateway(system: SystemEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemEnv]:
    """The gateway's Procfile command once more, on a port of its own, against the same system."""
    workdir = Path(tmp_path_factory.mktemp("second-gateway"))
    env = SystemEnv(
        system.db_name,
        system.amqp_uri,
        workdir,
        {**system.env, "GATEWAY_PORT": str(free_port()), "CASEREV_LOG_DIR": str(workdir / "log")},
    )
    gateway = Process(env, "gateway").start()
    try:

        def healthy() -> bool:
            if not gateway.running:
                raise AssertionError(f"the second gateway exited:\n{gateway.log_tail()}")
            try:
                return httpx.get(env.gateway_url + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60, message="the second gateway to answer")
        yield env
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def section(system: SystemEnv) -> str:
    """The sync path of a section of a rapid review report the business manager begins (infant review)."""
    manager = sign_in(system, MANAGER)
    found = re.search(
        r'href="/reviews/([0-9a-f-]{36})"[^>]*>\s*NB-2026-014', manager.client.get("/reviews").text
    )
    assert found, "the demo's infant review is listed"
    review = found.group(1)
    begun = manager.post_form(f"/reviews/{review}/reports", {"kind": "rapid_review_report", "title": ""})
    assert begun.status_code == 303, begun.text[:2000]
    document = begun.headers["location"].rsplit("/", 1)[1]
    page = manager.client.get(f"/reviews/{review}/reports/{document}").text
    sections = re.findall(r'data-report-section="([0-9a-f-]{36})"', page)
    assert sections, "the report has sections"
    return f"/reviews/{review}/reports/{document}/sections/{sections[-1]}/sync"


def text_of(doc: Doc) -> str:
    return html.unescape(str(doc.get(FRAGMENT, type=XmlFragment)))


def follow(
    socket: ClientConnection, doc: Doc, until: Callable[[], bool], what: str, timeout: float = 15
) -> None:
    """Apply what the server sends to `doc` (answering its sync request) until `until()` holds."""

    def step() -> bool:
        try:
            message = socket.recv(timeout=0.5)
        except TimeoutError:
            return until()
        if isinstance(message, bytes) and message and message[0] == YMessageType.SYNC:
            reply = handle_sync_message(message[1:], doc)
            if reply is not None:
                socket.send(reply)
        return until()

    wait_for(step, timeout=timeout, interval=0, message=what)


def joined(socket: ClientConnection, doc: Doc) -> None:
    """Ask for the section's state and wait until it has come (the server's answer to our sync request)."""
    socket.send(create_sync_message(doc))

    def loaded() -> bool:
        message = socket.recv(timeout=10)
        if isinstance(message, bytes) and message[:1] == bytes([YMessageType.SYNC]):
            reply = handle_sync_message(message[1:], doc)
            if reply is not None:
                socket.send(reply)
            return message[1] == YSyncMessageType.SYNC_STEP2
        return False

    wait_for(loaded, timeout=15, interval=0, message="the section's state")


def load(system: SystemEnv, person: SignedIn, path: str) -> str:
    """The section's text as a fresh connection loads it."""
    with open_socket(system, person, path) as socket:
        doc = Doc()
        joined(socket, doc)
        return text_of(doc)


def test_two_gateway_processes_serve_one_section_live_and_the_reports_service_keeps_it(
    system: SystemEnv, second_gateway: SystemEnv, section: str
) -> None:
    manager, reviewer = sign_in(system, MANAGER), sign_in(system, REVIEWER)
    first_words = f"The strategy meeting was held on day two ({uuid.uuid4().hex[:8]})."
    second_words = f"Health was not invited to it ({uuid.uuid4().hex[:8]})."
    with (
        open_socket(system, manager, section) as on_first,
        open_socket(second_gateway, reviewer, section) as on_second,
    ):
        first_doc, second_doc = Doc(), Doc()
        joined(on_first, first_doc)
        joined(on_second, second_doc)
        # Typed on the first gateway, it reaches the editor on the second.
        on_first.send(update_message(typed(first_doc, "paragraph", first_words)))
        follow(
            on_second,
            second_doc,
            lambda: first_words in text_of(second_doc),
            "the words typed on the first gateway to reach the editor on the second",
        )
        # And the other way.
        on_second.send(update_message(typed(second_doc, "paragraph", second_words)))
        follow(
            on_first,
            first_doc,
            lambda: second_words in text_of(first_doc),
            "the words typed on the second gateway to reach the editor on the first",
        )
    # Both have left: either gateway loads the section from the reports service, with both editors' words.
    for gateway, person in ((second_gateway, reviewer), (system, manager)):

        def both(gateway: SystemEnv = gateway, person: SignedIn = person) -> str | None:
            text = load(gateway, person, section)
            return text if first_words in text and second_words in text else None

        kept = wait_for(
            both,
            timeout=30,
            message=f"both editors' words loaded through {gateway.gateway_url} from the reports service",
        )
        assert kept.index(first_words) < kept.index(second_words)
