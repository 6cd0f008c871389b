"""Unit tests for encryption at rest and the gateway's keys (gateway.secretbox)."""

from __future__ import annotations

import base64
import os
import re
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.secretbox import SecretBox, SecretBoxError, derive_key, load_key
from services.kernel import keyfiles
from services.kernel.config import GatewaySettings as Settings  # the gateway's settings

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def encoded(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


# SecretBox


def test_a_secret_decrypts_to_what_was_encrypted() -> None:
    box = SecretBox(KEY)
    token = box.encrypt(SECRET, context="user-1")
    assert token.startswith("v1.")
    assert SECRET not in token
    assert box.decrypt(token, context="user-1") == SECRET


def test_the_same_secret_encrypts_differently_each_time() -> None:
    box = SecretBox(KEY)
    assert box.encrypt(SECRET, context="user-1") != box.encrypt(SECRET, context="user-1")


def test_a_tampered_ciphertext_is_refused() -> None:
    box = SecretBox(KEY)
    raw = bytearray(base64.urlsafe_b64decode(box.encrypt(SECRET, context="user-1")[3:]))
    raw[-1] ^= 0x01
    tampered = "v1." + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")
    with pytest.raises(SecretBoxError, match="altered"):
        box.decrypt(tampered, context="user-1")


@pytest.mark.parametrize("garbage", ["", "v2.AAAA", "v1.not base64!", "v1.", "v1.AAAA"])
def test_something_that_is_not_a_ciphertext_is_refused(garbage: str) -> None:
    with pytest.raises(SecretBoxError):
        SecretBox(KEY).decrypt(garbage, context="user-1")


def test_a_ciphertext_copied_to_another_users_row_is_refused() -> None:
    box = SecretBox(KEY)
    token = box.encrypt(SECRET, context="user-1")
    with pytest.raises(SecretBoxError):
        box.decrypt(token, context="user-2")


def test_a_ciphertext_is_refused_under_another_key() -> None:
    token = SecretBox(KEY).encrypt(SECRET, context="user-1")
    with pytest.raises(SecretBoxError):
        SecretBox(OTHER_KEY).decrypt(token, context="user-1")


def test_a_box_refuses_a_key_that_is_not_32_bytes() -> None:
    with pytest.raises(SecretBoxError, match="32 bytes"):
        SecretBox(KEY[:16])


# Keys


def test_the_identity_key_setting_is_used_when_given(tmp_path: Path) -> None:
    key_file = tmp_path / "identity.key"
    settings = SimpleNamespace(
        identity_key=encoded(KEY), environment="production", identity_key_file=key_file
    )
    assert load_key(settings) == KEY
    assert not key_file.exists()


def test_an_unpadded_identity_key_is_accepted() -> None:
    assert load_key(SimpleNamespace(identity_key=encoded(KEY).rstrip("="))) == KEY


def test_the_real_settings_class_is_read(tmp_path: Path) -> None:
    settings = Settings(identity_key=encoded(KEY), environment="production")
    assert load_key(settings) == KEY


@pytest.mark.parametrize("bad", [encoded(KEY[:16]), encoded(KEY + b"x"), "not*base64"])
def test_an_identity_key_that_is_not_32_bytes_of_base64_is_refused_with_a_clear_message(bad: str) -> None:
    with pytest.raises(SecretBoxError, match="CASEREV_IDENTITY_KEY") as caught:
        load_key(SimpleNamespace(identity_key=bad, environment="production"))
    assert "token_urlsafe(32)" in str(caught.value)


def test_outside_local_a_missing_key_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    key_file = tmp_path / "identity.key"
    settings = SimpleNamespace(identity_key="", environment="production", identity_key_file=str(key_file))
    with pytest.raises(SecretBoxError, match="CASEREV_IDENTITY_KEY must be set") as caught:
        load_key(settings)
    assert "token_urlsafe(32)" in str(caught.value)
    assert not key_file.exists(), "a key file must never be generated outside a local machine"


def test_locally_a_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "identity.key"
    settings = SimpleNamespace(identity_key="", environment="local", identity_key_file=str(key_file))
    first = load_key(settings)
    assert len(first) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    written = key_file.read_text()
    assert load_key(settings) == first
    assert key_file.read_text() == written
    assert [path.name for path in key_file.parent.iterdir()] == ["identity.key"], "no temporary file left"


def test_the_environment_defaults_to_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert len(load_key(SimpleNamespace())) == 32
    assert (tmp_path / "var" / "identity.key").exists()


def test_a_key_file_written_by_another_process_first_is_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "identity.key"
    real_link = os.link

    def lose_the_race(source: str | Path, destination: str | Path) -> None:
        Path(destination).write_text(encoded(OTHER_KEY) + "\n")
        real_link(source, destination)

    monkeypatch.setattr(keyfiles.os, "link", lose_the_race)
    assert load_key(SimpleNamespace(identity_key_file=str(key_file))) == OTHER_KEY
    assert [path.name for path in tmp_path.iterdir()] == ["identity.key"]


def test_a_corrupt_key_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "identity.key"
    key_file.write_text("too short")
    with pytest.raises(SecretBoxError, match=re.escape(str(key_file))):
        load_key(SimpleNamespace(identity_key_file=str(key_file)))


def test_derived_keys_differ_by_purpose_and_are_stable() -> None:
    totp, csrf = derive_key(KEY, "totp"), derive_key(KEY, "csrf")
    assert len(totp) == len(csrf) == 32
    assert totp != csrf
    assert totp != KEY
    assert derive_key(KEY, "totp") == totp
    assert derive_key(OTHER_KEY, "totp") != totp


def test_a_box_under_a_derived_key_cannot_read_a_box_under_another_purpose() -> None:
    token = SecretBox(derive_key(KEY, "totp")).encrypt(SECRET, context="user-1")
    with pytest.raises(SecretBoxError):
        SecretBox(derive_key(KEY, "csrf")).decrypt(token, context="user-1")
