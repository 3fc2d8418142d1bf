"""pytok_sm._posting_wire: every posting request, and every parser against documented and
hostile answers. The body decides, not the status; an upload goes only where https points."""

from __future__ import annotations

import json
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm import _contract as contract
from pytok_sm._config import Config
from pytok_sm._errors import (
    AccessTokenInvalid,
    ApiError,
    ConfigurationError,
    OAuthError,
    ProtocolError,
    RateLimited,
    ScopeError,
    TikTokError,
)
from pytok_sm._http import FileSlice, Response
from pytok_sm._posting_errors import (
    CreatorCapReached,
    MediaError,
    PostingError,
    PostingSpamRisk,
    PostSettingsError,
    PrivacyLevelError,
)
from pytok_sm._posting_rules import ChunkPlan, plan_chunks
from pytok_sm._posting_values import (
    UNCONFIRMED,
    CreatorInfo,
    InitAnswer,
    PostProgress,
    PostResult,
    PublishStatus,
    UploadAnswer,
)
from pytok_sm._posting_wire import (
    cancel_request,
    check_publish_id,
    creator_info_request,
    parse_cancel,
    parse_content_range,
    parse_creator_info,
    parse_init,
    parse_status,
    parse_upload,
    photo_init_request,
    status_request,
    upload_request,
    video_init_request,
)
from pytok_sm._retry import Outcome, RequestKind, outcome_of
from pytok_sm._secrets import REGISTRY
from pytok_sm._tiktok import api_error, parse_user_info

from .conftest import CLIENT_KEY, CLIENT_SECRET

API = "https://open.tiktokapis.com/v2/post/publish/"
TOKEN = "act.posting-token-0001"
PUBLISH_ID = "v_pub_file~v2-1.7493784938978805793"
UPLOAD_URL = "https://open-upload.tiktokapis.com/video/?upload_id=67890&upload_token=Xza123"
CANARY = "CANARY-posting-5e1d"


def cfg() -> Config:
    return Config(CLIENT_KEY, CLIENT_SECRET)


def resp(status: int, body: bytes | dict[str, Any] | str = b"", **headers: str) -> Response:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return Response(status, {k.replace("_", "-"): v for k, v in headers.items()}, body)


def ok(data: object) -> dict[str, Any]:
    return {"data": data, "error": {"code": "ok", "message": "", "log_id": "LOG-OK"}}


def failure(code: str, message: str = "", log_id: str = "LOG-E") -> dict[str, Any]:
    return {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}}


CREATOR: dict[str, Any] = {  # the documented example answer
    "creator_avatar_url": "https://lf16-tt4d.tiktokcdn.com/obj/tiktok-open-platform/8d5740ac3844be417beeacd0df75aef1",
    "creator_nickname": "Tik Toker",
    "creator_username": "tiktok",
    "stitch_disabled": False,
    "comment_disabled": True,
    "duet_disabled": False,
    "max_video_post_duration_sec": 300,
    "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
}


# --------------------------------------------------------------------------- requests


def check_json_request(request: Any, url: str, kind: RequestKind) -> dict[str, Any]:
    assert (request.method, request.url, request.kind) == ("POST", url, kind)
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert not request.form and request.upload is None
    assert TOKEN not in repr(request)
    body = request.encoded_body()
    assert body is not None
    decoded: dict[str, Any] = json.loads(body)
    assert decoded == request.json
    return decoded


def test_creator_info_request() -> None:
    request = creator_info_request(cfg(), TOKEN)
    assert check_json_request(request, API + "creator_info/query/", RequestKind.CREATOR_INFO) == {}


