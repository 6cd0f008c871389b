"""The use cases of factual accuracy, the family's comments and the partners' sign-off of a named version.
Each takes the worker's unit of work, the typed arguments and, last, the stores (the tables unless a test
hands in fakes); each checks the policy (services/reports/policy.py) against the version's document, asks the
domain (accuracy.py), stores and emits. Events carry ids and dates, never a comment's words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from services.kernel.calendar import today_in_england
from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import Actor
from services.reports import accuracy, policy, versions
from services.reports.accuracy import AccuracyRound, FamilyRecord
from services.reports.accuracy_store import AccuracyStore, AccuracyTables
from services.reports.contract import (
    AccuracyAnswer,
    AccuracyComment,
    AccuracyConfirmed,
    AccuracyDisputed,
    AccuracyPage,
    AccuracyRequested,
    AccuracyRequestPlace,
    AccuracyRoundClosed,
    AccuracyRoundOpened,
    AccuracyRoundView,
    AgencyAnswerView,
    AgencyOption,
    FamilyComments,
    FamilyCommentsEntry,
    FamilyCommentsRecorded,
    OpenAccuracyRound,
    PartnerSignOff,
    SectionText,
    SignOffPage,
    SignOffStanding,
    VersionLocked,
    VersionSignedOff,
    VersionSignOffRecorded,
)
from services.reports.domain import Document
from services.reports.repository import ReportStore, ReportTables
from services.reports.version_handlers import _summary
from services.reports.version_store import VersionStore, VersionTables
from services.reports.versions import Version


class Stores:
    """The three stores a use case of accuracy reads and writes."""

    def __init__(
        self,
        uow: Any,
        store: ReportStore | None = None,
        kept: VersionStore | None = None,
        checks: AccuracyStore | None = None,
    ) -> None:
        self.reports = ReportTables(uow.session) if store is None else store
        self.versions = VersionTables(uow.session) if kept is None else kept
        self.accuracy = AccuracyTables(uow.session) if checks is None else checks


def _now() -> datetime:
    return datetime.now(UTC)


def _today(now: datetime) -> date:
    return today_in_england(now)


def _version(stores: Stores, version_id: UUID, *, lock: bool = False) -> tuple[Version, Document]:
    version = stores.versions.get(version_id, lock=lock)
    if version is None:
        raise NotFound("No such version")
    document = stores.reports.get(version.document_id)
    if document is None:
        raise NotFound("No such version")
    return version, document


def _emit(uow: Any, event: Any, document: Document, actor: Actor) -> None:
    uow.emit(
        event, partnership_id=document.partnership_id, review_id=document.review_id, actor_id=actor.user_id
    )


def _round_view(
    round_: AccuracyRound,
    document: Document,
    *,
    agency_only: UUID | None,
    people: dict[str, str],
    agencies: dict[UUID, str],
    today: date,
) -> AccuracyRoundView:
    titles = {s.id: s.title for s in document.sections}
    requests = [r for r in round_.requests if agency_only is None or r.agency_id == agency_only]
    return AccuracyRoundView(
        id=round_.id,
        version_id=round_.version_id,
        due_on=round_.due_on,
        opened_by_name=people.get(round_.opened_by),
        opened_at=round_.opened_at,
        open=round_.open,
        closed_at=round_.closed_at,
        agencies=[
            AgencyAnswerView(
                request_id=r.id,
                agency_id=r.agency_id,
                agency_name=agencies.get(r.agency_id, "An agency"),
                section_ids=r.section_ids,
                answer=r.answer,
                answered_by_name=people.get(r.answered_by or ""),
                answered_at=r.answered_at,
                overdue=r.overdue(round_.due_on, today),
                comments=[
                    AccuracyComment(
                        section_id=c.section_id, section_title=titles.get(c.section_id, ""), text=c.text
                    )
                    for c in r.comments
                ],
            )
            for r in sorted(requests, key=lambda r: agencies.get(r.agency_id, ""))
        ],
        counts=round_.counts(today) if agency_only is None else {},
    )


def _page(actor: Actor, stores: Stores, version: Version, document: Document) -> AccuracyPage:
    """The accuracy page as the caller may see it; NotFound for a caller with no part in checking it."""
    rounds = stores.accuracy.rounds_of(version.id)
    manages = policy.writes_all(actor, document.review_id, document.partnership_id)
    agency = None if manages else policy.checks_accuracy_for(actor, document)
    asked = [r for r in rounds if agency is not None and r.request_of(agency) is not None]
    if not manages and not asked:
        raise NotFound("No such version")
    people = stores.reports.people(document.partnership_id)
    agencies = stores.reports.agencies(document.partnership_id)
    today = _today(_now())
    shown = rounds if manages else asked
    sections: list[SectionText] = []
    if agency is not None:
        # The sections the agency checks, as the version keeps them (the latest round's choice).
        checked = set(asked[0].request_of(agency).section_ids)  # type: ignore[union-attr]
        copies = {c.section_id: c.blocks for c in version.sections}
        sections = [
            SectionText(section_id=s.id, key=s.key, title=s.title, blocks=copies.get(s.id, []))
            for s in document.sections
            if s.id in checked
        ]
    return AccuracyPage(
        version=_summary(version, people),
        document_title=document.title,
        may_manage=manages,
        rounds=[
            _round_view(r, document, agency_only=agency, people=people, agencies=agencies, today=today)
            for r in shown
        ],
        agency_options=[AgencyOption(id=i, name=n) for i, n in agencies.items()] if manages else [],
        default_agency_ids=accuracy.agencies_of_document(document) if manages else [],
        default_due_on=accuracy.default_due_on(today) if manages else None,
        sections=sections,
    )


# -- factual-accuracy rounds ---------------------------------------------------------------------------------


def accuracy_of_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> AccuracyPage:
    """The version's rounds as the caller may see them (manager and reviewer: all; an agency: its own)."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id)
    return _page(actor, stores, version, document)


