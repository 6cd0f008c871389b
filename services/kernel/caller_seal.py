"""The caller's seal: the gateway signs the actor it sends with each RPC, and the service checks it.

Without it, anything that can publish on the broker's RPC exchange could claim any role. The signature is
Ed25519, so a service, which holds only the verify key, cannot forge a caller either; it covers the actor,
the one service method it is for and a time after which it is refused, so a sealed caller seen on the wire
opens nothing else and nothing later.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.kernel.config import Settings, get_settings
from services.kernel.keyfiles import KeyFormatError, decode_key, read_or_create_key_file

SEAL = "seal"
_HINT = "generate a pair with `caserev caller-keys` and give the signing key to the gateway only"


class CallerKeyError(Exception):
    """A caller key is missing or malformed (a deployment mistake: the process must not start)."""


class UnsealedCaller(Exception):
    """The caller carries no valid seal for this method; the message says why, without the caller."""


def _decode(text: str, source: str) -> bytes:
    try:
        return decode_key(text, source=source)
    except KeyFormatError as error:
        raise CallerKeyError(f"{error}: {_HINT}") from error


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@lru_cache(maxsize=8)
def _signing_key(given: str, environment: str, key_file: str) -> Ed25519PrivateKey:
    if given:
        return Ed25519PrivateKey.from_private_bytes(_decode(given, "CASEREV_CALLER_SIGNING_KEY"))
    if environment != "local":
        raise CallerKeyError(f"CASEREV_CALLER_SIGNING_KEY must be set: {_HINT}")
    path = Path(key_file)
    return Ed25519PrivateKey.from_private_bytes(_decode(read_or_create_key_file(path), str(path)))


def signing_key(settings: Settings | None = None) -> Ed25519PrivateKey:
    """The key that seals callers: the gateway's and the operator's tools'.

    CASEREV_CALLER_SIGNING_KEY when set; otherwise, on a local machine only, the key file (created on first
    use); anywhere else its absence is a CallerKeyError.
    """
    s = settings or get_settings()
    return _signing_key(s.caller_signing_key, s.environment, s.caller_signing_key_file)


def verify_key(settings: Settings | None = None) -> Ed25519PublicKey:
    """The key that checks a seal: CASEREV_CALLER_VERIFY_KEY, else the public half of the signing key."""
    s = settings or get_settings()
    if s.caller_verify_key:
        return _verify_key(s.caller_verify_key)
    try:
        return signing_key(s).public_key()
    except CallerKeyError:
        raise CallerKeyError(f"CASEREV_CALLER_VERIFY_KEY must be set: {_HINT}") from None


@lru_cache(maxsize=8)
def _verify_key(given: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode(given, "CASEREV_CALLER_VERIFY_KEY"))


def new_key_pair() -> tuple[str, str]:
    """A fresh (signing key, verify key), each as URL-safe base64."""
    private = Ed25519PrivateKey.generate()
    return _encode(private.private_bytes_raw()), public_text(private)


def public_text(private: Ed25519PrivateKey) -> str:
    """The verify key that belongs to a signing key, as URL-safe base64."""
    return _encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def _signed_bytes(actor: Mapping[str, Any], to: str, expires: int) -> bytes:
    text = json.dumps(
        {"actor": actor, "expires": expires, "to": to},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return text.encode("ascii")


def seal(
    actor: Mapping[str, Any], to: str, *, settings: Settings | None = None, now: float | None = None
) -> dict[str, Any]:
    """`actor` (an Actor as JSON) with a seal for the method `to` ("forms.open_review")."""
    s = settings or get_settings()
    body = {key: value for key, value in actor.items() if key != SEAL}
    expires = int(now if now is not None else time.time()) + s.caller_seal_seconds
    signature = signing_key(s).sign(_signed_bytes(body, to, expires))
    return {**body, SEAL: {"expires": expires, "signature": _encode(signature)}}


def unseal(
    wire: Any, to: str, *, settings: Settings | None = None, now: float | None = None
) -> dict[str, Any]:
    """The actor of a sealed caller, without its seal, if the seal is good for `to` and not yet expired."""
    if not isinstance(wire, Mapping):
        raise UnsealedCaller("the caller is not an object")
    stamp = wire.get(SEAL)
    if not isinstance(stamp, Mapping):
        raise UnsealedCaller("the caller carries no seal")
    expires, signature = stamp.get("expires"), stamp.get("signature")
    if not isinstance(expires, int) or not isinstance(signature, str):
        raise UnsealedCaller("the caller's seal is malformed")
    body = {key: value for key, value in wire.items() if key != SEAL}
    try:
        raw_signature = base64.b64decode(
            signature + "=" * (-len(signature) % 4), altchars=b"-_", validate=True
        )
        verify_key(settings).verify(raw_signature, _signed_bytes(body, to, expires))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        raise UnsealedCaller(
            f"the caller's seal is not the gateway's, or is for another method than {to}"
        ) from None
    if (now if now is not None else time.time()) > expires:
        raise UnsealedCaller("the caller's seal has expired")
    return body
