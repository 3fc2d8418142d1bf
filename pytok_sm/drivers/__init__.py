"""Drivers carry out what flows decide: :class:`SyncDriver` (httpx.Client) and
:class:`AsyncDriver` (httpx.AsyncClient). Both reuse one connection pool across calls."""

from ._aio import AsyncDriver
from ._sync import SyncDriver, open_url

__all__ = ["AsyncDriver", "SyncDriver", "open_url"]
