"""Drivers carry out what flows decide: :class:`SyncDriver` (httpx.Client) and
:class:`AsyncDriver` (httpx.AsyncClient), with identical options.

Both follow one effect table; only their I/O primitives differ. Without a client of
their own they use the process's shared connection pool (one per event loop for async),
so any number of drivers and kits cost one pool. :func:`probe_video` reads what a video
upload needs to know of a file (size, container, duration) before any byte is sent.

Example:
    >>> import httpx
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import RevokeFlow
    >>> client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={})))
    >>> SyncDriver(client).run(RevokeFlow(Config("aw_key", "s"), access_token="act.x")) is None
    True
"""

from typing import TYPE_CHECKING, Any

from ._aio import AsyncDriver
from ._common import open_url
from ._sync import SyncDriver

if TYPE_CHECKING:
    from ._media import VideoFile, probe_video

__all__ = ["AsyncDriver", "SyncDriver", "VideoFile", "open_url", "probe_video"]


def __getattr__(name: str) -> Any:
    """The media probe (``probe_video``, ``VideoFile``), imported on first use (a kit's first post)."""
    if name in ("VideoFile", "probe_video"):
        from . import _media

        value = getattr(_media, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
