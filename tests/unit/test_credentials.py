"""Unit tests for passwords, recovery codes and tokens (gateway.credentials).

Each argon2 hash costs tens of milliseconds, so the tests share one and hash only where they must.
"""

from __future__ import annotations

import unicodedata
from unittest import mock

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from gateway import credentials
from gateway.credentials import (
    RECOVERY_CODE_ALPHABET,
    PasswordProblem,
    hash_password,
    hash_token,
    needs_rehash,
    new_recovery_codes,
    new_token,
    normalise_recovery_code,
    password_problems,
    tokens_match,
    verify_password,
)

GOOD_PASSPHRASE = "marmalade tugboat quiver lantern"
PEPPER = b"p" * 32
OTHER_PEPPER = b"q" * 32


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(GOOD_PASSPHRASE, PEPPER)


# Hashing


def test_a_password_verifies_against_its_own_hash(stored: str) -> None:
    assert verify_password(stored, GOOD_PASSPHRASE, PEPPER)


def test_the_hash_is_of_the_peppered_password_with_argon2id_at_owasp_minimum_parameters(stored: str) -> None:
    assert stored.startswith("pep1$$argon2id$v=19$m=19456,t=2,p=1$"), stored
    assert not needs_rehash(stored)


def test_a_stolen_hash_is_no_use_without_the_pepper(stored: str) -> None:
    assert verify_password(stored, GOOD_PASSPHRASE, OTHER_PEPPER) is False
    # The argon2 part alone does not verify the password either: it hashes the pepper's HMAC, not the text.
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored.removeprefix("pep1$"), GOOD_PASSPHRASE)


def test_hashing_the_same_password_twice_gives_different_hashes(stored: str) -> None:
    assert hash_password(GOOD_PASSPHRASE, PEPPER) != stored


def test_a_wrong_password_is_refused(stored: str) -> None:
    assert verify_password(stored, GOOD_PASSPHRASE + "!", PEPPER) is False


def test_a_malformed_hash_is_refused_without_raising() -> None:
    assert verify_password("not a hash", GOOD_PASSPHRASE, PEPPER) is False
    assert verify_password("", GOOD_PASSPHRASE, PEPPER) is False
    assert verify_password("pep1$not a hash", GOOD_PASSPHRASE, PEPPER) is False


def test_a_hash_made_with_weaker_parameters_needs_rehashing() -> None:
    weaker = "pep1$" + PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        credentials._peppered(GOOD_PASSPHRASE, PEPPER)
    )
    assert verify_password(weaker, GOOD_PASSPHRASE, PEPPER)
    assert needs_rehash(weaker)


def test_a_hash_made_before_peppering_still_verifies_and_needs_rehashing() -> None:
    unpeppered = credentials._HASHER.hash(GOOD_PASSPHRASE)
    assert verify_password(unpeppered, GOOD_PASSPHRASE, PEPPER)
    assert verify_password(unpeppered, GOOD_PASSPHRASE + "!", PEPPER) is False
    assert needs_rehash(unpeppered)


def test_a_malformed_hash_needs_rehashing() -> None:
    assert needs_rehash("not a hash")
    assert needs_rehash("pep1$not a hash")


def test_no_such_account_still_spends_a_verification_on_the_dummy_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = mock.Mock(wraps=credentials._HASHER)
    monkeypatch.setattr(credentials, "_HASHER", hasher)
    assert verify_password(None, GOOD_PASSPHRASE, PEPPER) is False
    hasher.verify.assert_called_once_with(
        credentials._DUMMY_HASH, credentials._peppered(GOOD_PASSPHRASE, PEPPER)
    )


def test_the_same_unicode_password_verifies_whichever_way_it_was_composed() -> None:
    composed = unicodedata.normalize("NFC", "café crème brûlée à la carte")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert verify_password(hash_password(composed, PEPPER), decomposed, PEPPER)


# Password rules


def test_an_empty_password_is_asked_for() -> None:
    assert password_problems("") == [PasswordProblem.EMPTY]