def test_direct_video_init_request_carries_post_info_and_source_info() -> None:
    post_info = {"privacy_level": "SELF_ONLY", "title": "Zoë 🎬", "disable_comment": True}
    source = plan_chunks(50_000_123, 10_000_000).to_source_info()
    request = video_init_request(cfg(), TOKEN, inbox=False, post_info=post_info, source_info=source)
    body = check_json_request(request, API + "video/init/", RequestKind.POST_INIT)
    assert body == {"post_info": post_info, "source_info": {"source": "FILE_UPLOAD", "video_size": 50_000_123,
                                                            "chunk_size": 10_000_000, "total_chunk_count": 5}}
    assert "Zoë 🎬".encode() in (request.encoded_body() or b"")  # UTF-8, as the Content-Type says


def test_inbox_video_init_request_carries_source_info_only() -> None:
    source = {"source": "PULL_FROM_URL", "video_url": "https://cdn.example/v.mp4"}
    empty: list[dict[str, Any] | None] = [None, {}]
    for post_info in empty:
        request = video_init_request(cfg(), TOKEN, inbox=True, post_info=post_info, source_info=source)
        assert check_json_request(request, API + "inbox/video/init/", RequestKind.POST_INIT) == {"source_info": source}
    with pytest.raises(ConfigurationError):
        video_init_request(cfg(), TOKEN, inbox=True, post_info={"privacy_level": "SELF_ONLY"}, source_info=source)


@pytest.mark.parametrize(
    ("post_info", "source_info"),
    [(None, {"source": "FILE_UPLOAD"}), ({"title": "no privacy"}, {"source": "FILE_UPLOAD"}),
     ({"privacy_level": "SELF_ONLY"}, {"source": "SOMEWHERE"}), ({"privacy_level": "SELF_ONLY"}, {})],
)
def test_a_direct_init_without_privacy_or_a_known_source_is_refused(post_info: Any, source_info: Any) -> None:
    with pytest.raises(ConfigurationError):
        video_init_request(cfg(), TOKEN, inbox=False, post_info=post_info, source_info=source_info)


@pytest.mark.parametrize(("direct", "mode"), [(True, "DIRECT_POST"), (False, "MEDIA_UPLOAD")])
def test_photo_init_request(direct: bool, mode: str) -> None:
    source = {"source": "PULL_FROM_URL", "photo_images": ["https://cdn.example/1.jpg"], "photo_cover_index": 0}
    post_info = {"privacy_level": "SELF_ONLY", "title": "t"} if direct else {"title": "t"}
    request = photo_init_request(cfg(), TOKEN, direct=direct, post_info=post_info, source_info=source)
    body = check_json_request(request, API + "content/init/", RequestKind.POST_INIT)
    assert body == {"post_info": post_info, "source_info": source, "post_mode": mode, "media_type": "PHOTO"}
    if direct:
        with pytest.raises(ConfigurationError):
            photo_init_request(cfg(), TOKEN, direct=True, post_info={"title": "t"}, source_info=source)
    else:
        inbox = photo_init_request(cfg(), TOKEN, direct=False, post_info=None, source_info=source)
        assert inbox.json is not None and inbox.json["post_info"] == {}


@pytest.mark.parametrize(("build", "path", "kind"), [(status_request, "status/fetch/", RequestKind.PUBLISH_STATUS),
                                                     (cancel_request, "cancel/", RequestKind.CANCEL_POST)])
def test_status_and_cancel_requests(build: Any, path: str, kind: RequestKind) -> None:
    request = build(cfg(), TOKEN, PUBLISH_ID)
    assert check_json_request(request, API + path, kind) == {"publish_id": PUBLISH_ID}
    for bad in ("", "a b", "x" * 65, "id\n", None, 7):
        with pytest.raises(PostingError) as caught:
            build(cfg(), TOKEN, bad)
        assert caught.value.code == "invalid_publish_id"


def test_check_publish_id_accepts_every_documented_shape() -> None:
    for shape in ("v_pub_file~v2-1.123456789", "v_pub_url~v2.123", "v_inbox_file~v2.1", "v_inbox_url~v2.9",
                  "p_pub_url~v2.5", "x" * 64):
        assert check_publish_id(shape) == shape


