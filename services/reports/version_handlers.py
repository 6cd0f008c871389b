"""The use cases of named versions: naming the current state of a document, listing, reading, comparing and
exporting versions, restoring one as a new edit, renaming and deleting (a version is locked by the partners'
sign-off: accuracy_handlers.py). Each takes the worker's unit of work, the typed arguments and, last, the
stores (the tables unless a test hands in fakes); each checks the policy (services/reports/policy.py) against
the version's document, asks the domain, stores and emits."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from services.kernel.errors import NotFound
from services.kernel.identity import Actor
from services.reports import difference, export, policy, versions, yjs_restore, yjs_text
from services.reports.contract import (
    ExportedFile,
    ExportFormat,
    NameVersion,
    RestoredSection,
    RestoredVersion,
    SectionDifference,
    SectionText,
    TextBlock,
    VersionComparison,
    VersionDeleted,
    VersionNamed,
    VersionRenamed,
    VersionRestored,
    VersionSummary,
    VersionText,
)
from services.reports.domain import Document
from services.reports.repository import ReportStore, ReportTables
from services.reports.version_store import VersionStore, VersionTables
from services.reports.versions import Version


def _stores(
    uow: Any, store: ReportStore | None, kept: VersionStore | None
) -> tuple[ReportStore, VersionStore]:
    return (
        ReportTables(uow.session) if store is None else store,
        VersionTables(uow.session) if kept is None else kept,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _summary(version: Version, people: dict[str, str]) -> VersionSummary:
    return VersionSummary(
        id=version.id,
        document_id=version.document_id,
        review_id=version.review_id,
        name=version.name,
        named_by=version.named_by,
        named_by_name=people.get(version.named_by),
        named_at=version.named_at,
        locked=version.locked,
        locked_by=version.locked_by,
        locked_by_name=people.get(version.locked_by or ""),
        locked_at=version.locked_at,
    )


def _document(actor: Actor, store: ReportStore, document_id: UUID) -> Document:
    return policy.check_reads_document(actor, store.get(document_id))


def _version(
    actor: Actor, store: ReportStore, kept: VersionStore, version_id: UUID, *, lock: bool = False
) -> tuple[Version, Document]:
    """The version and its document, or NotFound for a caller who may read nothing of the document."""
    version = kept.get(version_id, lock=lock)
    if version is None:
        raise NotFound("No such version")
    document = store.get(version.document_id)
    if document is None or not policy.may_read_document(actor, document):
        raise NotFound("No such version")
    return version, document


def _emit(uow: Any, event: Any, version: Version, actor: Actor) -> None:
    uow.emit(
        event, partnership_id=version.partnership_id, review_id=version.review_id, actor_id=actor.user_id
    )


# -- reading -------------------------------------------------------------------------------------------------


def versions_of_document(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> list[VersionSummary]:
    """The document's versions, newest first, for anyone who may read some of the document."""
    store, kept = _stores(uow, store, kept)
    document = _document(actor, store, document_id)
    people = store.people(document.partnership_id)
    return [_summary(v, people) for v in kept.of_document(document.id)]


