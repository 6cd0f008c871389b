"""The Serious Incident Notification to the Child Safeguarding Practice Review Panel, every question of
its form with the review's answer."""

from __future__ import annotations

from datetime import date

from services.forms.contract import (
    ReviewFile,
    SeriousIncidentNotification,
)
from services.forms.documents.writing import (
    SIN,
    _absent,
    _answers,
    _children,
    _note_drafts,
    _row,
    _Writer,
)

# -- the Serious Incident Notification ---------------------------------------------------------------------


def panel_notification(review: ReviewFile, partnership_name: str, today: date) -> bytes:
    """The Serious Incident Notification to the Panel as a DOCX document: every question of the form, by
    its title, with the review's answer; "Not recorded yet" for each while the step is not completed."""
    writer = _Writer(
        review.title,
        "Serious Incident Notification to the Child Safeguarding Practice Review Panel",
        partnership_name,
        today,
    )
    _note_drafts(writer, review, (SIN,))
    sin, absent = _answers(review, SIN), _absent(review, SIN)
    writer.rows(
        [
            ("Safeguarding partnership", partnership_name),
            ("Case reference", review.title),
            *(
                _row(SeriousIncidentNotification, name, sin, absent)
                for name in SeriousIncidentNotification.model_fields
                if name != "children"
            ),
        ]
    )
    _children(writer, review, sin)
    return writer.bytes()
