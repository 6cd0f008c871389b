"""The chronology use cases. Each takes the worker's unit of work (one transaction, committed by the
entrypoint before it replies or acknowledges) and works through the store of repository.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from services.chronology import domain, policy
from services.chronology.contract.columns import columns_for
from services.chronology.contract.entries import ChronologyEntry
from services.chronology.contract.events import (
    ChronologyRejected,
    ChronologyReplaced,
    ChronologyUploaded,
    DuplicateResolved,
    EpisodeTagged,
    EpisodeUntagged,
)
from services.chronology.contract.sheet import CheckContext, check_entry
from services.chronology.contract.views import (
    AddPerson,
    CheckRules,
    ChronologyPage,
    ChronologyQuery,
    DuplicateView,
    EntryView,
    EpisodeView,
    PersonView,
    ProblemView,
    StartUpload,
    TagEpisode,
    UploadDetail,
    UploadView,
)
from services.chronology.models import DuplicateRecord, EntryRecord, PersonRecord, ReviewRecord, UploadRecord
from services.chronology.repository import ChronologyStore, Filters, Judgements, latest_end
from services.chronology.settings import chronology_settings
from services.kernel.calendar import today_in_england
from services.kernel.errors import Conflict, Forbidden, InvalidRequest, NotFound
from services.kernel.events import Envelope, EventData
from services.kernel.identity import Actor
from services.kernel.unit_of_work import UnitOfWork

# Problems kept with a rejected upload for the uploader to read and download (a file can have more).
KEPT_PROBLEMS = 10_000
FIRST_ENTRIES = 10


def _store(uow: UnitOfWork) -> ChronologyStore:
    return ChronologyStore(uow.session)


def _now() -> datetime:
    return datetime.now(UTC)


def _readable_review(store: ChronologyStore, actor: Actor, review_id: UUID) -> ReviewRecord:
    review = store.review(review_id)
    policy.check_reads(actor, review_id, review.partnership_id if review else None)
    assert review is not None
    return review


def _emit(
    uow: UnitOfWork, event: EventData, review: ReviewRecord | UploadRecord, partnership_id: UUID, actor: Actor
) -> None:
    review_id = review.id if isinstance(review, ReviewRecord) else review.review_id
    uow.emit(event, partnership_id=partnership_id, review_id=review_id, actor_id=actor.user_id)


# -- what other parts announce -----------------------------------------------------------------------------


def hold_review(uow: UnitOfWork, envelope: Envelope, review_type: str, opened_at: datetime) -> None:
    """forms opened a review: the chronology service now knows who holds it."""
    if envelope.review_id is None or envelope.partnership_id is None or not uow.first_delivery(envelope):
        return
    _store(uow).hold_review(envelope.review_id, envelope.partnership_id, review_type, opened_at)


def close_review(uow: UnitOfWork, envelope: Envelope) -> None:
    """forms closed a review: its chronology is read-only from now on."""
    if envelope.review_id is None or not uow.first_delivery(envelope):
        return
    _store(uow).close_review(envelope.review_id)


def agency_asked(uow: UnitOfWork, envelope: Envelope, agency_id: UUID) -> None:
    """forms asked an agency for a return on a review: the agency is asked for its chronology too."""
    if envelope.review_id is None or not uow.first_delivery(envelope):
        return
    _store(uow).ask_agency(envelope.review_id, agency_id)


def name_agency(
    uow: UnitOfWork,
    envelope: Envelope,
    agency_id: UUID,
    partnership_id: UUID,
    name: str,
    changed_at: datetime,
) -> None:
    """The gateway named (or renamed) an agency."""
    if uow.first_delivery(envelope):
        _store(uow).name_agency(agency_id, partnership_id, name, changed_at)


def name_user(
    uow: UnitOfWork, envelope: Envelope, user_id: UUID, display_name: str, changed_at: datetime
) -> None:
    """The gateway named (or renamed) a person with an account: who uploaded a version reads by name."""
    if uow.first_delivery(envelope):
        _store(uow).name_user(str(user_id), display_name, changed_at)


# -- the people register -----------------------------------------------------------------------------------


def _person_view(record: PersonRecord, show: bool) -> PersonView:
    return PersonView(
        id=record.id,
        review_id=record.review_id,
        label=record.label,
        role_in_family=record.role_in_family,
        subject=record.subject,
        name=record.name if show else None,
        born_on=record.born_on if show else None,
        also_known_as=list(record.also_known_as) if show else [],
        address=record.address if show else None,
        postcode=record.postcode if show else None,
        school=record.school if show else None,
        nhs_number=record.nhs_number if show else None,
        record_numbers=list(record.record_numbers or []) if show else [],
    )


def people_of_review(uow: UnitOfWork, actor: Actor, review_id: UUID, show_names: bool) -> list[PersonView]:
    """The register: pseudonyms for every reader, names for its keepers when they ask."""
    store = _store(uow)
    _readable_review(store, actor, review_id)
    show = show_names and policy.may_keep_register(actor)
    return [_person_view(record, show) for record in store.people(review_id)]


def add_person(uow: UnitOfWork, actor: Actor, command: AddPerson) -> PersonView:
    """Add a person to the register; a pseudonym is used once in a review, and one child is its subject."""
    store = _store(uow)
    _readable_review(store, actor, command.review_id)
    policy.check_keeps_register(actor)
    people = store.people(command.review_id)
    if any(person.label.casefold() == command.label.casefold() for person in people):
        raise Conflict(f"The pseudonym {command.label} is already used in this review: choose another")
    if command.subject and any(person.subject for person in people):
        raise Conflict("The register already has the child the review is about")
    record = PersonRecord(
        id=uuid.uuid4(),
        review_id=command.review_id,
        label=command.label,
        name=command.name,
        role_in_family=command.role_in_family,
        born_on=command.born_on,
        subject=command.subject,
        also_known_as=list(command.also_known_as),
        address=command.address,
        postcode=command.postcode,
        school=command.school,
        nhs_number=command.nhs_number,
        record_numbers=list(command.record_numbers),
        added_by=actor.user_id,
    )
    store.add_person(record)
    return _person_view(record, True)


def agencies_asked(uow: UnitOfWork, actor: Actor, review_id: UUID) -> list[UUID]:
    """The agencies asked for a chronology of a review (any reader of it may know who is asked)."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    return store.asked_agencies(review.id)


