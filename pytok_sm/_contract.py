"""TikTok Open API v2: the wire contract as constants, shared by the client and the sandbox.

This module holds *facts* only (paths, field names, error values, scope rules), never code
that builds or parses a request: the client (:mod:`pytok_sm._tiktok`) and the emulator
(:mod:`pytok_sm.sandbox`) each speak the protocol with their own code, so that a mistake in
one is caught by the other. The source is ``docs/TIKTOK-API.md``.

Example:
    >>> from pytok_sm import _contract as contract
    >>> contract.TOKEN_PATH
    '/v2/oauth/token/'
    >>> contract.FIELD_SCOPES["follower_count"]
    'user.info.stats'
"""

from __future__ import annotations

from typing import Final

#: https://developers.tiktok.com/doc/login-kit-desktop
AUTHORIZATION_URL: Final = "https://www.tiktok.com/v2/auth/authorize/"
#: https://developers.tiktok.com/doc/tiktok-api-v2-introduction
BASE_API_URL: Final = "https://open.tiktokapis.com/v2/"

# Paths, relative to the host. The client joins them (minus ``/v2/``) to ``base_api_url``.
AUTHORIZE_PATH: Final = "/v2/auth/authorize/"
TOKEN_PATH: Final = "/v2/oauth/token/"
REVOKE_PATH: Final = "/v2/oauth/revoke/"
GET_QRCODE_PATH: Final = "/v2/oauth/get_qrcode/"
CHECK_QRCODE_PATH: Final = "/v2/oauth/check_qrcode/"
USER_INFO_PATH: Final = "/v2/user/info/"

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE: Final = "application/json; charset=UTF-8"

# Grant types of /v2/oauth/token/.
GRANT_AUTHORIZATION_CODE: Final = "authorization_code"
GRANT_REFRESH_TOKEN: Final = "refresh_token"
GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"

#: PKCE method name TikTok expects, although the challenge itself is lower-case hex.
CODE_CHALLENGE_METHOD: Final = "S256"
VERIFIER_MIN_LENGTH: Final = 43
VERIFIER_MAX_LENGTH: Final = 128
#: RFC 7636 section 4.1: the characters a code verifier may use.
VERIFIER_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

#: The placeholder TikTok puts in the ``client_ticket`` parameter of ``scan_qrcode_url``.
CLIENT_TICKET_PLACEHOLDER: Final = "tobefilled"
CLIENT_TICKET_MAX_ENCODED: Final = 512

# OAuth error values (flat answers: ``{"error", "error_description", "log_id"}``).
OAUTH_ERRORS: Final = frozenset(
    {
        "access_denied",
        "invalid_client",
        "invalid_grant",
        "invalid_request",
        "invalid_scope",
        "unauthorized_client",
        "unsupported_grant_type",
        "unsupported_response_type",
        "server_error",
        "temporarily_unavailable",
    }
)

# Descriptions TikTok is known to send.
DESC_MALFORMED: Final = "The request parameters are malformed."
DESC_REDIRECT_MISMATCH: Final = "Redirect_uri is not matched with the uri when requesting code."
DESC_PKCE_INVALID: Final = "Code verifier or code challenge is invalid."
DESC_CODE_EXPIRED: Final = "Authorization code is expired."

# QR code statuses of /v2/oauth/check_qrcode/.
QR_NEW: Final = "new"
QR_SCANNED: Final = "scanned"
QR_CONFIRMED: Final = "confirmed"
QR_EXPIRED: Final = "expired"
QR_UTILISED: Final = "utilised"
QR_STATUSES: Final = frozenset({QR_NEW, QR_SCANNED, QR_CONFIRMED, QR_EXPIRED, QR_UTILISED})

