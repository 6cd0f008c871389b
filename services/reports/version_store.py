"""The seam between the version handlers and storage: named versions whole (with their sections' copies).

Handlers speak to `VersionStore`; `VersionTables` keeps versions in the schema through version_models.py, and
a unit test hands the handlers a fake. A version's document is the reports store's (repository.py).
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.reports import models, version_models
from services.reports.contract import TextBlock
from services.reports.versions import SectionCopy, Version


class VersionStore(Protocol):
    """Named versions of documents."""

    def get(self, version_id: UUID, *, lock: bool = False) -> Version | None:
        """The version with its sections' copies (locked for a change when `lock`), or None."""
        ...

    def of_document(self, document_id: UUID) -> list[Version]:
        """The document's versions, newest first, without their sections' copies."""
        ...

    def names(self, document_id: UUID) -> list[str]: ...

    def add(self, version: Version) -> None: ...

    def save(self, version: Version) -> None:
        """Keep the version's name and lock (its sections' copies never change)."""
        ...

    def delete(self, version_id: UUID) -> None: ...


def _version(
    record: version_models.VersionRecord, review_id: UUID, partnership_id: UUID, sections: list[SectionCopy]
) -> Version:
    return Version(
        id=record.id,
        document_id=record.document_id,
        review_id=review_id,
        partnership_id=partnership_id,
        name=record.name,
        named_by=record.named_by,
        named_at=record.named_at,
        locked_by=record.locked_by,
        locked_at=record.locked_at,
        sections=sections,
    )


class VersionTables:
    """VersionStore in the schema `reports`, in the worker's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _holder(self, document_id: UUID) -> tuple[UUID, UUID]:
        row = self.session.execute(
            select(models.DocumentRecord.review_id, models.DocumentRecord.partnership_id).where(
                models.DocumentRecord.id == document_id
            )
        ).one()
        return row[0], row[1]

    def get(self, version_id: UUID, *, lock: bool = False) -> Version | None:
        record = version_models.version(self.session, version_id, lock=lock)
        if record is None:
            return None
        review_id, partnership_id = self._holder(record.document_id)
        copies = [
            SectionCopy(
                section_id=s.section_id,
                state=bytes(s.state),
                blocks=[TextBlock.model_validate(b) for b in s.blocks],
            )
            for s in version_models.sections_of(self.session, version_id)
        ]
        return _version(record, review_id, partnership_id, copies)

    def of_document(self, document_id: UUID) -> list[Version]:
        records = version_models.versions_of(self.session, document_id)
        if not records:
            return []
        review_id, partnership_id = self._holder(document_id)
        return [_version(r, review_id, partnership_id, []) for r in records]

    def names(self, document_id: UUID) -> list[str]:
        return version_models.names_of(self.session, document_id)

    def add(self, version: Version) -> None:
        self.session.add(
            version_models.VersionRecord(
                id=version.id,
                document_id=version.document_id,
                name=version.name,
                named_by=version.named_by,
                named_at=version.named_at,
                locked_by=version.locked_by,
                locked_at=version.locked_at,
            )
        )
        self.session.flush()
        for copy in version.sections:
            self.session.add(
                version_models.VersionSectionRecord(
                    version_id=version.id,
                    section_id=copy.section_id,
                    state=copy.state,
                    blocks=[b.model_dump(mode="json") for b in copy.blocks],
                )
            )
        self.session.flush()

    def save(self, version: Version) -> None:
        record = version_models.version(self.session, version.id, lock=True)
        assert record is not None, "a version is saved after it is read"
        record.name = version.name
        record.locked_by = version.locked_by
        record.locked_at = version.locked_at
        self.session.flush()

    def delete(self, version_id: UUID) -> None:
        version_models.delete_version(self.session, version_id)
        self.session.flush()
