"""Structured logs: one JSON object a line, carrying the call id (RPC), the event id (events) or the
request id (gateway), and never personal data.

Exceptions are logged by type and code location only: their messages can carry what a user typed or
what a row held (a database error's DETAIL names the values of a key), so they stay out of the logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import traceback
from datetime import UTC, datetime
from typing import Any

# Green-thread local under eventlet (nameko workers, set by log_context.LogContext); a context variable in
# the asyncio gateway. This module imports nothing of nameko, so the gateway never loads eventlet.
worker_ids = threading.local()
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class ContextFilter(logging.Filter):
    """Adds call_id, event_id and request_id to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.call_id = getattr(worker_ids, "call_id", None)
        record.origin = getattr(worker_ids, "origin", None)
        record.event_id = getattr(worker_ids, "event_id", None)
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """A record as one JSON line; an exception as its type and where it was raised, without its message."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": os.environ.get("CASEREV_PROCESS", ""),
            "message": record.getMessage(),
        }
        for key in ("call_id", "origin", "event_id", "request_id"):
            value = getattr(record, key, None)
            if value:
                line[key] = str(value)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])
            line["stack"] = [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames[-8:]]
        return json.dumps(line, ensure_ascii=False)
