"""The dashboards through the gateway, on the whole running system: who sees which figures, the filters, the
CSV of each table, the audit of each read, and the stream that tells an open page its figures changed.

Figures come from the real analytics service (built from the demo's events); a change is caused for real (a
review opened through the gateway), which analytics applies and announces as `analytics.figures_changed`.
"""

from __future__ import annotations

import csv
import html
import io
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import DEMO, Database, SignedIn, sign_in, wait_for, wait_until_settled
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
EASTMOOR = DEMO.partnership("ESP")
CODES = ("reviews", "timeliness", "learning", "children", "actions")
DECIDERS = (
    "business.manager@northbridge.example",
    "partner@northbridge.example",
    "executive@northbridge.example",
)
NO_FIGURES = (
    "subgroup@northbridge.example",
    "police.lead@northbridge.example",
    "police.author@northbridge.example",
    "reviewer@northbridge.example",
    "action.owner@northbridge.example",
    "admin@northbridge.example",
    "dpo@northbridge.example",
)
REGIONAL = "regional.analyst@analysts.example"
NATIONAL = "national.analyst@analysts.example"
REFUSED = (403, 404)


def dashboard_json(person: SignedIn, code: str, **query: str) -> dict[str, Any]:
    response = person.client.get(f"/api/dashboards/{code}", params=query)
    assert response.status_code == 200, (
        f"{person.email} /api/dashboards/{code}: {response.status_code} {response.text[:300]}"
    )
    answer: dict[str, Any] = response.json()
    return answer


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# -- who sees what ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", DECIDERS)
def test_a_partnerships_deciders_see_their_own_figures_unsuppressed_on_every_dashboard(
    system: SystemEnv, email: str
) -> None:
    person = sign_in(system, email)
    index = person.client.get("/dashboards")
    assert index.status_code == 200
    for code in CODES:
        assert f'href="/dashboards/{code}"' in index.text, f"the index does not link the {code} dashboard"
        page = person.client.get(f"/dashboards/{code}")
        assert page.status_code == 200, f"{email} /dashboards/{code}: {page.status_code}"
        assert f'<span class="govuk-caption-xl">{html.escape(NORTHBRIDGE.name)}</span>' in page.text
        assert "Counts below" not in page.text
        figures = dashboard_json(person, code)
        assert figures["scope"] == "partnership" and figures["suppression_threshold"] is None
        assert figures["scope_label"] == NORTHBRIDGE.name
        for table in figures["tables"]:
            assert f'id="figure-{table["code"]}-caption"' in page.text, (
                f"{code}: no table for {table['code']}"
            )


def test_a_partnership_cannot_see_another_partnerships_figures(system: SystemEnv) -> None:
    manager = sign_in(system, DECIDERS[0])
    other = {"partnership_id": str(EASTMOOR.id)}
    first_table = dashboard_json(manager, "reviews")["tables"][0]["code"]
    for path in ("/dashboards/reviews", "/api/dashboards/reviews", f"/dashboards/reviews/{first_table}.csv"):
        response = manager.client.get(path, params=other)
        assert response.status_code in REFUSED, f"{path} for Eastmoor answered {response.status_code}"
        assert EASTMOOR.name not in response.text
    with manager.client.stream("GET", "/dashboards/reviews/stream", params=other) as stream:
        assert stream.status_code == 404


@pytest.mark.parametrize("email", NO_FIGURES)
def test_agency_roles_reviewers_administrators_and_dpos_get_no_dashboards(
    system: SystemEnv, email: str
) -> None:
    person = sign_in(system, email)
    for path in (
        "/dashboards",
        "/dashboards/reviews",
        "/api/dashboards/reviews",
        "/dashboards/reviews/x.csv",
    ):
        response = person.client.get(path)
        assert response.status_code in REFUSED, f"{email} reached {path}: {response.status_code}"
    with person.client.stream("GET", "/dashboards/reviews/stream") as stream:
        assert stream.status_code in REFUSED
    assert 'href="/dashboards"' not in person.client.get("/account").text, f"{email}'s menu offers dashboards"


