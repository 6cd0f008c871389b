"""Where a service keeps the files it accepted (meeting papers, action evidence): one interface, two stores.

- `DatabaseFileStore` (the default): the bytes in the owning service's own schema, table `stored_file`, in the
  worker's transaction, so a file and the record that names it are stored together or not at all.
- `FilesystemFileStore`: the bytes under a directory of the service's own (CASEREV_FILE_STORE=filesystem,
  CASEREV_FILE_STORE_DIR); each file is written to a temporary name and renamed, so no reader sees half of
  one. A file written in a transaction that then rolls back is left unnamed by any record; `delete` and the
  operator's sweep of unnamed keys are the remedy (the database store has no such case).

A file is named by a key the store gives it; the owning record keeps the key, the checked kind and the
digest, and `get` hands back the bytes only if they still match the digest.

A service adds the table to its metadata (`stored_files_table(Base.metadata)`), creates it in a migration
(`stored_files_migration(op, schema)`), and asks `file_store(Base.metadata, uow.session)` for the store
configured.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from services.kernel.db import NAMING_CONVENTION
from services.kernel.errors import NotFound

STORED_FILE = "stored_file"
_KEY = re.compile(r"^[0-9a-f]{32}$")


class FileStoreSettings(BaseSettings):
    """Which store keeps uploaded files, and where the filesystem one writes (one folder per schema)."""

    model_config = SettingsConfigDict(env_prefix="CASEREV_", extra="ignore", env_ignore_empty=True)

    file_store: Literal["database", "filesystem"] = "database"
    file_store_dir: str = "var/files"


@lru_cache
def file_store_settings() -> FileStoreSettings:
    """The file store's settings, read once from the environment."""
    return FileStoreSettings()


class FileStore(Protocol):
    """Bytes kept by key. Keys are the store's own; the caller keeps the digest it was given."""

    def put(self, content: bytes) -> str:
        """Keep the bytes; the key that finds them again."""
        ...

    def get(self, key: str, sha256: str) -> bytes:
        """The bytes kept under `key`; NotFound if none are, or if they no longer match `sha256`."""
        ...

    def delete(self, key: str) -> None:
        """Forget the bytes under `key` (nothing if there are none)."""
        ...


def stored_files_table(metadata: MetaData) -> Table:
    """The table of files in a service's metadata (its own schema); the same table when already there."""
    existing = metadata.tables.get(f"{metadata.schema}.{STORED_FILE}" if metadata.schema else STORED_FILE)
    if existing is not None:
        return existing
    return Table(
        STORED_FILE,
        metadata,
        Column("key", String(32), primary_key=True),
        Column("size_bytes", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("content", LargeBinary, nullable=False),
        Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def stored_files_migration(op: Any, schema: str) -> None:
    """Create the table of files in an Alembic migration of `schema`."""
    stored_files_table(MetaData(schema=schema, naming_convention=NAMING_CONVENTION)).create(op.get_bind())


def _new_key() -> str:
    return uuid.uuid4().hex


def _checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise NotFound("No such file")
    return key


class DatabaseFileStore:
    """Files in the service's own schema, written and read in the caller's transaction."""

    def __init__(self, session: Session, metadata: MetaData) -> None:
        self.session = session
        self.table = stored_files_table(metadata)

    def put(self, content: bytes) -> str:
        key = _new_key()
        self.session.execute(
            insert(self.table).values(
                key=key, size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content
            )
        )
        return key

    def get(self, key: str, sha256: str) -> bytes:
        row = self.session.execute(
            select(self.table.c.content, self.table.c.sha256).where(self.table.c.key == _checked_key(key))
        ).one_or_none()
        if row is None or row.sha256 != sha256 or hashlib.sha256(row.content).hexdigest() != sha256:
            raise NotFound("No such file")
        return bytes(row.content)

    def delete(self, key: str) -> None:
        self.session.execute(delete(self.table).where(self.table.c.key == _checked_key(key)))


class FilesystemFileStore:
    """Files under a directory of the service's own: `<root>/<key[:2]>/<key>`, written whole or not at all."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        key = _checked_key(key)
        return self.root / key[:2] / key

    def put(self, content: bytes) -> str:
        key = _new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str, sha256: str) -> bytes:
        try:
            content = self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFound("No such file") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise NotFound("No such file")
        return content

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def file_store(
    metadata: MetaData, session: Session, settings: FileStoreSettings | None = None
) -> DatabaseFileStore | FilesystemFileStore:
    """The store configured for the service whose schema `metadata` is (the database one by default)."""
    settings = settings or file_store_settings()
    if settings.file_store == "filesystem":
        return FilesystemFileStore(Path(settings.file_store_dir) / str(metadata.schema))
    return DatabaseFileStore(session, metadata)
