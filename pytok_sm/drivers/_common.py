"""What both drivers share: the effect table, the browser opener, the printed URL.

Both drivers run the same loop over :data:`PRIMITIVES`: each effect type names the driver
method (its I/O primitive) that carries it out and returns the result to send back to the
flow. Only the primitives differ between the sync and the async driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .. import logs
from ..flows._base import Flow
from ..flows._effects import AwaitCallback, Finished, Listen, OpenBrowser, Send, ShowQrCode, Sleep
from ._loopback_http import SUCCESS_PAGE, UNSETTLED_PAGE, failure_page

__all__ = ["CANCELLED", "PRIMITIVES", "OnTick", "ShowQr", "TextSink", "open_url", "outcome_page", "tell_url"]

#: Effect type -> the name of the driver method that carries it out.
PRIMITIVES: dict[type, str] = {
    Send: "_send",
    Listen: "_listen",
    OpenBrowser: "_open_browser",
    AwaitCallback: "_await_callback",
    ShowQrCode: "_show_qr_code",
    Sleep: "_sleep",
}

#: ``on_tick(flow)``: called about four times a second while a driver waits (progress lines).
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
