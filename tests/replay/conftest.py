"""The replay suite protects itself: no test in this folder may reach the network.

Connections go to loopback only (the app's callback server, the emulator that the
re-recording tests start), and names other than loopback ones do not even resolve, so a
request that slipped past the cassettes fails at once instead of leaving the machine.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_recording import network

LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost", "", None})
#: Regexes for pytest-recording's connect() guard (whole host names only).
ALLOWED_HOSTS = [r"127\.0\.0\.1$", r"::1$", r"localhost$"]


class NetworkBlocked(OSError):
    """Raised instead of resolving a name that is not loopback."""


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK_NAMES:
            raise NetworkBlocked(f"the replay suite is offline: refusing to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    with network.blocking_context(allowed_hosts=ALLOWED_HOSTS):
        yield
