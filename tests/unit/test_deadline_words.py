"""How a review's deadlines read on its pages (gateway/routes/lifecycle.py): days left in words, and the
paused state shown as soon as a pause is recorded, deadline by deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gateway.routes.lifecycle import _deadline_status, deadline_words
from services.forms.contract import DeadlineView


def deadline(**fields: Any) -> DeadlineView:
    values: dict[str, Any] = {
        "code": "returns",
        "label": "Agency returns due",
        "statutory": False,
        "step": None,
        "basis": "10 working days after the notification",
        "trigger_on": date(2026, 11, 27),
        "due_on": date(2026, 12, 11),
        "revised_due_on": date(2026, 12, 11),
        "done_on": None,
        "status": "due",
        "working_days_left": 5,
        "rag": "green",
    }
    return DeadlineView(**{**values, **fields})


@pytest.mark.parametrize(
    ("left", "words"), [(0, "Due today"), (1, "1 working day left"), (5, "5 working days left")]
)
def test_days_left_read_as_people_say_them(left: int, words: str) -> None:
    assert deadline_words(deadline(working_days_left=left)) == {
        "label": "Agency returns due",
        "due_on": "11 December 2026",
        "left": words,
    }


def test_a_deadline_a_pause_cannot_stop_says_it_runs_on_while_the_review_is_paused() -> None:
    running = deadline(pausable=False)
    assert deadline_words(running, paused=True)["left"] == "5 working days left: a pause does not stop it"  # type: ignore[index]
    assert _deadline_status(running, paused=True) == ("Runs on during the pause", "govuk-tag--blue")
    assert _deadline_status(running, paused=False)[0] == "On track"


def test_a_paused_deadline_shows_its_revised_date_and_is_not_late() -> None:
    paused = deadline(
        pausable=True, status="paused", rag="paused", revised_due_on=date(2027, 1, 8), working_days_left=None
    )
    assert deadline_words(paused, paused=True) == {
        "label": "Agency returns due",
        "due_on": "8 January 2027",
        "left": "Paused, not late",
    }
    assert _deadline_status(paused, paused=True) == ("Paused, not late", "govuk-tag--grey")
