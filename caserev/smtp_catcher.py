"""A real SMTP server for local use and tests: it accepts every message and keeps it in a maildir,
which the demo's "Caught e-mail" page lists. In production the services send to any relay instead."""

from __future__ import annotations

import mailbox
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


@dataclass(frozen=True)
class CaughtMessage:
    """A message the catcher kept."""

    key: str
    received_at: datetime
    sender: str
    recipients: str
    subject: str
    message_id: str
    body: str


def caught_messages(maildir: str | Path, limit: int = 200) -> list[CaughtMessage]:
    """Messages in the maildir, newest first."""
    path = Path(maildir)
    if not (path / "new").exists():
        return []
    box = mailbox.Maildir(path, create=False)
    messages = []
    for key, message in box.items():
        payload = message.get_payload(decode=True) if not message.is_multipart() else b""
        messages.append(
            CaughtMessage(
                key=key,
                received_at=datetime.fromtimestamp(message.get_date(), UTC),
                sender=str(message["From"] or ""),
                recipients=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
                message_id=str(message["Message-ID"] or ""),
                body=(payload or b"").decode("utf-8", "replace")
                if isinstance(payload, bytes)
                else str(payload),
            )
        )
    messages.sort(key=lambda m: m.received_at, reverse=True)
    return messages[:limit]


def serve(host: str, port: int, maildir: str) -> None:
    """Accept mail on host:port until SIGTERM or Ctrl-C."""
    for part in ("tmp", "new", "cur"):  # a maildir; mailbox.Maildir creates these only for a new folder
        (Path(maildir) / part).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(Path(maildir)), hostname=host, port=port)
    controller.start()
    print(f"SMTP catcher on {host}:{port}, keeping mail in {maildir}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
