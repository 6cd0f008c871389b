"""Notifications: a person's messages (the notification centre) and the live unread count; how they get them
(preferences); the partnership's rules (what is sent to whom, and when); and the delivery log of what was
sent about the partnership's reviews, with sending a failed e-mail again.

The notifications service decides on every call: a person's messages and choices are their own; a
partnership's rules and log are its business manager's (its safeguarding partners and executive read the
rules). As elsewhere, a route asks for what it acts on before it reads the form: something the caller may
not reach is "not found", and an allowed form with nothing in it is answered 422 and changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import live
from gateway.auth import Caller, safe_next, session_still_live
from gateway.deps import FormsDep, NotificationsDep, id_or_404, in_words, render, working_days
from gateway.forms_ui import NO_ERRORS, PageErrors, message_errors
from gateway.routes.lifecycle import may_reach
from gateway.rpc import RemoteError, RpcUnavailable
from services.forms.contract import ReviewSummary
from services.kernel.identity import Role
from services.notifications.contract import (
    Delivery,
    DeliveryQuery,
    InAppNotification,
    Inbox,
    MarkRead,
    Preferences,
    RuleSetting,
    SetPreferences,
    SetRule,
)

router = APIRouter()

# The messages the centre shows, newest first; marking one read looks for it among these.
CENTRE_LIMIT = 100
# The deliveries the log shows, newest first; sending one again looks for it among these.
LOG_LIMIT = 500
TIMING_WORDS = {"immediate": "Straight away", "digest": "In the daily digest"}
FIXED_WORDS = "Always immediately (statutory or urgent)"
CHANNELS = {"email": "E-mail", "in_app": "Message in Case Review"}
# A delivery's status as a GOV.UK tag: never colour alone.
DELIVERY_TAGS = {
    "queued": ("Queued", "govuk-tag--grey"),
    "sending": ("Sending", "govuk-tag--light-blue"),
    "sent": ("Sent", "govuk-tag--green"),
    "failed": ("Failed", "govuk-tag--red"),
    "uncertain": ("Uncertain", "govuk-tag--yellow"),
    "not_sent": ("Not sent", "govuk-tag--orange"),
}
MAY_SEND_AGAIN = frozenset({"failed", "uncertain"})
# The statuses in which the service tries again by itself, at `next_attempt_at`.
RETRIED = frozenset({"queued", "failed"})


def _text(form: FormData, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _problems(exc: RemoteError) -> list[dict[str, Any]]:
    """The service's problems with the form (InvalidRequest); any other refusal is raised again."""
    if exc.exc_type != "InvalidRequest":
        raise exc
    return exc.problems or [{"field": "", "message": exc.message}]


def _field_of(problem: Mapping[str, Any]) -> str:
    """The field a service's problem names, without the path to it ("timings.meeting" -> "meeting")."""
    return str(problem.get("field") or "").rsplit(".", 1)[-1]


def _page_errors(problems: Iterable[Mapping[str, Any]], ids: Mapping[str, str]) -> PageErrors:
    """Problems as the page shows them: `ids` maps a field the service names to the id of its input; the
    summary links there, or to the top of the page for a problem with no field on it."""
    summary: list[dict[str, str]] = []
    inline: dict[str, str] = {}
    for problem in problems:
        message = str(problem.get("message", ""))
        target = ids.get(_field_of(problem))
        summary.append({"href": f"#{target}" if target else "#main-content", "message": message})
        if target:
            inline.setdefault(target, message)
    return PageErrors(summary, inline, {})


# -- the notification centre --------------------------------------------------------------------------------


def _message(message: InAppNotification, titles: Mapping[UUID, str]) -> dict[str, Any]:
    """A message as the centre shows it: behind sign-in, with the review it is about where the person sees
    that review (e-mail never names it); a link only to a page of this site."""
    link = safe_next(message.link, default="") if message.link else ""
    return {
        "id": str(message.id),
        "title": message.title,
        "review": titles.get(message.review_id, "") if message.review_id else "",
        "body": [line.strip() for line in message.body.splitlines() if line.strip()],
        "when": in_words(message.created_at, weekday=True),
        "link": link,
        "read": message.read,
        "urgent": message.urgent,
    }


