"""The file store (services/kernel/file_store.py): the database store in the caller's transaction, the
filesystem store written whole, both refusing a key or a digest that does not match."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine
from sqlalchemy.orm import Session

from services.kernel.errors import NotFound
from services.kernel.file_store import (
    DatabaseFileStore,
    FileStoreSettings,
    FilesystemFileStore,
    file_store,
    stored_files_table,
)

PAPER = b"%PDF-1.4 a synthetic paper"
DIGEST = hashlib.sha256(PAPER).hexdigest()


@pytest.fixture
def session() -> Iterator[Session]:
    metadata = MetaData()
    stored_files_table(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_the_database_store_gives_back_what_it_kept(session: Session) -> None:
    metadata = MetaData()
    stored_files_table(metadata)
    store = DatabaseFileStore(session, metadata)
    key = store.put(PAPER)
    assert store.get(key, DIGEST) == PAPER


def test_the_database_store_writes_in_the_callers_transaction(session: Session) -> None:
    metadata = MetaData()
    stored_files_table(metadata)
    store = DatabaseFileStore(session, metadata)
    key = store.put(PAPER)
    session.rollback()
    with pytest.raises(NotFound):
        store.get(key, DIGEST)


def test_a_digest_that_does_not_match_is_not_found(session: Session, tmp_path: Path) -> None:
    metadata = MetaData()
    stored_files_table(metadata)
    for store in (DatabaseFileStore(session, metadata), FilesystemFileStore(tmp_path)):
        key = store.put(PAPER)
        with pytest.raises(NotFound):
            store.get(key, hashlib.sha256(b"something else").hexdigest())


@pytest.mark.parametrize("key", ["../../etc/passwd", "", "ABCDEF", "0" * 31, "z" * 32])
def test_a_key_the_store_did_not_give_is_not_found(session: Session, tmp_path: Path, key: str) -> None:
    metadata = MetaData()
    stored_files_table(metadata)
    for store in (DatabaseFileStore(session, metadata), FilesystemFileStore(tmp_path)):
        with pytest.raises(NotFound):
            store.get(key, DIGEST)


def test_the_filesystem_store_writes_whole_files_only_its_owner_reads(tmp_path: Path) -> None:
    store = FilesystemFileStore(tmp_path / "meetings")
    key = store.put(PAPER)
    path = tmp_path / "meetings" / key[:2] / key
    assert path.read_bytes() == PAPER
    assert path.stat().st_mode & 0o077 == 0, "a kept file must be readable by the service alone"
    assert not list(path.parent.glob(".incoming-*")), "a temporary file was left behind"
    assert store.get(key, DIGEST) == PAPER
    store.delete(key)
    with pytest.raises(NotFound):
        store.get(key, DIGEST)


def test_a_changed_file_on_disk_is_not_served(tmp_path: Path) -> None:
    store = FilesystemFileStore(tmp_path)
    key = store.put(PAPER)
    (tmp_path / key[:2] / key).write_bytes(b"tampered")
    with pytest.raises(NotFound):
        store.get(key, DIGEST)


def test_the_store_is_chosen_by_configuration(session: Session, tmp_path: Path) -> None:
    metadata = MetaData(schema="meetings")
    assert isinstance(file_store(metadata, session, FileStoreSettings()), DatabaseFileStore)
    chosen = file_store(
        metadata, session, FileStoreSettings(file_store="filesystem", file_store_dir=str(tmp_path))
    )
    assert isinstance(chosen, FilesystemFileStore)
    assert chosen.root == tmp_path / "meetings"
