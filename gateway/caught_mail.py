"""The e-mail the local SMTP catcher caught (`caserev smtp-catcher`, a maildir), as the demo's "Caught e-mail"
page lists it (gateway/routes/demo.py). Reading only: the catcher writes the maildir."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


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