async def _inbox(notifications: NotificationsDep, caller: Caller) -> Inbox:
    return await notifications.inbox(caller.actor, limit=CENTRE_LIMIT)


async def _centre_page(
    request: Request,
    forms: FormsDep,
    caller: Caller,
    inbox: Inbox,
    *,
    notice: str = "",
    errors: PageErrors = NO_ERRORS,
    status: int = 200,
) -> Response:
    titles = await _review_titles(forms, caller) if any(m.review_id for m in inbox.items) else {}
    return render(
        request,
        "notifications/centre.html",
        {
            "nav": "messages",
            "unread": inbox.unread,
            "messages": [_message(message, titles) for message in inbox.items],
            "may_see_sent": may_reach(caller, "GET", "/messages/sent"),
            "may_see_rules": may_reach(caller, "GET", "/settings/notifications"),
            "notice": notice,
            "errors": errors,
        },
        status_code=status,
    )


CENTRE_NOTICES = {"one": "The message is marked as read", "all": "All your messages are marked as read"}


@router.get("/notifications", response_class=HTMLResponse, include_in_schema=False)
async def notification_centre(
    request: Request, notifications: NotificationsDep, forms: FormsDep, caller: Caller, read: str = ""
) -> Response:
    """The person's messages, newest first, the unread ones marked "New"."""
    return await _centre_page(
        request, forms, caller, await _inbox(notifications, caller), notice=CENTRE_NOTICES.get(read, "")
    )


@router.get("/notifications/stream", include_in_schema=False, response_model=None)
async def notification_stream(request: Request, notifications: NotificationsDep, caller: Caller) -> Response:
    """Server-sent events: `unread` with the person's unread count at once and whenever it changes, a
    comment every 15 seconds, and `signed-out` (then the end) once the session has ended."""
    state = live.live_of(request)
    actor = caller.actor

    async def ask() -> int | None:
        return await live.unread_count(notifications, actor)

    async def still_signed_in() -> bool:
        return await run_in_threadpool(session_still_live, request)

    async def events() -> AsyncIterator[str]:
        with state.pages.opened(actor.user_id) as changes:
            async for event in live.unread_stream(
                changes, ask, stopping=state.stopping, still_signed_in=still_signed_in
            ):
                yield event

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/notifications/{notification_id}/read",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def mark_one_read(notification_id: str, notifications: NotificationsDep, caller: Caller) -> Response:
    """Mark one of one's own messages read (any other id is not found), and go back to the centre."""
    wanted = id_or_404(notification_id)
    inbox = await _inbox(notifications, caller)
    if wanted not in {message.id for message in inbox.items}:
        raise HTTPException(404)
    await notifications.mark_read(caller.actor, MarkRead(ids=[wanted]))
    return RedirectResponse("/notifications?read=one", status_code=303)


@router.post("/notifications/read", response_class=HTMLResponse, response_model=None, include_in_schema=False)
async def mark_all_read(
    request: Request, notifications: NotificationsDep, forms: FormsDep, caller: Caller
) -> Response:
    """Mark all one's messages read (the form's button says so: `mark=all`)."""
    posted = await request.form()
    if _text(posted, "mark") != "all":
        errors = message_errors("Use the button to mark all your messages as read", target="mark-all")
        inbox = await _inbox(notifications, caller)
        return await _centre_page(request, forms, caller, inbox, errors=errors, status=422)
    await notifications.mark_read(caller.actor, MarkRead(all=True))
    return RedirectResponse("/notifications?read=all", status_code=303)


# -- preferences --------------------------------------------------------------------------------------------


def _hour_words(hour: int) -> str:
    """8 -> "8am", 12 -> "midday", 17 -> "5pm", 0 -> "midnight"."""
    if hour % 24 == 0:
        return "midnight"
    if hour == 12:
        return "midday"
    return f"{hour}am" if hour < 12 else f"{hour - 12}pm"


async def _preferences(notifications: NotificationsDep, caller: Caller) -> Preferences:
    return await notifications.preferences(caller.actor)


