"""What a flow asks its driver to do (effects), and what the driver feeds back (results).

A flow never performs I/O. ``flow.start()`` and ``flow.send(result)`` return the next
effect; the driver carries it out and sends back the matching result:

=================  ===========================================  =============================
effect             the driver does                              it sends back
=================  ===========================================  =============================
:class:`Send`      sends ``request`` over HTTP                  a ``tiktok.Response`` or
                                                                :class:`TransportFailure`
:class:`Listen`    binds the loopback server on 127.0.0.1       :class:`Listening` or
                                                                :class:`PortBusy`
:class:`OpenBrowser` opens ``url`` (webbrowser or a callable)   :class:`BrowserOpened`
:class:`AwaitCallback` waits for the redirect until ``deadline`` a ``tiktok.Callback`` or
                                                                :class:`TimedOut`
:class:`ShowQrCode` shows ``url`` as a QR code                  :class:`Shown`
:class:`Sleep`     waits ``seconds``                            :class:`Slept`
:class:`Finished`  returns ``result`` to the caller             (nothing: the flow is over)
:class:`Failed`    raises ``error``                             (nothing: the flow is over)
=================  ===========================================  =============================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._errors import TikTokError
from .._tiktok import Callback, Request, Response

__all__ = [
    "AwaitCallback",
    "BrowserOpened",
    "Effect",
    "Failed",
    "Finished",
    "Listen",
    "Listening",
    "OpenBrowser",
    "PortBusy",
    "Result",
    "Send",
    "ShowQrCode",
    "Shown",
    "Sleep",
    "Slept",
    "TimedOut",
    "TransportFailure",
]


@dataclass(frozen=True, slots=True)
class Send:
    """Send this HTTP request."""

    request: Request


@dataclass(frozen=True, slots=True)
class Listen:
    """Start serving the redirect URI on 127.0.0.1 (``port`` 0: any free port)."""

    port: int


@dataclass(frozen=True, slots=True)
class OpenBrowser:
    """Show the person TikTok's authorize page."""

    url: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AwaitCallback:
    """Wait for the browser's redirect, until ``deadline`` (epoch seconds)."""

    deadline: float


@dataclass(frozen=True, slots=True)
class ShowQrCode:
    """Show this URL as a QR code for the TikTok app to scan."""

    url: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many seconds, then send :class:`Slept`."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Finished:
    """The flow succeeded; ``result`` is its value (a Token, or None for revoke)."""

    result: Any = field(repr=False)


@dataclass(frozen=True, slots=True)
class Failed:
    """The flow ended without success; the driver raises ``error``."""

    error: TikTokError


Effect = Send | Listen | OpenBrowser | AwaitCallback | ShowQrCode | Sleep | Finished | Failed


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """No HTTP answer. ``sent`` is False when the request surely never left (connect failed)."""

    sent: bool
    reason: str = "connection failed"


@dataclass(frozen=True, slots=True)
class Listening:
    """The loopback server is up; ``redirect_uri`` has the real port."""

    redirect_uri: str


@dataclass(frozen=True, slots=True)
class PortBusy:
    """The loopback port could not be bound."""

    port: int


@dataclass(frozen=True, slots=True)
class BrowserOpened:
    """Whether a browser was opened (when not, the driver printed the URL)."""

    opened: bool


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The deadline passed."""


@dataclass(frozen=True, slots=True)
class Shown:
    """The QR code is on screen."""


@dataclass(frozen=True, slots=True)
class Slept:
    """The wait is over."""


Result = Response | TransportFailure | Listening | PortBusy | BrowserOpened | Callback | TimedOut | Shown | Slept
