"""Sending e-mail over SMTP to whatever relay the configuration names."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.kernel.config import Settings


def send_email(settings: Settings, *, to: str, subject: str, body: str, message_key: str) -> None:
    """Send one plain-text e-mail; raises on any SMTP failure. `message_key` makes the Message-ID stable."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{message_key}@caserev.localhost>"
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