def test_requests_follow_a_configured_base_url() -> None:
    config = Config(CLIENT_KEY, CLIENT_SECRET, base_api_url="http://127.0.0.1:8000/v2/")
    assert creator_info_request(config, TOKEN).url == "http://127.0.0.1:8000/v2/post/publish/creator_info/query/"


def test_upload_request_is_a_put_of_one_file_slice_to_the_whole_url() -> None:
    url = "https://x/upload/?upload_id=1&upload_token=t"
    plan = plan_chunks(50_000_123, 10_000_000)
    request = upload_request(url, plan, 4, path="/videos/a.mp4", mtime_ns=123, content_type="video/quicktime")
    assert (request.method, request.url, request.kind) == ("PUT", url, RequestKind.UPLOAD_CHUNK)
    assert dict(request.headers) == {"Content-Type": "video/quicktime", "Content-Range": "bytes 40000000-50000122/50000123"}
    assert request.upload == FileSlice("/videos/a.mp4", 40_000_000, 10_000_123, file_size=50_000_123, mtime_ns=123)
    assert "upload_token" not in repr(request) and "Authorization" not in request.headers
    first = upload_request(url, plan, 0, path="/videos/a.mp4", mtime_ns=123, content_type="video/mp4")
    assert first.upload is not None and (first.upload.offset, first.upload.length) == (0, 10_000_000)
    with pytest.raises(IndexError):
        upload_request(url, plan, 5, path="/videos/a.mp4", mtime_ns=123, content_type="video/mp4")


@pytest.mark.parametrize("url", ["http://evil.example/", "file:///etc/passwd", "ftp://x/up", "https://u:p@x/up",
                                 "http://10.0.0.1/upload", "gopher://x", "", "//x/up", "https://x/up\r\nHost: evil"])
