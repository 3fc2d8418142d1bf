"""Matching (pytok_sm.testing.match_body, match_content_range): when a replayed request counts
as the recorded one."""

from __future__ import annotations

import pytest
from vcr.request import Request

from pytok_sm.testing import Scrubber, make_vcr, match_body, match_content_range, vcr_config
from pytok_sm.testing._match import MATCH_ON

from .vcr_records import form_request


def test_forms_match_in_any_order_and_name_only_fields_when_they_differ() -> None:
    a = form_request("a=1&code=scrubbed-code-1&refresh_token=rft.scrubbed-1")
    b = form_request("refresh_token=rft.scrubbed-1&a=1&code=scrubbed-code-1")
    match_body(a, b)
    with pytest.raises(AssertionError) as failure:
        match_body(form_request("a=2&extra=SECRETVALUE"), form_request("a=1&code=scrubbed-code-1"))
    assert str(failure.value) == "form fields differ: missing code; unexpected extra; different values in a"
    assert "SECRETVALUE" not in str(failure.value)


def test_other_bodies_match_as_json_or_bytes() -> None:
    j = {"Content-Type": "application/json"}
    match_body(Request("POST", "https://x/", b'{"a": 1, "b": 2}', j), Request("POST", "https://x/", b'{"b":2,"a":1}', j))
    with pytest.raises(AssertionError, match="JSON bodies differ"):
        match_body(Request("POST", "https://x/", b'{"a": 1}', j), Request("POST", "https://x/", b'{"a": 2}', j))
    with pytest.raises(AssertionError, match=r"bodies differ \(3 bytes sent, 4 recorded\)"):
        match_body(Request("POST", "https://x/", b"abc", {}), Request("POST", "https://x/", b"abcd", {}))


# ---------------------------------------------------------------------------- uploads
def chunk(body: bytes, span: str = "bytes 0-9/25") -> Request:
    return Request("PUT", "https://x/upload/?upload_id=1", body, {"Content-Type": "video/mp4", "Content-Range": span})


def recorded(request: Request) -> Request:
    """What a cassette holds for ``request`` (its body a digest record)."""
    out = Scrubber().request(request)
    assert out is not None and out.body.startswith(b'{"digest_of_upload_body": ')
    return out


def test_an_upload_matches_its_digest_record_and_nothing_else() -> None:
    body = bytes(range(10))
    match_body(recorded(chunk(body)), recorded(chunk(body)))
    match_body(chunk(body), recorded(chunk(body)))  # an unscrubbed upload is digested to compare
    with pytest.raises(AssertionError) as one_byte:
        match_body(recorded(chunk(body[:-1] + b"\xff")), recorded(chunk(body)))
    assert str(one_byte.value).startswith("upload bodies differ: the same length (10 bytes), another sha256 (sent ")
    with pytest.raises(AssertionError, match=r"^upload bodies differ: 9 bytes sent, 10 recorded$"):
        match_body(recorded(chunk(body[:-1])), recorded(chunk(body)))
    json_body = Request("PUT", "https://x/upload/?upload_id=1", b'{"a": 1}', {"Content-Type": "application/json"})
    with pytest.raises(AssertionError, match="an upload body .10 bytes. was recorded, but the request sent a body"):
        match_body(json_body, recorded(chunk(body)))


def test_the_content_range_must_be_the_recorded_one() -> None:
    match_content_range(chunk(b"x"), chunk(b"y"))  # (the body is match_body's)
    match_content_range(form_request("a=1"), form_request("a=2"))  # none on both
    with pytest.raises(AssertionError, match=r"^Content-Range differs: bytes 10-24/25 sent, bytes 0-9/25 recorded$"):
        match_content_range(chunk(b"x", "bytes 10-24/25"), chunk(b"x"))
    with pytest.raises(AssertionError, match=r"^Content-Range differs: none sent, bytes 0-9/25 recorded$"):
        match_content_range(Request("PUT", "https://x/", b"x", {"Content-Type": "video/mp4"}), chunk(b"x"))


def test_make_vcr_and_vcr_config_match_on_the_range_before_the_body() -> None:
    assert MATCH_ON[-2:] == ("pytok_range", "pytok_body")
    assert vcr_config()["match_on"] == MATCH_ON
    matchers = make_vcr("cassettes/unused").matchers
    assert matchers["pytok_range"] is match_content_range and matchers["pytok_body"] is match_body