def partnership_columns(uow: UnitOfWork, actor: Actor) -> list[str]:
    """The caller's partnership's own template columns (its people who work on chronologies read them)."""
    if actor.partnership_id is None or not actor.has_case_role():
        raise NotFound("No such partnership")
    return _store(uow).partnership_columns(actor.partnership_id)


def set_partnership_columns(uow: UnitOfWork, actor: Actor, columns: list[str]) -> list[str]:
    """The business manager sets the partnership's own columns: every review's template asks for them."""
    policy.check_manages(actor, "set the partnership's chronology columns")
    if actor.partnership_id is None:
        raise NotFound("No such partnership")
    cleaned = [" ".join(column.split()) for column in columns if column.strip()]
    try:
        columns_for(cleaned)
    except ValueError as problem:
        raise InvalidRequest(str(problem)[:1].upper() + str(problem)[1:]) from None
    _store(uow).set_partnership_columns(actor.partnership_id, cleaned, actor.user_id, _now())
    return cleaned


def ask_agency(uow: UnitOfWork, actor: Actor, review_id: UUID, agency_id: UUID) -> list[UUID]:
    """The business manager asks an agency of the partnership for its chronology of a review."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    policy.check_manages(actor, "ask an agency for its chronology")
    known = store.agency_names([agency_id])
    if agency_id not in known:
        raise NotFound("No such agency")
    store.ask_agency(review.id, agency_id)
    return store.asked_agencies(review.id)


# -- uploads -----------------------------------------------------------------------------------------------


def people_of(records: Sequence[PersonRecord]) -> list[domain.Person]:
    """The register as the rules about names need it."""
    return [domain.Person(r.id, r.label, r.name, tuple(r.also_known_as)) for r in records]


def born_on_of(records: Sequence[PersonRecord]) -> date | None:
    """The subject child's date of birth, if the register has it."""
    return next((record.born_on for record in records if record.subject), None)


