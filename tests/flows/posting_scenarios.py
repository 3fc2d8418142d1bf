"""Scenarios that take every edge of the posting tables (video, photos, status, creator, cancel).

Each feeds canned TikTok answers to a flow; :mod:`tests.flows.test_machines` plays them with
the login flows' scenarios and checks every edge of every table is taken.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pytok_sm import _errors as errors
from pytok_sm import _posting_errors as posting
from pytok_sm._config import Config
from pytok_sm.flows import (
    CancelPostFlow,
    CreatorInfoFlow,
    Flow,
    MediaChanged,
    PhotoPostFlow,
    PublishStatusFlow,
    Slept,
    TokenRenewed,
    TransportFailure,
    VideoPostFlow,
)
from pytok_sm.testing import FakeClock

from .canned import Scenario, answer, html_error, rate_limited

CONFIG = Config("aw_key", "aw_secret", port=0, redirect_uri="http://127.0.0.1:*/callback/")
SIZE, CHUNK = 25_000_000, 10_000_000  # two chunks: 0-9999999 and 10000000-24999999 (the remainder merged)
VIDEO = SimpleNamespace(path="/videos/v.mp4", size=SIZE, mtime_ns=1, content_type="video/mp4", duration=12.0)
UPLOAD_URL = "https://open-upload.tiktokapis.com/video/?upload_id=1&upload_token=tok"
PUBLISH_ID = "v_pub_file~v2-1.123"


def ok(data: dict[str, Any]) -> Any:
    return answer({"data": data, "error": {"code": "ok", "message": "", "log_id": "L1"}})


def api_error(code: str, status: int, message: str = "") -> Any:
    return answer({"data": {}, "error": {"code": code, "message": message, "log_id": "L2"}}, status)


CREATOR = ok({"creator_avatar_url": "https://p16.example/a.jpg", "creator_username": "ann", "creator_nickname": "Ann",
              "privacy_level_options": ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
              "comment_disabled": False, "duet_disabled": False, "stitch_disabled": False,
              "max_video_post_duration_sec": 600})
PRIVATE_CREATOR = ok({"creator_nickname": "Bo", "creator_username": "bo",
                      "privacy_level_options": ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS"],
                      "comment_disabled": False, "duet_disabled": False, "stitch_disabled": False,
                      "max_video_post_duration_sec": 600})
INIT = ok({"publish_id": PUBLISH_ID, "upload_url": UPLOAD_URL})
PULL_INIT = ok({"publish_id": "v_pub_url~v2.9"})
PHOTO_INIT = ok({"publish_id": "p_pub_url~v2.5"})
TOKEN_INVALID = api_error("access_token_invalid", 401, "The access token is invalid or not found in the request.")
SPAM_200 = api_error("spam_risk_too_many_posts", 200, "Too many posts today")
SPAM_403 = api_error("spam_risk_too_many_posts", 403, "Too many posts today")
MISMATCH = api_error("privacy_level_option_mismatch", 403, "privacy_level is not among the options")
INVALID = api_error("invalid_params", 400, "The chunk size is invalid")
NO_SUCH_POST = api_error("invalid_publish_id", 400, "Invalid publish_id")


def status(name: str, **extra: Any) -> Any:
    return ok({"status": name, **extra})


def upload(code: int, held: int | None) -> Any:
    headers = {} if held is None else {"content-range": f"bytes 0-{held - 1}/{SIZE}" if held else f"bytes */{SIZE}"}
    return answer(b"", code, **headers)


PROCESSING = status("PROCESSING_UPLOAD", uploaded_bytes=SIZE)
COMPLETE = status("PUBLISH_COMPLETE", publicaly_available_post_id=[7303453452])
UPLOADED = [upload(206, CHUNK), upload(201, SIZE)]


def direct(clock: FakeClock, **options: Any) -> Flow:
    return VideoPostFlow(CONFIG, access_token="act.1", video=VIDEO, privacy_level="SELF_ONLY", title="Hi #fyp",
                         chunk_size=CHUNK, clock=clock, **options)


def inbox(clock: FakeClock) -> Flow:
    return VideoPostFlow(CONFIG, access_token="act.1", video=VIDEO, mode="inbox", chunk_size=CHUNK, clock=clock)


def pull(clock: FakeClock) -> Flow:
    return VideoPostFlow(CONFIG, access_token="act.1", video_url="https://media.example.com/v.mp4",
                         privacy_level="SELF_ONLY", clock=clock)


def brief(clock: FakeClock) -> Flow:
    return direct(clock, processing_timeout=5.0)


def photos(clock: FakeClock, mode: str = "direct") -> Flow:
    return PhotoPostFlow(CONFIG, access_token="act.1", urls=["https://media.example.com/1.jpg"],
                         privacy_level="SELF_ONLY" if mode == "direct" else None, mode=mode, clock=clock,
                         processing_timeout=5.0)


def photos_inbox(clock: FakeClock) -> Flow:
    return photos(clock, "inbox")


def follow(clock: FakeClock) -> Flow:
    return PublishStatusFlow(CONFIG, access_token="act.1", publish_id=PUBLISH_ID, clock=clock, processing_timeout=5.0)


def creator(clock: FakeClock) -> Flow:
    return CreatorInfoFlow(CONFIG, access_token="act.1", clock=clock)


def withdraw(clock: FakeClock) -> Flow:
    return CancelPostFlow(CONFIG, access_token="act.1", publish_id=PUBLISH_ID, clock=clock)


RENEWED = TokenRenewed("act.2")
CANCELLED = errors.FlowCancelled

POSTING_SCENARIOS = [
    # post_video
    Scenario("post_video: direct, two chunks, published", direct,
             [CREATOR, INIT, *UPLOADED, PROCESSING, Slept(), COMPLETE], "published"),
    Scenario("post_video: inbox, sent to the inbox", inbox,
             [INIT, *UPLOADED, status("SEND_TO_USER_INBOX")], "sent_to_inbox"),
    Scenario("post_video: from a URL, fails at TikTok", pull,
             [CREATOR, PULL_INIT, status("FAILED", fail_reason="video_pull_failed")], "failed", posting.PostFailed),
    Scenario("post_video: creator cannot post now (HTTP 200)", direct, [SPAM_200], "blocked", posting.PostingSpamRisk),
    Scenario("post_video: the init says spam risk", direct, [CREATOR, SPAM_403], "blocked", posting.PostingSpamRisk),
    Scenario("post_video: privacy not among the creator's options", direct, [PRIVATE_CREATOR], "refused",
             posting.PrivacyLevelError),
    Scenario("post_video: the init refuses the privacy level", direct, [CREATOR, MISMATCH], "refused",
             posting.PrivacyLevelError),
    Scenario("post_video: the init's answer is lost", direct, [CREATOR, TransportFailure(sent=True)],
             "outcome_unknown", posting.PostOutcomeUnknown),
    Scenario("post_video: the init answers 502", direct, [CREATOR, html_error(502)], "outcome_unknown",
             posting.PostOutcomeUnknown),
    Scenario("post_video: 416, resynchronised from Content-Range", direct,
             [CREATOR, INIT, upload(416, CHUNK), upload(201, SIZE), COMPLETE], "published"),
    Scenario("post_video: upload URL expired, a new init", direct,
             [CREATOR, INIT, upload(206, CHUNK), upload(403, None), INIT, *UPLOADED, COMPLETE], "published"),
    Scenario("post_video: processing outlives the wait", brief,
             [CREATOR, INIT, *UPLOADED, PROCESSING, "advance:10", Slept(), PROCESSING], "unconfirmed"),
    Scenario("post_video: retries on every call", direct,
             [rate_limited("0"), Slept(), CREATOR, rate_limited("0"), Slept(), INIT, html_error(500), Slept(),
              *UPLOADED, html_error(503), Slept(), COMPLETE], "published"),
    Scenario("post_video: a token renewed at every call", direct,
             [TOKEN_INVALID, RENEWED, CREATOR, TOKEN_INVALID, RENEWED, INIT, *UPLOADED, TOKEN_INVALID, RENEWED,
              COMPLETE], "published"),
    Scenario("post_video: creator_info answers HTML", direct, [html_error(400)], "failed", errors.ProtocolError),
    Scenario("post_video: the init refuses the chunk size", direct, [CREATOR, INVALID], "failed", posting.MediaError),
    Scenario("post_video: the file changed under the upload", direct, [CREATOR, INIT, MediaChanged("resized")],
             "failed", posting.MediaError),
    Scenario("post_video: the status forgets the post", direct, [CREATOR, INIT, *UPLOADED, NO_SUCH_POST], "failed",
             posting.PostingError),
    Scenario("post_video: cancelled before start", direct, ["cancel"], "cancelled", CANCELLED),
    Scenario("post_video: cancelled checking the creator", direct, ["cancel"], "cancelled", CANCELLED),
    Scenario("post_video: cancelled initialising", direct, [CREATOR, "cancel"], "cancelled", CANCELLED),
    Scenario("post_video: cancelled uploading", direct, [CREATOR, INIT, "cancel"], "cancelled", CANCELLED),
    Scenario("post_video: cancelled processing", direct, [CREATOR, INIT, *UPLOADED, "cancel"], "cancelled", CANCELLED),
    # post_photos
    Scenario("post_photos: direct, published", photos, [CREATOR, PHOTO_INIT, PROCESSING, Slept(), COMPLETE],
             "published"),
    Scenario("post_photos: inbox", photos_inbox, [PHOTO_INIT, status("SEND_TO_USER_INBOX")], "sent_to_inbox"),
    Scenario("post_photos: creator capped", photos, [api_error("reached_active_user_cap", 200)], "blocked",
             posting.CreatorCapReached),
    Scenario("post_photos: pending shares", photos_inbox, [api_error("spam_risk_too_many_pending_share", 403)],
             "blocked", posting.PostingSpamRisk),
    Scenario("post_photos: not among the options", photos, [PRIVATE_CREATOR], "refused", posting.PrivacyLevelError),
    Scenario("post_photos: the init refuses the privacy", photos, [CREATOR, MISMATCH], "refused",
             posting.PrivacyLevelError),
    Scenario("post_photos: the init is lost", photos, [CREATOR, TransportFailure(sent=True)], "outcome_unknown",
             posting.PostOutcomeUnknown),
    Scenario("post_photos: processing outlives the wait", photos,
             [CREATOR, PHOTO_INIT, PROCESSING, "advance:10", Slept(), PROCESSING], "unconfirmed"),
    Scenario("post_photos: failed pull", photos, [CREATOR, PHOTO_INIT, status("FAILED", fail_reason="photo_pull_failed")],
             "failed", posting.PostFailed),
    Scenario("post_photos: retries and renewals", photos,
             [rate_limited("0"), Slept(), TOKEN_INVALID, RENEWED, CREATOR, rate_limited("0"), Slept(), TOKEN_INVALID,
              RENEWED, PHOTO_INIT, html_error(500), Slept(), TOKEN_INVALID, RENEWED, COMPLETE], "published"),
    Scenario("post_photos: creator_info fails", photos, [html_error(400)], "failed", errors.ProtocolError),
    Scenario("post_photos: the init fails", photos, [CREATOR, INVALID], "failed", posting.MediaError),
    Scenario("post_photos: the status fails", photos, [CREATOR, PHOTO_INIT, NO_SUCH_POST], "failed",
             posting.PostingError),
    Scenario("post_photos: cancelled before start", photos, ["cancel"], "cancelled", CANCELLED),
    Scenario("post_photos: cancelled checking", photos, ["cancel"], "cancelled", CANCELLED),
    Scenario("post_photos: cancelled initialising", photos, [CREATOR, "cancel"], "cancelled", CANCELLED),
    Scenario("post_photos: cancelled processing", photos, [CREATOR, PHOTO_INIT, "cancel"], "cancelled", CANCELLED),
    # publish_status
    Scenario("publish_status: processing, then published", follow, [PROCESSING, Slept(), COMPLETE], "published"),
    Scenario("publish_status: in the inbox", follow, [status("SEND_TO_USER_INBOX")], "sent_to_inbox"),
    Scenario("publish_status: failed at TikTok", follow, [status("FAILED", fail_reason="spam_risk_text")], "failed",
             posting.PostFailed),
    Scenario("publish_status: unconfirmed", follow, [PROCESSING, "advance:10", Slept(), PROCESSING], "unconfirmed"),
    Scenario("publish_status: retry and renewal", follow, [html_error(500), Slept(), TOKEN_INVALID, RENEWED, COMPLETE],
             "published"),
    Scenario("publish_status: no such post", follow, [NO_SUCH_POST], "failed", posting.PostingError),
    Scenario("publish_status: cancelled before start", follow, ["cancel"], "cancelled", CANCELLED),
    Scenario("publish_status: cancelled", follow, ["cancel"], "cancelled", CANCELLED),
    # creator_info
    Scenario("creator_info: received", creator, [CREATOR], "received"),
    Scenario("creator_info: 429 then received", creator, [rate_limited("0"), Slept(), CREATOR], "received"),
    Scenario("creator_info: banned (HTTP 200)", creator, [api_error("spam_risk_user_banned_from_posting", 200)],
             "blocked", posting.PostingSpamRisk),
    Scenario("creator_info: token invalid", creator, [TOKEN_INVALID], "failed", errors.AccessTokenInvalid),
    Scenario("creator_info: cancelled before start", creator, ["cancel"], "cancelled", CANCELLED),
    Scenario("creator_info: cancelled", creator, ["cancel"], "cancelled", CANCELLED),
    # cancel_post
    Scenario("cancel_post: withdrawn", withdraw, [ok({})], "withdrawn"),
    Scenario("cancel_post: reset, retried", withdraw, [TransportFailure(sent=True), Slept(), ok({})], "withdrawn"),
    Scenario("cancel_post: too far along", withdraw, [api_error("publish_not_cancellable", 400)], "failed",
             posting.PostingError),
    Scenario("cancel_post: cancelled before start", withdraw, ["cancel"], "cancelled", CANCELLED),
    Scenario("cancel_post: cancelled", withdraw, ["cancel"], "cancelled", CANCELLED),
]
