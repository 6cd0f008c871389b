"""What a person signs in with, and the gateway's other secrets: passwords, recovery codes and tokens.

Pure functions: no database, no web. The rules for an acceptable password follow NCSC guidance and OWASP
ASVS 4.0.3 section 2.1: long enough, no composition rules, and not common, guessable or personal.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

PASSWORD_MIN_LENGTH = 12  # ASVS 2.1.1
PASSWORD_MAX_LENGTH = 128  # ASVS 2.1.2: long passphrases are welcome
# zxcvbn's matching grows quickly with length (and 4.5 refuses more than 72 characters); the start of a
# password tells enough.
_ZXCVBN_MAX_INPUT = 72
_ZXCVBN_MIN_SCORE = 3
# A personal word shorter than this ("Al", "Ann") would refuse too many innocent passwords.
_PERSONAL_WORD_MIN_LENGTH = 4


class PasswordProblem(StrEnum):
    """Why a proposed password is refused, each a sentence in GOV.UK error-message style saying what to do."""

    EMPTY = "Enter a password"
    TOO_SHORT = f"Password must be {PASSWORD_MIN_LENGTH} characters or more"
    TOO_LONG = f"Password must be {PASSWORD_MAX_LENGTH} characters or fewer"
    PERSONAL = "Password must not include your name or email address"
    GUESSABLE = (
        "Choose a password that is harder to guess: avoid common words, names and patterns; "
        "three or four random words work well"
    )


# OWASP's minimum for argon2id (m=19 MiB, t=2, p=1).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
# Verified against when there is no such account, so the time taken does not reveal whether one exists.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

# Lower case, without the characters people confuse: 0/o, 1/i/l.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
_RECOVERY_CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _normalised(password: str) -> str:
    # The same password typed on two keyboards can arrive as different code points (NIST SP 800-63B 5.1.1.2).
    return unicodedata.normalize("NFKC", password)


# Marks a hash of the peppered password; a hash without it was made before peppering (ASVS 2.4.5).
_PEPPERED = "pep1$"


def _peppered(password: str, pepper: bytes) -> str:
    # An HMAC under a key the database never holds: a stolen table alone cannot be attacked offline.
    digest = hmac.new(pepper, _normalised(password).encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def hash_password(password: str, pepper: bytes) -> str:
    """The argon2id hash of the password peppered with `pepper`, in the encoded form that carries its salt
    and parameters."""
    return _PEPPERED + _HASHER.hash(_peppered(password, pepper))


def verify_password(stored: str | None, password: str, pepper: bytes) -> bool:
    """Whether `password` matches the `stored` hash. Never raises for a wrong password or a malformed hash.

    With `stored` None (no such account) a dummy hash is verified all the same, so that the time taken does
    not tell whether the account exists; the answer is then always False. A hash made before peppering is
    still verified (needs_rehash then says to replace it).
    """
    if stored is None:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_DUMMY_HASH, _peppered(password, pepper))
        return False
    if stored.startswith(_PEPPERED):
        encoded, candidate = stored[len(_PEPPERED) :], _peppered(password, pepper)
    else:
        encoded, candidate = stored, _normalised(password)
    try:
        return _HASHER.verify(encoded, candidate)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified was made before peppering or with other parameters, and should be
    replaced."""
    if not stored.startswith(_PEPPERED):
        return True
    try:
        return _HASHER.check_needs_rehash(stored[len(_PEPPERED) :])
    except InvalidHashError:
        return True


def _personal_words(user_inputs: Sequence[str]) -> list[str]:
    """The e-mail local parts and names, whole and word by word, folded for comparison."""
    words: list[str] = []
    for text in user_inputs:
        folded = _normalised(text).casefold().strip()
        if "@" in folded:
            folded = folded.rsplit("@", 1)[0]
        whole = re.sub(r"[\W_]+", "", folded)
        parts = [part for part in re.split(r"[\W_]+", folded) if len(part) >= _PERSONAL_WORD_MIN_LENGTH]
        for word in [whole, *parts]:
            if len(word) >= _PERSONAL_WORD_MIN_LENGTH and word not in words:
                words.append(word)
    return words


def _is_guessable(password: str, personal_words: Sequence[str], user_inputs: Sequence[str]) -> bool:
    checked = password[:_ZXCVBN_MAX_INPUT]
    result = zxcvbn(checked, user_inputs=[*user_inputs, *personal_words])
    if result["score"] < _ZXCVBN_MIN_SCORE:
        return True
    # A high score can hide a well-known password with a little added to it.
    return any(
        match.get("dictionary_name") == "passwords" and 2 * len(match["token"]) > len(checked)
        for match in result["sequence"]
    )


def password_problems(password: str, *, user_inputs: Sequence[str] = ()) -> list[PasswordProblem]:
    """What is wrong with a proposed password, one sentence per problem saying what to do; [] if acceptable.

    Any characters are allowed, spaces and unicode included, and there are no composition rules (ASVS 2.1.9).
    `user_inputs` are the person's e-mail address and name: a password containing them is refused.
    """
    if not password:
        return [PasswordProblem.EMPTY]
    problems: list[PasswordProblem] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    personal_words = _personal_words(user_inputs)
    # Separators removed, so "Jane-Smith" and "jane smith" both contain "janesmith".
    squeezed = re.sub(r"[\W_]+", "", _normalised(password).casefold())
    if any(word in squeezed for word in personal_words):
        problems.append(PasswordProblem.PERSONAL)
    if _is_guessable(password, personal_words, user_inputs):
        problems.append(PasswordProblem.GUESSABLE)
    return problems


def new_recovery_codes(count: int = 10) -> list[str]:
    """`count` different recovery codes, each ten characters shown as `xxxxx-xxxxx`."""
    codes: list[str] = []
    while len(codes) < count:
        chars = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        code = f"{chars[:5]}-{chars[5:]}"
        if code not in codes:
            codes.append(code)
    return codes


def normalise_recovery_code(text: str) -> str:
    """A recovery code as typed, without spaces or dashes and in lower case, ready to hash."""
    return _RECOVERY_CODE_SEPARATORS.sub("", text).lower()


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe secret (session id, invitation, API client secret or access token)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) of a token, which is what gets stored.

    A fast hash is right here: tokens are 256 random bits, so there is nothing to guess that a slow hash like
    argon2 would protect, and every request that presents a token pays for its hash.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(a: str, b: str) -> bool:
    """Whether two secrets are equal, compared in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
