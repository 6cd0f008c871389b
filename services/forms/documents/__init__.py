"""The documents a review's business manager downloads, finishes and sends, assembled from its records.

Pure: it builds Word documents (DOCX bytes, python-docx) from what the forms service already holds and
does no other I/O.

    rapid_review_report(
        review: ReviewFile, returns: list[ReturnView], partnership_name: str, today: date, episodes=()
    ) -> bytes
        The rapid review report to the Child Safeguarding Practice Review Panel, with the key practice
        episodes of the review's chronology.

    panel_notification(review: ReviewFile, partnership_name: str, today: date) -> bytes
        The Serious Incident Notification, every question of its form with the review's answer.

    KINDS: dict[str, tuple[str, Builder]]
        File slug -> (title, builder). Every builder takes (review, returns, partnership_name, today, the
        chronology's key practice episodes), so a
        service can serve any kind the same way; the notification ignores the returns and episodes.

A step's answers are found by the kind of form the step uses, never by its code, so any review type that
uses the form gives the same document. Completed steps are read, and steps saved as drafts too (the
manager draws the document to finish it before the partners sign off), with a note under the title naming
the draft steps; a section whose step has no answers says "Not recorded yet", so the manager sees what is
missing. The questions and choice labels are
the form models' own (`title`, `json_schema_extra["choices"]` in contract.py). The documents hold what the
records hold and nothing else: no names are added.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from services.forms.contract import ChronologyEpisode, ReturnView, ReviewFile
from services.forms.documents.panel_notification import panel_notification
from services.forms.documents.rapid_review_report import rapid_review_report
from services.forms.documents.writing import MEDIA_TYPE

Builder = Callable[[ReviewFile, list[ReturnView], str, date, list[ChronologyEpisode]], bytes]


def _notification_of(
    review: ReviewFile,
    returns: list[ReturnView],
    partnership_name: str,
    today: date,
    episodes: list[ChronologyEpisode],
) -> bytes:
    return panel_notification(review, partnership_name, today)


# Each document by its address: its name, the form whose answers make it, and how it is built. A review
# draws a document only if its type has a step with that form (a DHR has no rapid review report).
KINDS: dict[str, tuple[str, str, Builder]] = {
    "rapid-review-report": ("Rapid review report", "rapid_review_report", rapid_review_report),
    "panel-notification": (
        "Serious Incident Notification",
        "serious_incident_notification",
        _notification_of,
    ),
}


def kinds_of(forms: set[str]) -> list[str]:
    """The documents a review whose type uses these forms can draw, in their order."""
    return [kind for kind, (_, form, _) in KINDS.items() if form in forms]


__all__ = ["KINDS", "MEDIA_TYPE", "Builder", "kinds_of", "panel_notification", "rapid_review_report"]
