"""A router passed over by its paths (gateway/route_index.py) answers exactly what it answers when every one
of its routes is asked: for every path of every route of the gateway, each method, and paths no route has."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import Match

from gateway.app import app as gateway_app
from gateway.route_index import skip_routers_that_cannot_match

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


def _concrete(path: str) -> str:
    """A path of the route with its parameters filled in as a request would fill them."""
    return PARAM.sub(
        lambda m: "a/b.txt" if m.group(2) == "path" else "1b0e2f9a-3c4d-4e5f-8a6b-7c8d9e0f1a2b", path
    )


def _included(app: FastAPI) -> list[Any]:
    return [route for route in app.router.routes if hasattr(route, "original_router")]


def _scope(method: str, path: str, kind: str = "http") -> dict[str, Any]:
    return {"type": kind, "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


def _answers(included: Any, scope: dict[str, Any]) -> tuple[Match, Any]:
    as_indexed = included.matches(dict(scope))
    as_fastapi = type(included).matches(included, dict(scope))  # the class's own: every route asked
    return as_indexed, as_fastapi


def test_every_router_the_gateway_includes_is_indexed():
    assert len(_included(gateway_app)) >= 20
    assert all("matches" in vars(route) for route in _included(gateway_app)), (
        "a router is asked route by route"
    )


def _every_path() -> list[str]:
    paths = {
        _concrete(route.path)
        for included in _included(gateway_app)
        for route in included.original_router.routes
    }
    # Paths no route has, a trailing slash (Starlette's redirect), and the two ends of the list.
    return sorted(paths | {"/", "/no/such/page", "/reviews/", "/api/", "/api/reviews/x/y/z", "/healthz/"})


@pytest.mark.parametrize("path", _every_path())
def test_a_router_answers_every_path_and_method_as_fastapi_does(path):
    for included in _included(gateway_app):
        for method in METHODS:
            as_indexed, as_fastapi = _answers(included, _scope(method, path))
            assert as_indexed[0] == as_fastapi[0], (
                f"{method} {path}: {as_indexed[0]} instead of {as_fastapi[0]}"
            )
        as_indexed, as_fastapi = _answers(included, _scope("GET", path, "websocket"))
        assert as_indexed[0] == as_fastapi[0], f"websocket {path}"


def test_a_route_added_to_a_router_after_the_app_is_built_is_found():
    router = APIRouter()

    @router.get("/first")
    async def first() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    assert skip_routers_that_cannot_match(app) == 1
    (included,) = _included(app)

    @router.get("/later")
    async def later() -> dict[str, str]:
        return {}

    assert included.matches(_scope("GET", "/later"))[0] == Match.FULL
    assert included.matches(_scope("GET", "/elsewhere"))[0] == Match.NONE
