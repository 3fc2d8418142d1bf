"""TikTok in a box: a local emulator of TikTok's Login Kit and API v2 on 127.0.0.1.

It serves the documented wire contract (``docs/TIKTOK-API.md``) with its own code, sharing
only :mod:`pytok_sm._contract` with the client, so the two cannot be wrong together: the
authorize page (consent form with Approve/Deny), the token, revoke and QR-code endpoints,
``/v2/user/info/``, a simulated phone for QR logins, an injectable clock, behaviour
switches for every undocumented point, and fault switches for every upstream failure the
client must survive (``docs/ROBUSTNESS.md``). Standard library only.

The public names are those of ``__all__``: :class:`Sandbox` and what its constructor takes
(:class:`App`, :func:`default_apps`, :class:`Switches`, :class:`Clock`,
:class:`SandboxUser`), :class:`PhoneError` (raised by its phone), the default app's
:data:`DEFAULT_CLIENT_KEY` (fixed, so recordings replay) and :func:`main`
(``python -m pytok_sm.sandbox``). The modules whose names start with ``_`` are private.
To press Approve or Deny on its consent page, use :class:`pytok_sm.testing.FakeBrowser`.

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

from ._apps import DEFAULT_CLIENT_KEY, App, default_apps
from ._cli import main
from ._clock import Clock
from ._qr import PhoneError
from ._sandbox import Sandbox
from ._switches import Switches
from ._user import SandboxUser

__all__ = [
    "DEFAULT_CLIENT_KEY",
    "App",
    "Clock",
    "PhoneError",
    "Sandbox",
    "SandboxUser",
    "Switches",
    "default_apps",
    "main",
]

# Show the public classes as ``pytok_sm.sandbox.Name`` (tracebacks, reprs), as the root does.
for _value in (App, Clock, PhoneError, Sandbox, SandboxUser, Switches):
    _value.__module__ = __name__
del _value
