"""TikTok in a box: a local emulator of TikTok's Login Kit and API v2 on 127.0.0.1.

It serves the documented wire contract (``shared/TIKTOK-API.md``) with its own code, sharing
only :mod:`pytok_sm._contract` with the client, so the two cannot be wrong together: the
authorize page (consent form with Approve/Deny), the token, revoke and QR-code endpoints,
``/v2/user/info/``, a simulated phone for QR logins, an injectable clock, behaviour
switches for every undocumented point, and fault switches for every upstream failure the
client must survive (``shared/ROBUSTNESS.md``). Standard library only (plus httpx for
:class:`ScriptedBrowser`).

Example:
    >>> import httpx
    >>> from pytok_sm.sandbox import Sandbox
    >>> with Sandbox() as sb:
    ...     tokens = sb.issue_tokens(["user.info.basic"])
    ...     r = httpx.get(sb.base_api_url + "user/info/", params={"fields": "display_name"},
    ...                   headers={"Authorization": "Bearer " + tokens["access_token"]})
    ...     r.json()["data"]["user"]["display_name"]
    'Sandbox Creator'
"""

from __future__ import annotations

from .apps import (
    DEFAULT_CLIENT_KEY,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_WEB_CLIENT_KEY,
    DEFAULT_WEB_CLIENT_SECRET,
    App,
    default_apps,
    default_desktop_app,
    default_web_app,
)
from .authorize import DECISION_PATH
from .browser import BrowserError, ScriptedBrowser
from .cli import main
from .clock import Clock
from .faults import FAULT_ENDPOINTS, FAULT_KINDS, REDIRECT_TRAP_PATH, Fault, Faults
from .oauth import hex_challenge
from .qr import PhoneError
from .server import Sandbox
from .state import CodeRecord, QrSession, RequestRecord, TokenRecord
from .switches import TOKEN_LIFETIME_PRESETS, Switches
from .user import SandboxUser

__all__ = [
    "DECISION_PATH",
    "DEFAULT_CLIENT_KEY",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_WEB_CLIENT_KEY",
    "DEFAULT_WEB_CLIENT_SECRET",
    "FAULT_ENDPOINTS",
    "FAULT_KINDS",
    "REDIRECT_TRAP_PATH",
    "TOKEN_LIFETIME_PRESETS",
    "App",
    "BrowserError",
    "Clock",
    "CodeRecord",
    "Fault",
    "Faults",
    "PhoneError",
    "QrSession",
    "RequestRecord",
    "Sandbox",
    "SandboxUser",
    "ScriptedBrowser",
    "Switches",
    "TokenRecord",
    "default_apps",
    "default_desktop_app",
    "default_web_app",
    "hex_challenge",
    "main",
]
