"""The demo's national view: `make run` loads a synthetic England for the analysts (caserev/demo.py
seed_national_view, sized by the settings; test systems load a small one), whose partnerships are the
gateway's, in regions, and whose reviews analytics counts; the regional analyst sees their region's, the
national analyst all of them."""

from __future__ import annotations

import httpx

from caserev.demo import NATIONAL_VIEW_SEED
from caserev.synthetic import national_set
from services.kernel.calendar import today_in_england
from tests.e2e.helpers import DEMO, Database, sign_in, wait_for
from tests.support.system import SystemEnv


def _reviews_of(client: httpx.Client, partnership_id: str) -> int | None:
    """A partnership's review count through the gateway, or None if the caller may not see it."""
    response = client.get("/api/review-counts", params={"partnership_id": partnership_id})
    if response.status_code == 403:
        return None
    assert response.status_code == 200, response.text
    return sum(row["count"] for row in response.json())


def _size(system: SystemEnv) -> tuple[int, int]:
    """The demo's synthetic England as the test system sizes it: (years, partnerships)."""
    return int(system.env["CASEREV_DEMO_NATIONAL_YEARS"]), int(
        system.env["CASEREV_DEMO_NATIONAL_PARTNERSHIPS"]
    )


def _synthetic_reviews(system: SystemEnv) -> dict[str, int]:
    """Reviews of the demo's synthetic England by partnership id, as the generator draws them today."""
    years, partnerships = _size(system)
    national_view = national_set(years, partnerships, NATIONAL_VIEW_SEED, today_in_england())
    counts: dict[str, int] = {}
    for envelope in national_view.events():
        if envelope.type == "forms.review_opened":
            counts[str(envelope.partnership_id)] = counts.get(str(envelope.partnership_id), 0) + 1
    return counts


def test_the_analysts_see_the_synthetic_england_by_region(system: SystemEnv, db: Database) -> None:
    expected = _synthetic_reviews(system)
    synthetic = db.rows("SELECT id::text, region FROM identity.partnership WHERE left(code, 4) = 'SYN-'")
    assert len(synthetic) == _size(system)[1]
    assert len({region for _, region in synthetic}) == 9, "the synthetic partnerships span England's regions"
    wait_for(
        lambda: (
            db.scalar(
                "SELECT count(*) FROM analytics.review_stage r JOIN identity.partnership p"
                " ON p.id = r.partnership_id WHERE left(p.code, 4) = 'SYN-'"
            )
            == sum(expected.values())
        ),
        timeout=180,
        message="analytics to count every synthetic review",
    )
    north_east = {pid for pid, region in synthetic if region == "North East"}
    assert north_east, "the demo's own region holds synthetic partnerships too"
    own = {str(DEMO.partnership(code).id) for code in ("NBSCP", "ESP")}

    counted = dict(db.rows("SELECT partnership_id::text, count(*) FROM analytics.review_stage GROUP BY 1"))
    elsewhere = next(pid for pid, region in synthetic if region == "London")

    regional = sign_in(system, "regional.analyst@analysts.example", fresh=True).client
    everyone = sign_in(system, "national.analyst@analysts.example", fresh=True).client
    try:
        for partnership_id in sorted(north_east | own):
            assert _reviews_of(regional, partnership_id) == counted.get(partnership_id, 0), partnership_id
        assert _reviews_of(regional, elsewhere) is None, "a regional analyst sees only their region"
        for partnership_id in sorted(north_east | own | {elsewhere}):
            assert _reviews_of(everyone, partnership_id) == counted.get(partnership_id, 0), partnership_id
        assert counted[elsewhere] == expected[elsewhere]
    finally:
        regional.close()
        everyone.close()