def check_rules(uow: UnitOfWork, actor: Actor, review_id: UUID) -> CheckRules:
    """What the template and the checker need: all of it for an agency that may upload, the template's part
    (register pseudonyms, the partnership's columns) for any other reader."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    people = store.people(review.id)
    settings = chronology_settings()
    rules = CheckRules(
        review_id=review.id,
        agency_id=None,
        agency_name="",
        born_on=None,
        spellings={},
        pseudonyms=[(person.label, person.role_in_family) for person in people],
        extra_columns=store.partnership_columns(review.partnership_id),
        max_bytes=settings.max_upload_bytes,
        max_rows=settings.max_upload_rows,
    )
    try:
        agency_id = policy.uploading_agency(actor, store.asked_agencies(review.id))
    except Forbidden as refusal:
        return rules.model_copy(update={"refusal": refusal.message})
    return rules.model_copy(
        update={
            "agency_id": agency_id,
            "agency_name": store.agency_names([agency_id]).get(agency_id, "Your agency"),
            "born_on": born_on_of(people),
            "spellings": domain.spellings(people_of(people)),
        }
    )


def _upload_view(store: ChronologyStore, upload: UploadRecord) -> UploadView:
    return UploadView(**_upload_fields(store, upload))


def _upload_fields(store: ChronologyStore, upload: UploadRecord) -> dict[str, Any]:
    return {
        "id": upload.id,
        "review_id": upload.review_id,
        "agency_id": upload.agency_id,
        "agency_name": store.agency_names([upload.agency_id]).get(upload.agency_id, "An agency"),
        "source": upload.source,
        "filename": upload.filename,
        "size_bytes": upload.size_bytes,
        "state": upload.state,
        "rows_expected": upload.rows_expected,
        "rows_read": upload.rows_read,
        "entries": upload.entries,
        "problems": len(upload.problems),
        "warnings": len(upload.warnings),
        "uploaded_by": upload.uploaded_by,
        "uploaded_by_name": upload.uploaded_by_name,
        "uploaded_at": upload.uploaded_at,
        "imported_at": upload.imported_at,
        "imported_by_name": upload.imported_by_name,
        "replaced_upload_id": upload.replaced_upload_id,
    }


def start_upload(uow: UnitOfWork, actor: Actor, command: StartUpload) -> UploadView:
    """An agency's author begins an upload: nothing is readable of it until it is imported."""
    store = _store(uow)
    review = _readable_review(store, actor, command.review_id)
    if review.closed:
        raise Conflict("This review is closed: its chronology can no longer change")
    agency_id = policy.uploading_agency(actor, store.asked_agencies(review.id))
    settings = chronology_settings()
    if command.size_bytes > settings.max_upload_bytes:
        raise InvalidRequest(
            f"The file is {command.size_bytes / 1_048_576:.1f} MB; the limit is "
            f"{settings.max_upload_bytes / 1_048_576:.0f} MB: split it into smaller files"
        )
    now = _now()
    upload = UploadRecord(
        id=uuid.uuid4(),
        review_id=review.id,
        agency_id=agency_id,
        source="file",
        filename=command.filename,
        size_bytes=command.size_bytes,
        state="checking",
        rows_expected=command.rows_expected,
        rows_read=0,
        entries=0,
        problems=[],
        warnings=[],
        uploaded_by=actor.user_id,
        uploaded_by_name=store.user_name(actor.user_id) or "Someone at the agency",
        uploaded_at=now,
        touched_at=now,
    )
    store.add_upload(upload)
    return _upload_view(store, upload)


def _own_upload(
    store: ChronologyStore, actor: Actor, upload_id: UUID, *, for_update: bool = False
) -> UploadRecord:
    upload = store.upload(upload_id, for_update=for_update)
    if upload is None:
        raise NotFound("No such upload")
    policy.check_owns_upload(actor, upload.agency_id, upload.uploaded_by)
    return upload


def _checking(upload: UploadRecord) -> None:
    if upload.state != "checking":
        raise Conflict("This upload has already been checked: upload the file again to check it again")


