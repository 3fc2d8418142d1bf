"""pytok_sm: TikTok Login Kit (OAuth 2.0, API v2) as explicit, logged state machines.

Example:
    >>> import pytok_sm
    >>> kit = pytok_sm.LoginKit("aw_key", "aw_secret")
    >>> kit.REDIRECT_URI
    'http://127.0.0.1:3456/callback/'
    >>> kit.close()

The sandbox emulator (:mod:`pytok_sm.sandbox`), the CLI (:mod:`pytok_sm.cli`), QR rendering
(:mod:`pytok_sm.qr`) and the test helpers (:mod:`pytok_sm.testing`) are imported only when
used, so ``import pytok_sm`` stays light. So are the kits: the first use of ``LoginKit`` or
``AsyncLoginKit`` loads them with the flows, the drivers, httpx and transitions (about 0.1 s),
so a program that only reads tokens or catches pytok_sm's errors never pays for them.
"""

from typing import TYPE_CHECKING

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
    TokenStoreError,
    TransportError,
)
from .retry import RetryPolicy
from .token import Token

if TYPE_CHECKING:
    from .kit import AsyncLoginKit, LoginKit

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
    "TokenStoreError",
    "TransportError",
    "__version__",
]


#: Public names defined in a submodule that is imported on first use.
_LAZY = {"LoginKit": "kit", "AsyncLoginKit": "kit"}


def __getattr__(name: str) -> object:
    """Import the kits and the heavier submodules (qr, sandbox, testing, cli, ...) on first use."""
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    if name in ("qr", "sandbox", "testing", "cli", "diagrams", "flows", "drivers", "tiktok", "logs", "kit"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
