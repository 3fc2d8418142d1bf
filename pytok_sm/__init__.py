"""pytok_sm: TikTok Login Kit (OAuth 2.0, API v2) as explicit, logged state machines.

Example:
    >>> import pytok_sm
    >>> kit = pytok_sm.LoginKit("aw_key", "aw_secret")
    >>> kit.REDIRECT_URI
    'http://127.0.0.1:3456/callback/'
    >>> kit.close()

The sandbox emulator (:mod:`pytok_sm.sandbox`), the CLI (:mod:`pytok_sm.cli`), QR rendering
(:mod:`pytok_sm.qr`) and the test helpers (:mod:`pytok_sm.testing`) are imported only when
used, so ``import pytok_sm`` stays light.
"""

from ._version import __version__
from .config import Config
from .errors import (
    AccessTokenInvalid,
    ApiError,
    AuthorizationDenied,
    CallbackPortBusy,
    CallbackRejected,
    ConfigurationError,
    FlowCancelled,
    FlowError,
    FlowTimeout,
    FlowUsageError,
    NotLoggedIn,
    OAuthError,
    ProtocolError,
    QrCodeError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    TikTokError,
    TransportError,
)
from .kit import AsyncLoginKit, LoginKit
from .retry import RetryPolicy
from .token import Token

__all__ = [
    "AccessTokenInvalid",
    "ApiError",
    "AsyncLoginKit",
    "AuthorizationDenied",
    "CallbackPortBusy",
    "CallbackRejected",
    "Config",
    "ConfigurationError",
    "FlowCancelled",
    "FlowError",
    "FlowTimeout",
    "FlowUsageError",
    "LoginKit",
    "NotLoggedIn",
    "OAuthError",
    "ProtocolError",
    "QrCodeError",
    "QrCodeExpired",
    "QrCodeUtilised",
    "QrTicketMismatch",
    "RateLimited",
    "ReauthorizationRequired",
    "RetryPolicy",
    "ScopeError",
    "TikTokError",
    "Token",
    "TransportError",
    "__version__",
]


def __getattr__(name: str) -> object:
    """Import the heavier submodules (qr, sandbox, testing, cli, diagrams) on first use."""
    if name in ("qr", "sandbox", "testing", "cli", "diagrams", "flows", "drivers", "tiktok", "logs"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
