"""Fixtures for the sandbox's own tests: a running sandbox, an HTTP client aimed at it,
the hand-written app driving it, and a loopback callback receiver."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from pytok_sm.sandbox import Sandbox

from .helpers import AppDriver, CallbackReceiver, query_of


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox with the default apps and switches; fails the test if it crashed."""
    with Sandbox() as sb:
        yield sb
        assert sb.errors == [], sb.errors


@pytest.fixture(scope="session")
def tls() -> ssl.SSLContext:
    """One TLS context for all clients (the sandbox is plain HTTP; building one per client
    would cost 0.1 s per test)."""
    return ssl.create_default_context()


@pytest.fixture
def http(sandbox: Sandbox, tls: ssl.SSLContext) -> Iterator[httpx.Client]:
    """A plain httpx client aimed at the sandbox (no redirects followed, no proxies)."""
    with httpx.Client(base_url=sandbox.base_url, trust_env=False, timeout=5.0, verify=tls) as client:
        yield client


@pytest.fixture
def app(sandbox: Sandbox, http: httpx.Client) -> AppDriver:
    """The desktop app, driven by hand over HTTP."""
    return AppDriver(sandbox, http)


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    queries: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            queries.append(query_of(self.path))
            body = b"You may close this window."
            self.send_response(200 if self.path.startswith("/callback/?") else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield CallbackReceiver(server, thread, queries)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