def test_a_regional_analyst_sees_the_regions_figures_suppressed_and_may_choose_a_partnership_of_it(
    system: SystemEnv, db: Database
) -> None:
    analyst = sign_in(system, REGIONAL)
    for code in CODES:
        figures = dashboard_json(analyst, code)
        assert figures["scope"] == "region" and figures["suppression_threshold"] == 5, code
        assert_nothing_below_the_threshold_is_shown(figures)
        page = analyst.client.get(f"/dashboards/{code}")
        assert page.status_code == 200 and "Counts below 5" in page.text
    choices = {
        o["value"] for o in dashboard_json(analyst, "reviews")["filter_options"].get("partnership_id", [])
    }
    # The region's partnerships are the choices: the demo's two, and the synthetic ones the demo put there.
    assert {str(NORTHBRIDGE.id), str(EASTMOOR.id)} <= choices, "the region's own partnerships are not offered"
    in_region = db.rows("SELECT id::text FROM identity.partnership WHERE region = 'North East'")
    assert choices == {pid for (pid,) in in_region}, "the choices are not exactly the region's partnerships"
    chosen = dashboard_json(analyst, "reviews", partnership_id=str(NORTHBRIDGE.id))
    assert chosen["filters"]["partnership_id"] == str(NORTHBRIDGE.id)
    assert_nothing_below_the_threshold_is_shown(chosen)
    page = analyst.client.get("/dashboards/reviews", params={"partnership_id": str(NORTHBRIDGE.id)})
    assert page.status_code == 200
    assert re.search(rf'<option value="{NORTHBRIDGE.id}" selected>', page.text), "the choice is not kept"


def test_a_national_analyst_sees_englands_figures_suppressed(system: SystemEnv) -> None:
    analyst = sign_in(system, NATIONAL)
    for code in CODES:
        figures = dashboard_json(analyst, code)
        assert figures["scope"] == "england" and figures["suppression_threshold"] == 5, code
        assert_nothing_below_the_threshold_is_shown(figures)
    assert analyst.client.get("/dashboards/learning").status_code == 200


def assert_nothing_below_the_threshold_is_shown(figures: dict[str, Any]) -> None:
    for table in figures["tables"]:
        if table["unit"] != "count":
            continue
        for row in table["rows"]:
            for cell in row["cells"]:
                if cell["suppressed"]:
                    assert cell["value"] is None and not re.search(
                        r"\d", cell["text"].replace("fewer than 5", "")
                    )
                elif cell["value"] is not None:
                    assert cell["value"] == 0 or cell["value"] >= 5, (
                        f"{table['code']}: {row['label']} shows {cell}"
                    )


@pytest.mark.parametrize("email", (REGIONAL, NATIONAL))
def test_an_analyst_cannot_open_a_partnerships_review_pages(system: SystemEnv, email: str) -> None:
    analyst = sign_in(system, email)
    manager = sign_in(system, DECIDERS[0])
    reviews = manager.client.get("/api/reviews").json()
    review_id = (reviews["items"] if isinstance(reviews, dict) else reviews)[0]["id"]
    for path in (
        "/reviews",
        f"/reviews/{review_id}",
        f"/api/reviews/{review_id}",
        f"/reviews/{review_id}/chronology",
        f"/reviews/{review_id}/meetings",
        f"/reviews/{review_id}/steps/referral",
        "/returns",
        "/actions",
    ):
        response = analyst.client.get(path)
        assert response.status_code in REFUSED, f"{email} reached {path}: {response.status_code}"


# -- filters, CSV and audit ---------------------------------------------------------------------------------


