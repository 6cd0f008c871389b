"""Pages of the local demo only: the e-mail the SMTP catcher caught."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from gateway.caught_mail import caught_messages
from gateway.deps import render
from services.kernel.config import gateway_settings

router = APIRouter()


@router.get("/demo/mail", response_class=HTMLResponse, include_in_schema=False)
async def caught_mail(request: Request) -> HTMLResponse:
    """Mail sent by the services to the local catcher, newest first."""
    settings = gateway_settings()
    if not settings.serves_demo_pages:
        raise HTTPException(status_code=404)
    messages = await run_in_threadpool(caught_messages, settings.maildir)
    return render(
        request,
        "demo/mail.html",
        {
            "nav": "mail",
            "messages": [
                {
                    "received_at": m.received_at.strftime("%-d %B %Y %H:%M:%S UTC"),
                    "sender": m.sender,
                    "recipients": m.recipients,
                    "subject": m.subject,
                    "body": m.body,
                }
                for m in messages
            ],
        },
    )
