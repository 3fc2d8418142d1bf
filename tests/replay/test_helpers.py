"""The cassette helpers that pytok_sm.testing gives users: scrubbing, matching, strict use.

The HTTP side is an httpx.MockTransport standing in for TikTok (vcrpy intercepts it like
any transport), so these tests need no emulator and no network.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from vcr.request import Request

from pytok_sm import LoginKit
from pytok_sm.testing import (
    CassetteLibrary,
    CassetteMismatch,
    DeterministicRandom,
    Scrubber,
    find_unscrubbed,
    make_vcr,
    use_cassette,
    vcr_config,
)
from pytok_sm.testing.cassettes import (
    CANONICAL_DATE,
    CLIENT_SECRET_PLACEHOLDER,
    CODE_VERIFIER_PLACEHOLDER,
    match_body,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SAVED: dict[str, Any] = {
    "access_token": "act.saved0access0token0AAAAAAAA",
    "expires_in": 7200,
    "open_id": "u1",
    "refresh_expires_in": 86400,
    "refresh_token": "rft.saved0refresh0token0BBBBBBB",
    "scope": "user.info.basic",
}


def form_request(body: str, uri: str = "https://open.tiktokapis.com/v2/oauth/token/") -> Request:
    return Request("POST", uri, body.encode(), dict(FORM))


def answer(payload: Any, content_type: str = "application/json; charset=UTF-8", **headers: str) -> dict[str, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"content-type": [content_type], "content-length": [str(len(body))]}
    all_headers.update({k.replace("_", "-"): [v] for k, v in headers.items()})
    return {"status": {"code": 200, "message": "OK"}, "headers": all_headers, "body": {"string": body}}


def scrubbed_form(scrub: Scrubber, body: str, uri: str = "https://open.tiktokapis.com/v2/oauth/token/") -> dict[str, str]:
    out = scrub.request(form_request(body, uri))
    assert out is not None
    import urllib.parse

    return dict(urllib.parse.parse_qsl(out.body.decode()))


# ---------------------------------------------------------------------------- requests
def test_form_secrets_become_placeholders_not_gaps() -> None:
    fields = scrubbed_form(
        Scrubber(),
        "client_key=aw_key&client_secret=s3cr3t-value&code=c%2A1%21x&grant_type=authorization_code"
        "&code_verifier=v3rifier-value-0123456789-0123456789-0123456789&token=qr-poll-token&refresh_token=rft.r1",
    )
    assert fields == {
        "client_key": "aw_key",
        "client_secret": CLIENT_SECRET_PLACEHOLDER,
        "code": "scrubbed-code-given-1",
        "grant_type": "authorization_code",
        "code_verifier": CODE_VERIFIER_PLACEHOLDER,
        "token": "scrubbed-token-given-2",
        "refresh_token": "rft.scrubbed-given-3",
    }


def test_field_order_and_other_fields_are_kept() -> None:
    out = Scrubber().request(form_request("grant_type=refresh_token&refresh_token=rft.r1&client_key=k&scope=a%2Cb"))
    assert out is not None and out.body == b"grant_type=refresh_token&refresh_token=rft.scrubbed-given-1&client_key=k&scope=a%2Cb"


def test_the_authorization_header_keeps_its_scheme() -> None:
    scrub = Scrubber()
    bearer = scrub.request(Request("GET", "https://open.tiktokapis.com/v2/user/info/?fields=open_id", None,
                                   {"Authorization": "Bearer act.live0token0123456789", "User-Agent": "python-httpx/0.28.1"}))
    basic = scrub.request(Request("GET", "https://open.tiktokapis.com/v2/x/", None, {"Authorization": "Basic dXNlcjpwYXNz"}))
    assert bearer is not None and basic is not None
    assert bearer.headers["Authorization"] == "Bearer act.scrubbed-given-1"
    assert "User-Agent" not in bearer.headers  # changes with the HTTP stack, says nothing about the call
    assert basic.headers["Authorization"] == "scrubbed-authorization"


def test_the_emulator_origin_becomes_tiktoks_and_answers_follow() -> None:
    scrub = Scrubber()
    out = scrub.request(Request("GET", "http://127.0.0.1:54321/v2/user/info/?fields=avatar_url", None, {}))
    assert out is not None and out.uri == "https://open.tiktokapis.com/v2/user/info/?fields=avatar_url"
    recorded = scrub.response(answer({"data": {"user": {"avatar_url": "http://127.0.0.1:54321/a/720.jpeg"}}}))
    assert json.loads(recorded["body"]["string"])["data"]["user"]["avatar_url"] == "https://open.tiktokapis.com/a/720.jpeg"


def test_extra_api_origins_are_rewritten_too() -> None:
    out = Scrubber(api_origins=["http://tiktok-mock.internal:8080"]).request(
        Request("GET", "http://tiktok-mock.internal:8080/v2/user/info/", None, {})
    )
    assert out is not None and out.uri == "https://open.tiktokapis.com/v2/user/info/"


@pytest.mark.parametrize(
    "uri",
    [
        "https://www.tiktok.com/v2/auth/authorize/?client_key=k&state=s",  # the person's browser
        "http://127.0.0.1:54321/v2/auth/authorize/decision/",  # the emulator's consent form
        "http://127.0.0.1:50123/callback/?code=c&state=s",  # the app's own loopback callback
        "http://localhost:50123/callback/?error=access_denied",
    ],
)
def test_browser_pages_are_never_recorded(uri: str) -> None:
    assert Scrubber().request(Request("GET", uri, None, {})) is None


def test_the_loopback_port_of_a_redirect_uri_is_canonical() -> None:
    scrub = Scrubber()
    a = scrubbed_form(scrub, "code=c1&redirect_uri=http%3A%2F%2F127.0.0.1%3A50123%2Fcallback%2F")
    b = scrubbed_form(scrub, "code=c1&redirect_uri=http%3A%2F%2Flocalhost%3A41000%2Fcallback%2F")
    web = scrubbed_form(scrub, "code=c1&redirect_uri=https%3A%2F%2Fapp.example%3A8443%2Fcb%2F")
    assert a["redirect_uri"] == "http://127.0.0.1:PORT/callback/"
    assert b["redirect_uri"] == "http://localhost:PORT/callback/"
    assert web["redirect_uri"] == "https://app.example:8443/cb/"  # not loopback: a real registration


def test_secret_query_parameters_are_scrubbed() -> None:
    out = Scrubber().request(Request("GET", "https://open.tiktokapis.com/v2/x/?access_token=act.q0123456789&fields=a", None, {}))
    assert out is not None and out.uri == "https://open.tiktokapis.com/v2/x/?access_token=act.scrubbed-given-1&fields=a"


def test_json_request_bodies_are_scrubbed() -> None:
    out = Scrubber().request(
        Request("POST", "https://open.tiktokapis.com/v2/post/", json.dumps({"token": "t-1", "n": 1}).encode(),
                {"Content-Type": "application/json; charset=UTF-8"})
    )
    assert out is not None and json.loads(out.body) == {"token": "scrubbed-token-given-1", "n": 1}


# ---------------------------------------------------------------------------- answers
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=UTF-8", "application/json;charset=utf-8", "text/plain"])
def test_tokens_in_json_answers_are_scrubbed_whatever_the_charset(content_type: str) -> None:
    recorded = Scrubber().response(answer({
        "access_token": "act.issued0access0123456789",
        "refresh_token": "rft.issued0refresh0123456789",
        "open_id": "u1",
        "expires_in": 7200,
    }, content_type))
    body = json.loads(recorded["body"]["string"])
    assert (body["access_token"], body["refresh_token"], body["open_id"]) == ("act.scrubbed-1", "rft.scrubbed-2", "u1")
    assert recorded["headers"]["content-length"] == [str(len(recorded["body"]["string"]))]


def test_client_tokens_qr_tokens_and_codes_in_urls() -> None:
    scrub = Scrubber()
    clt = json.loads(scrub.response(answer({"access_token": "clt.app0token0123456789", "expires_in": 7200}))["body"]["string"])
    qr = json.loads(scrub.response(answer({"scan_qrcode_url": "aweme://authorize?client_ticket=tobefilled", "token": "poll-secret"}))["body"]["string"])
    confirmed = json.loads(scrub.response(answer({
        "status": "confirmed",
        "client_ticket": "T1",
        "redirect_uri": "http://127.0.0.1:3456/callback/?code=a%2Ab%21c&state=S1",
    }))["body"]["string"])
    assert clt["access_token"] == "clt.scrubbed-1"
    assert qr == {"scan_qrcode_url": "aweme://authorize?client_ticket=tobefilled", "token": "scrubbed-token-2"}
    assert confirmed["redirect_uri"] == "http://127.0.0.1:3456/callback/?code=scrubbed-code-3&state=S1"
    assert confirmed["client_ticket"] == "T1"  # a deterministic value the flow must see again


def test_a_code_is_numbered_once_wherever_it_appears() -> None:
    """The QR confirmation hands out a code; the exchange sends it back: same placeholder."""
    scrub = Scrubber()
    scrub.response(answer({"redirect_uri": "http://127.0.0.1:3456/callback/?code=a%2Ab%21c&state=S1"}))
    assert scrubbed_form(scrub, "code=a%2Ab%21c&grant_type=authorization_code")["code"] == "scrubbed-code-1"


def test_the_error_code_of_an_envelope_is_a_status_not_a_secret() -> None:
    body = {"data": {}, "error": {"code": "access_token_invalid", "message": "m", "log_id": "202501011200001A2B"}}
    recorded = json.loads(Scrubber().response(answer(body))["body"]["string"])
    assert recorded["error"]["code"] == "access_token_invalid"
    assert recorded["error"]["log_id"] == "2026010100000000000000000000000001"


def test_log_ids_and_dates_are_canonical_and_consistent() -> None:
    scrub = Scrubber()
    recorded = scrub.response(answer({"error": "invalid_grant", "log_id": "LIVE-LOG-1"},
                                     date="Tue, 03 Mar 2026 10:11:12 GMT", x_tt_logid="LIVE-LOG-1"))
    body = json.loads(recorded["body"]["string"])
    assert recorded["headers"]["x-tt-logid"] == [body["log_id"]] == ["2026010100000000000000000000000001"]
    assert recorded["headers"]["date"] == [CANONICAL_DATE]


def test_stray_tokens_in_html_and_truncated_json_are_scrubbed() -> None:
    scrub = Scrubber()
    page = scrub.response(answer(b"<p>debug: act.leaked0in0a0page01234 rft.other0leak0012345</p>", "text/html"))
    truncated = scrub.response(answer(b'{"access_token": "act.cut0short0123456', "application/json"))
    assert page["body"]["string"] == b"<p>debug: act.scrubbed-1 rft.scrubbed-2</p>"
    assert truncated["body"]["string"] == b'{"access_token": "act.scrubbed-3'


def test_volatile_url_parameters_are_canonical() -> None:
    scrub = Scrubber(volatile_params=["qrcode_id"])
    first = scrub.response(answer({"scan_qrcode_url": "aweme://authorize?qrcode_id=9f8e7d&x=1"}))
    assert json.loads(first["body"]["string"])["scan_qrcode_url"] == "aweme://authorize?qrcode_id=qrcode-id-1&x=1"


def test_scrubbing_is_idempotent_on_what_it_wrote() -> None:
    """vcrpy runs the filters again over a loaded cassette: that must change nothing."""
    scrub = Scrubber(volatile_params=["qrcode_id"])
    raw = answer({"access_token": "act.raw0raw0raw0raw0", "log_id": "L9", "url": "x://?qrcode_id=abc&code=c*1"}, date="x")
    once = scrub.response(raw)
    assert Scrubber(volatile_params=["qrcode_id"]).response(copy.deepcopy(once)) == once
    again = scrub.request(form_request("refresh_token=rft.scrubbed-2&client_secret=scrubbed-client-secret"))
    assert again is not None and again.body == b"refresh_token=rft.scrubbed-2&client_secret=scrubbed-client-secret"


def test_undecodable_bodies_are_left_alone() -> None:
    recorded = Scrubber().response(answer(b"\xff\xfe binary", "application/octet-stream"))
    assert recorded["body"]["string"] == b"\xff\xfe binary"


# ---------------------------------------------------------------------------- matching
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


# ---------------------------------------------------------------------------- strict use
def tiktok_stand_in(calls: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={
            "access_token": "act.issued0by0the0stand0in0001",
            "expires_in": 7200,
            "open_id": "u1",
            "refresh_expires_in": 86400,
            "refresh_token": "rft.issued0by0the0stand0in0002",
            "scope": "user.info.basic",
            "token_type": "Bearer",
        }, headers={"Content-Type": "application/json; charset=UTF-8"})

    return httpx.MockTransport(handle)


def test_use_cassette_records_scrubbed_then_replays_without_the_transport(tmp_path: Path) -> None:
    path = tmp_path / "refresh.yaml"
    calls: list[str] = []
    with use_cassette(path, record=True):
        with LoginKit("aw_key", "canary-secret-4d2f", transport=tiktok_stand_in(calls), token=SAVED) as kit:
            recorded = kit.refresh_access_token()
    text = path.read_text(encoding="utf-8")
    assert calls == ["/v2/oauth/token/"]
    for secret in ("canary-secret-4d2f", str(SAVED["refresh_token"]), str(recorded.refresh_token), recorded.access_token):
        assert secret not in text
    assert find_unscrubbed(text) == []

    other = {**SAVED, "refresh_token": "rft.any0other0saved0token00"}
    with use_cassette(path, record=False):
        with LoginKit("aw_key", "another-secret", transport=tiktok_stand_in(calls), token=other) as kit:
            replayed = kit.refresh_access_token()
    assert calls == ["/v2/oauth/token/"], "replay never reached the transport"
    assert (replayed.access_token, replayed.refresh_token) == ("act.scrubbed-1", "rft.scrubbed-2")


def test_an_unmatched_request_names_cassette_and_request_but_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "refresh.yaml"
    with use_cassette(path, record=True), LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED) as kit:
        kit.refresh_access_token()
    with pytest.raises(CassetteMismatch) as failure, use_cassette(path, record=False):
        with LoginKit("other_key", "canary-secret-9e1b", transport=tiktok_stand_in([]), token=SAVED) as kit:
            kit.refresh_access_token()
    message = str(failure.value)
    assert message.startswith(f"cassette {path} has no answer for POST https://open.tiktokapis.com/v2/oauth/token/")
    assert "different values in client_key" in message and "pytok-record" in message
    assert "canary-secret-9e1b" not in message and str(SAVED["refresh_token"]) not in message


def test_record_mode_follows_pytok_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTOK_RECORD", "1")
    path = tmp_path / "nothing.yaml"
    with use_cassette(path):
        pass
    assert path.read_text() == "interactions: []\nversion: 1\n"


def test_vcr_config_works_with_plain_vcrpy(tmp_path: Path) -> None:
    recorder = vcr.VCR(cassette_library_dir=str(tmp_path))
    recorder.register_matcher("pytok_body", match_body)
    with recorder.use_cassette("plain.yaml", record_mode="all", **vcr_config()):
        LoginKit("aw_key", "canary-secret-77", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    text = (tmp_path / "plain.yaml").read_text()
    assert "canary-secret-77" not in text and "client_secret=scrubbed-client-secret" in text
    with recorder.use_cassette("plain.yaml", record_mode="none", **vcr_config()):
        token = LoginKit("aw_key", "x", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    assert token.refresh_token == "rft.scrubbed-2"


def test_make_vcr_gives_each_cassette_a_fresh_scrubber(tmp_path: Path) -> None:
    recorder = make_vcr(tmp_path, record_mode="all")
    for name in ("one", "two"):
        with recorder.use_cassette(name):
            LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    for name in ("one", "two"):
        assert "refresh_token=rft.scrubbed-given-1" in (tmp_path / f"{name}.yaml").read_text()


def test_cassette_library_names_and_seeds_by_test(tmp_path: Path) -> None:
    library = CassetteLibrary(tmp_path, default_name="test_login[approve]")
    assert library.path() == tmp_path / "test_login_approve.yaml"
    assert library.random("abc", 12) == DeterministicRandom("test_login[approve]")("abc", 12)


# ---------------------------------------------------------------------------- random and scans
def test_deterministic_random_is_repeatable_and_thread_safe() -> None:
    source = DeterministicRandom(42)
    values: list[str] = []
    threads = [threading.Thread(target=lambda: values.append(source("ab", 200))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    replayed = DeterministicRandom(42)
    assert sorted(values) == sorted(replayed("ab", 200) for _ in range(8))
    with pytest.raises(ValueError):
        source("", 3)


def test_find_unscrubbed_reports_labels_never_values() -> None:
    text = "body: client_secret=abcdefgh12345678&code=c%2A1%21x\nstring: '{\"t\": \"act.Zz0123456789Zz0123\"}'\n"
    findings = find_unscrubbed(text, {"the code": "c*1!x", "absent": "nowhere-to-be-found"}, path="x.yaml")
    kinds = [(f.line, f.kind) for f in findings]
    assert (1, "hook pattern") in kinds and (2, "token-shaped value") in kinds and (1, "secret: the code") in kinds
    assert all("absent" not in f.kind for f in findings)
    assert "abcdefgh12345678" not in " ".join(map(str, findings))


def test_nothing_secret_reaches_the_logs_while_recording(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """vcrpy logs raw answers at INFO before scrubbing them; use_cassette keeps them out."""
    caplog.set_level("DEBUG")
    with use_cassette(tmp_path / "logged.yaml", record=True):
        LoginKit("aw_key", "canary-secret-0b8e", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    logged = caplog.text
    for secret in ("canary-secret-0b8e", "act.issued0by0the0stand0in0001", "rft.issued0by0the0stand0in0002", SAVED["refresh_token"]):
        assert secret not in logged


def test_a_failed_rerecording_keeps_the_old_cassette(tmp_path: Path) -> None:
    path = tmp_path / "kept.yaml"
    with use_cassette(path, record=True):
        LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="the test broke"), use_cassette(path, record=True):
        LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
        raise RuntimeError("the test broke")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.yaml"]
