"""What both drivers share: the effect table, the browser opener, the printed URL.

Both drivers run the same loop over :data:`PRIMITIVES`: each effect type names the driver
method (its I/O primitive) that carries it out and returns the result to send back to the
flow. Only the primitives differ between the sync and the async driver. An effect only a kit
carries out (``RenewToken``, ``StoreStep``, ``RunFlow``) is a :class:`~pytok_sm.FlowUsageError`.

Example:
    >>> from pytok_sm.flows._effects import RenewToken, Sleep
    >>> primitive(Sleep(1.0))
    '_sleep'
    >>> primitive(RenewToken())
    Traceback (most recent call last):
    ...
    pytok_sm.FlowUsageError: a driver cannot carry out RenewToken (the kit refreshes the token): ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from .. import logs
from .._errors import FlowUsageError
from ..flows._base import Flow
from ..flows._effects import (
    AwaitCallback,
    Finished,
    Listen,
    OpenBrowser,
    RenewToken,
    RunFlow,
    Send,
    ShowQrCode,
    Sleep,
    StoreStep,
)
from ._loopback_http import SUCCESS_PAGE, UNSETTLED_PAGE, failure_page

__all__ = [
    "CANCELLED", "PRIMITIVES", "OnTick", "ShowQr", "TextSink", "every", "is_upload", "open_url", "outcome_page",
    "primitive", "tell_url",
]

#: Effect type -> the name of the driver method that carries it out.
PRIMITIVES: dict[type, str] = {
    Send: "_send",
    Listen: "_listen",
    OpenBrowser: "_open_browser",
    AwaitCallback: "_await_callback",
    ShowQrCode: "_show_qr_code",
    Sleep: "_sleep",
}
#: Effects that are the kit's work, with what the kit does.
_KITS_WORK: dict[type, str] = {
    RenewToken: "the kit refreshes the token",
    StoreStep: "the kit's token store",
    RunFlow: "the kit runs the inner flow",
}

#: ``on_tick(flow)``: called about four times a second while a driver waits, at most that often
#: while an upload's body is written (between its pieces), and once after its answer (progress lines).
OnTick = Callable[[Any], None]
#: ``show_qr(url)``: shows a QR code to the person.
ShowQr = Callable[[str], None]


class TextSink(Protocol):
    """Where a driver writes the authorize URL for a person (``sys.stderr``, a terminal line)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class _Cancelled:
    """A primitive's result when the driver was cancelled while it waited."""

    def __repr__(self) -> str:
        return "CANCELLED"


CANCELLED: Any = _Cancelled()


def primitive(effect: object) -> str:
    """The name of the driver method that carries out ``effect``; a
    :class:`~pytok_sm.FlowUsageError` for an effect a driver cannot carry out."""
    name = PRIMITIVES.get(type(effect))
    if name is None:
        what = _KITS_WORK.get(type(effect), "no driver knows it")
        raise FlowUsageError(f"a driver cannot carry out {type(effect).__name__} ({what}): run such a flow "
                             "through a kit method (kit.post_video, kit.refresh_access_token, ...), not a driver's run()")
    return name


def is_upload(effect: object) -> bool:
    """Whether ``effect`` sends a file upload (its body is streamed; progress ticks)."""
    return isinstance(effect, Send) and effect.request.upload is not None


def every(seconds: float, action: Callable[[], None]) -> Callable[[int], None]:
    """An ``on_piece`` callback that calls ``action()`` at most every ``seconds`` (progress
    while an upload's body is written)."""
    last = time.monotonic()

    def on_piece(_sent: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= seconds:
            last = now
            action()

    return on_piece


def open_url(setting: bool | Callable[[str], Any], url: str) -> bool:
    """Open ``url`` as configured: True = :mod:`webbrowser` (honours ``BROWSER``), False = no,
    a callable = call it. Returns whether a browser was opened; never raises."""
    if setting is False:
        return False
    try:
        if setting is True:
            import webbrowser

            return bool(webbrowser.open(url))
        return bool(setting(url)) if callable(setting) else False
    except Exception as exc:  # noqa: BLE001 - a broken browser launcher must not end the login
        logs.emit("browser_open_failed", error=type(exc).__name__)
        return False


def outcome_page(flow: Flow) -> bytes:
    """The page the browser of an accepted callback gets once the flow is over: success, or
    what went wrong (a wrong client secret shows as such, not as "completed")."""
    last = flow.effect
    if isinstance(last, Finished):
        return SUCCESS_PAGE
    if flow.error is not None:
        return failure_page(flow.error.message)
    return UNSETTLED_PAGE


def tell_url(stream: TextSink, url: str) -> None:
    """Print the authorize URL for a person to open by hand (no browser could be opened)."""
    stream.write(f"Open this URL in your browser to log in:\n  {url}\n")
    stream.flush()