# Data-API error codes (envelope answers: ``{"data", "error": {"code", "message", "log_id"}}``).
API_OK: Final = "ok"
API_ACCESS_TOKEN_INVALID: Final = "access_token_invalid"
API_SCOPE_NOT_AUTHORIZED: Final = "scope_not_authorized"
API_SCOPE_PERMISSION_MISSED: Final = "scope_permission_missed"
API_INVALID_PARAMS: Final = "invalid_params"
API_INVALID_PARAM: Final = "invalid_param"  # the Content Posting docs' spelling
API_INVALID_FILE_UPLOAD: Final = "invalid_file_upload"
API_RATE_LIMIT_EXCEEDED: Final = "rate_limit_exceeded"
API_INTERNAL_ERROR: Final = "internal_error"
#: The documented HTTP status of each data-API error code.
API_ERROR_STATUS: Final = {
    API_OK: 200,
    API_ACCESS_TOKEN_INVALID: 401,
    API_SCOPE_NOT_AUTHORIZED: 401,
    API_SCOPE_PERMISSION_MISSED: 400,
    API_INVALID_PARAMS: 400,
    API_INVALID_PARAM: 400,
    API_INVALID_FILE_UPLOAD: 400,
    API_RATE_LIMIT_EXCEEDED: 429,
    API_INTERNAL_ERROR: 500,
}
MSG_ACCESS_TOKEN_INVALID: Final = "The access token is invalid or not found in the request."

# Scopes (https://developers.tiktok.com/doc/tiktok-api-scopes).
SCOPE_USER_INFO_BASIC: Final = "user.info.basic"
#: The scopes of Login Kit, the Display API and the Content Posting API: what the sandbox's
#: apps are granted and what its consent page describes.
KNOWN_SCOPES: Final = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
)
#: Every scope of TikTok's scope reference (https://developers.tiktok.com/doc/tiktok-api-scopes):
#: the client refuses any other name, which TikTok would answer with ``invalid_scope`` in the
#: browser, unless it is written with a leading ``+`` (a scope newer than this list).
DOCUMENTED_SCOPES: Final = (
    *KNOWN_SCOPES,
    "artist.certification.read",
    "artist.certification.update",
    "local.product.manage",
    "local.shop.manage",
    "local.voucher.manage",
    "portability.activity.ongoing",
    "portability.activity.single",
    "portability.all.ongoing",
    "portability.all.single",
    "portability.directmessages.ongoing",
    "portability.directmessages.single",
    "portability.postsandprofile.ongoing",
    "portability.postsandprofile.single",
    "research.adlib.basic",
    "research.data.basic",
)

#: Which scope each field of /v2/user/info/ needs.
FIELD_SCOPES: Final = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}

#: Documented sliding-window limit of /v2/user/info/ per minute.
USER_INFO_RATE_LIMIT_PER_MINUTE: Final = 600

# Token prefixes in every official example.
ACCESS_TOKEN_PREFIX: Final = "act."
REFRESH_TOKEN_PREFIX: Final = "rft."
CLIENT_TOKEN_PREFIX: Final = "clt."

# --------------------------------------------------------------------------- Content Posting
# docs/TIKTOK-API.md section 8 (https://developers.tiktok.com/doc/content-posting-api-*).
CREATOR_INFO_PATH: Final = "/v2/post/publish/creator_info/query/"
VIDEO_INIT_PATH: Final = "/v2/post/publish/video/init/"  # Direct Post (video.publish)
INBOX_VIDEO_INIT_PATH: Final = "/v2/post/publish/inbox/video/init/"  # Upload to inbox (video.upload)
CONTENT_INIT_PATH: Final = "/v2/post/publish/content/init/"  # photo posts
STATUS_FETCH_PATH: Final = "/v2/post/publish/status/fetch/"
CANCEL_PATH: Final = "/v2/post/publish/cancel/"

SCOPE_VIDEO_PUBLISH: Final = "video.publish"
SCOPE_VIDEO_UPLOAD: Final = "video.upload"

# source_info.source
SOURCE_FILE_UPLOAD: Final = "FILE_UPLOAD"
SOURCE_PULL_FROM_URL: Final = "PULL_FROM_URL"
# photo posts: media_type and post_mode
MEDIA_TYPE_PHOTO: Final = "PHOTO"
POST_MODE_DIRECT: Final = "DIRECT_POST"
POST_MODE_MEDIA_UPLOAD: Final = "MEDIA_UPLOAD"