def test_a_password_under_12_characters_is_refused() -> None:
    assert PasswordProblem.TOO_SHORT in password_problems("k7#vq!Zr2m")


def test_a_password_of_12_characters_is_long_enough() -> None:
    assert PasswordProblem.TOO_SHORT not in password_problems("k7#vq!Zr2m@x")


@pytest.mark.parametrize("common", ["password123456", "qwertyuiopasdf", "Password1234!", "            "])
def test_a_common_or_patterned_password_is_refused(common: str) -> None:
    assert password_problems(common) == [PasswordProblem.GUESSABLE]


def test_a_four_word_passphrase_is_accepted() -> None:
    assert password_problems(GOOD_PASSPHRASE, user_inputs=["jane.smith@example.org", "Jane Smith"]) == []


def test_a_password_over_128_characters_is_refused() -> None:
    long_passphrase = " ".join([GOOD_PASSPHRASE] * 5)
    assert len(long_passphrase) > 128
    assert password_problems(long_passphrase) == [PasswordProblem.TOO_LONG]


def test_a_password_of_128_characters_is_accepted() -> None:
    passphrase = (GOOD_PASSPHRASE + " otter meadow kettle ") * 3
    passphrase = passphrase[:128]
    assert password_problems(passphrase) == []


def test_a_unicode_passphrase_with_spaces_is_accepted() -> None:
    assert password_problems("żółć gęślą jaźń bądź mądry") == []
    assert password_problems("маленький ёжик пьёт чай") == []


def test_a_password_containing_the_email_local_part_is_refused() -> None:
    problems = password_problems("tugboat jsmith1987 lantern", user_inputs=["jsmith1987@example.org"])
    assert PasswordProblem.PERSONAL in problems


def test_a_password_containing_the_name_is_refused_whatever_its_case_or_separators() -> None:
    user_inputs = ["jane.smith@example.org", "Jane Smith"]
    assert PasswordProblem.PERSONAL in password_problems(
        "JANE-SMITH tugboat lantern", user_inputs=user_inputs
    )
    assert PasswordProblem.PERSONAL in password_problems(
        "tugboat smith lantern quiver", user_inputs=user_inputs
    )


def test_a_short_name_does_not_refuse_passwords_that_merely_contain_it() -> None:
    assert password_problems(GOOD_PASSPHRASE, user_inputs=["al@example.org", "Al Ma"]) == []


def test_every_problem_is_a_sentence_that_says_what_to_do() -> None:
    for problem in PasswordProblem:
        assert problem[0].isupper() and not problem.endswith("."), problem


# Recovery codes


def test_recovery_codes_are_ten_different_grouped_codes_from_the_unambiguous_alphabet() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        first, second = code.split("-")
        assert len(first) == len(second) == 5, code
        assert set(first + second) <= set(RECOVERY_CODE_ALPHABET), code


def test_the_recovery_code_alphabet_leaves_out_characters_people_confuse() -> None:
    assert not set("0o1il") & set(RECOVERY_CODE_ALPHABET.lower())
    assert RECOVERY_CODE_ALPHABET.islower()


def test_a_recovery_code_typed_with_spaces_dashes_or_capitals_is_normalised() -> None:
    assert normalise_recovery_code("  ABCDE-fgh23 ") == "abcdefgh23"
    assert normalise_recovery_code("abc de fgh 23") == "abcdefgh23"
    assert normalise_recovery_code("abcde\u2013fgh23") == "abcdefgh23"


# Tokens


def test_new_tokens_are_url_safe_and_carry_256_bits() -> None:
    token = new_token()
    assert len(token) == 43
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert new_token() != token


def test_a_token_hash_is_sha256_hex_and_stable() -> None:
    token = new_token()
    assert hash_token(token) == hash_token(token)
    assert len(hash_token(token)) == 64
    assert hash_token(token) != hash_token(new_token())


def test_tokens_match_only_when_equal() -> None:
    token = new_token()
    assert tokens_match(token, token)
    assert not tokens_match(token, token[:-1])
    assert not tokens_match(token, "ä" + token[1:])