def open_accuracy_round(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    command: OpenAccuracyRound,
    idempotency_key: str | None = None,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> AccuracyPage:
    """Open a round on the version; emits reports.accuracy_round_opened and reports.accuracy_requested per
    agency asked."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id, lock=True)
    policy.check_names_versions(actor, document, "ask agencies to check a version")
    once = uow.idempotent(
        "open_accuracy_round",
        actor,
        idempotency_key,
        {"version_id": str(version_id), **command.model_dump(mode="json")},
    )
    if once.done:
        return _page(actor, stores, version, document)
    now = _now()
    round_ = accuracy.open_round(
        document,
        version_id=version.id,
        version_locked=version.locked,
        rounds=stores.accuracy.rounds_of(version.id),
        due_on=command.due_on,
        agency_ids=command.agency_ids,
        agency_names=stores.reports.agencies(document.partnership_id),
        opened_by=actor.user_id,
        now=now,
        today=_today(now),
    )
    stores.accuracy.add_round(round_)
    ids = {
        "round_id": round_.id,
        "version_id": version.id,
        "document_id": document.id,
        "review_id": document.review_id,
    }
    _emit(
        uow,
        AccuracyRoundOpened(**ids, due_on=round_.due_on, agency_ids=[r.agency_id for r in round_.requests]),
        document,
        actor,
    )
    for request in round_.requests:
        _emit(
            uow,
            AccuracyRequested(
                **ids, request_id=request.id, agency_id=request.agency_id, due_on=round_.due_on
            ),
            document,
            actor,
        )
    once.remember({"round_id": str(round_.id)})
    return _page(actor, stores, version, document)


def _round(stores: Stores, round_id: UUID) -> tuple[AccuracyRound, Version, Document]:
    round_ = stores.accuracy.round(round_id, lock=True)
    if round_ is None:
        raise NotFound("No such round")
    version, document = _version(stores, round_.version_id)
    return round_, version, document


def answer_accuracy(
    uow: Any,
    actor: Actor,
    round_id: UUID,
    command: AccuracyAnswer,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> AccuracyPage:
    """The caller's agency confirms or disputes the sections about it; emits reports.accuracy_confirmed or
    reports.accuracy_disputed."""
    stores = Stores(uow, store, kept, checks)
    round_, version, document = _round(stores, round_id)
    agency = policy.checks_accuracy_for(actor, document)
    if agency is None or round_.request_of(agency) is None:
        raise NotFound("No such round")
    request = accuracy.answer(round_, agency, command, by=actor.user_id, now=_now())
    stores.accuracy.save_round(round_)
    ids = {
        "request_id": request.id,
        "round_id": round_.id,
        "version_id": version.id,
        "document_id": document.id,
        "review_id": document.review_id,
        "agency_id": request.agency_id,
    }
    event: Any = (
        AccuracyConfirmed(**ids)
        if request.answer == "confirmed"
        else AccuracyDisputed(**ids, sections_disputed=len(request.comments))
    )
    _emit(uow, event, document, actor)
    return _page(actor, stores, version, document)


def _close(uow: Any, actor: Actor, stores: Stores, round_: AccuracyRound, document: Document) -> None:
    unanswered = accuracy.close(round_, by=actor.user_id, now=_now())
    stores.accuracy.save_round(round_)
    _emit(
        uow,
        AccuracyRoundClosed(
            round_id=round_.id,
            version_id=round_.version_id,
            document_id=document.id,
            review_id=document.review_id,
            request_ids=[r.id for r in unanswered],
        ),
        document,
        actor,
    )


def close_accuracy_round(
    uow: Any,
    actor: Actor,
    round_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> AccuracyPage:
    """Close the round; emits reports.accuracy_round_closed with the requests left unanswered."""
    stores = Stores(uow, store, kept, checks)
    round_, version, document = _round(stores, round_id)
    policy.check_names_versions(actor, document, "close a factual-accuracy round")
    _close(uow, actor, stores, round_, document)
    return _page(actor, stores, version, document)


def accuracy_request(
    uow: Any,
    actor: Actor,
    request_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> AccuracyRequestPlace:
    """Where an agency's request is, for the manager, the reviewer and the agency asked."""
    stores = Stores(uow, store, kept, checks)
    round_ = stores.accuracy.round_of_request(request_id)
    if round_ is None:
        raise NotFound("No such request")
    _, document = _version(stores, round_.version_id)
    request = next(r for r in round_.requests if r.id == request_id)
    manages = policy.writes_all(actor, document.review_id, document.partnership_id)
    if not manages and policy.checks_accuracy_for(actor, document) != request.agency_id:
        raise NotFound("No such request")
    return AccuracyRequestPlace(
        request_id=request.id,
        round_id=round_.id,
        review_id=document.review_id,
        document_id=document.id,
        version_id=round_.version_id,
    )


# -- the family's comments -----------------------------------------------------------------------------------


def _family_view(record: FamilyRecord, people: dict[str, str]) -> FamilyComments:
    return FamilyComments(
        id=record.id,
        version_id=record.version_id,
        shown_on=record.shown_on,
        comments=record.comments,
        response=record.response,
        recorded_by_name=people.get(record.recorded_by),
        recorded_at=record.recorded_at,
    )


def family_comments_of_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> list[FamilyComments]:
    """The family's comments on the version, for the manager and the reviewer."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id)
    if not policy.writes_all(actor, document.review_id, document.partnership_id):
        raise NotFound("No such version")
    people = stores.reports.people(document.partnership_id)
    return [_family_view(r, people) for r in stores.accuracy.family_of(version.id)]


def record_family_comments(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    command: FamilyCommentsEntry,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> list[FamilyComments]:
    """Record the family shown the version; emits reports.family_comments_recorded."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id)
    if not policy.writes_all(actor, document.review_id, document.partnership_id):
        raise NotFound("No such version")
    now = _now()
    record = accuracy.record_family(
        version.id, command, named_at=version.named_at, today=_today(now), by=actor.user_id, now=now
    )
    stores.accuracy.add_family(record)
    _emit(
        uow,
        FamilyCommentsRecorded(
            version_id=version.id,
            document_id=document.id,
            review_id=document.review_id,
            shown_on=record.shown_on,
        ),
        document,
        actor,
    )
    people = stores.reports.people(document.partnership_id)
    return [_family_view(r, people) for r in stores.accuracy.family_of(version.id)]


# -- the partners' sign-off ----------------------------------------------------------------------------------


def _sign_off_page(actor: Actor, stores: Stores, version: Version, document: Document) -> SignOffPage:
    people = stores.reports.people(document.partnership_id)
    agencies = stores.reports.agencies(document.partnership_id)
    signatures = stores.accuracy.sign_offs_of(version.id)
    partner = policy.signs_off(actor, document.partnership_id)
    key = accuracy.partner_key(actor.user_id, actor.agency_id)
    signed = any(s.partner_key == key for s in signatures)
    copies = {c.section_id: c.blocks for c in version.sections}
    return SignOffPage(
        version=_summary(version, people),
        document_title=document.title,
        signatures=[
            PartnerSignOff(
                partner_name=agencies.get(s.agency_id, "A partner")
                if s.agency_id
                else people.get(s.signed_by, "A partner"),
                signed_by_name=people.get(s.signed_by),
                signed_at=s.signed_at,
            )
            for s in signatures
        ],
        required=accuracy.PARTNERS_NEEDED,
        complete=accuracy.complete(signatures),
        may_sign=partner and not signed and not version.locked,
        signed_by_caller=signed,
        sections=[
            SectionText(section_id=s.id, key=s.key, title=s.title, blocks=copies.get(s.id, []))
            for s in document.sections
        ],
    )


def sign_off_of_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> SignOffPage:
    """Who has signed the version off; for a partner, the version's whole text to sign."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id)
    policy.check_sees_sign_off(actor, document)
    return _sign_off_page(actor, stores, version, document)


def sign_offs_of_review(
    uow: Any,
    actor: Actor,
    review_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> list[SignOffStanding]:
    """Each document's newest version and how far its sign-off has gone, for whoever sees sign-off (the same
    rule as the sign-off page), in the review's order; a document without a version is left out."""
    stores = Stores(uow, store, kept, checks)
    found = []
    key = accuracy.partner_key(actor.user_id, actor.agency_id)
    for document in stores.reports.of_review(review_id):
        partner = policy.signs_off(actor, document.partnership_id)
        if not (partner or policy.writes_all(actor, document.review_id, document.partnership_id)):
            continue
        named = stores.versions.of_document(document.id)
        if not named:
            continue
        newest = named[0]
        signatures = stores.accuracy.sign_offs_of(newest.id)
        signed = any(s.partner_key == key for s in signatures)
        people = stores.reports.people(document.partnership_id)
        locked = next((v for v in named if v.locked), None)
        found.append(
            SignOffStanding(
                document_id=document.id,
                document_title=document.title,
                version=_summary(newest, people),
                signatures=len({s.partner_key for s in signatures}),
                required=accuracy.PARTNERS_NEEDED,
                may_sign=partner and not signed and not newest.locked,
                signed_by_caller=signed,
                last_locked=_summary(locked, people) if locked else None,
            )
        )
    return found