def test_filters_that_cannot_be_read_are_named_on_the_page_and_in_the_api(system: SystemEnv) -> None:
    manager = sign_in(system, DECIDERS[0])
    page = manager.client.get(
        "/dashboards/reviews", params={"period_from": "1st April", "period_to": "2026-01-01"}
    )
    assert page.status_code == 422
    assert 'href="#period_from"' in page.text and "like 2026-04-01" in page.text
    backwards = manager.client.get(
        "/api/dashboards/reviews", params={"period_from": "2026-06-01", "period_to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert backwards.json()["problems"][0]["field"] == "period_to"


def test_each_tables_csv_is_the_table_as_shown_with_the_filters_applied(system: SystemEnv) -> None:
    analyst = sign_in(system, REGIONAL)
    filters = {"period_from": "2020-01-01", "partnership_id": str(NORTHBRIDGE.id)}
    for code in CODES:
        figures = dashboard_json(analyst, code, **filters)
        for table in figures["tables"]:
            response = analyst.client.get(f"/dashboards/{code}/{table['code']}.csv", params=filters)
            assert response.status_code == 200, f"{code}/{table['code']}.csv: {response.status_code}"
            assert response.headers["content-type"].startswith("text/csv")
            disposition = response.headers["content-disposition"]
            assert re.fullmatch(
                rf'attachment; filename="[a-z0-9-]+-{code}-{table["code"]}-2020-01-01-to-now\.csv"',
                disposition,
            )
            rows = list(csv.reader(io.StringIO(response.text)))
            assert rows[0] == [table["row_heading"], *table["columns"]]
            assert [r[0].lstrip("'") for r in rows[1:]] == [row["label"] for row in table["rows"]]
            for line, row in zip(rows[1:], table["rows"], strict=True):
                assert line[1:] == [cell["text"] for cell in row["cells"]]
                for word, cell in zip(line[1:], row["cells"], strict=True):
                    if cell["suppressed"]:
                        assert word == "fewer than 5", f"a suppressed cell written as {word!r}"


def test_dashboard_reads_and_downloads_are_audited(system: SystemEnv, db: Database) -> None:
    manager = sign_in(system, DECIDERS[0])
    table = dashboard_json(manager, "timeliness")["tables"][0]["code"]
    before = db.scalar("SELECT coalesce(max(seq), 0) FROM audit.audit_entry")
    assert manager.client.get("/dashboards/timeliness").status_code == 200
    assert manager.client.get(f"/dashboards/timeliness/{table}.csv").status_code == 200
    entries = db.rows(
        "SELECT record_type, record_id, action, outcome FROM audit.audit_entry WHERE seq > %s ORDER BY seq",
        (before,),
    )
    assert ("dashboard", "timeliness", "read", "allowed") in entries
    assert ("dashboard", "timeliness", "export", "allowed") in entries


# -- live ---------------------------------------------------------------------------------------------------


class Listening:
    """An open dashboard stream read in a thread: the events it has sent so far."""

    def __init__(self, person: SignedIn, query: dict[str, str] | None = None) -> None:
        self.events: list[str] = []
        self.raw: list[str] = []
        self.status = 0
        self._opened = threading.Event()
        self._client = httpx.Client(
            base_url=person.client.base_url, cookies=person.client.cookies, timeout=httpx.Timeout(5, read=60)
        )
        self._thread = threading.Thread(target=self._read, args=(query or {},), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the stream did not open"

    def _read(self, query: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", "/dashboards/reviews/stream", params=query) as stream:
                self.status = stream.status_code
                self._opened.set()
                for line in stream.iter_lines():
                    self.raw.append(line)
                    if line.startswith("event: "):
                        self.events.append(line[len("event: ") :])
        except (httpx.HTTPError, RuntimeError):
            self._opened.set()

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def listening(system: SystemEnv, db: Database) -> Iterator[dict[str, Listening]]:
    wait_until_settled(db)
    streams = {
        "northbridge": Listening(sign_in(system, DECIDERS[0])),
        "eastmoor": Listening(sign_in(system, "business.manager@eastmoor.example")),
        "region": Listening(sign_in(system, REGIONAL)),
    }
    yield streams
    for stream in streams.values():
        stream.close()


def test_a_review_opened_tells_the_pages_that_show_its_partnership_and_no_other(
    system: SystemEnv, listening: dict[str, Listening]
) -> None:
    assert all(stream.status == 200 for stream in listening.values())
    manager = sign_in(system, DECIDERS[0])
    opened = manager.client.post(
        "/api/reviews",
        json={
            "review_type": "child_safeguarding",
            "partnership_id": str(NORTHBRIDGE.id),
            "title": f"NB-2026-{uuid.uuid4().hex[:4].upper()} live figures",
        },
        headers={"X-CSRF-Token": manager.csrf()},
    )
    assert opened.status_code == 201, opened.text[:300]
    for who in ("northbridge", "region"):
        wait_for(
            lambda who=who: "figures-changed" in listening[who].events,
            timeout=30,
            message=f"the {who} dashboard stream to say the figures changed",
        )
    assert "figures-changed" not in listening["eastmoor"].events, "Eastmoor's page was told of Northbridge"
    everything = "\n".join(line for stream in listening.values() for line in stream.raw)
    assert str(NORTHBRIDGE.id) not in everything and str(EASTMOOR.id) not in everything