# privacy_level values (the creator's privacy_level_options is a subset)
PRIVACY_PUBLIC: Final = "PUBLIC_TO_EVERYONE"
PRIVACY_MUTUAL: Final = "MUTUAL_FOLLOW_FRIENDS"
PRIVACY_FOLLOWERS: Final = "FOLLOWER_OF_CREATOR"
PRIVACY_SELF_ONLY: Final = "SELF_ONLY"
PRIVACY_LEVELS: Final = (PRIVACY_PUBLIC, PRIVACY_MUTUAL, PRIVACY_FOLLOWERS, PRIVACY_SELF_ONLY)
#: What creator_info offers for a public and for a private account.
PUBLIC_ACCOUNT_OPTIONS: Final = (PRIVACY_PUBLIC, PRIVACY_MUTUAL, PRIVACY_SELF_ONLY)
PRIVATE_ACCOUNT_OPTIONS: Final = (PRIVACY_FOLLOWERS, PRIVACY_MUTUAL, PRIVACY_SELF_ONLY)

# status/fetch statuses
STATUS_PROCESSING_UPLOAD: Final = "PROCESSING_UPLOAD"
STATUS_PROCESSING_DOWNLOAD: Final = "PROCESSING_DOWNLOAD"
STATUS_SEND_TO_USER_INBOX: Final = "SEND_TO_USER_INBOX"
STATUS_PUBLISH_COMPLETE: Final = "PUBLISH_COMPLETE"
STATUS_FAILED: Final = "FAILED"
PUBLISH_STATUSES: Final = frozenset(
    {STATUS_PROCESSING_UPLOAD, STATUS_PROCESSING_DOWNLOAD, STATUS_SEND_TO_USER_INBOX, STATUS_PUBLISH_COMPLETE,
     STATUS_FAILED}
)
#: The real, misspelled name of the published post ids in status/fetch.
PUBLIC_POST_IDS_FIELD: Final = "publicaly_available_post_id"

# Posting error codes (envelope ``error.code``).
API_SPAM_RISK_TOO_MANY_POSTS: Final = "spam_risk_too_many_posts"
API_SPAM_RISK_USER_BANNED: Final = "spam_risk_user_banned_from_posting"
API_REACHED_ACTIVE_USER_CAP: Final = "reached_active_user_cap"
API_UNAUDITED_PRIVATE_ONLY: Final = "unaudited_client_can_only_post_to_private_accounts"
API_URL_OWNERSHIP_UNVERIFIED: Final = "url_ownership_unverified"
API_PRIVACY_LEVEL_MISMATCH: Final = "privacy_level_option_mismatch"
API_TOO_MANY_PENDING_SHARE: Final = "spam_risk_too_many_pending_share"
API_APP_VERSION_CHECK_FAILED: Final = "app_version_check_failed"
API_INVALID_PUBLISH_ID: Final = "invalid_publish_id"
API_TOKEN_NOT_AUTHORIZED_FOR_PUBLISH_ID: Final = "token_not_authorized_for_specified_publish_id"
API_PUBLISH_NOT_CANCELLABLE: Final = "publish_not_cancellable"
#: creator_info answers these with HTTP 200 (intentionally); the inits with 403.
CANNOT_POST_NOW_CODES: Final = frozenset(
    {API_SPAM_RISK_TOO_MANY_POSTS, API_SPAM_RISK_USER_BANNED, API_REACHED_ACTIVE_USER_CAP}
)
POSTING_ERROR_STATUS: Final = {
    API_SPAM_RISK_TOO_MANY_POSTS: 403,
    API_SPAM_RISK_USER_BANNED: 403,
    API_REACHED_ACTIVE_USER_CAP: 403,
    API_UNAUDITED_PRIVATE_ONLY: 403,
    API_URL_OWNERSHIP_UNVERIFIED: 403,
    API_PRIVACY_LEVEL_MISMATCH: 403,
    API_TOO_MANY_PENDING_SHARE: 403,
    API_APP_VERSION_CHECK_FAILED: 400,
    API_INVALID_PUBLISH_ID: 400,
    API_TOKEN_NOT_AUTHORIZED_FOR_PUBLISH_ID: 400,
    API_PUBLISH_NOT_CANCELLABLE: 400,
}
API_ERROR_STATUS.update(POSTING_ERROR_STATUS)