def test_an_upload_goes_nowhere_but_https(url: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        upload_request(url, ChunkPlan(10, 10, 1), 0, path="/v.mp4", mtime_ns=1, content_type="video/mp4")
    assert "nothing was sent" in str(caught.value) and (not url or url not in str(caught.value))


def test_a_loopback_upload_url_is_fine_for_the_sandbox() -> None:
    request = upload_request("http://127.0.0.1:5000/upload/?t=1", ChunkPlan(10, 10, 1), 0, path="/v.mp4",
                             mtime_ns=1, content_type="video/webm")
    assert request.url == "http://127.0.0.1:5000/upload/?t=1"


def test_an_upload_content_type_must_be_a_video_type() -> None:
    with pytest.raises(MediaError) as caught:
        upload_request(UPLOAD_URL, ChunkPlan(10, 10, 1), 0, path="/v.mp4", mtime_ns=1, content_type="text/html")
    assert caught.value.rule == "content_type"


# --------------------------------------------------------------------------- creator_info


def test_parse_creator_info_of_the_documented_answer() -> None:
    info = parse_creator_info(resp(200, ok(CREATOR)))
    assert info == CreatorInfo(CREATOR["creator_avatar_url"], "tiktok", "Tik Toker",
                               ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"), True, False, False, 300)


@pytest.mark.parametrize(("code", "cls"), [("spam_risk_too_many_posts", PostingSpamRisk),
                                           ("spam_risk_user_banned_from_posting", PostingSpamRisk),
                                           ("reached_active_user_cap", CreatorCapReached)])
def test_cannot_post_now_comes_with_http_200_and_is_its_posting_error(code: str, cls: type[PostingError]) -> None:
    with pytest.raises(cls) as caught:
        parse_creator_info(resp(200, {"data": CREATOR, "error": {"code": code, "message": "m", "log_id": "L9"}}))
    error = caught.value
    assert (error.code, error.http_status, error.log_id, error.rule) == (code, 200, "L9", None)
    assert not error.transient and outcome_of(200, error) is None


def test_creator_info_keeps_unknown_privacy_levels_and_drops_duplicates() -> None:
    answer = dict(CREATOR, privacy_level_options=["SELF_ONLY", "FRIENDS_2030", "SELF_ONLY"])
    assert parse_creator_info(resp(200, ok(answer))).privacy_level_options == ("SELF_ONLY", "FRIENDS_2030")


def test_creator_info_fills_what_may_be_missing_safely() -> None:
    answer = {"privacy_level_options": ["SELF_ONLY"], "some_new_field": {"x": 1}}
    info = parse_creator_info(resp(200, ok(answer)))
    assert (info.creator_nickname, info.max_video_post_duration_sec) == (None, None)
    assert info.comment_disabled and info.duet_disabled and info.stitch_disabled  # not said: treated as off


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"privacy_level_options": None}, id="options-missing"),
        pytest.param({"privacy_level_options": "SELF_ONLY"}, id="options-a-string"),
        pytest.param({"privacy_level_options": [1, 2]}, id="options-numbers"),
        pytest.param({"privacy_level_options": ["SELF ONLY"]}, id="options-with-space"),
        pytest.param({"privacy_level_options": ["X"] * 33}, id="options-too-many"),
        pytest.param({"comment_disabled": "false"}, id="flag-a-string"),
        pytest.param({"duet_disabled": 0}, id="flag-a-number"),
        pytest.param({"max_video_post_duration_sec": "300"}, id="duration-a-string"),
        pytest.param({"max_video_post_duration_sec": 300.5}, id="duration-a-float"),
        pytest.param({"max_video_post_duration_sec": -1}, id="duration-negative"),
        pytest.param({"max_video_post_duration_sec": 10**30}, id="duration-huge"),
        pytest.param({"max_video_post_duration_sec": True}, id="duration-a-bool"),
        pytest.param({"creator_nickname": 12}, id="nickname-a-number"),
        pytest.param({"creator_username": ["a"]}, id="username-a-list"),
    ],
)
def test_creator_info_with_odd_fields_is_a_protocol_error(changes: dict[str, Any]) -> None:
    answer = {k: v for k, v in {**CREATOR, **changes}.items() if v is not None}
    with pytest.raises(ProtocolError):
        parse_creator_info(resp(200, ok(answer)))


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(resp(200, f"<html>{CANARY}</html>"), id="html"),
        pytest.param(resp(502, f"<html>{CANARY}</html>"), id="html-502"),
        pytest.param(resp(200, f'["{CANARY}"]'), id="array"),
        pytest.param(resp(200, {"data": [CANARY], "error": {"code": "ok"}}), id="data-array"),
        pytest.param(resp(200, {"data": CREATOR}), id="no-error-object"),
        pytest.param(resp(200, {"data": CREATOR, "error": [CANARY]}), id="error-array"),
        pytest.param(resp(200, {"error": {"code": "ok"}}), id="no-data"),
    ],
)
def test_creator_info_unreadable_answers_are_protocol_errors_without_the_body(response: Response) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_creator_info(response)
    assert CANARY not in str(caught.value)


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("access_token_invalid", 401, AccessTokenInvalid),
        ("scope_not_authorized", 401, ScopeError),
        ("scope_permission_missed", 400, ScopeError),
        ("rate_limit_exceeded", 429, RateLimited),
        ("unaudited_client_can_only_post_to_private_accounts", 403, PrivacyLevelError),
        ("privacy_level_option_mismatch", 403, PrivacyLevelError),
        ("url_ownership_unverified", 403, PostingError),
        ("spam_risk_too_many_pending_share", 403, PostingSpamRisk),
        ("spam_risk_too_many_posts", 403, PostingSpamRisk),
        ("reached_active_user_cap", 403, CreatorCapReached),
        ("app_version_check_failed", 400, PostingError),
        ("invalid_file_upload", 400, MediaError),
        ("a_code_from_2030", 400, PostingError),
    ],
)
def test_init_errors_are_typed(code: str, status: int, cls: type[TikTokError]) -> None:
    with pytest.raises(cls) as caught:
        parse_init(resp(status, failure(code, "m")), file_upload=True)
    assert type(caught.value) is cls
    assert getattr(caught.value, "code", None) == code


