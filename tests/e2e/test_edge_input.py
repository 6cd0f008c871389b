"""Input that once reached a 500 or a 503, now refused once at the edge, with nothing stored: NUL characters
and broken UTF-8 in any text, impossible ids in addresses, JSON nested too deep, dates before 1900, a long
X-Forwarded-For at sign-in; and the answers every client relies on (405's Allow, 500s in the metrics, the
OpenAPI document's error shapes)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.helpers import DEMO, Database, SignedIn, csrf_in, gateway_client, sign_in
from tests.support.system import SystemEnv

NORTHBRIDGE = DEMO.partnership("NBSCP")
# Every table a refused request could have written to (the audit log records attempts, refused ones too).
WRITTEN = (
    "forms.review",
    "forms.review_step",
    "forms.agency_return",
    "forms.outbox",
    "forms.idempotency_key",
    "identity.agency",
    "identity.api_client",
    "identity.user_account",
)


@pytest.fixture
def nothing_stored(db: Database) -> Iterator[None]:
    before = {table: db.count(table) for table in WRITTEN}
    yield
    after = {table: db.count(table) for table in WRITTEN}
    changed = {table: (before[table], after[table]) for table in WRITTEN if before[table] != after[table]}
    assert not changed, f"a refused request stored something: {changed}"


@pytest.fixture(scope="module")
def review_id(db: Database) -> str:
    return str(
        db.scalar("SELECT id FROM forms.review WHERE partnership_id = %s LIMIT 1", (str(NORTHBRIDGE.id),))
    )


@pytest.fixture(scope="module")
def police(system: SystemEnv) -> SignedIn:
    return _signed_in(system, "police.lead@northbridge.example")


@pytest.fixture(scope="module")
def admin(system: SystemEnv) -> SignedIn:
    return _signed_in(system, "admin@northbridge.example")


def _signed_in(system: SystemEnv, email: str) -> SignedIn:
    who = sign_in(system, email, fresh=True)
    who.client.headers["X-CSRF-Token"] = who.csrf()
    return who


@pytest.fixture(scope="module")
def police_return_id(db: Database) -> str:
    return str(
        db.scalar("SELECT id FROM forms.agency_return WHERE agency_name = 'Northbridge Police' LIMIT 1")
    )


def _named(response: httpx.Response, field: str) -> None:
    """The refusal is a 422 that names the field, as JSON for a JSON client and on the page otherwise."""
    assert response.status_code == 422, f"{response.status_code}: {response.text[:300]}"
    if response.headers["content-type"].startswith("application/json"):
        fields = [problem["field"] for problem in response.json()["problems"]]
        assert field in fields, f"the refusal should name {field!r}, it names {fields}"
    else:
        assert (
            f"{field} contains a null character" in response.text
            or f"{field} has characters" in response.text
        )


# -- NUL characters and text that is not UTF-8 ----------------------------------------------------------


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_a_referral_is_refused_naming_the_field(api: httpx.Client) -> None:
    response = api.post("/referrals/new", data={"referring_organisation": "Northbridge\x00 School"})
    _named(response, "referring_organisation")


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_a_step_form_is_refused_naming_the_field(api: httpx.Client, review_id: str) -> None:
    response = api.post(f"/reviews/{review_id}/steps/referral", data={"referrer_role": "Named\x00 nurse"})
    _named(response, "referrer_role")


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_a_step_s_json_answers_is_refused_naming_its_path(api: httpx.Client, review_id: str) -> None:
    response = api.post(
        f"/api/reviews/{review_id}/steps/referral", json={"answers": {"outline": "x\u0000y"}, "version": None}
    )
    _named(response, "answers.outline")


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_a_return_draft_is_refused(police: SignedIn, police_return_id: str) -> None:
    response = police.client.post(
        f"/returns/{police_return_id}", data={"summary": "seen\x00", "action": "save"}
    )
    _named(response, "summary")


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize("path", ["/admin/agencies", "/admin/api-clients"])
def test_a_nul_in_an_administrator_s_name_field_is_refused(admin: SignedIn, path: str) -> None:
    _named(admin.client.post(path, data={"name": "Northbridge\x00 Academy"}), "name")


@pytest.mark.usefixtures("nothing_stored")
def test_text_that_is_not_utf8_is_refused_not_stored_as_replacement_characters(api: httpx.Client) -> None:
    response = api.post(
        "/referrals/new",
        content=b"referring_organisation=North%FFbridge",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _named(response, "referring_organisation")


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_the_sign_in_email_is_refused_naming_the_field(system: SystemEnv, db: Database) -> None:
    failures = db.count("identity.signin_failure")
    client = gateway_client(system)
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": "business.manager@northbridge.example\x00",
            "password": "x",
            "code": "000000",
            "csrf_token": csrf_in(page.text),
        },
    )
    _named(response, "email")
    assert "session" not in "".join(response.headers.get_list("set-cookie"))
    assert db.count("identity.signin_failure") == failures


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_a_password_reset_request_is_refused(system: SystemEnv) -> None:
    client = gateway_client(system)
    page = client.get("/password-reset")
    response = client.post(
        "/password-reset", data={"email": "a\x00@example.org", "csrf_token": csrf_in(page.text)}
    )
    _named(response, "email")


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_an_oauth_client_id_is_an_invalid_request(anonymous: httpx.Client) -> None:
    response = anonymous.post(
        "/api/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x\x00", "client_secret": "y"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


@pytest.mark.usefixtures("nothing_stored")
def test_a_nul_in_the_basic_credentials_is_an_invalid_request(anonymous: httpx.Client) -> None:
    basic = base64.b64encode(b"client\x00id:secret").decode()
    response = anonymous.post(
        "/api/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert (response.status_code, response.json()) == (400, {"error": "invalid_request"}), response.text


# -- impossible ids in addresses ------------------------------------------------------------------------


IMPOSSIBLE = ["%00", "%0A", "%FF", "not-an-id"]


@pytest.mark.parametrize("bad", IMPOSSIBLE)
@pytest.mark.parametrize(
    "template",
    [
        "/reviews/{review}/steps/{bad}",
        "/reviews/{review}/steps/{bad}/check",
        "/reviews/{review}/documents/{bad}",
        "/reviews/{bad}",
        "/api/reviews/{bad}/file",
        "/returns/{bad}",
        "/messages/sent/{bad}",
    ],
)
def test_an_impossible_id_in_an_address_is_page_not_found(
    api: httpx.Client, review_id: str, template: str, bad: str
) -> None:
    path = template.format(review=review_id, bad=bad)
    response = api.get(path)
    assert response.status_code == 404, f"GET {path}: {response.status_code} {response.text[:200]}"


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize("path", ["/admin/api-clients/%00/revoke", "/admin/users/%00/deactivate"])
def test_an_impossible_id_in_an_administrator_s_form_address_is_page_not_found(
    admin: SignedIn, path: str
) -> None:
    assert admin.client.post(path, data={}).status_code == 404


def test_a_dpo_s_impossible_request_id_is_page_not_found(system: SystemEnv) -> None:
    dpo = _signed_in(system, "dpo@northbridge.example")
    for path in ("/dpo/subject-access-requests/%00/export", "/dpo/subject-access-requests/nope/export"):
        assert dpo.client.get(path).status_code == 404, path


# -- JSON depth, dates --------------------------------------------------------------------------------


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize("path", ["/api/reviews/{review}/steps/referral", "/api/reviews"])
def test_json_nested_1000_deep_is_refused_the_same_everywhere(
    api: httpx.Client, review_id: str, path: str
) -> None:
    deep = '{"answers": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"
    response = api.post(
        path.format(review=review_id), content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]
    assert [p["type"] for p in response.json()["problems"]] == ["depth"]


@pytest.mark.usefixtures("nothing_stored")
def test_a_date_before_1900_is_refused_in_a_referral(api: httpx.Client) -> None:
    response = api.post(
        "/referrals/new",
        data={"incident_date-day": "1", "incident_date-month": "1", "incident_date-year": "0001"},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422, response.text[:300]
    assert "Enter a date on or after 1 January 1900" in response.text, "the page should say which dates count"


# -- X-Forwarded-For at sign-in -------------------------------------------------------------------------


def _failed_sign_in(system: SystemEnv, email: str, forwarded_for: str) -> httpx.Response:
    client = gateway_client(system)
    client.headers["X-Forwarded-For"] = forwarded_for
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": "wrong", "code": "000000", "csrf_token": csrf_in(page.text)},
    )


def test_a_long_forwarded_for_is_counted_as_a_failure_not_a_500(system: SystemEnv, db: Database) -> None:
    before = db.count("identity.signin_failure")
    response = _failed_sign_in(system, "nobody-long-xff@nowhere.example", "1" * 100)
    assert response.status_code == 401, f"{response.status_code}: {response.text[:200]}"
    assert db.count("identity.signin_failure") == before + 1, "the failed sign-in was not counted"
    address = db.scalar("SELECT address FROM identity.signin_failure ORDER BY id DESC LIMIT 1")
    assert address == "127.0.0.1", (
        f"an unparseable header must leave the trusted hop's address, got {address!r}"
    )


def test_only_the_trusted_hop_s_entry_decides_the_address(system: SystemEnv, db: Database) -> None:
    # A client writes addresses of its own choosing first; the trusted proxy appends the real one last.
    _failed_sign_in(system, "nobody-xff-chain@nowhere.example", "203.0.113.250, 198.51.100.250")
    address = db.scalar("SELECT address FROM identity.signin_failure ORDER BY id DESC LIMIT 1")
    assert address == "198.51.100.250", address


def test_varying_a_junk_forwarded_for_does_not_escape_the_account_lock_out(system: SystemEnv) -> None:
    email = "nobody-rotating@nowhere.example"
    statuses = {
        _failed_sign_in(system, email, f"junk-{attempt}-" + "9" * 80).status_code for attempt in range(6)
    }
    assert statuses == {401}, statuses


# -- answers clients rely on ----------------------------------------------------------------------------


def test_a_method_not_allowed_says_which_are(api: httpx.Client) -> None:
    response = api.put("/reviews")
    assert response.status_code == 405
    assert response.headers.get("allow"), "a 405 must carry an Allow header"


def test_the_openapi_document_declares_the_error_answers_and_the_shape_of_422(
    anonymous: httpx.Client,
) -> None:
    document = anonymous.get("/openapi.json").json()
    operation = document["paths"]["/api/reviews/{review_id}/steps/{step}"]["post"]
    assert {"401", "403", "404", "409", "422"} <= set(operation["responses"]), sorted(operation["responses"])
    schema_ref = operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]
    assert {"detail", "problems"} <= set(schema["properties"]), schema
    assert "HTTPValidationError" not in document["components"]["schemas"], (
        "FastAPI's own 422 shape is not ours"
    )


def test_a_refusal_at_the_edge_is_counted_in_the_metrics(system: SystemEnv, api: httpx.Client) -> None:
    api.get("/returns/%00")
    metrics = gateway_client(system).get("/metrics").text
    assert re.search(r'caserev_gateway_requests_total\{[^}]*status="404"[^}]*\} [1-9]', metrics), (
        "the 404 for an impossible address should be counted"
    )


def test_an_audit_failure_is_never_caused_by_an_address(system: SystemEnv, api: httpx.Client) -> None:
    api.get("/returns/%00")
    log = (system.workdir / "log" / "gateway.log").read_text(errors="replace")
    assert "audit entry not written" not in log, "an address reached the audit log and broke it"