# status/fetch fail_reason values, retryable (a new post may succeed) or terminal.
FAIL_REASONS_RETRYABLE: Final = frozenset({"internal", "video_pull_failed", "photo_pull_failed"})
FAIL_REASONS_TERMINAL: Final = frozenset(
    {
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "publish_cancelled",
        "auth_removed",
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "spam_risk_text",
        "spam_risk",
    }
)
#: fail_reasons that mean "fix the media", not "try later".
FAIL_REASONS_MEDIA: Final = frozenset(
    {"file_format_check_failed", "duration_check_failed", "frame_rate_check_failed", "picture_size_check_failed"}
)

# The media transfer guide's chunk rules. "MB" is decimal or binary [?]: these bounds satisfy
# both readings (at least 5 MiB, at most 64,000,000 bytes; the last chunk at most 128,000,000).
CHUNK_MIN_BYTES: Final = 5 * 1024 * 1024
CHUNK_MAX_BYTES: Final = 64_000_000
LAST_CHUNK_MAX_BYTES: Final = 128_000_000
#: A video up to this size may go in one request (chunk_size = the whole size).
SINGLE_CHUNK_MAX_BYTES: Final = 64_000_000
MAX_CHUNKS: Final = 1000
#: The documented file limit, 4 GB (read as 4 GiB, the lenient reading [?]).
VIDEO_MAX_BYTES: Final = 4 * 1024**3
#: Content-Type of each chunk by container.
VIDEO_CONTENT_TYPES: Final = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}
#: Upload answers.
UPLOAD_COMPLETE: Final = 201
UPLOAD_PARTIAL: Final = 206
UPLOAD_RANGE_OUT_OF_STEP: Final = 416
#: Seconds an upload_url stays valid after init.
UPLOAD_URL_LIFETIME: Final = 3600
#: The API's own duration limit (creators may have less: max_video_post_duration_sec).
VIDEO_MAX_DURATION_SEC: Final = 600

# Text limits, in UTF-16 code units.
VIDEO_TITLE_MAX_UTF16: Final = 2200
PHOTO_TITLE_MAX_UTF16: Final = 90
PHOTO_DESCRIPTION_MAX_UTF16: Final = 4000
PHOTO_MAX_IMAGES: Final = 35

# Rate limits per user access token, per minute.
CREATOR_INFO_RATE_LIMIT_PER_MINUTE: Final = 20
INIT_RATE_LIMIT_PER_MINUTE: Final = 6
STATUS_RATE_LIMIT_PER_MINUTE: Final = 30
#: Posts per creator per 24 h through Direct Post ("typically around 15"), shared by all apps.
DAILY_POST_CAP: Final = 15
#: Pending inbox shares per creator per 24 h.
PENDING_SHARE_CAP: Final = 5
#: Users an unaudited client may post for per 24 h.
UNAUDITED_USER_CAP: Final = 5

# --------------------------------------------------------------------------- Display API: videos
# docs/TIKTOK-API.md section 11 (https://developers.tiktok.com/doc/tiktok-api-v2-video-list,
# .../tiktok-api-v2-video-query, .../tiktok-api-v2-video-object).
VIDEO_LIST_PATH: Final = "/v2/video/list/"
VIDEO_QUERY_PATH: Final = "/v2/video/query/"
#: The scope both endpoints need, for every field.
SCOPE_VIDEO_LIST: Final = "video.list"
#: The Video Object's fields, in the documented order; each needs ``video.list``.
VIDEO_FIELDS: Final = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
#: video/list: ``max_count`` is 1..20, 10 when absent; the cursor is a UTC timestamp in ms.
VIDEO_LIST_MAX_COUNT: Final = 20
VIDEO_LIST_DEFAULT_COUNT: Final = 10
#: video/query: at most this many ``filters.video_ids`` per request.
VIDEO_QUERY_MAX_IDS: Final = 20
#: Longest ``title`` and ``video_description``, in characters.
VIDEO_TEXT_MAX: Final = 150
#: Seconds a ``cover_image_url`` stays valid (video/query hands out a fresh one).
VIDEO_COVER_TTL: Final = 6 * 3600
#: Documented sliding-window limit of video/list and of video/query, each on its own, per minute.
VIDEO_RATE_LIMIT_PER_MINUTE: Final = 600

#: The Display API video fields a kit asks for when none are named.
DEFAULT_VIDEO_FIELDS: Final = ("id", "create_time", "title", "video_description", "duration", "cover_image_url",
                               "share_url")