def _preferences_page(
    request: Request,
    preferences: Preferences,
    *,
    values: Mapping[str, str] | None = None,
    errors: PageErrors = NO_ERRORS,
    notice: str = "",
    status: int = 200,
) -> Response:
    digest = f"In the daily digest at {_hour_words(preferences.digest_hour)}"
    kinds = [
        {
            "kind": choice.kind,
            "label": choice.label,
            "fixed": choice.fixed,
            "timing": (values or {}).get(choice.kind, choice.timing),
            "options": [("immediate", TIMING_WORDS["immediate"]), ("digest", digest)],
        }
        for choice in preferences.choices
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "nav": "account",
            "kinds": kinds,
            "may_choose": any(not kind["fixed"] for kind in kinds),
            "digest_time": _hour_words(preferences.digest_hour),
            "fixed_words": FIXED_WORDS,
            "errors": errors,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/account/notifications", response_class=HTMLResponse, include_in_schema=False)
async def preferences_page(
    request: Request, notifications: NotificationsDep, caller: Caller, saved: str = ""
) -> Response:
    """For each kind of message the person can get: straight away or in the daily digest."""
    notice = "Your choices are saved" if saved else ""
    return _preferences_page(request, await _preferences(notifications, caller), notice=notice)


@router.post(
    "/account/notifications", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def save_preferences(request: Request, notifications: NotificationsDep, caller: Caller) -> Response:
    """Save the person's choices. Each kind the form offers must have one; a fixed kind sent anyway is the
    service's to refuse."""
    preferences = await _preferences(notifications, caller)
    posted = await request.form()
    typed = {choice.kind: _text(posted, choice.kind, 20) for choice in preferences.choices}
    ids = {choice.kind: choice.kind for choice in preferences.choices}
    problems = []
    for choice in preferences.choices:
        value = typed[choice.kind]
        # A kind fixed by statute or urgency has no choice on the page: one sent anyway goes to the service.
        if (value or not choice.fixed) and value not in TIMING_WORDS:
            message = f"{choice.label}: choose straight away or the daily digest"
            problems.append({"field": choice.kind, "message": message})
    timings = {kind: timing for kind, timing in typed.items() if timing in TIMING_WORDS}
    if not problems and not timings:
        problems = [{"field": "", "message": "There is nothing to choose: every message comes straight away"}]
    if not problems:
        command = SetPreferences.model_validate({"timings": timings})
        try:
            await notifications.set_preferences(caller.actor, command)
        except RemoteError as exc:
            problems = _problems(exc)
    if problems:
        errors = _page_errors(problems, ids)
        return _preferences_page(request, preferences, values=typed, errors=errors, status=422)
    return RedirectResponse("/account/notifications?saved=1", status_code=303)


# -- the partnership's rules --------------------------------------------------------------------------------


def _partnership_of(caller: Caller) -> UUID:
    partnership_id = caller.actor.partnership_id
    if partnership_id is None:
        raise HTTPException(404)
    return partnership_id


async def _rules(notifications: NotificationsDep, caller: Caller) -> list[RuleSetting]:
    return await notifications.rules(caller.actor, _partnership_of(caller))


def _rule_row(rule: RuleSetting, values: Mapping[str, str] | None) -> dict[str, Any]:
    typed = values or {}
    has_days = rule.days is not None
    bounds = ""
    if has_days and rule.min_days is not None and rule.max_days is not None:
        bounds = f"Between {rule.min_days} and {working_days(rule.max_days)}"
        if rule.default_days is not None:
            bounds += f" (default {rule.default_days})"
    enabled = typed.get("enabled", "on" if rule.enabled else "off")
    return {
        "code": rule.code,
        "label": rule.label,
        "trigger": rule.trigger,
        "recipients": rule.recipients,
        "statutory": rule.statutory,
        "has_days": has_days,
        "days": typed.get("days", "" if rule.days is None else str(rule.days)),
        "days_words": working_days(rule.days) if rule.days is not None else "When it happens",
        "bounds": bounds,
        "enabled": enabled == "on",
        "state": "Required by statute" if rule.statutory else "On" if rule.enabled else "Off",
        "problem": rule.problem or "",
    }


def _rules_page(
    request: Request,
    caller: Caller,
    rules: Sequence[RuleSetting],
    *,
    code: str = "",
    values: Mapping[str, str] | None = None,
    errors: PageErrors = NO_ERRORS,
    notice: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "notifications/rules.html",
        {
            "nav": "settings",
            "rules": [_rule_row(rule, values if rule.code == code else None) for rule in rules],
            "may_change": caller.actor.has_role(Role.BUSINESS_MANAGER),
            "may_see_sent": may_reach(caller, "GET", "/messages/sent"),
            "errors": errors,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/settings/notifications", response_class=HTMLResponse, include_in_schema=False)
async def rules_page(
    request: Request, notifications: NotificationsDep, caller: Caller, saved: str = ""
) -> Response:
    """The partnership's rules: what triggers each, whom it tells, its days and whether it is on."""
    rules = await _rules(notifications, caller)
    label = next((rule.label for rule in rules if rule.code == saved), "")
    notice = f"“{label}” is saved" if label else ""
    return _rules_page(request, caller, rules, notice=notice)


def _whole_number(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else None


@router.post(
    "/settings/notifications", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
async def save_rule(request: Request, notifications: NotificationsDep, caller: Caller) -> Response:
    """Save one rule: its days (within its bounds) and whether it is on (a statutory rule stays on)."""
    rules = await _rules(notifications, caller)
    posted = await request.form()
    code = _text(posted, "code", 60)
    rule = next((rule for rule in rules if rule.code == code), None)
    if rule is None:
        errors = message_errors("Choose the rule to change, and save it with its own button", target="rules")
        return _rules_page(request, caller, rules, errors=errors, status=422)
    typed = {"days": _text(posted, "days", 10), "enabled": _text(posted, "enabled", 10)}
    ids = {"days": f"{code}-days", "enabled": f"{code}-enabled"}
    problems: list[dict[str, Any]] = []
    enabled = True if rule.statutory else typed["enabled"] == "on"
    if not rule.statutory and typed["enabled"] not in ("on", "off"):
        problems.append({"field": "enabled", "message": f"{rule.label}: choose on or off"})
    days: int | None = None
    if rule.days is not None:
        days = _whole_number(typed["days"])
        if not typed["days"]:
            problems.append({"field": "days", "message": f"{rule.label}: enter a number of working days"})
        elif days is None:
            message = f"{rule.label}: enter a whole number of working days"
            problems.append({"field": "days", "message": message})
    if not problems:
        command = SetRule(partnership_id=_partnership_of(caller), code=code, enabled=enabled, days=days)
        try:
            await notifications.set_rule(caller.actor, command)
        except RemoteError as exc:
            # Among many rules, say which one the service's words are about.
            problems = [
                {**problem, "message": f"{rule.label}: {problem.get('message', '')}"}
                for problem in _problems(exc)
            ]
    if problems:
        errors = _page_errors(problems, ids)
        return _rules_page(request, caller, rules, code=code, values=typed, errors=errors, status=422)
    return RedirectResponse(f"/settings/notifications?saved={code}", status_code=303)


# -- the delivery log ---------------------------------------------------------------------------------------


async def _deliveries(
    notifications: NotificationsDep, caller: Caller, review_id: UUID | None = None
) -> list[Delivery]:
    query = DeliveryQuery(partnership_id=_partnership_of(caller), review_id=review_id, limit=LOG_LIMIT)
    return await notifications.delivery_log(caller.actor, query)


async def _review_titles(forms: FormsDep, caller: Caller) -> dict[UUID, str]:
    """The titles of the reviews the caller sees; none if the forms service does not answer (the log then
    says "Review")."""
    try:
        entries = await forms.list_reviews(caller.actor)
    except (RemoteError, RpcUnavailable):
        return {}
    return {entry.id: entry.title for entry in entries}


def _status(status: str) -> tuple[str, str]:
    """A delivery's status in words, and its tag's colour."""
    return DELIVERY_TAGS.get(status, (status.replace("_", " ").capitalize(), ""))


def _delivery(delivery: Delivery, titles: Mapping[UUID, str]) -> dict[str, Any]:
    status, colour = _status(delivery.status)
    return {
        "id": str(delivery.id),
        "when": in_words(delivery.created_at),
        "review_id": str(delivery.review_id) if delivery.review_id else "",
        "review_title": titles.get(delivery.review_id, "Review") if delivery.review_id else "",
        "title": delivery.title,
        "recipient": delivery.recipient,
        "address": delivery.address or "",
        "channel": CHANNELS.get(delivery.channel, delivery.channel),
        "status": status,
        "colour": colour,
        "attempts": delivery.attempts,
        "reason": delivery.last_error or "",
        "next_attempt": in_words(delivery.next_attempt_at) if delivery.status in RETRIED else "",
        "history": [
            {
                "when": in_words(attempt.at),
                "status": _status(attempt.status)[0],
                "detail": attempt.detail or "",
            }
            for attempt in delivery.history
        ],
        "may_send_again": delivery.channel == "email" and delivery.status in MAY_SEND_AGAIN,
    }


def _log_page(
    request: Request,
    deliveries: Sequence[Delivery],
    titles: Mapping[UUID, str],
    *,
    review: ReviewSummary | None = None,
    errors: PageErrors = NO_ERRORS,
    notice: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "notifications/deliveries.html",
        {
            "nav": "messages",
            "review": review,
            "deliveries": [_delivery(delivery, titles) for delivery in deliveries],
            "form_token": str(uuid.uuid4()),
            "errors": errors,
            "notice": notice,
        },
        status_code=status,
    )


SENT_NOTICE = "The e-mail is queued to be sent again"


@router.get("/messages/sent", response_class=HTMLResponse, include_in_schema=False)
async def delivery_log(
    request: Request, notifications: NotificationsDep, forms: FormsDep, caller: Caller, sent: str = ""
) -> Response:
    """What was sent to whom about the partnership's reviews, newest first, and what became of it."""
    deliveries = await _deliveries(notifications, caller)
    titles = await _review_titles(forms, caller)
    return _log_page(request, deliveries, titles, notice=SENT_NOTICE if sent else "")


async def _own_review(forms: FormsDep, caller: Caller, review_id: UUID) -> ReviewSummary:
    """A review of the caller's own partnership (one shared with it is not its to chase): else not found."""
    review = await forms.get_review(caller.actor, review_id)
    if review.partnership_id != caller.actor.partnership_id:
        raise HTTPException(404)
    return review


@router.get("/reviews/{review_id}/messages", response_class=HTMLResponse, include_in_schema=False)
async def review_delivery_log(
    request: Request,
    review_id: UUID,
    notifications: NotificationsDep,
    forms: FormsDep,
    caller: Caller,
    sent: str = "",
) -> Response:
    """What was sent to whom about one review of the partnership."""
    review = await _own_review(forms, caller, review_id)
    deliveries = await _deliveries(notifications, caller, review.id)
    return _log_page(
        request, deliveries, {review.id: review.title}, review=review, notice=SENT_NOTICE if sent else ""
    )


@router.post(
    "/messages/sent/{delivery_id}/send-again",
    response_class=HTMLResponse,
    response_model=None,
    include_in_schema=False,
)
async def send_again(
    request: Request, delivery_id: str, notifications: NotificationsDep, forms: FormsDep, caller: Caller
) -> Response:
    """Send a failed or uncertain e-mail again. The form carries a token, so that pressing the button twice
    sends it once."""
    wanted = id_or_404(delivery_id)
    deliveries = await _deliveries(notifications, caller)
    delivery = next((found for found in deliveries if found.id == wanted), None)
    if delivery is None:
        raise HTTPException(404)
    posted = await request.form()
    token = _text(posted, "form_token")
    back_to_review = _text(posted, "from") == "review" and delivery.review_id is not None
    problems: list[dict[str, Any]] = []
    if not token:
        problems = [{"field": "", "message": "This page is out of date: reload it and try again"}]
    else:
        try:
            await notifications.send_again(caller.actor, wanted, idempotency_key=token)
        except RemoteError as exc:
            problems = _problems(exc)
    if problems:
        errors = _page_errors(problems, {})
        if back_to_review and delivery.review_id is not None:
            review = await _own_review(forms, caller, delivery.review_id)
            shown = [found for found in deliveries if found.review_id == review.id]
            titles = {review.id: review.title}
            return _log_page(request, shown, titles, review=review, errors=errors, status=422)
        titles = await _review_titles(forms, caller)
        return _log_page(request, deliveries, titles, errors=errors, status=422)
    if back_to_review:
        return RedirectResponse(f"/reviews/{delivery.review_id}/messages?sent=1", status_code=303)
    return RedirectResponse("/messages/sent?sent=1", status_code=303)
