"""Bad input to open a review is refused with a 422 that names each problem, and nothing is stored:
no review, no event in the outbox, no idempotency key remembered."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import DEMO, Database

NORTHBRIDGE = DEMO.partnership("NBSCP")
VALID = {"review_type": "child_safeguarding", "partnership_id": str(NORTHBRIDGE.id), "title": "NB-2026-201"}
MAX_BODY = 2_000_000
UNKNOWN = "unknown_review_type"
STORED = ("forms.review", "forms.outbox", "forms.idempotency_key")


def without(*fields: str) -> dict[str, Any]:
    return {key: value for key, value in VALID.items() if key not in fields}


def with_(**fields: Any) -> dict[str, Any]:
    return {**VALID, **fields}


@pytest.fixture
def nothing_stored(db: Database) -> Iterator[None]:
    """Fail the test if it stored a review, an event or an idempotency key."""
    before = {table: db.count(table) for table in STORED}
    yield
    after = {table: db.count(table) for table in STORED}
    assert after == before, "bad input was stored"


# (id, JSON body, the fields that must be named, the pydantic error type of each where it matters)
JSON_CASES = [
    ("missing review_type", without("review_type"), {"review_type": "missing"}),
    ("missing partnership_id", without("partnership_id"), {"partnership_id": "missing"}),
    ("missing title", without("title"), {"title": "missing"}),
    (
        "missing everything",
        {},
        {"review_type": "missing", "partnership_id": "missing", "title": "missing"},
    ),
    ("title is a number", with_(title=2026), {"title": "string_type"}),
    ("title is null", with_(title=None), {"title": "string_type"}),
    ("review_type is a list", with_(review_type=["child_safeguarding"]), {"review_type": None}),
    ("partnership_id is not a UUID", with_(partnership_id="northbridge"), {"partnership_id": "uuid_parsing"}),
    ("partnership_id is a number", with_(partnership_id=42), {"partnership_id": None}),
    ("title of 1 MB", with_(title="x" * 1_000_000), {"title": "string_too_long"}),
    ("title one too long", with_(title="x" * 201), {"title": "string_too_long"}),
    ("title too short", with_(title="NB"), {"title": "string_too_short"}),
    ("title only spaces", with_(title="      "), {"title": "string_too_short"}),
    ("title with a line break", with_(title="NB-2026\nJane Doe"), {"title": None}),
    # Review types are data (services/forms/review_types): the forms service refuses a code it has none of.
    ("unknown review type", with_(review_type="serious_case_review"), {"review_type": "unknown_review_type"}),
    (
        "review type in capitals",
        with_(review_type="CHILD_SAFEGUARDING"),
        {"review_type": "unknown_review_type"},
    ),
    ("extra unknown field", with_(child_name="Jane Doe"), {"child_name": "extra_forbidden"}),
    (
        "wrong everything",
        {"review_type": 7, "partnership_id": [], "title": {"a": 1}, "stage": "lcspr"},
        {"review_type": None, "partnership_id": None, "title": None, "stage": "extra_forbidden"},
    ),
    ("a JSON list", [VALID], {"body": "model_attributes_type"}),
    ("JSON null", None, {"body": None}),
]


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_bad_json_is_refused_naming_each_problem(
    api: httpx.Client, body: Any, expected: dict[str, str | None]
) -> None:
    response = api.post(
        "/api/reviews", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:500]
    answer = response.json()
    assert answer["detail"]
    problems = {problem["field"]: problem for problem in answer["problems"]}
    assert set(problems) == set(expected), answer["problems"]
    for field, error_type in expected.items():
        assert problems[field]["message"], problems[field]
        if error_type:
            assert problems[field]["type"] == error_type, problems[field]
    # The refusal never echoes a huge or personal value back.
    assert len(response.content) < 5_000
    assert "Jane Doe" not in response.text


@pytest.mark.usefixtures("nothing_stored")
def test_messages_tell_a_person_what_to_do(api: httpx.Client) -> None:
    response = api.post("/api/reviews", json={})
    messages = {p["field"]: p["message"] for p in response.json()["problems"]}
    assert messages == {
        "review_type": "Select the type of review",
        "partnership_id": "Select the partnership",
        "title": "Enter a title: a case reference, not a name",
    }


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"review_type": "child_safeguarding", ', "application/json"),
        (b"review_type=child_safeguarding&title=NB-2026-202", "application/x-www-form-urlencoded"),
        (b"\xff\xfe not utf-8", "application/json"),
    ],
    ids=["truncated JSON", "a form body", "not UTF-8"],
)
def test_a_body_that_is_not_json_is_refused(api: httpx.Client, content: bytes, content_type: str) -> None:
    response = api.post("/api/reviews", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["problems"], response.text


def test_invalid_json_is_named_as_a_problem_of_the_body(api: httpx.Client) -> None:
    response = api.post("/api/reviews", content=b"not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["body"]


@pytest.mark.usefixtures("nothing_stored")
def test_a_body_over_2_mb_is_refused_with_413(api: httpx.Client) -> None:
    body = json.dumps(with_(title="x" * (MAX_BODY + 1))).encode()
    response = api.post("/api/reviews", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text[:300]
    assert "detail" in response.json()


@pytest.mark.usefixtures("nothing_stored")
def test_a_body_of_exactly_the_limit_is_read(api: httpx.Client) -> None:
    overhead = len(json.dumps(with_(title="")).encode())
    body = json.dumps(with_(title="x" * (MAX_BODY - overhead))).encode()
    assert len(body) == MAX_BODY
    response = api.post("/api/reviews", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text[:300]


@pytest.mark.usefixtures("nothing_stored")
def test_a_chunked_body_over_2_mb_is_refused_with_413(api: httpx.Client) -> None:
    body = json.dumps(with_(title="x" * (MAX_BODY + 1))).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = api.post("/api/reviews", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.status_code


# -- the HTML form ----------------------------------------------------------------------------------


class FormPage(HTMLParser):
    """What a test needs from the rendered form: element ids, the error summary's links and texts,
    the fields' error messages."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.summary_links: list[tuple[str, str]] = []
        self.error_messages: dict[str, str] = {}
        self.title = ""
        self._in_summary = 0
        self._link: str | None = None
        self._message: str | None = None
        self._in_title = False
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "title":
            self._in_title = True
        if "govuk-error-summary" in classes:
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self._link, self._text = attributes.get("href") or "", []
        if "govuk-error-message" in classes:
            self._message, self._text = str(attributes.get("id")), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if self._in_summary and tag == "div":
            self._in_summary -= 1
        if tag == "a" and self._link is not None:
            self.summary_links.append((self._link, " ".join("".join(self._text).split())))
            self._link = None
        if tag == "p" and self._message is not None:
            self.error_messages[self._message] = " ".join("".join(self._text).split())
            self._message = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._link is not None or self._message is not None:
            self._text.append(data)


