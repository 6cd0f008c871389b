"""Time-based one-time passwords (RFC 6238): enrolment and verification.

Thirty-second steps, six digits and SHA-1, which is what authenticator apps expect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Case Review"
# About 200 px square is comfortable for a phone's camera; the quiet zone is the four modules QR asks for.
_QR_TARGET_PIXELS = 200
_QR_QUIET_ZONE = 4
_CODE = re.compile(r"[0-9]{6}")


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, digest=hashlib.sha1, interval=STEP_SECONDS)


def new_secret() -> str:
    """A new shared secret: 32 base32 characters, 160 bits."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG `data:` URI, rendered here (no third party sees the secret)."""
    qr = segno.make_qr(uri, error="m")
    width, _ = qr.symbol_size(scale=1, border=_QR_QUIET_ZONE)
    scale = max(1, -(-_QR_TARGET_PIXELS // width))
    svg = io.BytesIO()
    qr.save(svg, kind="svg", scale=scale, border=_QR_QUIET_ZONE, dark="#000", light="#fff", xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode("ascii")


def current_step(now: datetime) -> int:
    """The number of the 30-second step `now` falls in, counted from the Unix epoch."""
    if now.tzinfo is None:
        raise ValueError("current_step needs an aware datetime (a naive one would be read as local time)")
    return int(now.timestamp() // STEP_SECONDS)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step whose code `code` is, if it is the current step's or the previous one's; otherwise None.

    Spaces in `code` are ignored; anything but six ASCII digits is refused. The previous step is accepted
    because a code typed at the end of its 30 seconds arrives in the next. The caller must keep, per user,
    the last step accepted and accept a step only when it is greater than that one, so that a code cannot be
    used twice (replay protection, RFC 6238 section 5.2).
    """
    typed = "".join(code.split())
    if not _CODE.fullmatch(typed):
        return None
    totp = _totp(secret)
    step = current_step(now)
    matched: int | None = None
    for candidate in (step, step - 1):
        # Both steps are always compared, so the time taken does not tell which one matched.
        if hmac.compare_digest(totp.generate_otp(candidate).encode("ascii"), typed.encode("ascii")):
            matched = candidate if matched is None else matched
    return matched


def format_secret_for_typing(secret: str) -> str:
    """The secret in groups of four characters, for people who type it into their app."""
    return " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))
