"""What a flow asks its driver to do (effects), and what the driver feeds back (results).

A flow never performs I/O. ``flow.start()`` and ``flow.send(result)`` return the next
effect; the driver carries it out and sends back the matching result. Each effect carries
everything the driver needs (timeouts, the path to serve, how to judge a callback, how to
open a browser), so a driver reads nothing of the flow:

====================== =============================================== =========================
effect                 the driver does                                 it sends back
====================== =============================================== =========================
:class:`Send`          sends ``request`` within ``timeout`` per read    a :class:`Response` or
                       and ``deadline`` seconds in all (a file upload   :class:`TransportFailure`
                       is read from disk piece by piece)                (upload: :class:`MediaChanged`)
:class:`Listen`        serves ``path`` on ``host``:``port``, answering  :class:`Listening` or
                       each request as ``judge`` says                   :class:`PortBusy`
:class:`OpenBrowser`   opens ``url`` as ``opener`` says                 :class:`BrowserOpened`
:class:`AwaitCallback` waits for the redirect until ``deadline``        a ``Callback`` or
                       (read on ``clock``)                              :class:`TimedOut`
:class:`ShowQrCode`    shows ``url`` as a QR code                       :class:`Shown`
:class:`Sleep`         waits ``seconds``                                :class:`Slept` (a kit following a
                                                                       post with ``events=``: the
                                                                       :class:`PostEvent` a webhook
                                                                       recorded meanwhile)
:class:`RenewToken`    (the kit) refreshes the access token             :class:`TokenRenewed`
:class:`Finished`      returns ``result`` to the caller                 (nothing: the flow is over)
:class:`Failed`        raises ``error``                                 (nothing: the flow is over)
====================== =============================================== =========================
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._callback import Callback, Verdict
from .._errors import TikTokError
from .._http import Request, Response

if TYPE_CHECKING:  # posting's values load with the first post
    from .._posting_values import PublishStatus

__all__ = [
    "AwaitCallback",
    "BrowserOpened",
    "Effect",
    "Failed",
    "Finished",
    "Listen",
    "Listening",
    "MediaChanged",
    "OpenBrowser",
    "PortBusy",
    "PostEvent",
    "RenewToken",
    "Result",
    "Send",
    "RunFlow",
    "ShowQrCode",
    "Shown",
    "Sleep",
    "Slept",
    "StoreStep",
    "TimedOut",
    "TokenRenewed",
    "TransportFailure",
]


@dataclass(frozen=True, slots=True)
class Send:
    """Send this HTTP request: ``timeout`` seconds for each connect or read, ``deadline``
    seconds for the whole call from the first byte sent to the last byte read.

    For a file upload, ``progress(bytes_written)`` (optional) is called after each piece of
    the body is written, from the driver's thread or event loop: a flow keeps the number to
    show how far the chunk in flight got (it must be quick and must not raise).

    Example:
        >>> from pytok_sm._http import Request
        >>> from pytok_sm._retry import RequestKind
        >>> Send(Request("GET", "https://x.test/", RequestKind.USER_INFO), progress=print)
        Send(request=Request(GET https://x.test/), timeout=10.0, deadline=30.0)
    """

    request: Request
    timeout: float = 10.0
    deadline: float = 30.0
    progress: Callable[[int], None] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Listen:
    """Serve the redirect ``path`` on ``host``:``port`` (0: any free port); answer each request
    there as ``judge(callback) -> (Verdict, reason)`` says, and hand on the first accepted
    or denied one."""

    port: int
    path: str = "/callback/"
    judge: Callable[[Callback], tuple[Verdict, str]] = field(default=lambda _: (Verdict.REJECT, "no flow"), repr=False)
    host: str = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class OpenBrowser:
    """Show the person TikTok's authorize page: ``opener`` True = the system browser,
    False = none (print the URL), or a callable taking the URL."""

    url: str = field(repr=False)
    opener: bool | Callable[[str], Any] = field(default=True, repr=False)


@dataclass(frozen=True, slots=True)
class AwaitCallback:
    """Wait for the browser's redirect until ``deadline`` (epoch seconds on ``clock``)."""

    deadline: float
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def remaining(self) -> float:
        """Seconds left until the deadline (negative once it passed)."""
        return self.deadline - self.clock()


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


@dataclass(frozen=True, slots=True)
class StoreStep:
    """Call ``method(*args)`` on the account's token store (the refresh protocol; carried out
    by the kit, which holds the store, not by a driver). The result, or the
    :class:`~pytok_sm.TokenStoreError` it raised, is sent back."""

    method: str
    args: tuple[Any, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class RunFlow:
    """Run ``flow`` to its end (the refresh protocol's refresh call); its result, or the
    :class:`~pytok_sm.TikTokError` it ended with, is sent back."""

    flow: Any


@dataclass(frozen=True, slots=True)
class RenewToken:
    """The access token was refused in the middle of a long flow (a post outlived it): the
    kit refreshes it (single flight, as for any call) and sends back :class:`TokenRenewed`.
    A driver alone cannot: run such a flow through a kit (``kit.post_video``). ``refused`` is
    the token TikTok refused (None: the flow has none yet, e.g. resumed from a snapshot)."""

    refused: str | None = field(default=None, repr=False)


Effect = (
    Send | Listen | OpenBrowser | AwaitCallback | ShowQrCode | Sleep | Finished | Failed | StoreStep | RunFlow
    | RenewToken
)


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """No HTTP answer. ``sent`` is False when the request surely never left (connect failed)."""

    sent: bool
    reason: str = "connection failed"


@dataclass(frozen=True, slots=True)
class Listening:
    """The loopback server is up on ``port`` (the real one when 0 was asked for)."""

    port: int


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


@dataclass(frozen=True, slots=True)
class MediaChanged:
    """A file upload's source is no longer what was planned (resized, replaced, gone): nothing
    of this chunk was sent, or, when the file shrank or changed while it was being read, the
    body stopped short of complete (the server never holds the chunk)."""

    reason: str


@dataclass(frozen=True, slots=True)
class TokenRenewed:
    """A fresh access token, after :class:`RenewToken`."""

    access_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PostEvent:
    """Instead of :class:`Slept`, while a posting flow waits between two status polls: the
    status a webhook told (``post.publish.*``, recorded on a post board), read as if
    ``status/fetch`` had answered it; the transition it makes carries ``via="webhook"`` (``source``
    is the state the transition leaves).

    Example:
        >>> from pytok_sm import PublishStatus
        >>> PostEvent(PublishStatus("v_pub_url~v2.1", "PUBLISH_COMPLETE")).status.status
        'PUBLISH_COMPLETE'
    """

    status: PublishStatus


Result = (
    Response | TransportFailure | Listening | PortBusy | BrowserOpened | Callback | TimedOut | Shown | Slept
    | MediaChanged | TokenRenewed | PostEvent
)
