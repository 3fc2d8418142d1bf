"""The replay suite cannot reach the network: the guard of conftest.py is on in every test."""

from __future__ import annotations

import socket

import httpx
import pytest

from .conftest import NetworkBlocked


def test_names_other_than_loopback_do_not_resolve() -> None:
    with pytest.raises(NetworkBlocked, match="open.tiktokapis.com"):
        socket.getaddrinfo("open.tiktokapis.com", 443)


def test_connections_to_remote_addresses_are_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(RuntimeError, match="Network is disabled"):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: would time out, not even that happens


def test_httpx_outside_a_cassette_fails_at_once() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get("https://open.tiktokapis.com/v2/user/info/", timeout=2)


def test_loopback_still_works() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
