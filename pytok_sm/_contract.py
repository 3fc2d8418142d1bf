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
