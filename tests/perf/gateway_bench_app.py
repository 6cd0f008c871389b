"""The two applications `make bench-gateway` serves with uvicorn, each in its own process.

`app`: the gateway's own application (gateway.app:app: every middleware, the policy, the session lookup,
the audit), with the one change and the two routes the benchmark needs, each with its own policy:

* the unread count every page asks the notifications service for (an RPC) is left out, so that the
  account page (`/account`: who is signed in, from the gateway's own tables) is a page that makes no RPC:
  its dependency still runs, and finds the badge paused (as after the service failed to answer), which
  FastAPI's `dependency_overrides` would not do cheaply: with any override it analyses every route's
  dependencies again on every request, which cost the measured gateway 5% of its time;
* `GET /api/bench/me`: who is signed in, as JSON (a JSON call that makes no RPC);
* `GET /api/bench/reviews/{review_id}`: the same read as `GET /api/reviews/{review_id}` (the same
  function, one RPC to forms), under the same policy but for its audit entry.

`bare`: a bare FastAPI application answering the same HTML and JSON with nothing else (the baseline); the
HTML is whatever the gateway's account page answered, in the file `BENCH_BARE_PAGE` names.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.responses import HTMLResponse

from gateway import live
from gateway.app import app
from gateway.auth import Caller
from gateway.policy import POLICIES, Policy
from gateway.routes.reviews import api_review
from services.kernel.identity import CASE_ROLES

_lifespan = app.router.lifespan_context


@asynccontextmanager
async def _lifespan_without_unread_count(application: Any) -> AsyncIterator[Any]:
    """The gateway's own lifespan, with the page header's unread count (an RPC) paused for good."""
    async with _lifespan(application) as state:
        live_unread: live.LiveUnread = application.state.live
        live_unread.badge_paused_until = math.inf
        yield state


app.router.lifespan_context = _lifespan_without_unread_count

POLICIES[("GET", "/api/bench/me")] = Policy("signed_in", api_clients=True)
POLICIES[("GET", "/api/bench/reviews/{review_id}")] = Policy("signed_in", CASE_ROLES, api_clients=True)


@app.get("/api/bench/me", include_in_schema=False)
async def who_is_signed_in(caller: Caller) -> dict[str, Any]:
    """The caller as the gateway knows them."""
    actor = caller.actor
    roles = sorted(actor.roles)
    return {"user_id": actor.user_id, "partnership_id": str(actor.partnership_id), "roles": roles}


app.get("/api/bench/reviews/{review_id}", include_in_schema=False)(api_review)


bare = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
_PAGE = Path(os.environ.get("BENCH_BARE_PAGE", "/dev/null")).read_text() or "<!doctype html><p>page</p>"
_ME = {"user_id": "bench", "partnership_id": "00000000-0000-0000-0000-000000000000", "roles": ["bench"]}


@bare.get("/account", response_class=HTMLResponse)
async def bare_page() -> str:
    """The gateway's account page as it answered it, with no work behind it."""
    return _PAGE


@bare.get("/api/bench/me")
async def bare_json() -> dict[str, Any]:
    """The same shape of JSON as the gateway's `/api/bench/me`."""
    return _ME
