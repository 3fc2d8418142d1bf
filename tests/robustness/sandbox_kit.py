"""A LoginKit aimed at a running sandbox over real HTTP, and the logins that drive it.

Shared by the upstream-fault tests and the secrets canary test. Retries are fast
(``FAST_RETRY``) so that a fault row that backs off three times costs milliseconds.
"""

from __future__ import annotations

import functools
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from pytok_sm import LoginKit, RetryPolicy, Token
from pytok_sm.flows import QrFlow
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser

#: Three attempts, backoff of 10..50 ms; a Retry-After up to 3 s is honoured, a longer one is not.
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_cap=0.05, retry_after_cap=3.0)
WILDCARD_REDIRECT = "http://127.0.0.1:*/callback/"
FIELDS = ("open_id", "display_name")


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context for every kit (httpx builds one per client otherwise: 40 ms each).
    The sandbox is plain HTTP; the context is never used for a handshake."""
    return ssl.create_default_context()


def transport() -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=tls(), trust_env=False)


def async_transport() -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(verify=tls(), trust_env=False)


def kit_settings(sb: Sandbox, **overrides: Any) -> dict[str, Any]:
    """Keywords for a kit of the sandbox's desktop app: any loopback port, fast retries."""
    settings: dict[str, Any] = {
        "port": 0,
        "redirect_uri": WILDCARD_REDIRECT,
        "authorization_url": sb.authorization_url,
        "base_api_url": sb.base_api_url,
        "retry": FAST_RETRY,
        "http_timeout": 2.0,
        "call_deadline": 3.0,
        "qr_poll_interval": 0.05,
        "open_browser": False,
    }
    settings.update(overrides)
    return settings


def sandbox_kit(
    sb: Sandbox, client_key: str | None = None, client_secret: str | None = None, **overrides: Any
) -> LoginKit:
    overrides.setdefault("transport", transport())
    return LoginKit(client_key or sb.client_key, client_secret or sb.client_secret, **kit_settings(sb, **overrides))


def wait_until_done(browser: FakeBrowser, timeout: float = 5.0) -> None:
    """Wait for the fake browser's background run without re-raising its error."""
    end = time.monotonic() + timeout
    while not browser.done and time.monotonic() < end:
        time.sleep(0.01)


def browser_login(kit: LoginKit, browser: Any = None, *, timeout: float = 10.0) -> Token:
    """``kit.oauth_server()`` with a browser that approves on the sandbox's consent page."""
    browser = browser if browser is not None else FakeBrowser()
    BROWSERS[id(kit)] = browser
    try:
        return kit.oauth_server(timeout=timeout, open_browser=browser)
    finally:
        if isinstance(browser, FakeBrowser):
            wait_until_done(browser)


#: The browser of each kit's last ``browser_login`` (by the kit's id).
BROWSERS: dict[int, Any] = {}


def nothing_listens_on_the_callback_port(browser: FakeBrowser) -> bool:
    """After a login ended (however it ended), its loopback port accepts no connection."""
    port = urllib.parse.urlsplit(browser.callback_url or "").port
    assert port, "the browser never reached the callback"
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def qr_login(kit: LoginKit, sb: Sandbox, phone: Callable[[str], Any] | None = None, *, timeout: float = 5.0) -> Token:
    """A QR login in one flow: the phone acts as soon as the code is on screen (default: it
    confirms). The kit keeps the token, as ``oauth_qrcode`` would. (The split API,
    ``generate_qr_code()`` then ``oauth_qrcode()``, has its own test.)
    """
    flow = QrFlow(kit.config, timeout=timeout)
    token: Token = kit.run(flow, show_qr=phone or sb.phone_confirm)
    kit.load_token(token)
    return token


def settle(sb: Sandbox, endpoint: str, expected: int, *, not_before: float = 0.0, timeout: float = 2.0) -> int:
    """The sandbox's request count for ``endpoint`` once it has reached ``expected``.

    The sandbox counts a request when it has handled it. A request the client gave up on
    (read timeout on a ``delay`` fault) is handled after the client returned: pass the
    ``time.monotonic()`` by which it surely was as ``not_before``, so that a request sent
    in excess is counted too.
    """
    time.sleep(max(0.0, not_before - time.monotonic()))
    end = time.monotonic() + timeout
    while sb.count(endpoint) < expected and time.monotonic() < end:
        time.sleep(0.005)
    return sb.count(endpoint)


class RefusingTransport(httpx.BaseTransport):
    """Real HTTP, except that the first ``times`` requests to ``path`` fail to connect.

    The sandbox cannot refuse a connection it has already accepted, so this is the one
    fault produced on the client side: exactly the ``httpx.ConnectError`` a closed port gives.
    """

    def __init__(self, path: str, times: int) -> None:
        self.inner = transport()
        self.path = path
        self.left = times
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == self.path and self.left > 0:
            self.left -= 1
            self.refused += 1
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
