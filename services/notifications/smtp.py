"""Sending e-mail over SMTP to whatever relay the configuration names."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.kernel.config import NotificationSettings


def send_email(
    settings: NotificationSettings,
    *,
    to: str,
    subject: str,
    body: str,
    message_key: str,
    attachment_name: str | None = None,
    attachment: str | None = None,
) -> None:
    """Send one plain-text e-mail; raises on any SMTP failure. `message_key` makes the Message-ID stable.

    An attachment is an iCalendar file (a meeting invitation, update or cancellation) when its name ends
    in .ics, else plain text."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{message_key}@caserev.localhost>"
    message.set_content(body)
    if attachment is not None and attachment_name:
        if attachment_name.endswith(".ics"):
            # Calendar clients read the method from the part's type as well as from the file.
            method = "CANCEL" if "METHOD:CANCEL" in attachment else "REQUEST"
            message.add_attachment(
                attachment, subtype="calendar", filename=attachment_name, params={"method": method}
            )
        else:
            message.add_attachment(attachment, subtype="plain", filename=attachment_name)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
