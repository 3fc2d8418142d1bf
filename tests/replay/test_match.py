"""Matching (pytok_sm.testing.match_body): when a replayed request counts as the recorded one."""

from __future__ import annotations

import pytest
from vcr.request import Request

from pytok_sm.testing import match_body

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
