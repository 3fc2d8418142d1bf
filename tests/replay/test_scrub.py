"""Scrubbing (pytok_sm.testing.Scrubber): what a recorded request and answer may hold.

vcrpy requests and answers are built by hand, so these tests need no emulator and no network.
"""

from __future__ import annotations

import copy
import hashlib
import json
import urllib.parse

import pytest
from vcr.request import Request

from pytok_sm.testing import Scrubber
from pytok_sm.testing._rewrite import CANONICAL_DATE, CLIENT_SECRET_PLACEHOLDER, CODE_VERIFIER_PLACEHOLDER

from .vcr_records import TOKEN_URI, answer, form_request


def scrubbed_form(scrub: Scrubber, body: str, uri: str = TOKEN_URI) -> dict[str, str]:
    out = scrub.request(form_request(body, uri))
    assert out is not None
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


# ---------------------------------------------------------------------------- posting: uploads, upload URLs, ids
UPLOAD_HOST = "http://127.0.0.1:54321/upload/video/"


def put(uri: str, body: bytes, content_type: str = "video/mp4", span: str | None = "bytes 0-5/6") -> Request:
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    if span is not None:
        headers["Content-Range"] = span
    return Request("PUT", uri, body, headers)


def test_an_upload_body_is_recorded_as_its_length_and_sha256() -> None:
    out = Scrubber().request(put(UPLOAD_HOST + "?upload_id=1", b"\x00\x00\x00\x18ftyp"))
    assert out is not None and out.uri.startswith("https://open.tiktokapis.com/upload/video/")  # the upload host is API
    assert json.loads(out.body) == {"digest_of_upload_body": {"length": 8, "sha256": _sha(b"\x00\x00\x00\x18ftyp")}}
    assert out.headers == {"Content-Type": "video/mp4", "Content-Range": "bytes 0-5/6"}  # the length is in the record
    assert Scrubber().request(copy.deepcopy(out)).body == out.body  # a loaded record stays as it is


@pytest.mark.parametrize(("content_type", "span", "body"), [
    ("image/jpeg", None, b"JFIF0123"),
    ("application/octet-stream", None, b"raw bytes"),
    ("application/json", "bytes 0-1/2", b"{}"),  # a Content-Range says: a part of a file
    ("text/plain", None, b"\xff\xfe not UTF-8"),  # not text, whatever it says
])
def test_media_and_other_non_text_bodies_are_digested_too(content_type: str, span: str | None, body: bytes) -> None:
    out = Scrubber().request(put("https://upload.example/x", body, content_type, span))
    assert out is not None and json.loads(out.body)["digest_of_upload_body"] == {"length": len(body), "sha256": _sha(body)}


def test_the_upload_token_is_a_numbered_placeholder_in_the_answer_and_the_put_alike() -> None:
    scrub = Scrubber()
    scrub.request(Request("POST", "http://127.0.0.1:54321/v2/post/publish/video/init/", b"{}", {}))
    init = scrub.response(answer({"data": {
        "publish_id": "v_pub_file~v2-1.7493784938978805793",
        "upload_url": f"{UPLOAD_HOST}?upload_id=8412581418884590691&upload_token=djRDiMGOXjvXUI8An_KGEyKSOoBI5FeF"}}))
    data = json.loads(init["body"]["string"])["data"]
    url = "https://open.tiktokapis.com/upload/video/?upload_id=7000000000000000002&upload_token=scrubbed-upload-token-1"
    assert data == {"publish_id": "v_pub_file~v2-1.7000000000000000001", "upload_url": url}
    sent = scrub.request(put(f"{UPLOAD_HOST}?upload_id=8412581418884590691&upload_token=djRDiMGOXjvXUI8An_KGEyKSOoBI5FeF",
                             b"chunk!"))
    assert sent is not None and sent.uri == url
    status = scrub.request(Request("POST", "http://127.0.0.1:54321/v2/post/publish/status/fetch/",
                                   b'{"publish_id": "v_pub_file~v2-1.7493784938978805793"}', {"Content-Type": "application/json"}))
    assert status is not None and json.loads(status.body) == {"publish_id": "v_pub_file~v2-1.7000000000000000001"}
    assert Scrubber().request(copy.deepcopy(sent)).uri == url  # a replay sends what the cassette said: unchanged


def test_post_ids_are_canonical_numbers_and_ids_can_be_kept() -> None:
    body = {"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7493784938978805793],
                     "uploaded_bytes": 10}}
    canonical = json.loads(Scrubber().response(answer(body))["body"]["string"])["data"]
    assert canonical["publicaly_available_post_id"] == [7000000000000000001] and canonical["uploaded_bytes"] == 10
    kept = json.loads(Scrubber(canonical_ids=False).response(answer(body))["body"]["string"])["data"]
    assert kept["publicaly_available_post_id"] == [7493784938978805793]
    given = Scrubber().request(Request("POST", "https://open.tiktokapis.com/v2/post/publish/status/fetch/",
                                       b'{"publish_id": "v_inbox_file~v2.7123456789012345678"}',
                                       {"Content-Type": "application/json; charset=UTF-8"}))
    assert given is not None and json.loads(given.body)["publish_id"] == "v_inbox_file~v2.7000000000000100001"


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