@pytest.mark.parametrize("code", ["invalid_param", "invalid_params"])
@pytest.mark.parametrize(
    ("message", "cls"),
    [("The chunk size is invalid", MediaError), ("video_size is too large", MediaError),
     ("The title is too long", PostSettingsError), ("", PostSettingsError)],
)
def test_invalid_param_in_both_spellings(code: str, message: str, cls: type[PostingError]) -> None:
    with pytest.raises(cls) as caught:
        parse_init(resp(400, failure(code, message)), file_upload=True)
    assert type(caught.value) is cls and caught.value.code == code and caught.value.rule is None
    with pytest.raises(ApiError) as plain:  # elsewhere it stays a plain ApiError
        parse_user_info(resp(400, failure(code, message)))
    assert type(plain.value) is ApiError


def test_an_internal_error_stays_a_transient_api_error_on_the_posting_endpoints() -> None:
    with pytest.raises(ApiError) as caught:
        parse_init(resp(500, failure("internal_error")), file_upload=True)
    assert type(caught.value) is ApiError and caught.value.transient
    assert outcome_of(500, caught.value) is Outcome.SERVER_ERROR


def test_status_errors_name_the_post() -> None:
    for code in ("invalid_publish_id", "token_not_authorized_for_specified_publish_id"):
        with pytest.raises(PostingError) as caught:
            parse_status(resp(400, failure(code)), PUBLISH_ID)
        assert caught.value.publish_id == PUBLISH_ID and caught.value.code == code


def test_api_error_keeps_a_huge_message_short() -> None:
    error = api_error({"code": "x", "message": CANARY * 10_000}, resp(400, b"{}"), posting=True)
    assert len(str(error)) < 1000


def test_a_flat_oauth_error_on_a_posting_endpoint_is_an_oauth_error() -> None:
    with pytest.raises(OAuthError):
        parse_init(resp(401, {"error": "invalid_request", "error_description": "d"}), file_upload=False)


def test_an_empty_429_is_rate_limited() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_status(resp(429, b"", retry_after="3"), PUBLISH_ID)
    assert caught.value.retry_after == 3.0


def test_parser_errors_keep_no_frame_holding_the_answer() -> None:
    try:
        parse_creator_info(resp(200, failure("spam_risk_too_many_posts")))
    except PostingError as error:
        names = [frame.name for frame in traceback.extract_tb(error.__traceback__)]
    assert "read_envelope" not in names and "parse_creator_info" not in names


# --------------------------------------------------------------------------- init


def test_parse_init_of_a_file_upload() -> None:
    answer = parse_init(resp(200, ok({"publish_id": PUBLISH_ID, "upload_url": UPLOAD_URL})), file_upload=True)
    assert answer == InitAnswer(PUBLISH_ID, UPLOAD_URL)
    assert "Xza123" not in repr(answer) and "upload_token" not in repr(answer)
    assert "upload_id=67890&upload_token=Xza123" in REGISTRY.snapshot()  # masked in logs while it lives


