"""A real SMTP server for local use and tests: it accepts every message and keeps it in a maildir,
which the demo's "Caught e-mail" page lists (gateway/caught_mail.py reads it; its names are offered here
too). In production the services send to any relay instead."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from gateway.caught_mail import CaughtMessage, caught_messages

__all__ = ["CaughtMessage", "caught_messages", "serve"]


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
