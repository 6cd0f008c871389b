"""E-mail delivery against real SMTP servers run by the test (aiosmtpd), with the real notifications
process: killed between sending and recording it sends nothing twice; a refused address fails at once
with the reason; an unreachable relay is retried with back-off and the message is kept."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from tests.support.infra import free_port

PARTNERSHIP = uuid.uuid4()


class Relay:
    """An SMTP relay that keeps what it accepts. With `hold` set, it keeps a message and then does not
    answer until released (the sender is stuck between sending and recording); `refuse` holds addresses
    it rejects with 550."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: SmtpEnvelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: SmtpEnvelope) -> str:
        content = envelope.content.decode() if isinstance(envelope.content, bytes) else str(envelope.content)
        message_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in content.splitlines()
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, message_id))
        if self.hold:
            self.holding.set()
            self.release.wait(60)
        return "250 Message accepted"


@pytest.fixture
def relay() -> Iterator[tuple[Relay, int]]:
    handler = Relay()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


def queue_email(harness: Any, to: str, subject: str = "A rapid review return is overdue") -> str:
    email_id = str(uuid.uuid4())
    harness.sql(
        "INSERT INTO notifications.email (id, partnership_id, rule, recipient, to_address, subject, body,"
        " status, attempts, created_at, next_attempt_at) VALUES (%s, %s, 'return_overdue', 'Test person',"
        " %s, %s, 'Sign in to see it.', 'queued', 0, now(), now())",
        (email_id, str(PARTNERSHIP), to, subject),
    )
    harness.sql(
        "INSERT INTO notifications.delivery_event (email_id, at, status) VALUES (%s, now(), 'queued')",
        (email_id,),
    )
    return email_id


def email_row(harness: Any, email_id: str) -> tuple[str, int, str | None]:
    rows = harness.sql(
        "SELECT status, attempts, last_error FROM notifications.email WHERE id = %s", (email_id,)
    )
    return rows[0]


def history(harness: Any, email_id: str) -> list[str]:
    rows = harness.sql(
        "SELECT status FROM notifications.delivery_event WHERE email_id = %s ORDER BY id", (email_id,)
    )
    return [row[0] for row in rows]


def test_killed_between_sending_and_recording_the_email_is_not_sent_again(make_harness, relay):
    server, port = relay
    harness = make_harness(CASEREV_SMTP_PORT=str(port), CASEREV_SENDING_LEASE_S="2")
    server.hold = True
    email_id = queue_email(harness, "police.lead@test.example")
    sender = harness.start("notifications")
    assert server.holding.wait(30), harness.diagnostics()
    # The relay has the message; the service has not heard back, so it has not recorded it as sent.
    sender.kill()
    assert email_row(harness, email_id)[0] == "sending"
    server.hold = False
    server.release.set()

    harness.start("notifications")
    harness.wait_for(
        lambda: email_row(harness, email_id)[0] == "uncertain", 30, "the e-mail to become uncertain"
    )
    later = queue_email(harness, "manager@test.example", "Statutory deadline at risk")
    harness.wait_for(lambda: email_row(harness, later)[0] == "sent", 30, "the next e-mail to be sent")

    assert server.received.count(("police.lead@test.example", f"<{email_id}@caserev.localhost>")) == 1
    assert [to for to, _ in server.received] == ["police.lead@test.example", "manager@test.example"]
    status, attempts, reason = email_row(harness, email_id)
    assert (status, attempts) == ("uncertain", 1)
    assert reason and "may have gone" in reason
    assert history(harness, email_id) == ["queued", "sending", "uncertain"]


def test_a_refused_address_fails_at_once_and_an_unreachable_relay_is_retried(make_harness, relay):
    server, port = relay
    unreachable = free_port()
    harness = make_harness(CASEREV_SMTP_PORT=str(port))
    server.refuse.add("gone@test.example")
    refused = queue_email(harness, "gone@test.example")
    harness.start("notifications")
    harness.wait_for(lambda: email_row(harness, refused)[0] == "failed", 30, "the refused e-mail to fail")
    status, attempts, reason = email_row(harness, refused)
    assert attempts == 1 and reason == "The mail server refused the address (550)"
    assert history(harness, refused) == ["queued", "sending", "failed"]

    harness.stop_all()
    harness.system.env["CASEREV_SMTP_PORT"] = str(unreachable)
    waiting = queue_email(harness, "lead@test.example")
    harness.start("notifications")
    harness.wait_for(lambda: email_row(harness, waiting)[1] >= 2, 30, "a second attempt")
    status, attempts, reason = email_row(harness, waiting)
    assert status in ("queued", "sending") and reason == "The mail server could not be reached"
    assert history(harness, waiting)[:4] == ["queued", "sending", "retry", "sending"]
    # The relay comes back: the kept message goes.
    harness.stop_all()
    harness.system.env["CASEREV_SMTP_PORT"] = str(port)
    harness.sql("UPDATE notifications.email SET next_attempt_at = now() WHERE id = %s", (waiting,))
    harness.start("notifications")
    harness.wait_for(lambda: email_row(harness, waiting)[0] == "sent", 30, "the kept e-mail to be sent")
    assert ("lead@test.example", f"<{waiting}@caserev.localhost>") in server.received
