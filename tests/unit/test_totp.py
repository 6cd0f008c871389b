"""Unit tests for TOTP enrolment and verification (gateway.totp), at fixed instants."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from gateway.totp import (
    current_step,
    format_secret_for_typing,
    matching_step,
    new_secret,
    provisioning_uri,
    qr_code_data_uri,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# 20 seconds into step 56_666_667 (2023-11-14 22:13:30 UTC starts it).
NOW = datetime(2023, 11, 14, 22, 13, 50, tzinfo=UTC)
STEP = 56_666_667


def code_at(moment: datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_the_step_is_the_unix_time_divided_by_30() -> None:
    assert current_step(NOW) == STEP
    assert current_step(datetime(1970, 1, 1, 0, 0, 29, tzinfo=UTC)) == 0
    assert current_step(datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)) == 1


def test_a_naive_datetime_is_refused_rather_than_read_as_local_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        current_step(datetime(2023, 11, 14, 22, 13, 50))


def test_the_current_code_is_accepted_and_returns_the_current_step() -> None:
    assert matching_step(SECRET, code_at(NOW), NOW) == STEP


def test_the_previous_steps_code_is_accepted_and_returns_the_previous_step() -> None:
    assert matching_step(SECRET, code_at(NOW - timedelta(seconds=30)), NOW) == STEP - 1


def test_the_next_steps_code_is_refused() -> None:
    assert matching_step(SECRET, code_at(NOW + timedelta(seconds=30)), NOW) is None


def test_a_code_from_two_steps_ago_is_refused() -> None:
    assert matching_step(SECRET, code_at(NOW - timedelta(seconds=60)), NOW) is None


def test_a_code_for_another_secret_is_refused() -> None:
    other = pyotp.TOTP(new_secret()).at(NOW)
    if other == code_at(NOW) or other == code_at(NOW - timedelta(seconds=30)):
        pytest.skip("the two secrets happen to share a code")
    assert matching_step(SECRET, other, NOW) is None


def test_spaces_in_a_code_are_ignored() -> None:
    code = code_at(NOW)
    assert matching_step(SECRET, f" {code[:3]} {code[3:]} ", NOW) == STEP


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "12345",
        "1234567",
        "12345a",
        "12-345",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "\u0661\u0662\u0663\u0664\u0665\u0666",
        "\u00b2" * 6,
        "123456\n7",
    ],
)
def test_a_malformed_code_is_refused(malformed: str) -> None:
    assert matching_step(SECRET, malformed, NOW) is None


def test_a_new_secret_is_32_base32_characters() -> None:
    secret = new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    assert len(base64.b32decode(secret)) == 20
    assert new_secret() != secret


def test_the_provisioning_uri_names_the_issuer_and_account_and_uses_the_defaults_apps_expect() -> None:
    uri = provisioning_uri(SECRET, "jane.smith@example.org")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/Case%20Review:jane.smith%40example.org"
    query = parse_qs(parsed.query)
    assert query["secret"] == [SECRET]
    assert query["issuer"] == ["Case Review"]
    # Six digits, 30 seconds and SHA-1 are the defaults, so they are left out or stated as such.
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]
    assert query.get("algorithm", ["SHA1"]) == ["SHA1"]
    assert pyotp.parse_uri(uri).at(NOW) == code_at(NOW)


def test_the_qr_code_is_an_svg_data_uri_of_about_200_pixels_black_on_white() -> None:
    data_uri = qr_code_data_uri(provisioning_uri(SECRET, "jane.smith@example.org"))
    prefix = "data:image/svg+xml;base64,"
    assert data_uri.startswith(prefix)
    svg = base64.b64decode(data_uri[len(prefix) :], validate=True).decode("utf-8")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>"), svg[:80]
    size = re.search(r'width="(\d+)" height="(\d+)"', svg)
    assert size is not None, svg[:200]
    width, height = int(size[1]), int(size[2])
    assert width == height and 200 <= width <= 260, (width, height)
    assert 'fill="#fff"' in svg and 'stroke="#000"' in svg, svg[:300]


def test_the_secret_is_shown_in_groups_of_four_for_typing() -> None:
    assert format_secret_for_typing(SECRET) == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    assert format_secret_for_typing("ABCDEF") == "ABCD EF"
