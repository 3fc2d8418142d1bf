"""Behaviour switches: one per point that TikTok's documentation leaves open ([?]).

Each switch defaults to the reading the project considers most likely; flip it to test
that a client tolerates the other readings. The Content Posting switches also hold its
limits (rate limits, daily caps, processing time and outcome) so tests can shrink them. Switches are plain attributes, read at every
request, so a test may change them on a running sandbox. Assigning an unknown name or a
value outside a switch's choices raises at once (a typo must not silently test nothing).

Example:
    >>> switches = Switches(token_lifetimes="classic")
    >>> switches.access_token_lifetime, switches.refresh_token_lifetime
    (86400, 31536000)
    >>> switches.rotate_refresh_tokens = False
    >>> switches.chunk_size_unit = "binary"
    >>> switches.chunk_bounds
    (5242880, 67108864, 134217728)
    >>> switches.oauth_error_status = "sometimes"
    Traceback (most recent call last):
    ...
    ValueError: oauth_error_status must be one of ['always_200', 'mapped'], not 'sometimes'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Final

from pytok_sm import _contract as contract

__all__ = ["CHUNK_BOUNDS", "TOKEN_LIFETIME_PRESETS", "Switches"]

#: The media transfer guide's "MB" read two ways [?]: (smallest chunk, largest chunk (also
#: the largest single-chunk video), largest last chunk) in bytes.
CHUNK_BOUNDS: Final[dict[str, tuple[int, int, int]]] = {
    "decimal": (5_000_000, 64_000_000, 128_000_000),
    "binary": (5 * 1024**2, 64 * 1024**2, 128 * 1024**2),
}

#: (access token expires_in, refresh_expires_in) per documentation generation.
TOKEN_LIFETIME_PRESETS: Final[dict[str, tuple[int, int]]] = {
    "2026": (7200, 15552000),  # 2 hours / 180 days (pages of Nov 2026)
    "classic": (86400, 31536000),  # 24 hours / 365 days (older pages)
}

_CHOICES: Final[dict[str, tuple[object, ...]]] = {
    "token_lifetimes": tuple(TOKEN_LIFETIME_PRESETS),
    "oauth_error_status": ("always_200", "mapped"),
    "revoke_success_body": ("empty", "object"),
    "revoke_dead_token": ("success", "error"),
    "qr_confirmed_fields": ("redirect_uri", "bare", "both"),
    "missing_scope_error": (contract.API_SCOPE_PERMISSION_MISSED, contract.API_SCOPE_NOT_AUTHORIZED),
    # Content Posting
    "chunk_size_unit": tuple(CHUNK_BOUNDS),
    "ceil_chunk_plans": ("reject", "accept"),
    "invalid_param_code": (contract.API_INVALID_PARAMS, contract.API_INVALID_PARAM),
    "inbox_post_info": ("ignore", "reject"),
    "unaudited_options": ("full", "self_only"),
    "upload_answer_body": ("empty", "envelope"),
    "post_outcome": ("complete", "fail", "never"),
    "post_fail_reason": tuple(sorted(contract.FAIL_REASONS_RETRYABLE | contract.FAIL_REASONS_TERMINAL)),
    # Display API: videos
    "video_rate_scope": ("app", "token"),
    "video_max_count_over": ("reject", "clamp"),
    "video_has_more": ("exact", "lazy"),
    # Webhooks
    "webhook_signature": ("valid", "wrong_secret", "tampered_body", "missing"),
    "webhook_timestamp": ("now", "stale", "future"),
    "webhook_order": ("in_order", "shuffled"),
}
_POSITIVE: Final = (
    "code_lifetime",
    "qr_lifetime",
    "client_token_lifetime",
    "user_info_rate_limit",
    "user_info_rate_window",
    "verifier_min_length",
    "upload_url_lifetime",
    "posting_rate_window",
    "video_rate_window",
    "webhook_retry_base",
    "webhook_retry_horizon",
    "webhook_timestamp_skew",
)
_POSITIVE_INT: Final = (
    "max_video_bytes",
    "creator_info_rate_limit",
    "init_rate_limit",
    "status_rate_limit",
    "daily_post_cap",
    "pending_share_cap",
    "unaudited_user_cap",
    "video_rate_limit",
    "webhook_max_attempts",
)
_NON_NEGATIVE_INT: Final = ("webhook_duplicates",)
_NON_NEGATIVE: Final = ("processing_seconds",)
_BOOLEAN: Final = (
    "reject_multi_chunk",
    "upload_416_content_range",
    "photo_app_version_check",
    "check_media_format",
    "posting_rate_limits",
    "video_list_photos",
)


@dataclass(slots=True)
class Switches:
    """All behaviour switches of the sandbox, with their defaults.

    Example:
        >>> Switches().code_lifetime
        300.0
    """

    # --- lifetimes ------------------------------------------------------------------
    #: Seconds an authorization code stays valid ("minutes" [?]).
    code_lifetime: float = 300.0
    #: Seconds a QR session stays new/scanned before it turns "expired" [?].
    qr_lifetime: float = 120.0
    #: "2026" (7200 s / 180 days) or "classic" (86400 s / 365 days).
    token_lifetimes: str = "2026"
    #: expires_in of client_credentials (clt.) tokens.
    client_token_lifetime: int = 7200

    # --- token endpoint -------------------------------------------------------------
    #: Refresh returns a new refresh token and kills the old one at once (newer docs).
    rotate_refresh_tokens: bool = True
    #: Reusing a code is invalid_grant and also kills every token issued from it.
    revoke_on_code_reuse: bool = True
    #: Shortest accepted code_verifier; 32 is TikTok's Android SDK (lenient reading).
    verifier_min_length: int = contract.VERIFIER_MIN_LENGTH
    #: Web apps must send PKCE too (reports both ways since 2025).
    web_requires_pkce: bool = False
    #: "always_200" (as seen in the wild) or "mapped" (400, 401 invalid_client, 500, 503).
    oauth_error_status: str = "always_200"

    # --- revoke ---------------------------------------------------------------------
    #: Success body: "empty" (zero bytes) or "object" (``{}``).
    revoke_success_body: str = "empty"
    #: Revoking a dead or unknown token: "success" or "error" (invalid_grant).
    revoke_dead_token: str = "success"
    #: Revoking one token of a login kills its sibling access/refresh tokens too.
    revoke_kills_grant: bool = True

    # --- browser and QR logins ------------------------------------------------------
    #: When set, the deny redirect also carries ``error_type=<this value>``.
    deny_error_type: str | None = None
    #: Where a confirmed QR answer puts code/state: "redirect_uri", "bare" fields, "both".
    qr_confirmed_fields: str = "redirect_uri"
    #: The status a QR session shows after the phone denies (undocumented).
    qr_deny_status: str = contract.QR_EXPIRED
    #: Exchanging a QR-issued code requires redirect_uri (otherwise optional, checked if sent).
    qr_requires_redirect_uri: bool = False

    # --- data API -------------------------------------------------------------------
    #: Requests per window on /v2/user/info/, counted per app (sliding window).
    user_info_rate_limit: int = contract.USER_INFO_RATE_LIMIT_PER_MINUTE
    #: Length of the sliding window in seconds.
    user_info_rate_window: float = 60.0
    #: Error when requested fields need an ungranted scope.
    missing_scope_error: str = contract.API_SCOPE_PERMISSION_MISSED

    # --- Content Posting (docs/TIKTOK-API.md section 8) -------------------------------
    #: The chunk rules' "MB": "decimal" (5,000,000 / 64,000,000 / 128,000,000) or "binary" (MiB).
    chunk_size_unit: str = "decimal"
    #: The Aug-2026 report: every multi-chunk init is 400 invalid_params "The chunk size is invalid".
    reject_multi_chunk: bool = False
    #: A ceil-style plan (an extra short last chunk): "reject" (the guide's floor rule) or "accept".
    ceil_chunk_plans: str = "reject"
    #: The largest video_size accepted (the docs' 4 GB, read as 4 GiB).
    max_video_bytes: int = contract.VIDEO_MAX_BYTES
    #: Seconds an upload_url accepts chunks after its init.
    upload_url_lifetime: float = float(contract.UPLOAD_URL_LIFETIME)
    #: A 416 carries ``Content-Range`` of what is held (every other upload answer does).
    upload_416_content_range: bool = True
    #: Upload answer bodies: "empty" or "envelope" (``{"data", "error"}`` JSON).
    upload_answer_body: str = "empty"
    #: The error code of a bad parameter: "invalid_params" (seen in real answers) or "invalid_param" (the docs).
    invalid_param_code: str = contract.API_INVALID_PARAMS
    #: What the inbox init does with a ``post_info``: "ignore" it or "reject" it (400).
    inbox_post_info: str = "ignore"
    #: creator_info for an unaudited app: the creator's "full" options or "self_only" (["SELF_ONLY"]).
    unaudited_options: str = "full"
    #: Photo MEDIA_UPLOAD answers 400 app_version_check_failed (TikTok app too old).
    photo_app_version_check: bool = False
    #: The last chunk's first bytes must be an ISO-BMFF or WebM container (else file_format_check_failed).
    check_media_format: bool = True
    #: Sandbox seconds a post spends processing (PROCESSING_UPLOAD/_DOWNLOAD) before it ends.
    processing_seconds: float = 3.0
    #: How processing ends: "complete", "fail" (with post_fail_reason) or "never" (processing forever).
    post_outcome: str = "complete"
    #: The fail_reason of post_outcome="fail": any documented fail_reason.
    post_fail_reason: str = "internal"
    #: Per-token limits of the posting endpoints (off: no 429 rate_limit_exceeded).
    posting_rate_limits: bool = True
    creator_info_rate_limit: int = contract.CREATOR_INFO_RATE_LIMIT_PER_MINUTE
    #: Per init endpoint (video, inbox video and content init each count on their own).
    init_rate_limit: int = contract.INIT_RATE_LIMIT_PER_MINUTE
    status_rate_limit: int = contract.STATUS_RATE_LIMIT_PER_MINUTE
    posting_rate_window: float = 60.0
    #: Direct posts per creator per 24 h, all apps together (spam_risk_too_many_posts).
    daily_post_cap: int = contract.DAILY_POST_CAP
    #: Pending inbox shares per creator per 24 h (spam_risk_too_many_pending_share).
    pending_share_cap: int = contract.PENDING_SHARE_CAP
    #: Creators an unaudited app may post for per 24 h (reached_active_user_cap).
    unaudited_user_cap: int = contract.UNAUDITED_USER_CAP

    # --- Display API: videos (docs/TIKTOK-API.md section 11) ---------------------------
    #: Requests per window on video/list, and on video/query, each endpoint on its own.
    video_rate_limit: int = contract.VIDEO_RATE_LIMIT_PER_MINUTE
    #: Length of their sliding window in seconds.
    video_rate_window: float = 60.0
    #: Whose requests share a window [?]: every token of the "app", or each access "token".
    video_rate_scope: str = "app"
    #: A max_count above 20 [?]: "reject" (400 invalid_params) or "clamp" (20 videos).
    video_max_count_over: str = "reject"
    #: has_more [?]: "exact" (false on the last page) or "lazy" (true whenever a page is full: an empty one may follow).
    video_has_more: str = "exact"
    #: video/list also lists the photo posts the sandbox published [?].
    video_list_photos: bool = False

    # --- Webhooks (docs/TIKTOK-API.md section 10; delivered to App.webhook_url) ----------
    #: Real seconds before the first retry of a delivery not answered 200; each retry waits
    #: twice as long as the one before (tests shrink it to 0.05).
    webhook_retry_base: float = 60.0
    #: Attempts of one delivery at most (the first included); 13 fit TikTok's 72 h at 60 s.
    webhook_max_attempts: int = 13
    #: Real seconds after the first attempt past which no retry is made (TikTok: 72 h).
    webhook_retry_horizon: float = 72 * 3600.0
    #: Extra copies of each delivery answered 200, sent again after webhook_retry_base (at least once).
    webhook_duplicates: int = 0
    #: "valid", "wrong_secret" (signed with another secret), "tampered_body" (the body changed
    #: after signing) or "missing" (no TikTok-Signature header).
    webhook_signature: str = "valid"
    #: The signature's ``t``: "now", "stale" or "future" (webhook_timestamp_skew off, either way).
    webhook_timestamp: str = "now"
    #: Seconds a "stale" or "future" ``t`` is off (a receiver's usual tolerance is 300).
    webhook_timestamp_skew: float = 600.0
    #: "in_order" (queued order) or "shuffled" (each batch of due deliveries out of order).
    webhook_order: str = "in_order"

    def __setattr__(self, name: str, value: Any) -> None:
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, not {value!r}")
        if name in _POSITIVE and (isinstance(value, bool) or not isinstance(value, int | float) or not value > 0):
            raise ValueError(f"{name} must be a positive number, not {value!r}")
        if name in _POSITIVE_INT and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if name in _NON_NEGATIVE_INT and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        if name in _NON_NEGATIVE and (isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0):
            raise ValueError(f"{name} must be a non-negative number, not {value!r}")
        if name in _BOOLEAN and not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, not {value!r}")
        object.__setattr__(self, name, value)

    @property
    def chunk_bounds(self) -> tuple[int, int, int]:
        """(smallest chunk, largest chunk or single-chunk video, largest last chunk) in bytes."""
        return CHUNK_BOUNDS[self.chunk_size_unit]

    @property
    def access_token_lifetime(self) -> int:
        """expires_in of user access tokens under the current preset."""
        return TOKEN_LIFETIME_PRESETS[self.token_lifetimes][0]

    @property
    def refresh_token_lifetime(self) -> int:
        """refresh_expires_in of refresh tokens under the current preset."""
        return TOKEN_LIFETIME_PRESETS[self.token_lifetimes][1]

    def as_dict(self) -> dict[str, object]:
        """Every switch and its current value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
