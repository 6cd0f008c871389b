"""Pages anyone may read: the start page and the privacy notice."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway.deps import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The start page."""
    return render(request, "home.html", {"nav": "home"})


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    """The privacy notice: what is held, why, for how long, and people's rights."""
    return render(request, "privacy.html", {"nav": "privacy"})