def test_parse_init_of_a_url_pull_needs_no_upload_url() -> None:
    assert parse_init(resp(200, ok({"publish_id": "v_pub_url~v2.1"})), file_upload=False) == InitAnswer(
        "v_pub_url~v2.1", None)
    assert parse_init(resp(200, ok({"publish_id": "p", "upload_url": "http://evil/"})), file_upload=False).upload_url \
        is None


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"upload_url": UPLOAD_URL}, id="no-publish-id"),
        pytest.param({"publish_id": "", "upload_url": UPLOAD_URL}, id="empty-publish-id"),
        pytest.param({"publish_id": "x" * 65, "upload_url": UPLOAD_URL}, id="long-publish-id"),
        pytest.param({"publish_id": "a\nb", "upload_url": UPLOAD_URL}, id="control-in-publish-id"),
        pytest.param({"publish_id": 12345, "upload_url": UPLOAD_URL}, id="numeric-publish-id"),
        pytest.param({"publish_id": PUBLISH_ID}, id="no-upload-url"),
        pytest.param({"publish_id": PUBLISH_ID, "upload_url": None}, id="null-upload-url"),
        pytest.param({"publish_id": PUBLISH_ID, "upload_url": ["https://x/"]}, id="upload-url-a-list"),
        pytest.param({"publish_id": PUBLISH_ID, "upload_url": "http://evil.example/"}, id="plain-http"),
        pytest.param({"publish_id": PUBLISH_ID, "upload_url": "file:///etc/passwd"}, id="file-url"),
        pytest.param({"publish_id": PUBLISH_ID, "upload_url": "https://x/" + "a" * 5000}, id="huge-url"),
    ],
)
def test_parse_init_refuses_odd_answers(data: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_init(resp(200, ok(data)), file_upload=True)
    assert "evil" not in str(caught.value) and "passwd" not in str(caught.value)


# --------------------------------------------------------------------------- status


def test_parse_status_values() -> None:
    done = parse_status(resp(200, ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7493784938978805793],
                                      "uploaded_bytes": 50_000_123})), PUBLISH_ID)
    assert done == PublishStatus(PUBLISH_ID, "PUBLISH_COMPLETE", None, ("7493784938978805793",), 50_000_123, None)
    assert done.terminal and not done.failed
    failed = parse_status(resp(200, ok({"status": "FAILED", "fail_reason": "file_format_check_failed"})), PUBLISH_ID)
    assert failed.failed and failed.fail_reason == "file_format_check_failed"
    pulling = parse_status(resp(200, ok({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 10})), PUBLISH_ID)
    assert not pulling.terminal and pulling.downloaded_bytes == 10


