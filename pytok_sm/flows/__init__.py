"""The flows, each an explicit state machine: browser, qr, refresh, revoke, user_info, the
refresh protocol of store-backed accounts (store_refresh), and the Content Posting API's
post_video, post_photos, publish_status, creator_info and cancel_post, and the Display API's
videos (list_videos, a pager, and query_videos).

Each flow's ``STATES`` and ``TRANSITIONS`` tables are the single source of its behaviour,
its transition log and its diagram. Flows are sans-I/O: ``start()`` and ``send(result)``
return the next effect (what to do), and a driver (:mod:`pytok_sm.drivers`) or your own
code carries it out and sends back the result. The effects and results are here too.

Example (a refresh stepped by hand, as a test or an unusual transport would):
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import RefreshFlow, Response
    >>> flow = RefreshFlow(Config("aw_key", "s"), refresh_token="rft.old")
    >>> type(flow.start()).__name__
    'Send'
    >>> flow.send(Response(200, {}, b'{"access_token": "act.new", "expires_in": 60}')).result.access_token
    'act.new'
"""

from typing import TYPE_CHECKING, Any

from .._callback import Callback, Verdict, parse_callback_query
from .._http import Request, Response
from ._base import Flow, StateSpec, Transition
from ._browser import BrowserFlow
from ._effects import (
    AwaitCallback,
    BrowserOpened,
    Effect,
    Failed,
    Finished,
    Listen,
    Listening,
    MediaChanged,
    OpenBrowser,
    PortBusy,
    RenewToken,
    Result,
    RunFlow,
    Send,
    Shown,
    ShowQrCode,
    Sleep,
    Slept,
    StoreStep,
    TimedOut,
    TokenRenewed,
    TransportFailure,
)
from ._qr import QrFlow
from ._refresh import RefreshFlow
from ._revoke import RevokeFlow
from ._store_refresh import StoreBusy, StoreRefreshFlow
from ._user_info import UserInfoFlow

if TYPE_CHECKING:
    from ._post import PostFlow
    from ._post_calls import CancelPostFlow, CreatorInfoFlow, PublishStatusFlow
    from ._post_photos import PhotoPostFlow
    from ._post_video import VideoPostFlow
    from ._videos import VideoListFlow, VideoQueryFlow

__all__ = [
    "FLOWS",
    "AwaitCallback",
    "BrowserFlow",
    "BrowserOpened",
    "Callback",
    "CancelPostFlow",
    "CreatorInfoFlow",
    "Effect",
    "Failed",
    "Finished",
    "Flow",
    "Listen",
    "Listening",
    "MediaChanged",
    "OpenBrowser",
    "PhotoPostFlow",
    "PortBusy",
    "PostFlow",
    "PublishStatusFlow",
    "QrFlow",
    "RefreshFlow",
    "RenewToken",
    "Request",
    "Response",
    "Result",
    "RevokeFlow",
    "RunFlow",
    "Send",
    "ShowQrCode",
    "Shown",
    "Sleep",
    "Slept",
    "StateSpec",
    "StoreBusy",
    "StoreRefreshFlow",
    "StoreStep",
    "TimedOut",
    "TokenRenewed",
    "Transition",
    "TransportFailure",
    "UserInfoFlow",
    "Verdict",
    "VideoListFlow",
    "VideoPostFlow",
    "VideoQueryFlow",
    "parse_callback_query",
]

#: The posting and video flows, by the module that defines them: loaded on first use (a kit's
#: first post or video walk, or a name of this package asked for), so that the login flows
#: do not pay for them.
_LAZY = {
    "PostFlow": "._post",
    "CancelPostFlow": "._post_calls",
    "CreatorInfoFlow": "._post_calls",
    "PublishStatusFlow": "._post_calls",
    "PhotoPostFlow": "._post_photos",
    "VideoPostFlow": "._post_video",
    "VideoListFlow": "._videos",
    "VideoQueryFlow": "._videos",
}
_LOGIN_FLOWS = (BrowserFlow, QrFlow, RefreshFlow, RevokeFlow, UserInfoFlow, StoreRefreshFlow)
_LATER_FLOWS = ("VideoPostFlow", "PhotoPostFlow", "PublishStatusFlow", "CreatorInfoFlow", "CancelPostFlow",
                "VideoListFlow", "VideoQueryFlow")


def __getattr__(name: str) -> Any:
    """``FLOWS`` (every flow class by its ``KIND``, in the order the README presents them) and the
    posting and video flows, imported on first use."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif name == "FLOWS":
        later = [__getattr__(flow) for flow in _LATER_FLOWS]
        value = {cls.KIND: cls for cls in (*_LOGIN_FLOWS, *later)}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    #: Every flow class by its ``KIND``, in the order the README presents them.
    FLOWS: dict[str, type[Flow]]
