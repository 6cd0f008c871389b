"""Which queries of the merged chronology filter its entries: a page without a filter counts its entries once,
since those matching are all the caller may read."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from services.chronology.contract import ChronologyQuery
from services.chronology.repository import Filters


def test_paging_and_names_do_not_filter_the_entries() -> None:
    query = ChronologyQuery(after="cursor", limit=10, show_names=True)
    assert not Filters(query, None).narrowed
    assert not Filters(ChronologyQuery(), uuid.uuid4()).narrowed, "an agency's own scope is not a filter"


@pytest.mark.parametrize(
    "filter_",
    [
        {"agency_id": uuid.uuid4()},
        {"from_on": date(2020, 1, 1)},
        {"to_on": date(2020, 12, 31)},
        {"episodes_only": True},
        {"person_id": uuid.uuid4()},
        {"significance": "high"},
        {"text": "bruising"},
        {"text": ""},
    ],
)
def test_every_filter_of_the_query_narrows_it(filter_: dict[str, Any]) -> None:
    assert Filters(ChronologyQuery(**filter_), None).narrowed, f"{filter_} must be counted as a filter"
