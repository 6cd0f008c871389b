"""Malformed input found at the edge (gateway/well_formed.py) and whom a request comes from
(gateway/security.py): the pure parts, without a server."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from gateway.security import client_address, parse_address, trusted_proxies
from gateway.well_formed import (
    JSON_MAX_DEPTH,
    body_problems,
    form_problems,
    json_problems,
    path_is_well_formed,
)
from services.forms.contract import FormDate, PastDate

# -- addresses -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [b"/returns/%00", b"/reviews/%0A", b"/reviews/%FF", b"/x/%C3%28", b"/a/%7F", b"/a\x00b"]
)
def test_a_path_with_a_control_character_or_broken_utf8_names_no_page(raw: bytes) -> None:
    assert not path_is_well_formed(raw), f"{raw!r} must be refused as no page"


@pytest.mark.parametrize("raw", [b"/reviews", b"/reviews/5c48-ef7e", b"/search/caf%C3%A9", b"/a%20b"])
def test_an_ordinary_path_passes(raw: bytes) -> None:
    assert path_is_well_formed(raw), f"{raw!r} is an ordinary address"


# -- forms and query strings -----------------------------------------------------------------------------


def test_a_nul_in_a_form_field_names_that_field_once() -> None:
    problems = form_problems(b"title=NB%002026&outline=fine&title=again%00")
    assert [(p.field, p.type) for p in problems] == [("title", "nul")], problems
    assert "remove it" in problems[0].message


def test_a_field_that_is_not_utf8_is_named_and_not_replaced() -> None:
    problems = form_problems(b"referrer_role=%FF%FEnurse&ok=yes")
    assert [(p.field, p.type) for p in problems] == [("referrer_role", "utf8")], problems


def test_raw_non_utf8_bytes_in_a_form_body_are_refused() -> None:
    assert [p.type for p in form_problems(b"email=\xffx@example.org")] == ["utf8"]


def test_a_well_formed_form_has_no_problems() -> None:
    assert form_problems(b"email=a%40example.org&password=caf%C3%A9+au+lait&empty=&flag") == []


def test_query_parameters_are_named_as_such() -> None:
    problems = form_problems(b"page=2&sort=%00", source="query parameter ")
    assert [p.field for p in problems] == ["query parameter sort"]


# -- JSON ------------------------------------------------------------------------------------------------


def test_a_nul_anywhere_in_json_is_named_by_its_path() -> None:
    body = json.dumps({"answers": {"children": [{"sex": "female"}, {"ethnicity": "x\u0000"}]}, "ok": "y"})
    problems = json_problems(body.encode())
    assert [p.field for p in problems] == ["answers.children.1.ethnicity"], problems


def test_a_nul_in_a_json_key_is_refused() -> None:
    assert [p.type for p in json_problems(b'{"ti\\u0000tle": "NB"}')] == ["nul"]


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH + 1, 1_000, 100_000])
def test_json_nested_too_deep_is_refused_whatever_the_depth(depth: int) -> None:
    body = ('{"a": ' * depth + "1" + "}" * depth).encode()
    problems = json_problems(body)
    assert [(p.field, p.type) for p in problems] == [("body", "depth")], problems


def test_json_at_the_depth_limit_passes() -> None:
    depth = JSON_MAX_DEPTH
    assert json_problems(("[" * depth + "]" * depth).encode()) == []


def test_json_that_is_not_utf8_is_refused() -> None:
    assert [p.type for p in json_problems(b'{"title": "\xff"}')] == ["utf8"]


def test_json_that_does_not_parse_is_left_to_the_route() -> None:
    assert json_problems(b'{"title": ') == []


def test_only_forms_and_json_bodies_are_read() -> None:
    assert body_problems("application/json; charset=utf-8", b'{"a": "\\u0000"}')
    assert body_problems("application/x-www-form-urlencoded", b"a=%00")
    assert body_problems("application/merge-patch+json", b'{"a": "\\u0000"}')
    assert body_problems("text/plain", b"a=%00") == []


# -- dates of the forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [FormDate, PastDate])
def test_a_date_before_1900_is_refused_in_words(field: object) -> None:
    with pytest.raises(ValidationError, match="on or after 1 January 1900"):
        TypeAdapter(field).validate_python("0001-01-01")
    assert TypeAdapter(field).validate_python("1900-01-01") == date(1900, 1, 1)


# -- whom a request comes from ---------------------------------------------------------------------------

LOCAL = trusted_proxies("127.0.0.1, 10.0.0.0/8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7:443 ", "198.51.100.7"),
        ("[2001:db8::1]:8443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("1" * 100, None),
        ("unknown", None),
        ("", None),
        ("198.51.100.7\x00", None),
    ],
)
def test_an_address_is_parsed_strictly(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == expected


def test_a_direct_client_is_its_own_address_whatever_it_claims() -> None:
    assert client_address("203.0.113.9", ["192.0.2.1"], LOCAL) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended() -> None:
    # The client wrote 192.0.2.1 itself; the proxy appended the address it really came from.
    assert client_address("127.0.0.1", ["192.0.2.1, 198.51.100.7"], LOCAL) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_one_hop_at_a_time() -> None:
    assert client_address("127.0.0.1", ["192.0.2.1", "198.51.100.7, 10.1.2.3"], LOCAL) == "198.51.100.7"


@pytest.mark.parametrize("header", ["1" * 100, "not an address", "198.51.100.7, junk", ""])
def test_an_entry_that_is_not_an_address_leaves_the_trusted_hop_standing(header: str) -> None:
    assert client_address("127.0.0.1", [header], LOCAL) == "127.0.0.1"


def test_a_bad_trusted_proxy_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS"):
        trusted_proxies("127.0.0.1, proxy.internal")


# -- an unhandled error is still counted -----------------------------------------------------------------


def test_an_unhandled_error_is_counted_as_a_500_in_the_metrics() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from gateway.metrics import REQUESTS, RequestMetrics

    app = FastAPI()
    app.add_middleware(RequestMetrics)

    @app.get("/boom-for-metrics")
    async def boom() -> None:
        raise RuntimeError("a bug")

    counted = REQUESTS.labels("GET", "/boom-for-metrics", "500")
    before = counted._value.get()
    response = TestClient(app, raise_server_exceptions=False).get("/boom-for-metrics")
    assert response.status_code == 500
    assert counted._value.get() == before + 1, "an unhandled exception must be counted with status 500"


def _multipart(*parts: tuple[str, bytes, str | None]) -> tuple[str, bytes]:
    boundary = "----caserevtestboundary"
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def test_a_multipart_forms_text_fields_are_checked_but_a_files_bytes_are_left_to_its_checker():
    from gateway.well_formed import body_problems

    content_type, body = _multipart(("csrf_token", b"abc", None), ("file", b"\x00\xff\xfe binary", "x.csv"))
    assert body_problems(content_type, body) == []
    content_type, body = _multipart(("csrf_token", b"a\x00b", None), ("note", b"caf\xe9", None))
    problems = {problem.field: problem.type for problem in body_problems(content_type, body)}
    assert problems == {"csrf_token": "nul", "note": "utf8"}
    assert body_problems("multipart/form-data", b"x")[0].type == "multipart"