# The form opens a review in the business manager's own partnership: it has no partnership field.
FIELDS = ("review_type", "title")


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("form", "messages"),
    [
        (
            {"review_type": "", "title": ""},
            [
                "Select the type of review",
                "Enter a title: a case reference, not a name",
            ],
        ),
        ({}, None),
        (
            {"review_type": "bogus", "title": "NB"},
            ["Select the type of review", "Title must be 3 characters or more"],
        ),
    ],
    ids=["empty fields", "no fields at all", "wrong values"],
)
def test_the_form_shows_an_error_summary_linking_each_field(
    api: httpx.Client, form: dict[str, str], messages: list[str] | None
) -> None:
    response = api.post("/reviews/new", data=form)
    assert response.status_code == 422, response.text[:300]
    page = FormPage(response.text)
    assert page.title.startswith("Error: "), page.title
    assert [href for href, _ in page.summary_links] == [f"#{field}" for field in FIELDS]
    for field in FIELDS:
        assert field in page.ids, f"the summary links to #{field}, which the page lacks"
        assert page.error_messages.get(f"{field}-error"), f"no error message by {field}"
    texts = [text for _, text in page.summary_links]
    if messages:
        assert texts == messages
    # Each summary entry says the same as the message by its field.
    for field, text in zip(FIELDS, texts, strict=True):
        assert page.error_messages[f"{field}-error"].removeprefix("Error:").strip() == text


@pytest.mark.usefixtures("nothing_stored")
def test_the_form_keeps_what_was_typed(api: httpx.Client) -> None:
    form = {"review_type": "domestic_homicide", "title": "NB"}
    response = api.post("/reviews/new", data=form)
    assert response.status_code == 422
    page = FormPage(response.text)
    assert [href for href, _ in page.summary_links] == ["#title"]
    assert 'value="NB"' in response.text
    assert 'value="domestic_homicide" checked' in response.text


@pytest.mark.usefixtures("nothing_stored")
def test_the_form_escapes_what_was_typed(api: httpx.Client) -> None:
    response = api.post("/reviews/new", data={"title": '"><script>alert(1)</script>'})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_a_valid_form_redirects_to_the_opened_review(api: httpx.Client, db: Database) -> None:
    title = f"NB-2026-203 {uuid.uuid4().hex[:6]}"
    token = str(uuid.uuid4())
    form = {**VALID, "title": title, "form_token": token}
    first = api.post("/reviews/new", data=form)
    again = api.post("/reviews/new", data=form)  # the same form sent twice (a double click)
    assert first.status_code == 303, first.text[:300]
    assert again.headers["location"] == first.headers["location"]
    location = first.headers["location"]
    assert location.startswith("/reviews/") and location.endswith("?opened=1")
    assert db.scalar("SELECT count(*) FROM forms.review WHERE title = %s", (title,)) == 1
    page = api.get(location)
    assert page.status_code == 200
    assert title in page.text


def test_an_unknown_partnership_is_refused(api: httpx.Client, db: Database) -> None:
    title = f"XX-2026-{uuid.uuid4().hex[:6]}"
    response = api.post("/api/reviews", json=with_(partnership_id=str(uuid.uuid4()), title=title))
    assert response.status_code == 422, response.status_code
    assert [p["field"] for p in response.json()["problems"]] == ["partnership_id"]
