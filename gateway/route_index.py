"""Finding a request's route without asking every router: each included router is passed over at the cost of
one regular expression when none of its paths can match.

FastAPI (0.16x) keeps an included router as a router: to find a route it asks each included router in turn,
and each router asks each of its routes, with bookkeeping of its own per route (a few microseconds each). The
gateway includes 22 routers of about 210 routes, so a request to a route of the last router cost about a
millisecond of CPU before anything else ran (docs/performance.md). Here each router's paths are joined into
one expression; a router none of whose paths matches the request's path answers "no match" at once, which is
what it would have answered after asking every route. A router with a path that matches is asked as before,
so which route is chosen, and its 404, 405 and redirects, are FastAPI's own.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Scope

log = logging.getLogger(__name__)

_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def paths_of(routes: list[Any]) -> re.Pattern[str] | None:
    """One expression matching every path of `routes`; None if a route has no path expression."""
    patterns = []
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if not isinstance(regex, re.Pattern):
            return None
        # Named groups repeat across routes ("review_id"): one expression may name each once only.
        patterns.append("(?:" + _NAMED_GROUP.sub("(?:", regex.pattern) + ")")
    return re.compile("|".join(patterns)) if patterns else None


def skip_routers_that_cannot_match(app: FastAPI) -> int:
    """Give each router the app includes (without a prefix, with routes that have path expressions only) a
    first test of the request's path; returns how many routers have one."""
    indexed = 0
    for included in app.router.routes:
        original = getattr(included, "original_router", None)
        context = getattr(included, "include_context", None)
        if original is None or context is None or getattr(context, "prefix", None) != "":
            continue  # not an included router as FastAPI 0.16x keeps one: asked as before
        if paths_of(original.routes) is None:
            continue
        setattr(included, "matches", _first_by_path(included.matches, original.routes))  # noqa: B010
        indexed += 1
    if indexed == 0:
        log.warning("no router indexed: FastAPI keeps included routers another way now; found as before")
    return indexed


def _first_by_path(matches: Any, routes: list[Any]) -> Any:
    # Read again whenever the router's routes change (one is added after the app is built).
    known: list[Any] = [len(routes), paths_of(routes)]

    def matches_if_a_path_can(scope: Scope) -> tuple[Match, Scope]:
        if known[0] != len(routes):
            known[:] = [len(routes), paths_of(routes)]
        paths = known[1]
        if paths is not None and not scope.get("root_path") and paths.match(scope["path"]) is None:
            return Match.NONE, {}
        result: tuple[Match, Scope] = matches(scope)
        return result

    return matches_if_a_path_can
