"""Signing in: password and second factor together, throttled by account and by address, and the steps of
setting up an account from a single-use link. Synchronous (argon2 and the database): routes run it in the
thread pool, off the event loop.

Every refusal at sign-in is the same sentence, whichever part failed: wrong e-mail, wrong password,
wrong, old or reused code, or a pause after too many failures.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from hashlib import sha256
from uuid import UUID

from gateway import identity, totp
from gateway.credentials import (
    hash_password,
    needs_rehash,
    new_recovery_codes,
    normalise_recovery_code,
    password_problems,
    verify_password,
)
from gateway.identity import AccountLink, UserAccount
from gateway.secretbox import SecretBox, SecretBoxError, derive_key, load_key
from services.kernel.config import gateway_settings

log = logging.getLogger(__name__)

SIGN_IN_REFUSED = (
    "The email address, password or security code is not right, or signing in is paused after too many "
    "attempts. Check them and try again in a few minutes. Each security code works once: if you have just "
    "used one, wait for the next."
)


@lru_cache
def _recovery_key() -> bytes:
    return derive_key(load_key(gateway_settings()), "recovery-codes")


def recovery_code_hash(code: str) -> str:
    """A recovery code as stored: an HMAC keyed with the gateway's key, so a copy of the table alone cannot
    be searched for the codes (about 50 bits each)."""
    return hmac.new(_recovery_key(), normalise_recovery_code(code).encode(), sha256).hexdigest()


@lru_cache
def password_pepper() -> bytes:
    """The key every password is peppered with before hashing, derived from the gateway's key."""
    return derive_key(load_key(gateway_settings()), "password-pepper")


@lru_cache
def totp_box() -> SecretBox:
    """Encrypts TOTP secrets at rest with a key of their own, derived from the gateway's key."""
    return SecretBox(derive_key(load_key(gateway_settings()), "totp"))


@dataclass(frozen=True)
class SignInResult:
    """What an attempt to sign in came to."""

    user: UserAccount | None
    code_reused: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


def throttled(key: str, address: str, now: datetime) -> bool:
    """True while the account typed or the address has failed too often lately."""
    settings = gateway_settings()
    window = timedelta(minutes=max(settings.signin_window_minutes, settings.signin_lockout_minutes))
    by_account, by_address, last_account, last_address = identity.recent_failures(key, address, now - window)
    pause = timedelta(minutes=settings.signin_lockout_minutes)
    account_paused = (
        by_account >= settings.signin_account_failures and last_account and now < last_account + pause
    )
    address_paused = (
        by_address >= settings.signin_address_failures and last_address and now < last_address + pause
    )
    return bool(account_paused or address_paused)


def _second_factor_ok(user: UserAccount, code: str, recovery: bool, now: datetime) -> tuple[bool, bool]:
    """(accepted, was a reused TOTP step)."""
    if recovery:
        return identity.use_recovery_code(user.id, recovery_code_hash(code), now), False
    assert user.totp_secret is not None
    try:
        secret = totp_box().decrypt(user.totp_secret, context=str(user.id))
    except SecretBoxError:
        log.error(
            "a stored second factor could not be decrypted: is CASEREV_IDENTITY_KEY the one it was made with?"
        )
        return False, False
    step = totp.matching_step(secret, code, now)
    if step is None:
        return False, False
    if identity.accept_step(user.id, step):
        return True, False
    return False, True


def sign_in(
    email: str, password: str, code: str, *, recovery: bool, address: str, now: datetime
) -> SignInResult:
    """Check e-mail, password and security code (or a recovery code) together."""
    key = identity.account_key(email)
    paused = throttled(key, address, now)
    user = identity.user_by_email(email) if email.strip() else None
    # The password is checked even when the answer is already no, so timing tells nothing.
    password_ok = verify_password(user.password_hash if user else None, password, password_pepper())
    reused = False
    accepted = False
    if not paused and user is not None and user.active and password_ok and user.enrolled:
        accepted, reused = _second_factor_ok(user, code, recovery, now)
    if not accepted:
        identity.record_failure(key, address, now)
        if reused:
            log.warning("sign-in refused: a security code was used a second time")
        return SignInResult(None, code_reused=reused)
    assert user is not None and user.password_hash is not None
    if needs_rehash(user.password_hash):
        # Hashed before peppering or with older parameters: hashed again now, while the password is at hand.
        identity.set_password(user.id, hash_password(password, password_pepper()), now)
    identity.clear_failures(key)
    identity.signed_in(user.id, now)
    return SignInResult(user)


# -- single-use links: invitations, second-factor resets, password resets ---------------------------------


def usable_link(
    token: str, purposes: tuple[str, ...], now: datetime
) -> tuple[AccountLink, UserAccount] | None:
    """A link that is of an expected purpose, unused, unexpired, and of an active account."""
    link = identity.link_by_token(token)
    if link is None or link.purpose not in purposes or link.used_at is not None or now >= link.expires_at:
        return None
    user = identity.user_by_id(link.user_id)
    if user is None or not user.active:
        return None
    return link, user


def link_lifetime(purpose: str) -> timedelta:
    """How long a link of a purpose stays usable."""
    settings = gateway_settings()
    if purpose == "password_reset":
        return timedelta(minutes=settings.password_reset_minutes)
    return timedelta(days=settings.invitation_days)


def problems_with_new_password(user: UserAccount, password: str, confirmation: str) -> list[dict[str, str]]:
    """What is wrong with a new password, field by field."""
    # One message per field, as GOV.UK shows them: the first rule the password breaks.
    problems = [
        {"field": "password", "message": message}
        for message in password_problems(password, user_inputs=(user.email, user.display_name))[:1]
    ]
    if not problems and password != confirmation:
        problems.append({"field": "confirm_password", "message": "Enter the same password twice"})
    return problems


def set_new_password(user_id: UUID, password: str, now: datetime) -> None:
    """Store a new password (peppered, then argon2id)."""
    identity.set_password(user_id, hash_password(password, password_pepper()), now)


def pending_secret_token(secret: str, session_hash: str) -> str:
    """The TOTP secret being set up, carried in the form encrypted and bound to the session showing it."""
    return totp_box().encrypt(secret, context="enrol:" + session_hash)


def pending_secret(token: str, session_hash: str) -> str | None:
    """The TOTP secret being set up, if the form's token is genuine and of this session."""
    try:
        return totp_box().decrypt(token, context="enrol:" + session_hash)
    except SecretBoxError:
        return None


def complete_enrolment(user: UserAccount, secret: str, step: int, now: datetime) -> list[str]:
    """Store the confirmed second factor; returns the ten recovery codes, to be shown once."""
    codes = new_recovery_codes(10)
    identity.enrol_second_factor(
        user.id,
        totp_box().encrypt(secret, context=str(user.id)),
        step,
        [recovery_code_hash(code) for code in codes],
        now,
    )
    return codes


def replace_recovery_codes(user: UserAccount, now: datetime) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working)."""
    assert user.totp_secret is not None
    codes = new_recovery_codes(10)
    identity.enrol_second_factor(
        user.id,
        user.totp_secret,
        user.totp_last_step or 0,
        [recovery_code_hash(code) for code in codes],
        now,
    )
    return codes