def version_text(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> VersionText:
    """The version's text of the sections the caller may read, in the document's order."""
    store, kept = _stores(uow, store, kept)
    version, document = _version(actor, store, kept, version_id)
    copies = {c.section_id: c for c in version.sections}
    return VersionText(
        document_id=document.id,
        review_id=document.review_id,
        kind=document.kind,
        title=document.title,
        sections=[
            SectionText(
                section_id=section.id,
                key=section.key,
                title=section.title,
                blocks=copies[section.id].blocks if section.id in copies else [],
            )
            for section, _ in policy.readable_sections(actor, document)
        ],
        version=_summary(version, store.people(document.partnership_id)),
    )


def export_version(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    version_id: UUID,
    file_format: ExportFormat,
    partnership_name: str,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> ExportedFile:
    """The version's text of the sections the caller may read, as a file named after the version (the same
    rule as reading it: version_text)."""
    text = version_text(uow, actor, version_id, store, kept)
    if text.document_id != document_id:
        raise NotFound("No such version")
    return export.exported(text, partnership_name, file_format, text.version.name)


def compare_versions(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    earlier: UUID | None,
    later: UUID | None,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> VersionComparison:
    """The difference between two versions of the document (None: its current text), for the sections the
    caller may read."""
    store, kept = _stores(uow, store, kept)
    document = _document(actor, store, document_id)
    people = store.people(document.partnership_id)

    def side(version_id: UUID | None) -> tuple[Version | None, dict[UUID, list[TextBlock]]]:
        if version_id is None:
            return None, {}
        version, of = _version(actor, store, kept, version_id)
        if of.id != document.id:
            raise NotFound("No such version")
        return version, {c.section_id: c.blocks for c in version.sections}

    def text(
        version: Version | None, copies: dict[UUID, list[TextBlock]], section_id: UUID
    ) -> list[TextBlock]:
        if version is None:
            return yjs_text.blocks(store.state(section_id))
        return copies.get(section_id, [])

    before, before_text = side(earlier)
    after, after_text = side(later)
    sections = []
    for section, _ in policy.readable_sections(actor, document):
        blocks = difference.blocks(text(before, before_text, section.id), text(after, after_text, section.id))
        sections.append(
            SectionDifference(
                section_id=section.id,
                key=section.key,
                title=section.title,
                changed=difference.changed(blocks),
                blocks=blocks,
            )
        )
    return VersionComparison(
        document_id=document.id,
        review_id=document.review_id,
        title=document.title,
        earlier=_summary(before, people) if before else None,
        later=_summary(after, people) if after else None,
        sections=sections,
    )


# -- writing -------------------------------------------------------------------------------------------------


def name_version(
    uow: Any,
    actor: Actor,
    document_id: UUID,
    command: NameVersion,
    idempotency_key: str | None = None,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> VersionSummary:
    """Keep every section's current state and blocks under a name; emits reports.version_named."""
    store, kept = _stores(uow, store, kept)
    document = policy.check_names_versions(actor, store.get(document_id), "name a version")
    once = uow.idempotent(
        "name_version", actor, idempotency_key, {"document_id": str(document_id), **command.model_dump()}
    )
    if once.done:
        return VersionSummary.model_validate(once.result)
    states = {section.id: store.state(section.id) for section in document.sections}
    version = versions.name(
        document_id=document.id,
        review_id=document.review_id,
        partnership_id=document.partnership_id,
        name=command.name,
        taken=kept.names(document.id),
        sections={i: (state, yjs_text.blocks(state)) for i, state in states.items()},
        named_by=actor.user_id,
        now=_now(),
    )
    kept.add(version)
    _emit(
        uow,
        VersionNamed(
            version_id=version.id,
            document_id=document.id,
            review_id=document.review_id,
            name=version.name,
            sections=len(version.sections),
        ),
        version,
        actor,
    )
    summary = _summary(version, store.people(document.partnership_id))
    once.remember(summary.model_dump(mode="json"))
    return summary


def restore_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    idempotency_key: str | None = None,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> RestoredVersion:
    """Set each section back to the version's text as a new edit appended to its store; emits
    reports.version_restored."""
    store, kept = _stores(uow, store, kept)
    version, document = _version(actor, store, kept, version_id)
    policy.check_names_versions(actor, document, "restore a version")
    once = uow.idempotent("restore_version", actor, idempotency_key, {"version_id": str(version_id)})
    if once.done:
        return RestoredVersion.model_validate(once.result)
    now = _now()
    restored = []
    for copy in version.sections:
        update = yjs_restore.restoring_update(store.state(copy.section_id), copy.state)
        if update is None:
            continue
        store.append(copy.section_id, [update], actor.user_id, now)
        restored.append(
            RestoredSection(
                section_id=copy.section_id, update_base64=base64.b64encode(update).decode("ascii")
            )
        )
    _emit(
        uow,
        VersionRestored(
            version_id=version.id,
            document_id=document.id,
            review_id=document.review_id,
            sections_changed=len(restored),
        ),
        version,
        actor,
    )
    result = RestoredVersion(
        version=_summary(version, store.people(document.partnership_id)),
        document_id=document.id,
        review_id=document.review_id,
        sections=restored,
    )
    once.remember(result.model_dump(mode="json"))
    return result


def rename_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    command: NameVersion,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> VersionSummary:
    """Another name for a version not locked; emits reports.version_renamed."""
    store, kept = _stores(uow, store, kept)
    version, document = _version(actor, store, kept, version_id, lock=True)
    policy.check_names_versions(actor, document, "rename a version")
    versions.rename(version, command.name, kept.names(document.id))
    kept.save(version)
    _emit(
        uow,
        VersionRenamed(
            version_id=version.id, document_id=document.id, review_id=document.review_id, name=version.name
        ),
        version,
        actor,
    )
    return _summary(version, store.people(document.partnership_id))


def delete_version(
    uow: Any,
    actor: Actor,
    version_id: UUID,
    store: ReportStore | None = None,
    kept: VersionStore | None = None,
) -> None:
    """Delete a version not locked; emits reports.version_deleted."""
    store, kept = _stores(uow, store, kept)
    version, document = _version(actor, store, kept, version_id, lock=True)
    policy.check_names_versions(actor, document, "delete a version")
    versions.check_deletable(version)
    kept.delete(version.id)
    _emit(
        uow,
        VersionDeleted(version_id=version.id, document_id=document.id, review_id=document.review_id),
        version,
        actor,
    )