def test_post_ids_from_both_spellings_as_strings() -> None:
    data = {"status": "SEND_TO_USER_INBOX", "publicaly_available_post_id": [1, "22"],
            "publicly_available_post_id": ["22", 333]}
    assert parse_status(resp(200, ok(data)), PUBLISH_ID).post_ids == ("1", "22", "333")
    big = 2**63 - 1
    assert parse_status(resp(200, ok({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [big]})),
                        PUBLISH_ID).post_ids == (str(big),)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no-status"),
        pytest.param({"status": "DONE"}, id="unknown-status"),
        pytest.param({"status": "publish_complete"}, id="lower-case-status"),
        pytest.param({"status": 3}, id="numeric-status"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": "123"}, id="ids-a-string"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [1.5]}, id="ids-floats"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [True]}, id="ids-bools"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [-1]}, id="ids-negative"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [10**30]}, id="ids-huge"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ["12a"]}, id="ids-not-digits"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": ["١٢"]}, id="ids-arabic-digits"),
        pytest.param({"status": "PUBLISH_COMPLETE", "publicly_available_post_id": [{}]}, id="ids-objects"),
    ],
)
def test_parse_status_refuses_odd_answers(data: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_status(resp(200, ok(data)), PUBLISH_ID)


def test_informative_fields_of_odd_type_are_dropped() -> None:
    data = {"status": "FAILED", "fail_reason": {"x": 1}, "uploaded_bytes": "10", "downloaded_bytes": -4}
    status = parse_status(resp(200, ok(data)), PUBLISH_ID)
    assert (status.fail_reason, status.uploaded_bytes, status.downloaded_bytes) == (None, None, None)
    assert status.failed  # FAILED still reaches the flow


# --------------------------------------------------------------------------- cancel


def test_parse_cancel() -> None:
    assert parse_cancel(resp(200, ok({}))) is None
    assert parse_cancel(resp(200, {"error": {"code": "ok", "message": "", "log_id": "L"}})) is None
    with pytest.raises(PostingError) as caught:
        parse_cancel(resp(400, failure("publish_not_cancellable")))
    assert "too far along" in str(caught.value)


# --------------------------------------------------------------------------- upload


@pytest.mark.parametrize(
    ("status", "header", "held", "total"),
    [
        (206, "bytes 0-9999999/50000123", 10_000_000, 50_000_123),
        (201, "bytes 0-50000122/50000123", 50_000_123, 50_000_123),
        (416, "bytes 0-19999999/50000123", 20_000_000, 50_000_123),
        (403, None, None, None),
        (404, None, None, None),
        (206, "bytes */50000123", 0, 50_000_123),
        (206, "BYTES 0-9/10", 10, 10),
        (206, " bytes 0-9/* ", 10, None),
    ],
)
def test_upload_answers_are_values(status: int, header: str | None, held: int | None, total: int | None) -> None:
    headers = {"Content-Range": header} if header else {}
    assert parse_upload(Response(status, headers, b"")) == UploadAnswer(status, held, total)


@pytest.mark.parametrize("header", ["bytes 0-10/10", "bytes 0-20/10", "bytes 5-9/10", "bytes -1-9/10", "bytes 0--1/10",
                                    "bytes 0-9/0", "bytes 0-9/-10", "bytes 0-a/10", "bytes ０-9/10", "bytes=0-9/10",
                                    "0-9/10", "bytes 0-9", "", "bytes */*", "bytes 0-9/10, bytes 0-9/10",
                                    f"bytes 0-{10**20}/{10**21}", f"bytes 0-{2**50}/{2**50 + 1}", "bytes 0-9/10\x00"])
def test_a_malformed_content_range_is_never_trusted(header: str) -> None:
    assert parse_content_range(header) == (None, None)
    assert parse_upload(Response(206, {"content-range": header}, b"")) == UploadAnswer(206, None, None)


def test_upload_400_is_a_media_error() -> None:
    with pytest.raises(MediaError) as caught:
        parse_upload(resp(400, f"<html>{CANARY}</html>"))
    assert (caught.value.code, caught.value.http_status) == ("invalid_file_upload", 400) and CANARY not in str(caught.value)
    with pytest.raises(MediaError) as caught:
        parse_upload(resp(400, failure("invalid_params", CANARY, "L4")))
    assert (caught.value.code, caught.value.log_id) == ("invalid_params", "L4")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_upload_5xx_is_transient(status: int) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_upload(resp(status, f"<html>{CANARY}</html>"))
    assert caught.value.transient and outcome_of(status, caught.value) is not None


def test_upload_429_is_rate_limited() -> None:
    with pytest.raises(RateLimited) as caught:
        parse_upload(resp(429, b"", retry_after="4"))
    assert caught.value.retry_after == 4.0


@pytest.mark.parametrize("status", [200, 204, 301, 302, 401, 409, 418])
def test_other_upload_statuses_are_protocol_errors(status: int) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_upload(resp(status, b"{}"))
    assert not caught.value.transient


# --------------------------------------------------------------------------- any answer at all

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.text(max_size=8), kids, max_size=4), max_leaves=12)
keys = st.sampled_from(["publish_id", "upload_url", "status", "fail_reason", "publicaly_available_post_id",
                        "publicly_available_post_id", "privacy_level_options", "comment_disabled",
                        "max_video_post_duration_sec", "creator_nickname", "uploaded_bytes"])
datas = st.dictionaries(keys, json_values, max_size=6)
codes = st.sampled_from(sorted({*contract.API_ERROR_STATUS, "invalid_param"})) | json_scalars
bodies = (st.binary(max_size=200)
          | st.builds(lambda d, c: json.dumps({"data": d, "error": {"code": c, "message": "m"}}).encode(), datas, codes)
          | st.builds(lambda d: json.dumps(ok(d)).encode(), datas))
