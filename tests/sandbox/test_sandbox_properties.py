"""Property tests: whatever arrives, the sandbox answers in TikTok's shapes and never breaks."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox._apps import default_desktop_app
from pytok_sm.sandbox._oauth import hex_challenge

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
AUTHORIZE_PARAMS = [
    "client_key",
    "scope",
    "redirect_uri",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
]
TOKEN_FIELDS = ["client_key", "client_secret", "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token"]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Sandbox, httpx.Client]]:
    with Sandbox() as sb, httpx.Client(base_url=sb.base_url, trust_env=False, timeout=5) as http:
        yield sb, http
        assert sb.errors == []


@FUZZ
@given(params=st.dictionaries(st.sampled_from(AUTHORIZE_PARAMS), text))
def test_the_authorize_page_answers_200_or_an_error_page_and_never_redirects(
    shared: tuple[Sandbox, httpx.Client], params: dict[str, str]
) -> None:
    sb, http = shared
    answer = http.get(contract.AUTHORIZE_PATH, params=params)
    assert answer.status_code in (200, 400)
    assert answer.headers["content-type"].startswith("text/html")
    assert "location" not in answer.headers


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(TOKEN_FIELDS), text))
def test_the_token_endpoint_answers_a_flat_error_for_garbage(
    shared: tuple[Sandbox, httpx.Client], fields: dict[str, str]
) -> None:
    sb, http = shared
    fields = {**fields, "client_key": sb.client_key} if "client_key" not in fields else fields
    answer = http.post(contract.TOKEN_PATH, data=fields)
    assert answer.status_code == 200
    body = answer.json()
    if "access_token" in body:  # only client_credentials with the right secret can succeed blindly
        assert fields.get("grant_type") == "client_credentials"
        return
    assert set(body) == {"error", "error_description", "log_id"} and body["error"] in contract.OAUTH_ERRORS


@FUZZ
@given(body=st.binary(max_size=200), content_type=st.sampled_from([contract.FORM_CONTENT_TYPE, "application/json", ""]))
def test_raw_bodies_never_crash_the_oauth_endpoints(
    shared: tuple[Sandbox, httpx.Client], body: bytes, content_type: str
) -> None:
    sb, http = shared
    for path in (contract.TOKEN_PATH, contract.REVOKE_PATH, contract.CHECK_QRCODE_PATH, contract.GET_QRCODE_PATH):
        answer = http.post(path, content=body, headers={"Content-Type": content_type})
        assert answer.status_code == 200 and "error" in answer.json()


@given(port=st.integers(1, 65535))
def test_a_wildcard_registration_matches_every_port(port: int) -> None:
    app = default_desktop_app()
    assert app.matches_redirect_uri(f"http://127.0.0.1:{port}/callback/")
    assert app.matches_redirect_uri(f"http://localhost:{port}/callback/")
    assert not app.matches_redirect_uri(f"http://127.0.0.1:{port}/callback")
    assert not app.matches_redirect_uri(f"http://127.0.0.1:{port}/callback/?x=1")


@given(suffix=text)
def test_nothing_but_digits_fills_a_wildcard_port(suffix: str) -> None:
    candidate = f"http://127.0.0.1:{suffix}/callback/"
    expected = suffix.isascii() and suffix.isdigit() and len(suffix) <= 5 and 1 <= int(suffix) <= 65535
    assert default_desktop_app().matches_redirect_uri(candidate) == expected


@given(verifier=st.text(st.sampled_from(contract.VERIFIER_ALPHABET), min_size=43, max_size=128))
def test_the_challenge_is_64_lower_case_hex(verifier: str) -> None:
    challenge = hex_challenge(verifier)
    assert len(challenge) == 64 and challenge == challenge.lower() and int(challenge, 16) >= 0
