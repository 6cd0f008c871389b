"""Meetings of a review and the partnership's calendar: scheduling (the rapid review meeting offered on its
day of the review's day plan), invitations and replies, attendance, papers, minutes from draft to amendment,
and the family's contacts. Who may see and do what is the meetings service's rule
(services/meetings/policy.py), asked again on every call; the gateway's policy only checks that the role may
use the route at all.

Every route about a review first asks forms for the review (which refuses a review the caller may not see);
every route about one meeting asks the meetings service for it (someone invited need not be a member of the
review: the meeting is theirs to see, the review's file is not), before any form field is judged, so a
refusal never depends on what was sent.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway import identity
from gateway.auth import Caller
from gateway.deps import FormsDep, MeetingsDep, in_words, render
from gateway.json_api import body_schema, json_command
from gateway.rpc import RemoteError
from services.kernel.calendar import ENGLAND, today_in_england
from services.kernel.identity import CASE_ROLES, GRANTABLE_ROLES, Role
from services.meetings.contract import (
    KIND_LABELS,
    REPLY_LABELS,
    Amendment,
    Attendance,
    ChangeMeeting,
    Circulation,
    FamilyContact,
    Invitee,
    MeetingDetail,
    MeetingPlan,
    Meetings,
    MeetingSummary,
    MinutesComment,
    MinutesDraft,
    NewPaper,
    Reply,
    ScheduleMeeting,
)

router = APIRouter()

AGENDA_ROWS = 5
ITEM_ROWS = 5
# A paper's largest size; the service checks it again, with its content.
MAX_PAPER_BYTES = 20 * 1024 * 1024
Text = Annotated[str, Form(max_length=500)]
LongText = Annotated[str, Form(max_length=20_000)]


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _time_or_none(value: str) -> time | None:
    try:
        return time.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _common(**context: Any) -> dict[str, Any]:
    return {
        "kinds": KIND_LABELS,
        "reply_labels": REPLY_LABELS,
        "in_words": in_words,
        "day": _day,
        "role_words": GRANTABLE_ROLES,
        **context,
    }


async def _meeting(meetings: Meetings, caller: Caller, review_id: UUID, meeting_id: UUID) -> MeetingDetail:
    meeting = await meetings.get_meeting(caller.actor, meeting_id)
    if meeting.review_id != review_id:
        raise HTTPException(404)
    return meeting


@dataclass(frozen=True)
class ReviewNamed:
    """The review as a meeting's page names it: by the reference the meeting carries, not from its file."""

    id: UUID
    title: str


def _review_of(meeting: MeetingDetail) -> ReviewNamed:
    return ReviewNamed(meeting.review_id, meeting.review_reference)


def _problems(exc: RemoteError) -> list[dict[str, str]]:
    return [dict(problem) for problem in exc.problems] or [{"field": "", "message": exc.message}]


# -- the calendar -------------------------------------------------------------------------------------------