parsers = st.sampled_from([parse_creator_info, lambda r: parse_init(r, file_upload=True),
                           lambda r: parse_init(r, file_upload=False), lambda r: parse_status(r, PUBLISH_ID),
                           parse_cancel, parse_upload])


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parse=parsers, status=st.sampled_from([200, 201, 206, 400, 401, 403, 404, 416, 429, 500, 503]), body=bodies,
       content_range=st.none() | st.text(max_size=30))
def test_posting_parsers_return_a_value_or_raise_a_tiktok_error_only(parse: Any, status: int, body: bytes,
                                                                      content_range: str | None) -> None:
    headers = {"Content-Range": content_range} if content_range is not None else {}
    try:
        value = parse(Response(status, headers, body))
    except TikTokError as error:
        if len(body) >= 12 and body.strip():
            assert body.decode("utf-8", "replace") not in str(error)
        return
    if isinstance(value, UploadAnswer) and value.held is not None and value.total is not None:
        assert 0 <= value.held <= value.total


# --------------------------------------------------------------------------- the values


def test_creator_info_round_trips_through_a_dict() -> None:
    info = parse_creator_info(resp(200, ok(CREATOR)))
    assert CreatorInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"comment_disabled": "false"}, id="flag-a-string"),
        pytest.param({"duet_disabled": 0}, id="flag-a-number"),
        pytest.param({"creator_nickname": 5}, id="nickname-a-number"),
        pytest.param({"privacy_level_options": "SELF_ONLY"}, id="options-a-string"),
        pytest.param({"privacy_level_options": [None]}, id="options-none"),
        pytest.param({"max_video_post_duration_sec": True}, id="limit-a-bool"),
        pytest.param({"max_video_post_duration_sec": -1}, id="limit-negative"),
        pytest.param({"max_video_post_duration_sec": 1.5}, id="limit-a-float"),
        pytest.param({"surprise": 1}, id="unknown-key"),
    ],
)
def test_creator_info_from_dict_refuses_anything_odd(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="creator info"):
        CreatorInfo.from_dict({**CREATOR, **changes})
    incomplete = dict(CREATOR)
    del incomplete["stitch_disabled"]
    with pytest.raises(ValueError, match="stitch_disabled"):
        CreatorInfo.from_dict(incomplete)
    with pytest.raises(ValueError):
        CreatorInfo.from_dict([("a", 1)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "terminal", "confirmed"),
    [("PROCESSING_UPLOAD", False, False), ("PROCESSING_DOWNLOAD", False, False), ("SEND_TO_USER_INBOX", True, True),
     ("PUBLISH_COMPLETE", True, True), ("FAILED", True, False), (UNCONFIRMED, False, False)],
)
def test_terminal_and_confirmed(status: str, terminal: bool, confirmed: bool) -> None:
    assert PublishStatus(PUBLISH_ID, status).terminal is terminal
    assert PublishStatus(PUBLISH_ID, status).failed is (status == "FAILED")
    result = PostResult(PUBLISH_ID, status)
    assert result.confirmed is confirmed and (result.media, result.mode, result.post_ids) == ("video", "direct", ())


def test_init_answer_repr_hides_the_upload_urls_query() -> None:
    answer = InitAnswer(PUBLISH_ID, UPLOAD_URL)
    assert "Xza123" not in repr(answer) and "67890" not in repr(answer)
    assert "open-upload.tiktokapis.com/video/" in repr(answer) and answer.upload_url == UPLOAD_URL
    assert repr(InitAnswer(PUBLISH_ID)) == f"InitAnswer(publish_id={PUBLISH_ID!r}, upload_url=None)"


def test_progress_is_a_plain_value() -> None:
    progress = PostProgress("uploading", PUBLISH_ID, 10_000_000, 50_000_123, 1, 5, None)
    assert (progress.chunk, progress.chunks) == (1, 5)
