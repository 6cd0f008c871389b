"""The dashboard lists the review types, and their stages in the order a review passes through them."""

from __future__ import annotations

from gateway.routes.dashboard import CountRow, count_rows
from services.analytics.contract import ReviewCount
from services.forms.contract import ReviewTypeInfo, StageInfo

CHILD = ReviewTypeInfo(
    code="child",
    label="Child review",
    hint="",
    stages=[
        StageInfo(code=code, label=label)
        for code, label in [("referral", "Referral"), ("rapid", "Rapid review"), ("local", "Local review")]
    ],
)
ADULT = ReviewTypeInfo(
    code="adult", label="Adult review", hint="", stages=[StageInfo(code="referral", label="Referral")]
)


def count(review_type: str, stage: str, n: int) -> ReviewCount:
    return ReviewCount(partnership_id=None, review_type=review_type, stage=stage, count=n)


def test_rows_follow_the_types_then_the_stages_in_lifecycle_order() -> None:
    counts = [count("adult", "referral", 1), count("child", "local", 1), count("child", "rapid", 3)]
    assert count_rows([CHILD, ADULT], counts) == [
        CountRow("Child review", "Rapid review", 3),
        CountRow("Child review", "Local review", 1),
        CountRow("Adult review", "Referral", 1),
    ]


def test_a_code_no_definition_names_keeps_its_code_and_comes_last() -> None:
    counts = [count("retired", "old", 2), count("child", "gone", 1), count("child", "referral", 4)]
    assert count_rows([CHILD, ADULT], counts) == [
        CountRow("Child review", "Referral", 4),
        CountRow("Child review", "gone", 1),
        CountRow("retired", "old", 2),
    ]