def entry_fields(entry: ChronologyEntry, people: list[UUID]) -> dict[str, Any]:
    """The stored columns of one checked entry."""
    return {
        "row": entry.row,
        "date_typed": entry.occurred.typed,
        "starts_on": entry.occurred.starts_on,
        "ends_on": entry.occurred.ends_on,
        "precision": entry.occurred.precision,
        "approximate": entry.occurred.approximate,
        "at_time": entry.time,
        "sort_at": domain.sort_at(entry),
        "sort_rank": domain.sort_rank(entry),
        "ended_typed": entry.ended.typed if entry.ended else None,
        "ended_on": entry.ended.ends_on if entry.ended else None,
        "source_record": entry.source_record,
        "practitioner_role": entry.practitioner_role,
        "event": entry.event,
        "action": entry.action,
        "no_action_reason": entry.no_action_reason,
        "significance": entry.significance,
        "agency_suggests_episode": entry.key_practice_episode,
        "people": [str(person) for person in people],
        "extra": dict(entry.extra),
    }


def checked_rows(
    entries: Sequence[ChronologyEntry], people: Sequence[domain.Person], born_on: date | None, today: date
) -> list[tuple[ChronologyEntry, list[UUID]]]:
    """Each entry checked again against the review by the contract's own rules (the sender may not be the
    gateway's checker): its dates against today and the child's birth, its names against the register. Any
    problem refuses them all; each entry comes back with the register entries it names."""
    context = CheckContext(today=today, born_on=born_on, people=domain.spellings(people))
    problems = [
        str(problem) for entry in entries for problem in check_entry(entry, context) if not problem.warning
    ]
    if problems:
        raise InvalidRequest("; ".join(problems[:20]))
    return [(entry, domain.matched_people(entry.people, people)[0]) for entry in entries]


def stage_entries(
    uow: UnitOfWork, actor: Actor, upload_id: UUID, entries: list[ChronologyEntry], rows_read: int
) -> UploadView:
    """Stage the next checked entries of an upload, each validated again against the review."""
    store = _store(uow)
    upload = _own_upload(store, actor, upload_id, for_update=True)
    _checking(upload)
    people = store.people(upload.review_id)
    checked = checked_rows(entries, people_of(people), born_on_of(people), today_in_england())
    store.stage(upload, [entry_fields(entry, ids) for entry, ids in checked])
    upload.entries += len(checked)
    upload.rows_read = max(upload.rows_read, rows_read)
    upload.touched_at = _now()
    return _upload_view(store, upload)


def _kept(problems: Sequence[ProblemView]) -> list[dict[str, Any]]:
    return [problem.model_dump() for problem in problems[:KEPT_PROBLEMS]]


def finish_check(
    uow: UnitOfWork,
    actor: Actor,
    upload_id: UUID,
    problems: list[ProblemView],
    warnings: list[ProblemView],
    rows_read: int,
) -> UploadView:
    """With any problem, the upload is rejected whole and nothing of it is kept but the problems."""
    store = _store(uow)
    upload = _own_upload(store, actor, upload_id, for_update=True)
    _checking(upload)
    upload.rows_read = max(upload.rows_read, rows_read)
    upload.touched_at = _now()
    if problems:
        store.drop_entries(upload.id)
        upload.state, upload.entries = "rejected", 0
        upload.problems = _kept([problem.model_copy(update={"warning": False}) for problem in problems])
        review = store.review(upload.review_id)
        assert review is not None
        _emit(
            uow,
            ChronologyRejected(
                review_id=upload.review_id,
                agency_id=upload.agency_id,
                upload_id=upload.id,
                problems=len(problems),
                uploaded_by=UUID(upload.uploaded_by),
            ),
            upload,
            review.partnership_id,
            actor,
        )
    elif upload.entries == 0:
        upload.state = "rejected"
        upload.problems = [
            ProblemView(message="the file has no entries: fill the template's rows").model_dump()
        ]
    else:
        upload.state = "ready"
        upload.warnings = _kept([problem.model_copy(update={"warning": True}) for problem in warnings])
    return _upload_view(store, upload)


def upload_detail(uow: UnitOfWork, actor: Actor, upload_id: UUID) -> UploadDetail:
    """An upload as its agency (or a keeper of names) follows it: progress, problems, first entries."""
    store = _store(uow)
    upload = store.upload(upload_id)
    if upload is None:
        raise NotFound("No such upload")
    review = _readable_review(store, actor, upload.review_id)
    if not (
        policy.may_keep_register(actor)
        or (actor.agency_id == upload.agency_id and policy.may_see_upload(actor, upload.agency_id))
    ):
        raise NotFound("No such upload")
    people = store.people(review.id)
    first = (
        store.entries_of_upload(upload.id, FIRST_ENTRIES)
        if upload.state in ("ready", "current", "superseded")
        else []
    )
    views = _entry_views(store, first, people, show=True, actor=actor)
    return UploadDetail(
        **_upload_fields(store, upload),
        problem_list=[ProblemView.model_validate(problem) for problem in upload.problems],
        warning_list=[ProblemView.model_validate(problem) for problem in upload.warnings],
        first_entries=views,
    )