def sign_off_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
    checks: AccuracyStore | None = None,
) -> SignOffPage:
    """A partner signs the version off; the last one needed locks it (reports.version_signed_off)."""
    stores = Stores(uow, store, kept, checks)
    version, document = _version(stores, version_id, lock=True)
    policy.check_sees_sign_off(actor, document)
    if not policy.signs_off(actor, document.partnership_id):
        raise Forbidden("Only the partnership's safeguarding partners sign a version off")
    now = _now()
    signatures = stores.accuracy.sign_offs_of(version.id)
    signature = accuracy.sign(
        signatures,
        version_id=version.id,
        version_locked=version.locked,
        user_id=actor.user_id,
        agency_id=actor.agency_id,
        now=now,
    )
    stores.accuracy.add_sign_off(signature)
    signatures.append(signature)
    ids = {"version_id": version.id, "document_id": document.id, "review_id": document.review_id}
    _emit(
        uow,
        VersionSignOffRecorded(
            **ids,
            partner_agency_id=signature.agency_id,
            signatures=len(signatures),
            required=accuracy.PARTNERS_NEEDED,
        ),
        document,
        actor,
    )
    if accuracy.complete(signatures) and versions.lock(version, by=actor.user_id, now=now):
        stores.versions.save(version)
        _emit(uow, VersionLocked(**ids), document, actor)
        _emit(uow, VersionSignedOff(**ids, signatures=len(signatures)), document, actor)
        for round_ in stores.accuracy.rounds_of(version.id):
            if round_.open:
                _close(uow, actor, stores, round_, document)
    return _sign_off_page(actor, stores, version, document)
