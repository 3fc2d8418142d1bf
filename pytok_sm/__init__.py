"""pytok_sm: TikTok Login Kit (OAuth 2.0, API v2) as explicit, logged state machines.

Example:
    >>> import pytok_sm
    >>> kit = pytok_sm.LoginKit("aw_key", "aw_secret")
    >>> kit.REDIRECT_URI
    'http://127.0.0.1:3456/callback/'
    >>> kit.close()

This module is the public API; the modules whose names start with ``_`` are private and may
change in any release. Beside it stand the public subpackages :mod:`pytok_sm.flows` (step a
flow yourself), :mod:`pytok_sm.drivers` (run one), :mod:`pytok_sm.logs` (the transition
log), :mod:`pytok_sm.qr` (show a QR code), :mod:`pytok_sm.sandbox` (TikTok in a box) and
:mod:`pytok_sm.testing` (helpers for your own tests), :mod:`pytok_sm.webhooks` (TikTok's
signed events); import them by name. The kits post too (``kit.post_video``, the Content
Posting API); its values (:class:`CreatorInfo`, :class:`PostResult`, ...) and errors
(:class:`PostingError` and its leaves) are here.

``import pytok_sm`` stays light: the kits load on first use of ``LoginKit`` or
``AsyncLoginKit``, with the flows, the drivers, httpx and transitions (about 0.1 s), so a
program that only reads tokens or catches pytok_sm's errors never pays for them.
"""

from typing import TYPE_CHECKING

from ._config import Config
from ._errors import (
    AccessTokenInvalid,
    AccountMismatch,
    ApiError,
    AuthorizationDenied,
    CallbackPortBusy,
    CallbackRejected,
    CallbackReplayed,
    ConfigurationError,
    FlowCancelled,
    FlowError,
    FlowTimeout,
    FlowUsageError,
    NotLoggedIn,
    OAuthError,
    ProtocolError,
    QrAnswerRefused,
    QrCodeError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    SnapshotRejected,
    TikTokError,
    TokenStoreError,
    TransportError,
)
from ._posting_errors import (
    CreatorCapReached,
    MediaError,
    PostFailed,
    PostingError,
    PostingSpamRisk,
    PostOutcomeUnknown,
    PostSettingsError,
    PrivacyLevelError,
)
from ._retry import RetryPolicy
from ._token import Token
from ._version import __version__

if TYPE_CHECKING:
    from ._app import AsyncTikTokApp, TikTokApp
    from ._kit import AsyncLoginKit, LoginKit
    from ._posting_values import UNCONFIRMED, CreatorInfo, PostProgress, PostResult, PublishStatus

__all__ = [
    "AccessTokenInvalid",
    "AccountMismatch",
    "ApiError",
    "AsyncLoginKit",
    "AsyncTikTokApp",
    "AuthorizationDenied",
    "CallbackPortBusy",
    "CallbackRejected",
    "CallbackReplayed",
    "Config",
    "ConfigurationError",
    "CreatorCapReached",
    "CreatorInfo",
    "FlowCancelled",
    "FlowError",
    "FlowTimeout",
    "FlowUsageError",
    "LoginKit",
    "MediaError",
    "NotLoggedIn",
    "OAuthError",
    "PostFailed",
    "PostOutcomeUnknown",
    "PostProgress",
    "PostResult",
    "PostSettingsError",
    "PostingError",
    "PostingSpamRisk",
    "PrivacyLevelError",
    "ProtocolError",
    "PublishStatus",
    "QrAnswerRefused",
    "QrCodeError",
    "QrCodeExpired",
    "QrCodeUtilised",
    "QrTicketMismatch",
    "RateLimited",
    "ReauthorizationRequired",
    "RetryPolicy",
    "ScopeError",
    "SnapshotRejected",
    "TikTokApp",
    "TikTokError",
    "Token",
    "TokenStoreError",
    "TransportError",
    "UNCONFIRMED",
    "__version__",
]

#: Public names defined in a module that is imported on first use.
_LAZY = {"LoginKit": "._kit", "AsyncLoginKit": "._kit", "TikTokApp": "._app", "AsyncTikTokApp": "._app",
         # posting's values (their module builds six dataclasses: loaded with the first post)
         "CreatorInfo": "._posting_values", "PostProgress": "._posting_values", "PostResult": "._posting_values",
         "PublishStatus": "._posting_values", "UNCONFIRMED": "._posting_values"}


def _claim(value: object) -> object:
    """Show a public class as ``pytok_sm.Name`` (tracebacks, reprs, pickles), as httpx does."""
    if isinstance(value, type):
        value.__module__ = __name__
    return value


for _name in __all__:
    if _name not in _LAZY and not _name.startswith("_"):
        _claim(globals()[_name])
del _name


def __getattr__(name: str) -> object:
    """Import the kits, the apps and posting's values on first use (they bring httpx, transitions,
    the flows and drivers)."""
    if name in _LAZY:
        import importlib

        value = _claim(getattr(importlib.import_module(_LAZY[name], __name__), name))
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
