"""The children of a notification as the figures may count them: categories only, never a name, a date of
birth or an exact age. Pure: no I/O."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from services.forms.contract import ChildCategories

AgeBand = Literal["under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17", "18_and_over", "not_known"]

# The DfE's age bands of a notification's child, by the age in whole years on the day of the incident.
AGE_BANDS: tuple[tuple[int, AgeBand], ...] = (
    (1, "under_1"),
    (5, "1_to_4"),
    (10, "5_to_9"),
    (16, "10_to_15"),
    (18, "16_to_17"),
)


def age_in_years(born: date, on: date) -> int:
    """Whole years from a date of birth to a day (a birthday on 29 February counts from 1 March)."""
    years = on.year - born.year
    return years - 1 if (on.month, on.day) < (born.month, born.day) else years


def age_band(age_years: int | None, date_of_birth: date | None, incident_date: date | None) -> AgeBand:
    """The age band on the day of the incident: from the date of birth when given (it is exact), else the
    age the notifier gave; "not_known" when neither can say (or the birth is after the incident)."""
    if date_of_birth is not None and incident_date is not None:
        if date_of_birth > incident_date:
            return "not_known"
        age: int | None = age_in_years(date_of_birth, incident_date)
    else:
        age = age_years
    if age is None or age < 0:
        return "not_known"
    for below, band in AGE_BANDS:
        if age < below:
            return band
    return "18_and_over"


def children_categories(answers: dict[str, Any]) -> list[ChildCategories]:
    """Each child of a notification's answers (SeriousIncidentNotification dumped) in categories only."""
    incident_date = answers.get("incident_date")
    return [
        ChildCategories(
            age_band=age_band(child.get("age_years"), child.get("date_of_birth"), incident_date),
            sex=child["sex"],
            ethnicity=child["ethnicity"],
            disability=child["disability"],
            legal_status=sorted(child.get("legal_status") or []),
        )
        for child in answers.get("children", [])
    ]