def import_upload(uow: UnitOfWork, actor: Actor, upload_id: UUID) -> UploadView:
    """Make a checked upload its agency's current chronology of the review, keeping the one it replaces."""
    store = _store(uow)
    upload = _own_upload(store, actor, upload_id, for_update=True)
    if upload.state == "current":
        return _upload_view(store, upload)  # imported already (a repeated click): the same answer
    if upload.state != "ready":
        raise Conflict("Only a checked upload with no problems can be imported")
    review = store.review(upload.review_id)
    assert review is not None
    if review.closed:
        raise Conflict("This review is closed: its chronology can no longer change")
    previous = store.current_upload(upload.review_id, upload.agency_id, upload.source)
    now = _now()
    if previous is not None:
        previous.state = "superseded"
        upload.replaced_upload_id = previous.id
    upload.state, upload.imported_at, upload.touched_at = "current", now, now
    upload.imported_by_name = store.user_name(actor.user_id) or upload.uploaded_by_name
    event: EventData
    if previous is None:
        event = ChronologyUploaded(
            review_id=upload.review_id,
            agency_id=upload.agency_id,
            upload_id=upload.id,
            entries=upload.entries,
        )
    else:
        event = ChronologyReplaced(
            review_id=upload.review_id,
            agency_id=upload.agency_id,
            upload_id=upload.id,
            replaced_upload_id=previous.id,
            entries=upload.entries,
        )
    # Its entries are compared for likely duplicates and made searchable after this commits, when the service
    # hears its own event (settle_upload): a large version is current at once, not after minutes of comparing.
    _emit(uow, event, upload, review.partnership_id, actor)
    return _upload_view(store, upload)


def settle_upload(uow: UnitOfWork, envelope: Envelope, upload_id: UUID) -> None:
    """A version was imported, or a system's message applied: flag the likely duplicates of its entries not
    settled yet and make them searchable. One settling of an upload at a time; a file's version replaced
    before its turn came is left as it is (only current entries are compared or read)."""
    if not uow.first_delivery(envelope):
        return
    store = _store(uow)
    upload = store.upload(upload_id)
    if upload is None:
        return
    if upload.source == "file":
        # Held until this commits, so that a new version waits to replace it instead of racing its pairs.
        upload = store.upload(upload_id, for_update=True)
    else:
        # A system's feed stays current while its messages keep coming: they are not held up, only another
        # settling of the same feed is.
        store.hold_settling(upload_id)
    if upload is not None and upload.state == "current":
        store.settle(upload.id, upload.review_id)


def uploads_of_review(uow: UnitOfWork, actor: Actor, review_id: UUID) -> list[UploadView]:
    """The history of every agency's versions the caller may see."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    return [_upload_view(store, upload) for upload in store.uploads(review.id, policy.agency_scope(actor))]


def abandon_stale_uploads(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Drop what uploads left half-checked (the checker went away) or never imported: their entries go,
    their history line says so."""
    now = now or _now()
    store = _store(uow)
    settings = chronology_settings()
    stale = store.stale_uploads(
        now - timedelta(seconds=settings.checking_idle_s), now - timedelta(seconds=settings.ready_idle_s), 50
    )
    for upload in stale:
        store.drop_entries(upload.id)
        upload.state, upload.entries, upload.touched_at = "abandoned", 0, now
    return len(stale)


# -- the merged chronology ---------------------------------------------------------------------------------