@router.get("/meetings", response_class=HTMLResponse, include_in_schema=False)
async def calendar_page(
    request: Request,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """The meetings of the partnership's reviews the caller may see, eight weeks from a day, with clashes."""
    first = _date_or_none(request.query_params.get("from", "")) or today_in_england() - timedelta(days=7)
    last = first + timedelta(weeks=8)
    entries = await meetings.calendar(caller.actor, first, last)
    weeks: dict[date, list[Any]] = {}
    for entry in entries:
        day = entry.starts_at.astimezone(ENGLAND).date()
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(entry)
    context = _common(
        weeks=sorted(weeks.items()),
        first=first,
        last=last,
        earlier=first - timedelta(weeks=8),
        later=last,
        clashes=sum(1 for entry in entries if entry.clashes_with),
    )
    return render(request, "meetings/calendar.html", context)


# -- a review's meetings ------------------------------------------------------------------------------------


@router.get("/reviews/{review_id}/meetings", response_class=HTMLResponse, include_in_schema=False)
async def review_meetings(
    request: Request, review_id: UUID, forms: FormsDep, meetings: MeetingsDep, caller: Caller
) -> Response:
    """A review's meetings the caller may see."""
    review = await forms.get_review(caller.actor, review_id)
    listed = await meetings.meetings_of_review(caller.actor, review_id)
    context = _common(
        review=review,
        meetings=listed,
        may_schedule=caller.actor.has_role(Role.BUSINESS_MANAGER),
        sees_family=caller.actor.has_role(Role.BUSINESS_MANAGER, Role.INDEPENDENT_REVIEWER),
    )
    return render(request, "meetings/list.html", context)


async def _plan_context(forms: Any, caller: Caller, review: Any) -> dict[str, Any]:
    """The people who may be invited (the partnership's case people) and the review's day plan dates."""
    people = [
        user
        for user in identity.list_users(review.partnership_id)
        if user.active and user.roles & (CASE_ROLES - {Role.AGENCY_SYSTEM})
    ]
    review_file = await forms.get_review_file(caller.actor, review.id)
    due = {deadline.code: deadline.revised_due_on or deadline.due_on for deadline in review_file.deadlines}
    return {"people": people, "meeting_day": due.get("meeting"), "report_due_on": due.get("rapid_review")}


@router.get("/reviews/{review_id}/meetings/new", response_class=HTMLResponse, include_in_schema=False)
async def new_meeting(
    request: Request, review_id: UUID, forms: FormsDep, caller: Caller, kind: str = "rapid_review_meeting"
) -> Response:
    """The form to schedule a meeting; a rapid review meeting is offered on its day of the day plan."""
    review = await forms.get_review(caller.actor, review_id)
    if (
        not caller.actor.has_role(Role.BUSINESS_MANAGER)
        or caller.actor.partnership_id != review.partnership_id
    ):
        raise HTTPException(404)
    planned = await _plan_context(forms, caller, review)
    kind = kind if kind in KIND_LABELS else "rapid_review_meeting"
    offered = planned["meeting_day"] if kind == "rapid_review_meeting" else None
    values = {"kind": kind, "day": offered.isoformat() if offered else "", "start": "10:00", "end": "12:00"}
    context = _common(
        review=review, errors=[], values=values, action=f"/reviews/{review.id}/meetings", **planned
    )
    return render(request, "meetings/new.html", context)


def _read_plan(
    form: Any, people: list[Any]
) -> tuple[dict[str, str], list[dict[str, str]], dict[str, Any] | None]:
    """The meeting form as sent: its values (to show again), its problems, and the plan when it has none."""
    values = {
        key: str(form.get(key, ""))[:500]
        for key in ("kind", "day", "start", "end", "place", "online_link", "chair")
    }
    invited = [str(value)[:100] for value in form.getlist("invitees")][:100]
    names = {str(user.id): user for user in people}
    errors: list[dict[str, str]] = []
    day, start, end = (
        _date_or_none(values["day"]),
        _time_or_none(values["start"]),
        _time_or_none(values["end"]),
    )
    if values["kind"] not in KIND_LABELS:
        errors.append({"field": "kind", "message": "Choose the kind of meeting"})
    if day is None:
        errors.append({"field": "day", "message": "Enter the date as YYYY-MM-DD, for example 2027-01-14"})
    if start is None:
        errors.append({"field": "start", "message": "Enter the start time as HH:MM, for example 10:00"})
    if end is None:
        errors.append({"field": "end", "message": "Enter the end time as HH:MM, for example 12:00"})
    if not invited:
        errors.append({"field": "invitees", "message": "Choose who is invited"})
    if any(user_id not in names for user_id in invited):
        errors.append({"field": "invitees", "message": "Choose people of the partnership"})
    agenda = []
    for index in range(AGENDA_ROWS):
        title = str(form.get(f"agenda-{index}-title", ""))[:300].strip()
        owner = str(form.get(f"agenda-{index}-owner", ""))[:100]
        values[f"agenda-{index}-title"], values[f"agenda-{index}-owner"] = title, owner
        if title:
            agenda.append({"title": title, "owner_id": owner or None})
    values["invitees"] = ",".join(invited)
    # Practitioners without an account, one a line: "name, role".
    values["participants"] = str(form.get("participants", ""))[:10_000]
    participants = []
    for line in values["participants"].splitlines():
        name, _, role = line.partition(",")
        if name.strip():
            participants.append({"name": name.strip()[:200], "role": role.strip()[:200]})
    if errors or day is None or start is None or end is None:
        return values, errors, None
    plan = {
        "kind": values["kind"],
        "starts_at": datetime.combine(day, start),
        "ends_at": datetime.combine(day, end),
        "place": values["place"],
        "online_link": values["online_link"],
        "chair_id": values["chair"],
        "agenda": agenda,
        "invitees": [
            Invitee(user_id=user_id, name=names[user_id].display_name, role=_main_role(names[user_id].roles))
            for user_id in invited
        ],
        "participants": participants,
    }
    return values, errors, plan


def _service_problems(exc: RemoteError) -> list[dict[str, str]]:
    """The service's problems, named by the form's fields (it asks for the day and times apart)."""
    ids = {"starts_at": "day", "ends_at": "end"}
    return [{**problem, "field": ids.get(problem["field"], problem["field"])} for problem in _problems(exc)]


@router.post("/reviews/{review_id}/meetings", response_class=HTMLResponse, include_in_schema=False)
async def schedule(
    request: Request,
    review_id: UUID,
    forms: FormsDep,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """Schedule a meeting: every problem is named; warnings are shown on the meeting's page."""
    review = await forms.get_review(caller.actor, review_id)
    if (
        not caller.actor.has_role(Role.BUSINESS_MANAGER)
        or caller.actor.partnership_id != review.partnership_id
    ):
        raise HTTPException(404)
    planned = await _plan_context(forms, caller, review)
    values, errors, plan = _read_plan(await request.form(), planned["people"])
    if plan is not None:
        command = {
            **plan,
            "review_id": review.id,
            "review_reference": review.title[:200],
            "report_due_on": planned["report_due_on"],
        }
        try:
            meeting = await meetings.schedule_meeting(caller.actor, ScheduleMeeting.model_validate(command))
        except RemoteError as exc:
            if exc.exc_type != "InvalidRequest":
                raise
            errors = _service_problems(exc)
        else:
            return RedirectResponse(f"/reviews/{review.id}/meetings/{meeting.id}", status_code=303)
    context = _common(
        review=review, errors=errors, values=values, action=f"/reviews/{review.id}/meetings", **planned
    )
    return render(request, "meetings/new.html", context, status_code=422)


@router.get(
    "/reviews/{review_id}/meetings/{meeting_id}/edit", response_class=HTMLResponse, include_in_schema=False
)
async def edit_meeting(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    forms: FormsDep,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """The form to change a meeting (its invitees are sent the update)."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    if not meeting.may_manage or meeting.status != "scheduled":
        raise HTTPException(404)
    review = await forms.get_review(caller.actor, review_id)
    planned = await _plan_context(forms, caller, review)
    starts, ends = meeting.starts_at.astimezone(ENGLAND), meeting.ends_at.astimezone(ENGLAND)
    values = {
        "kind": meeting.kind,
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "place": meeting.place,
        "online_link": meeting.online_link,
        "chair": meeting.chair_id,
        "invitees": ",".join(person.user_id for person in meeting.invitees if not person.guest),
        "participants": "\n".join(
            f"{person.name}, {person.role}" if person.role else person.name
            for person in meeting.invitees
            if person.guest
        ),
    }
    for index, item in enumerate(meeting.agenda[:AGENDA_ROWS]):
        values[f"agenda-{index}-title"], values[f"agenda-{index}-owner"] = item.title, item.owner_id or ""
    context = _common(
        review=review,
        errors=[],
        values=values,
        action=f"/reviews/{review_id}/meetings/{meeting_id}",
        changing=True,
        **planned,
    )
    return render(request, "meetings/new.html", context)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}", response_class=HTMLResponse, include_in_schema=False
)
async def update_meeting(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    forms: FormsDep,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """Change a meeting; a cancelled or held one is refused with the reason (the service decides who may)."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    review = await forms.get_review(caller.actor, review_id)
    planned = await _plan_context(forms, caller, review)
    values, errors, plan = _read_plan(await request.form(), planned["people"])
    status = 422
    if plan is not None:
        try:
            await meetings.update_meeting(
                caller.actor,
                meeting.id,
                ChangeMeeting.model_validate({**plan, "report_due_on": planned["report_due_on"]}),
            )
        except RemoteError as exc:
            if exc.exc_type not in ("InvalidRequest", "Conflict"):
                raise
            errors = _service_problems(exc)
            status = 409 if exc.exc_type == "Conflict" else 422
        else:
            return RedirectResponse(f"/reviews/{review_id}/meetings/{meeting_id}", status_code=303)
    action = f"/reviews/{review_id}/meetings/{meeting_id}"
    context = _common(review=review, errors=errors, values=values, action=action, changing=True, **planned)
    return render(request, "meetings/new.html", context, status_code=status)


def _main_role(roles: frozenset[str]) -> str:
    for role in (
        Role.SAFEGUARDING_PARTNER,
        Role.EXECUTIVE,
        Role.BUSINESS_MANAGER,
        Role.INDEPENDENT_REVIEWER,
        Role.SUBGROUP_MEMBER,
        Role.AGENCY_LEAD,
        Role.AGENCY_AUTHOR,
        Role.ACTION_OWNER,
    ):
        if role in roles:
            return role
    return ""


# -- one meeting --------------------------------------------------------------------------------------------


async def _meeting_page(
    request: Request,
    review: Any,
    meeting: MeetingDetail,
    caller: Caller,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
    section: str = "",
) -> Response:
    context = _common(
        review=review,
        meeting=meeting,
        warnings=meeting.warnings,
        errors=errors or [],
        section=section,
        me=caller.actor.user_id,
        agenda_rows=range(ITEM_ROWS),
        today=today_in_england(),
        starts=in_words(meeting.starts_at, weekday=True),
        ends=meeting.ends_at.astimezone(ENGLAND).strftime("%H:%M"),
        attended=[person for person in meeting.invitees if person.attended],
    )
    return render(request, "meetings/meeting.html", context, status_code=status)


@router.get(
    "/reviews/{review_id}/meetings/{meeting_id}", response_class=HTMLResponse, include_in_schema=False
)
async def meeting_page(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """A meeting: when and where, agenda, invitees and replies, attendance and quorum, papers, minutes."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    return await _meeting_page(request, _review_of(meeting), meeting, caller)


async def _act(
    request: Request,
    meetings: Meetings,
    caller: Caller,
    review_id: UUID,
    meeting_id: UUID,
    section: str,
    call: Any,
) -> Response:
    """Look the meeting up (refusing one the caller may not see), then do the call; a refusal of its content
    shows the page again with the problems named."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    review = _review_of(meeting)
    try:
        await call(meeting)
    except _Invalid as invalid:
        return await _meeting_page(request, review, meeting, caller, invalid.problems, 422, section)
    except RemoteError as exc:
        if exc.exc_type not in ("InvalidRequest", "FileRefused", "Conflict", "Forbidden"):
            raise
        status = {"Conflict": 409, "Forbidden": 403}.get(exc.exc_type, 422)
        return await _meeting_page(request, review, meeting, caller, _problems(exc), status, section)
    return RedirectResponse(f"/reviews/{review_id}/meetings/{meeting_id}#{section}", status_code=303)


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.problems = [{"field": field, "message": message}]


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/cancel", response_class=HTMLResponse, include_in_schema=False
)
async def cancel(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """Cancel the meeting (its invitees' calendars are told)."""

    async def call(meeting: MeetingDetail) -> None:
        await meetings.cancel_meeting(caller.actor, meeting.id)

    return await _act(request, meetings, caller, review_id, meeting_id, "summary", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/reply", response_class=HTMLResponse, include_in_schema=False
)
async def reply(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
    answer: Annotated[str, Form(max_length=20)] = "",
    deputy_name: Text = "",
) -> Response:
    """An invitee's reply; someone not invited is refused by the service."""

    async def call(meeting: MeetingDetail) -> None:
        if answer not in REPLY_LABELS:
            raise _Invalid("answer", "Choose whether you will come, will not, or will send a deputy")
        await meetings.reply(
            caller.actor,
            meeting.id,
            Reply.model_validate({"reply": answer, "deputy_name": deputy_name or None}),
        )

    return await _act(request, meetings, caller, review_id, meeting_id, "reply", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/attendance",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def attendance(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """Record who came and who sent apologies."""

    async def call(meeting: MeetingDetail) -> None:
        form = await request.form()
        present, apologies = [], []
        for person in meeting.invitees:
            state = str(form.get(f"attendance-{person.user_id}", ""))
            if state == "present":
                present.append(person.user_id)
            elif state == "apologies":
                apologies.append(person.user_id)
        await meetings.record_attendance(
            caller.actor, meeting.id, Attendance(present=present, apologies=apologies)
        )

    return await _act(request, meetings, caller, review_id, meeting_id, "attendance", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/papers", response_class=HTMLResponse, include_in_schema=False
)
async def add_paper(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
    file: Annotated[UploadFile | None, File()] = None,
    agenda_item_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Upload a paper; the service checks it by content and names every problem."""

    async def call(meeting: MeetingDetail) -> None:
        if file is None or not file.filename:
            raise _Invalid(
                "file", "Choose the paper to upload: a PDF, Word, Excel or OpenDocument file, or an image"
            )
        content = await file.read(MAX_PAPER_BYTES + 1)
        if len(content) > MAX_PAPER_BYTES:
            raise _Invalid(
                "file", f"{file.filename}: the file is larger than 20 MB: make it smaller or split it"
            )
        item = None
        if agenda_item_id:
            try:
                item = UUID(agenda_item_id)
            except ValueError:
                raise _Invalid("agenda_item_id", "Choose an agenda item from the list") from None
        paper = NewPaper(
            filename=file.filename[:200],
            content_base64=base64.b64encode(content).decode("ascii"),
            agenda_item_id=item,
        )
        await meetings.add_paper(caller.actor, meeting.id, paper)

    return await _act(request, meetings, caller, review_id, meeting_id, "papers", call)


@router.get("/reviews/{review_id}/meetings/{meeting_id}/papers/{paper_id}", include_in_schema=False)
async def download_paper(
    review_id: UUID, meeting_id: UUID, paper_id: UUID, meetings: MeetingsDep, caller: Caller
) -> Response:
    """A paper, for someone invited or with a part in the review (the audit log records every download)."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    paper = await meetings.paper_file(caller.actor, meeting.id, paper_id)
    quoted = paper.filename.replace('"', "")
    return Response(
        base64.b64decode(paper.content_base64),
        media_type=paper.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{quoted}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# -- minutes ------------------------------------------------------------------------------------------------


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/minutes", response_class=HTMLResponse, include_in_schema=False
)
async def save_minutes(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """Draft the minutes, with the decisions and actions arising."""

    async def call(meeting: MeetingDetail) -> None:
        form = await request.form()
        items = []
        for index in range(ITEM_ROWS):
            what = str(form.get(f"item-{index}-what", ""))[:2000].strip()
            if not what:
                continue
            kind = str(form.get(f"item-{index}-kind", "decision"))
            due_text = str(form.get(f"item-{index}-due", ""))
            due = _date_or_none(due_text)
            if due_text.strip() and due is None:
                raise _Invalid(f"item-{index}-due", "Enter the date the action is due as YYYY-MM-DD")
            items.append(
                {
                    "kind": "action" if kind == "action" else "decision",
                    "what": what,
                    "owner_id": str(form.get(f"item-{index}-owner", ""))[:200] or None,
                    "due_on": due,
                }
            )
        text = str(form.get("text", ""))[:20_000]
        await meetings.save_minutes(
            caller.actor, meeting.id, MinutesDraft.model_validate({"text": text, "items": items})
        )

    return await _act(request, meetings, caller, review_id, meeting_id, "minutes", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/minutes/circulate",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def circulate(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
    comments_by: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Circulate the minutes to the attendees for comment by a date."""

    async def call(meeting: MeetingDetail) -> None:
        by = _date_or_none(comments_by)
        if by is None:
            raise _Invalid("comments_by", "Enter the date comments are due as YYYY-MM-DD")
        await meetings.circulate_minutes(caller.actor, meeting.id, Circulation(comments_by=by))

    return await _act(request, meetings, caller, review_id, meeting_id, "minutes", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/minutes/comments",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def comment(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """An attendee's comment on circulated minutes."""

    async def call(meeting: MeetingDetail) -> None:
        if not text.strip():
            raise _Invalid("comment", "Enter your comment")
        await meetings.comment_on_minutes(caller.actor, meeting.id, MinutesComment(text=text))

    return await _act(request, meetings, caller, review_id, meeting_id, "minutes", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/minutes/approve",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def approve(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
) -> Response:
    """The chair approves and locks the minutes."""

    async def call(meeting: MeetingDetail) -> None:
        await meetings.approve_minutes(caller.actor, meeting.id)

    return await _act(request, meetings, caller, review_id, meeting_id, "minutes", call)


@router.post(
    "/reviews/{review_id}/meetings/{meeting_id}/minutes/amendments",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def amend(
    request: Request,
    review_id: UUID,
    meeting_id: UUID,
    meetings: MeetingsDep,
    caller: Caller,
    reason: Annotated[str, Form(max_length=1000)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Record an amendment to approved minutes."""

    async def call(meeting: MeetingDetail) -> None:
        if not reason.strip() or not text.strip():
            raise _Invalid("amendment", "Give the reason for the amendment and what it corrects")
        await meetings.amend_minutes(caller.actor, meeting.id, Amendment(reason=reason, text=text))

    return await _act(request, meetings, caller, review_id, meeting_id, "minutes", call)


# -- the family ---------------------------------------------------------------------------------------------


async def _family_page(
    request: Request,
    forms: Any,
    caller: Caller,
    review: Any,
    contacts: list[Any],
    errors: list[dict[str, str]],
    values: dict[str, Any],
    status: int = 200,
) -> Response:
    # The other reviews of the partnership a record may also serve (linked reviews of the same incident).
    others = [
        entry
        for entry in await forms.list_reviews(caller.actor)
        if entry.id != review.id and entry.partnership_id == review.partnership_id
    ]
    titles = {entry.id: entry.title for entry in others} | {review.id: review.title}
    context = _common(
        review=review, contacts=contacts, errors=errors, values=values, others=others, titles=titles
    )
    return render(request, "meetings/family.html", context, status_code=status)


@router.get("/reviews/{review_id}/family-contacts", response_class=HTMLResponse, include_in_schema=False)
async def family_contacts(
    request: Request, review_id: UUID, forms: FormsDep, meetings: MeetingsDep, caller: Caller
) -> Response:
    """The family's contacts: the business manager and the review's independent reviewer only."""
    review = await forms.get_review(caller.actor, review_id)
    contacts = await meetings.family_contacts(caller.actor, review_id)
    return await _family_page(request, forms, caller, review, contacts, [], {})


@router.post("/reviews/{review_id}/family-contacts", response_class=HTMLResponse, include_in_schema=False)
async def record_family_contact(
    request: Request, review_id: UUID, forms: FormsDep, meetings: MeetingsDep, caller: Caller
) -> Response:
    """Record a contact with the family."""
    review = await forms.get_review(caller.actor, review_id)
    contacts = await meetings.family_contacts(caller.actor, review_id)  # refuses whoever may not see them
    form = await request.form()
    keys = (
        "contacted_on",
        "family_member",
        "method",
        "through_professional",
        "wishes",
        "outcome",
        "consent",
        "wants_report",
    )
    values: dict[str, Any] = {key: str(form.get(key, ""))[:20_000] for key in keys}
    values["linked"] = [str(value)[:40] for value in form.getlist("linked")][:10]
    errors: list[dict[str, str]] = []
    contacted_on = _date_or_none(values["contacted_on"])
    if contacted_on is None:
        errors.append({"field": "contacted_on", "message": "Enter the date of the contact as YYYY-MM-DD"})
    for field, message in (
        ("family_member", "Enter who in the family was contacted, for example Mother"),
        ("method", "Enter how, for example Home visit or Telephone"),
    ):
        if not values[field].strip():
            errors.append({"field": field, "message": message})
    if values["consent"] not in ("yes", "no"):
        errors.append({"field": "consent", "message": "Say whether the family consented to take part"})
    linked: list[UUID] = []
    for part in values["linked"]:
        try:
            linked.append(UUID(part))
        except ValueError:
            errors.append({"field": "linked", "message": "Choose linked reviews from the list"})
            break
    if not errors and contacted_on is not None:
        contact = FamilyContact(
            contacted_on=contacted_on,
            family_member=values["family_member"][:200],
            method=values["method"][:100],
            through_professional=values["through_professional"][:200],
            consent=values["consent"] == "yes",
            wishes=values["wishes"],
            outcome=values["outcome"],
            wants_report_before_publication=values["wants_report"] == "yes",
            linked_review_ids=linked,
        )
        try:
            await meetings.record_family_contact(caller.actor, review_id, contact)
        except RemoteError as exc:
            if exc.exc_type not in ("InvalidRequest", "NotFound"):
                raise
            errors = _problems(exc)
        else:
            return RedirectResponse(f"/reviews/{review_id}/family-contacts", status_code=303)
    return await _family_page(request, forms, caller, review, contacts, errors, values, 422)


# -- JSON API (each command runs once per Idempotency-Key) ---------------------------------------------------


@router.get("/api/reviews/{review_id}/meetings", tags=["meetings"], summary="A review's meetings")
async def api_meetings(
    review_id: UUID, forms: FormsDep, meetings: MeetingsDep, caller: Caller
) -> list[MeetingSummary]:
    """The review's meetings the caller may see, soonest first; 404 for a review the caller may not read."""
    review = await forms.get_review(caller.actor, review_id)
    return await meetings.meetings_of_review(caller.actor, review.id)


@router.post(
    "/api/reviews/{review_id}/meetings",
    status_code=201,
    tags=["meetings"],
    summary="Schedule a meeting of a review",
    openapi_extra=body_schema(MeetingPlan),
)
async def api_schedule_meeting(
    request: Request, review_id: UUID, forms: FormsDep, meetings: MeetingsDep, caller: Caller
) -> MeetingDetail:
    """Schedule a meeting (the partnership's business manager): when, where, chair, agenda and invitees (each
    a person of the partnership by user id: names and roles are the register's). Send an Idempotency-Key
    header: a repeat answers with the meeting first scheduled and invites nobody again."""
    review = await forms.get_review(caller.actor, review_id)
    plan = await json_command(request, MeetingPlan)
    planned = await _plan_context(forms, caller, review)
    people = {str(user.id): user for user in planned["people"]}
    strangers = [
        {"field": f"invitees.{index}.user_id", "message": "No person of the partnership has this id"}
        for index, invitee in enumerate(plan.invitees)
        if invitee.user_id not in people
    ]
    if strangers:
        raise RemoteError(
            "InvalidRequest", "The invitees have problems", ["The invitees have problems", strangers]
        )
    invitees = [  # named as the register names them, whatever the client wrote
        Invitee(
            user_id=i.user_id, name=people[i.user_id].display_name, role=_main_role(people[i.user_id].roles)
        )
        for i in plan.invitees
    ]
    command = ScheduleMeeting(
        **plan.model_dump(exclude={"invitees"}),
        invitees=invitees,
        review_id=review.id,
        review_reference=review.title[:200],
        report_due_on=planned["report_due_on"],
    )
    return await meetings.schedule_meeting(caller.actor, command)


@router.post(
    "/api/reviews/{review_id}/meetings/{meeting_id}/reply",
    tags=["meetings"],
    summary="Reply to an invitation",
    openapi_extra=body_schema(Reply),
)
async def api_reply(
    request: Request, review_id: UUID, meeting_id: UUID, meetings: MeetingsDep, caller: Caller
) -> MeetingDetail:
    """An invitee's reply: coming, not coming, or sending a deputy (named). 404 for a meeting the caller is
    not invited to."""
    meeting = await _meeting(meetings, caller, review_id, meeting_id)
    command = await json_command(request, Reply)
    return await meetings.reply(caller.actor, meeting.id, command)
