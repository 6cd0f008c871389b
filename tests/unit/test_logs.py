"""Log lines are JSON with the ids that tie them together, and exceptions are logged without their text."""

from __future__ import annotations

import json
import logging
import sys
from types import SimpleNamespace

from services.kernel.log_context import LogContext
from services.kernel.logs import ContextFilter, JsonFormatter, request_id


def _line(record_kwargs: dict) -> dict:
    record = logging.LogRecord(
        "caserev.test", logging.ERROR, __file__, 1, "commit failed", (), **record_kwargs
    )
    ContextFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_exception_is_logged_by_type_and_place_never_by_its_message():
    try:
        raise ValueError('duplicate key value: Key (email)=("person@example.org") already exists')
    except ValueError:
        line = _line({"exc_info": sys.exc_info()})
    assert line["exception"] == "ValueError"
    assert line["stack"] and "test_logs.py" in line["stack"][-1]
    assert "person@example.org" not in json.dumps(line), "exception text may hold personal data"


def test_worker_lines_carry_the_call_and_event_ids():
    context = LogContext()
    worker = SimpleNamespace(
        call_id="analytics.count_opened_review.1",
        call_id_stack=["gateway.req-7", "analytics.count_opened_review.1"],
        args=({"event_id": "e-1", "type": "forms.review_opened"},),
    )
    context.worker_setup(worker)
    try:
        line = _line({"exc_info": None})
    finally:
        context.worker_teardown(worker)
    assert (line["call_id"], line["origin"], line["event_id"]) == (
        "analytics.count_opened_review.1",
        "gateway.req-7",
        "e-1",
    )
    assert "call_id" not in _line({"exc_info": None}), "ids must not leak into the next worker's lines"


def test_gateway_lines_carry_the_request_id():
    token = request_id.set("req-42")
    try:
        assert _line({"exc_info": None})["request_id"] == "req-42"
    finally:
        request_id.reset(token)


def test_the_asyncio_gateway_loads_neither_nameko_nor_eventlet():
    import subprocess
    import sys

    probe = "import sys, gateway.app; print(sorted(m for m in ('eventlet', 'nameko') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", (
        "eventlet's monkey-patching world must stay out of the asyncio gateway"
    )
