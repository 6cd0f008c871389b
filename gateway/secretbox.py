"""Encryption at rest of the secrets the gateway must read back (TOTP secrets), and the gateway's keys.

One master key (CASEREV_IDENTITY_KEY) is given in production and generated into a file on a developer's
machine; a separate key is derived from it for each purpose.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.kernel import keyfiles
from services.kernel.keyfiles import KEY_BYTES, read_or_create_key_file

_NONCE_BYTES = 12
_VERSION = "v1."
_GENERATE_KEY_HINT = (
    "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'` and keep it with the "
    "deployment's other secrets; changing it later makes enrolled TOTP secrets unreadable"
)


class SecretBoxError(Exception):
    """A secret could not be encrypted or decrypted, or the key is missing or malformed."""


class SecretBox:
    """AES-256-GCM with a random 96-bit nonce per encryption.

    Each ciphertext is bound to a `context` (such as the user id) as associated data, so a ciphertext copied
    into another row does not decrypt there.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SecretBoxError(f"a SecretBox key must be {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """`v1.` followed by the URL-safe base64 of the nonce and the ciphertext."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of `token`; SecretBoxError if it was altered, belongs elsewhere, or the key
        differs."""
        if not token.startswith(_VERSION):
            raise SecretBoxError("not a SecretBox ciphertext (it should start with 'v1.')")
        try:
            raw = base64.b64decode(token[len(_VERSION) :], altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as error:
            raise SecretBoxError("the SecretBox ciphertext is not valid base64") from error
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        try:
            plaintext = self._aead.decrypt(nonce, sealed, context.encode("utf-8"))
        except (InvalidTag, ValueError) as error:
            raise SecretBoxError(
                "the secret could not be decrypted: it was altered, belongs to another context, "
                "or was encrypted with another key"
            ) from error
        return plaintext.decode("utf-8")


def decode_key(text: str, *, source: str) -> bytes:
    """The 32 bytes of a URL-safe base64 key (padded or not); SecretBoxError naming `source` otherwise."""
    try:
        return keyfiles.decode_key(text, source=source)
    except keyfiles.KeyFormatError as error:
        raise SecretBoxError(f"{error}: {_GENERATE_KEY_HINT}") from error


def load_key(settings: object) -> bytes:
    """The gateway's master key.

    `settings` is a services.kernel.config.GatewaySettings (or anything with the same attributes). The key is
    `identity_key` when set; otherwise, on a local machine only, the contents of `identity_key_file`, created
    on first use; anywhere else its absence is an error.
    """
    given = getattr(settings, "identity_key", "") or ""
    if given:
        return decode_key(given, source="CASEREV_IDENTITY_KEY")
    if getattr(settings, "environment", "local") != "local":
        raise SecretBoxError(f"CASEREV_IDENTITY_KEY must be set: {_GENERATE_KEY_HINT}")
    path = Path(getattr(settings, "identity_key_file", "var/identity.key"))
    return decode_key(read_or_create_key_file(path), source=str(path))


def derive_key(master: bytes, purpose: str) -> bytes:
    """A 32-byte key for one `purpose` ("totp", "csrf"), derived from the master key with HKDF-SHA256."""
    if not purpose:
        raise ValueError("derive_key needs a purpose")
    hkdf = HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=f"caserev/{purpose}".encode())
    return hkdf.derive(master)
