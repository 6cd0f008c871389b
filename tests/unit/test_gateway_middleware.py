"""The gateway's plain-ASGI middlewares keep what the request-and-response middlewares did: the audit entry
is appended before any byte of the answer goes, and an answer whose audit failed is withheld; every answer
carries the security headers and the request's id."""

from __future__ import annotations

from unittest import mock

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from gateway import app as gateway_app
from gateway.audit import AuditEntry
from gateway.metrics import RequestIds
from gateway.security import SecurityHeaders
from services.kernel.logs import request_id

ENTRY = AuditEntry(user_id="u-1", record_type="review", action="read", outcome="allowed")


def _audited_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(gateway_app.AuditCaseData)

    @app.get("/case-data")
    async def case_data(request: Request) -> PlainTextResponse:
        request.state.audit_entry = ENTRY
        return PlainTextResponse("the child's record")

    @app.get("/refused")
    async def refused(request: Request) -> PlainTextResponse:
        request.state.audit_entry = ENTRY
        return PlainTextResponse("no", status_code=404)

    @app.get("/no-case-data")
    async def plain() -> PlainTextResponse:
        return PlainTextResponse("nothing of a case")

    return app


def test_the_audit_entry_is_appended_with_its_outcome_before_the_answer() -> None:
    appended: list[AuditEntry] = []
    with mock.patch.object(gateway_app.audit, "append", side_effect=appended.append):
        client = TestClient(_audited_app())
        assert client.get("/case-data").text == "the child's record"
        assert client.get("/refused").status_code == 404
        assert client.get("/no-case-data").status_code == 200
    assert [entry.outcome for entry in appended] == ["allowed", "denied"], "one per request to case data"


def test_an_answer_whose_audit_entry_could_not_be_written_is_withheld() -> None:
    with mock.patch.object(gateway_app.audit, "append", side_effect=RuntimeError("the database is away")):
        response = TestClient(_audited_app()).get("/case-data", headers={"accept": "application/json"})
    assert response.status_code == 503
    assert "the child's record" not in response.text, "nothing may be read unrecorded"
    assert response.json() == {"detail": "Try again in a minute."}


@pytest.mark.parametrize(("path", "cached"), [("/page", False), ("/static/app.css", True)])
def test_every_answer_carries_the_security_headers(path: str, cached: bool) -> None:
    app = FastAPI()
    app.add_middleware(SecurityHeaders)
    app.get(path)(lambda: PlainTextResponse("x"))
    response = TestClient(app).get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src" in response.headers["content-security-policy"]
    assert ("cache-control" not in response.headers) is cached, "pages are never kept by a browser or proxy"
    assert "strict-transport-security" not in response.headers, "HSTS only over HTTPS"


def test_the_security_headers_replace_any_the_app_set_and_keep_the_rest() -> None:
    app = FastAPI()
    app.add_middleware(SecurityHeaders)
    app.get("/page")(
        lambda: PlainTextResponse("x", headers={"Cache-Control": "max-age=600", "X-Frame-Options": "ALLOW"})
    )
    response = TestClient(app, base_url="https://testserver").get("/page")
    assert response.headers.get_list("cache-control") == ["no-store"], "a page's own caching survived"
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert response.headers["content-type"].startswith("text/plain"), "the app's other headers are kept"
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_a_request_keeps_a_well_formed_id_it_came_with_and_gets_one_otherwise() -> None:
    seen: list[str | None] = []
    app = FastAPI()
    app.add_middleware(RequestIds)

    @app.get("/id")
    async def ids() -> PlainTextResponse:
        seen.append(request_id.get())
        return PlainTextResponse("x")

    client = TestClient(app)
    assert client.get("/id", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/id", headers={"x-request-id": "not ok!"}).headers["x-request-id"]
    assert made != "not ok!" and len(made) == 32
    assert seen == ["abc-123", made], "the logs of the request carry its id"
