"""The e-mail the local SMTP catcher caught (`caserev smtp-catcher`, a maildir), as the demo's "Caught e-mail"
page lists it (gateway/routes/demo.py). Reading only: the catcher writes the maildir."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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
    # Attached files (name, text): a meeting's invitation carries its calendar file.
    attachments: tuple[tuple[str, str], ...] = ()


def _text(part: Any) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode(part.get_content_charset() or "utf-8", "replace")


def _parts(message: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The message's text and its attached files."""
    if not message.is_multipart():
        return _text(message), ()
    body, attachments = "", []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            attachments.append((name, _text(part)))
        elif part.get_content_type() == "text/plain" and not body:
            body = _text(part)
    return body, tuple(attachments)


def caught_messages(maildir: str | Path, limit: int = 200) -> list[CaughtMessage]:
    """Messages in the maildir, newest first."""
    path = Path(maildir)
    if not (path / "new").exists():
        return []
    box = mailbox.Maildir(path, create=False)
    messages = []
    for key, message in box.items():
        body, attachments = _parts(message)
        messages.append(
            CaughtMessage(
                key=key,
                received_at=datetime.fromtimestamp(message.get_date(), UTC),
                sender=str(message["From"] or ""),
                recipients=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
                message_id=str(message["Message-ID"] or ""),
                body=body,
                attachments=attachments,
            )
        )
    messages.sort(key=lambda m: m.received_at, reverse=True)
    return messages[:limit]
