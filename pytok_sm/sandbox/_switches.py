"""Behaviour switches: one per point that TikTok's documentation leaves open ([?]).

Each switch defaults to the reading the project considers most likely; flip it to test
that a client tolerates the other readings. Switches are plain attributes, read at every
request, so a test may change them on a running sandbox. Assigning an unknown name or a
value outside a switch's choices raises at once (a typo must not silently test nothing).

Example:
    >>> switches = Switches(token_lifetimes="classic")
    >>> switches.access_token_lifetime, switches.refresh_token_lifetime
    (86400, 31536000)
    >>> switches.rotate_refresh_tokens = False
    >>> switches.oauth_error_status = "sometimes"
    Traceback (most recent call last):
    ...
    ValueError: oauth_error_status must be one of ['always_200', 'mapped'], not 'sometimes'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Final

from pytok_sm import _contract as contract

__all__ = ["TOKEN_LIFETIME_PRESETS", "Switches"]

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
}
_POSITIVE: Final = (
    "code_lifetime",
    "qr_lifetime",
    "client_token_lifetime",
    "user_info_rate_limit",
    "user_info_rate_window",
    "verifier_min_length",
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

    def __setattr__(self, name: str, value: Any) -> None:
        choices = _CHOICES.get(name)
        if choices is not None and value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, not {value!r}")
        if name in _POSITIVE and (isinstance(value, bool) or not value > 0):
            raise ValueError(f"{name} must be a positive number, not {value!r}")
        object.__setattr__(self, name, value)

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