def _entry_views(
    store: ChronologyStore,
    records: Sequence[EntryRecord],
    people: Sequence[PersonRecord],
    *,
    show: bool,
    actor: Actor,
    seen_until: date | None = None,
) -> list[EntryView]:
    judgements = Judgements(store.session)
    episodes = {
        (episode.agency_id, episode.source_record, episode.date_typed): episode.learning
        for episode in (judgements.episodes(records[0].review_id) if records else [])
    }
    same = judgements.confirmed_for([record.id for record in records])
    others = judgements.entries(list(set(same.values())))
    names = store.agency_names(
        list({record.agency_id for record in records} | {o.agency_id for o in others.values()})
    )
    labels = {str(person.id): person.label for person in people}
    real = {str(person.id): person.name for person in people}
    pseudonymise = domain.Pseudonymiser(people_of(people))
    whose = policy.names_for(actor) if show else False
    views: list[EntryView] = []
    for record in records:
        named = whose is True or (whose is not False and whose == record.agency_id)
        hide = (lambda text: text) if named else pseudonymise
        agency = names.get(record.agency_id, "An agency")
        views.append(
            EntryView(
                id=record.id,
                agency_id=record.agency_id,
                agency_name=agency,
                source=f"{agency}: {record.source_record}",
                row=record.row,
                date_typed=record.date_typed,
                starts_on=record.starts_on,
                ends_on=record.ends_on,
                precision=record.precision,  # type: ignore[arg-type]
                approximate=record.approximate,
                time=record.at_time,
                ended_typed=record.ended_typed,
                practitioner_role=record.practitioner_role,
                event=hide(record.event) or "",
                action=hide(record.action),
                no_action_reason=hide(record.no_action_reason),
                significance=record.significance,  # type: ignore[arg-type]
                agency_suggests_episode=record.agency_suggests_episode,
                episode=(record.agency_id, record.source_record, record.date_typed) in episodes,
                episode_learning=episodes.get((record.agency_id, record.source_record, record.date_typed)),
                same_event_as=_source_of(others.get(same[record.id]) if record.id in same else None, names),
                people=[(real if named else labels).get(person, "") for person in record.people],
                extra={key: hide(value) or "" for key, value in record.extra.items()},
                names_shown=named,
                gap_before_days=domain.gap_days(seen_until, record.starts_on),
            )
        )
        end = domain.contact_until(record.starts_on, record.ends_on, record.precision, record.ended_on)
        seen_until = end if seen_until is None else max(seen_until, end)
    return views


def _source_of(entry: EntryRecord | None, names: dict[UUID, str]) -> str | None:
    return f"{names.get(entry.agency_id, 'An agency')}: {entry.source_record}" if entry is not None else None


# -- the reviewer's judgements: key practice episodes and likely duplicates ---------------------------------


def _current_entry(store: ChronologyStore, review: ReviewRecord, entry_id: UUID) -> EntryRecord:
    entry = Judgements(store.session).entry(entry_id)
    if (
        entry is None
        or entry.review_id != review.id
        or entry.upload_id not in store.current_upload_ids(review.id)
    ):
        raise NotFound("No such entry")
    return entry


def _episode_views(store: ChronologyStore, review: ReviewRecord, actor: Actor) -> list[EpisodeView]:
    judgements = Judgements(store.session)
    people = store.people(review.id)
    hide = domain.Pseudonymiser(people_of(people))
    scope = policy.agency_scope(actor)
    views = []
    for episode in judgements.episodes(review.id):
        if scope is not None and episode.agency_id != scope:
            continue
        entry = judgements.current_entry_for(episode)
        agency = store.agency_names([episode.agency_id]).get(episode.agency_id, "An agency")
        views.append(
            EpisodeView(
                entry_id=entry.id if entry else None,
                agency_id=episode.agency_id,
                agency_name=agency,
                source=f"{agency}: {episode.source_record}",
                date_typed=episode.date_typed,
                starts_on=entry.starts_on if entry else None,
                event=(hide(entry.event) or "") if entry else "",
                learning=hide(episode.learning) or "",
                tagged_at=episode.tagged_at,
            )
        )
    return sorted(views, key=lambda view: (view.starts_on or date.max, view.source))


def tag_episode(uow: UnitOfWork, actor: Actor, review_id: UUID, command: TagEpisode) -> EpisodeView:
    """The reviewer tags an entry as a key practice episode, with the learning it points to."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    policy.check_judges(actor)
    entry = _current_entry(store, review, command.entry_id)
    Judgements(store.session).tag(entry, command.learning, actor.user_id, _now())
    _emit(
        uow,
        EpisodeTagged(review_id=review.id, agency_id=entry.agency_id, entry_id=entry.id),
        review,
        review.partnership_id,
        actor,
    )
    return next(view for view in _episode_views(store, review, actor) if view.entry_id == entry.id)


def untag_episode(uow: UnitOfWork, actor: Actor, review_id: UUID, entry_id: UUID) -> list[EpisodeView]:
    """Take an entry off the key practice episodes."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    policy.check_judges(actor)
    entry = _current_entry(store, review, entry_id)
    Judgements(store.session).untag(entry)
    _emit(
        uow,
        EpisodeUntagged(review_id=review.id, agency_id=entry.agency_id, entry_id=entry.id),
        review,
        review.partnership_id,
        actor,
    )
    return _episode_views(store, review, actor)


def episodes_of_review(uow: UnitOfWork, actor: Actor, review_id: UUID) -> list[EpisodeView]:
    """The key practice episodes, in date order (an agency's people read their own agency's only)."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    return _episode_views(store, review, actor)


def _duplicate_view(store: ChronologyStore, record: DuplicateRecord, actor: Actor) -> DuplicateView:
    judgements = Judgements(store.session)
    entries = judgements.entries([record.entry_a, record.entry_b])
    people = store.people(record.review_id)
    first, second = _entry_views(
        store, [entries[record.entry_a], entries[record.entry_b]], people, show=False, actor=actor
    )
    return DuplicateView(
        id=record.id, state=record.state, score=round(record.score, 2), first=first, second=second
    )  # type: ignore[arg-type]


def likely_duplicates(uow: UnitOfWork, actor: Actor, review_id: UUID) -> list[DuplicateView]:
    """The pairs still to decide, most alike first (only for those who judge: they read every agency)."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    policy.check_judges(actor)
    return [
        _duplicate_view(store, record, actor)
        for record in Judgements(store.session).duplicates(review.id, "flagged")
    ]


def resolve_duplicate(
    uow: UnitOfWork, actor: Actor, review_id: UUID, duplicate_id: UUID, decision: str
) -> DuplicateView:
    """Confirm a pair as one event, or dismiss it: a dismissed pair is never flagged again."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    policy.check_judges(actor)
    record = Judgements(store.session).duplicate(duplicate_id)
    if record is None or record.review_id != review.id:
        raise NotFound("No such duplicate")
    state = "confirmed" if decision == "confirm" else "dismissed"
    if record.state != state:
        record.state, record.decided_by, record.decided_at = state, actor.user_id, _now()
        _emit(
            uow,
            DuplicateResolved(review_id=review.id, duplicate_id=record.id, decision=decision),
            review,
            review.partnership_id,
            actor,
        )
    return _duplicate_view(store, record, actor)


def chronology_of_review(
    uow: UnitOfWork, actor: Actor, review_id: UUID, query: ChronologyQuery
) -> ChronologyPage:
    """A page of the merged chronology: every current entry the caller may read, in date order."""
    store = _store(uow)
    review = _readable_review(store, actor, review_id)
    scope = policy.agency_scope(actor)
    filters = Filters(query, scope)
    after = domain.Place.from_cursor(query.after) if query.after else None
    records = store.entries(review.id, filters, after)
    more = len(records) > query.limit
    records = records[: query.limit]
    people = store.people(review.id)
    views = _entry_views(
        store,
        records,
        people,
        show=query.show_names,
        actor=actor,
        seen_until=after.seen_until if after else None,
    )
    next_after = None
    if more and records:
        last = records[-1]
        next_after = domain.Place(
            last.sort_at, last.sort_rank, last.seq, latest_end(records, after.seen_until if after else None)
        ).cursor()
    agencies = store.agencies_with_entries(review.id, scope)
    names = store.agency_names(agencies)
    total = store.current_entries(review.id, scope)
    return ChronologyPage(
        entries=views,
        next_after=next_after,
        matching=store.count(review.id, filters) if filters.narrowed else total,
        total=total,
        names_shown=any(view.names_shown for view in views),
        may_show_names=policy.names_for(actor) is not False,
        agencies=sorted(
            ((agency, names.get(agency, "An agency")) for agency in agencies), key=lambda pair: pair[1]
        ),
        settling=sorted(
            names.get(agency, "An agency") for agency in store.unsettled_agencies(review.id, scope)
        ),
    )
