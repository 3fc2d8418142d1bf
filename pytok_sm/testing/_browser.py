"""A fake of the person's browser: an ``open_browser=`` callable for kits, flows and drivers.

Given TikTok's authorize URL, :class:`FakeBrowser` does what the person would:

* by default (``consent=True``) it GETs the authorize page, submits its consent form with
  the Approve or Deny button (unticking optional scopes if told to), and follows the
  ``302`` to the app's redirect URI. That takes an authorize page with a consent form: the
  sandbox's (:class:`pytok_sm.sandbox.Sandbox`);
* with ``consent=False`` there is no authorize page: it plays TikTok's redirect itself,
  straight to the app's redirect URI (a code, or ``error=access_denied``), for tests whose
  TikTok is a cassette or a fake transport.

It works in a background thread (unless ``background=False``), so that the flow keeps
serving its callback meanwhile; :meth:`FakeBrowser.join` waits for it. Its requests go over
a bare socket (TLS for ``https``), as a browser's would: with no Python HTTP library in the
way, nothing that intercepts those (vcrpy replaying a cassette) answers in the server's
place, and vcrpy's passthrough (which unpatches every library for a moment, in every
thread) never races with the app's own requests.

Example:
    >>> browser = FakeBrowser("deny", consent=False)
    >>> browser.redirect_url("https://www.tiktok.com/v2/auth/authorize/?client_key=k&scope=user.info.basic"
    ...                      "&redirect_uri=http%3A%2F%2F127.0.0.1%3A3456%2Fcallback%2F&state=s1")
    'http://127.0.0.1:3456/callback/?error=access_denied&error_description=The+user+denied+the+request&state=s1'
    >>> FakeBrowser(consent=False, code="c*de!").redirect_url("https://x/?redirect_uri=https%3A%2F%2Fapp.test%2Fcb&scope=a")
    'https://app.test/cb?code=c%2Ade%21&scopes=a&state='
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

__all__ = ["BrowserError", "Decision", "FakeBrowser"]

Decision = Literal["approve", "deny"]

#: The code a ``consent=False`` browser hands over unless told otherwise (TikTok's codes
#: hold ``*`` and ``!``, which must be percent-encoded).
_DEFAULT_CODE = "fake*code!"
_REDIRECTS = (301, 302, 303, 307, 308)


class BrowserError(RuntimeError):
    """The page was not what a consent page looks like (no form, no such button, ...)."""


class FakeBrowser:
    """Approve or deny a TikTok login like a person in a browser would.

    ``decision`` is the button the person presses (or, with ``consent=False``, the redirect
    TikTok sends). ``scopes`` are the scopes the person grants (None: all that were asked):
    with a consent page, the optional boxes left ticked (a comma-separated string or any
    iterable); without one, exactly what the redirect reports. ``code`` and ``state``, when
    given, replace the code and the state in the redirect (to test a code TikTok never
    issued, or a forged state); without a consent page the code is ``fake*code!``.
    ``follow_redirect=False`` stops at the redirect (its URL is in :attr:`callback_url`);
    ``background=False`` works in the calling thread; ``opened=False`` is a browser that
    failed to open (the call returns False and does nothing).

    Example:
        >>> from pytok_sm.sandbox import Sandbox
        >>> with Sandbox() as sb:
        ...     browser = FakeBrowser("deny", follow_redirect=False)
        ...     url = (sb.authorization_url + "?client_key=" + sb.client_key + "&response_type=code"
        ...            "&scope=user.info.basic&redirect_uri=http%3A%2F%2F127.0.0.1%3A3456%2Fcallback%2F"
        ...            "&state=s1&code_challenge=" + "0" * 64 + "&code_challenge_method=S256")
        ...     browser(url)
        ...     browser.join(5)
        ...     browser.page_status, browser.callback_url.split("?")[1].startswith("error=access_denied")
        True
        (200, True)
    """

    def __init__(
        self,
        decision: Decision = "approve",
        *,
        consent: bool = True,
        scopes: str | Iterable[str] | None = None,
        code: str | None = None,
        state: str | None = None,
        follow_redirect: bool = True,
        background: bool = True,
        opened: bool = True,
        timeout: float = 10.0,
    ) -> None:
        if decision not in ("approve", "deny"):
            raise ValueError("decision is 'approve' or 'deny'")
        self.decision: Decision = decision
        self.consent = consent
        self.scopes = None if scopes is None else tuple(scopes.split(",") if isinstance(scopes, str) else scopes)
        self.code = code
        self.state = state
        self.follow_redirect = follow_redirect
        self.background = background
        self.opened = opened
        self.timeout = timeout
        #: Every URL this browser was asked to open.
        self.opened_urls: list[str] = []
        #: Status and HTML of the authorize page (an error page is status 400); consent mode only.
        self.page_status: int | None = None
        self.page_body: str | None = None
        #: Where the redirect sent the browser (the app's callback URL, with its query).
        self.callback_url: str | None = None
        #: What the app's callback answered (only with ``follow_redirect``).
        self.last_callback_status: int | None = None
        self.last_callback_body: str | None = None
        #: The exception that ended the last run, if any (:meth:`join` re-raises it).
        self.exception: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()

    # --- webbrowser.open-compatible entry point -----------------------------------------
    def __call__(self, url: str, *args: Any, **kwargs: Any) -> bool:
        """Open ``url`` (the other arguments of ``webbrowser.open`` are ignored)."""
        self.opened_urls.append(url)
        if not self.opened:
            return False
        self.exception = None
        self._done.clear()
        if not self.background:
            try:
                self._run(url)
            finally:
                self._done.set()
            return True
        self._thread = threading.Thread(target=self._run_in_thread, args=(url,), name="FakeBrowser", daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = 10.0) -> None:
        """Wait for the last run; re-raise its exception; TimeoutError if still running."""
        if not self._done.wait(timeout):
            raise TimeoutError("the fake browser is still busy")
        if self._thread is not None:
            self._thread.join(timeout)
        if self.exception is not None:
            raise self.exception

    @property
    def done(self) -> bool:
        """True when no run is in progress."""
        return self._done.is_set()

    def redirect_url(self, authorize_url: str) -> str:
        """The redirect TikTok would send for ``authorize_url`` (what ``consent=False`` visits)."""
        query = dict(parse_qsl(urlsplit(authorize_url).query))
        state = self.state if self.state is not None else query.get("state", "")
        if self.decision == "deny":
            params = {"error": "access_denied", "error_description": "The user denied the request", "state": state}
        else:
            scopes = ",".join(self.scopes) if self.scopes else query.get("scope", "")
            code = self.code if self.code is not None else _DEFAULT_CODE
            params = {"code": code, "scopes": scopes, "state": state}
        return f"{query['redirect_uri']}?{urlencode(params)}"

    # --- the work -----------------------------------------------------------------------
    def _run_in_thread(self, url: str) -> None:
        try:
            self._run(url)
        except BaseException as exc:  # noqa: BLE001 - handed to join()
            self.exception = exc
        finally:
            self._done.set()

    def _run(self, url: str) -> None:
        if self.consent:
            callback = self._consent(url)
            if callback is None:
                return  # an error page: a person would stop there
            self.callback_url = self._overridden(callback)
        else:
            self.callback_url = self.redirect_url(url)
        if self.follow_redirect:
            answer = _fetch("GET", self.callback_url, timeout=self.timeout)
            self.last_callback_status, self.last_callback_body = answer.status, answer.body

    def _consent(self, url: str) -> str | None:
        """Press the button on the authorize page; the redirect's URL (None: an error page)."""
        page = _fetch("GET", url, timeout=self.timeout)
        self.page_status, self.page_body = page.status, page.body
        if page.status != 200:
            return None
        form = self._consent_form(page.body)
        target = urljoin(url, form.action)
        answer = _fetch("POST", target, self._form_data(form), timeout=self.timeout)
        location = answer.headers.get("location")
        if answer.status not in _REDIRECTS or not location:
            raise BrowserError(f"the decision was answered {answer.status} without a redirect")
        return urljoin(target, location)

    def _overridden(self, callback: str) -> str:
        """``callback`` with the ``code`` and ``state`` this browser was told to send."""
        overrides = {"code": self.code, "state": self.state}
        if all(value is None for value in overrides.values()):
            return callback
        base, _, query = callback.partition("?")
        pairs = [(name, overrides.get(name) or value) for name, value in parse_qsl(query, keep_blank_values=True)]
        return f"{base}?{urlencode(pairs)}"

    def _consent_form(self, page: str) -> _Form:
        parser = _FormParser()
        parser.feed(page)
        parser.close()
        for form in parser.forms:
            if form.method == "post" and any(b.get("id") == self.decision for b in form.buttons):
                return form
        raise BrowserError(f"no POST form with a button id={self.decision!r} on the page")

    def _form_data(self, form: _Form) -> dict[str, list[str]]:
        data: dict[str, list[str]] = {}
        for field_ in form.inputs:
            name, kind = field_.get("name"), (field_.get("type") or "text").lower()
            if not name or "disabled" in field_:
                continue
            value = field_.get("value") or ""
            if kind == "checkbox":
                ticked = "checked" in field_ if self.scopes is None else value in self.scopes
                if not ticked:
                    continue
            elif kind in ("submit", "button", "image", "reset"):
                continue
            data.setdefault(name, []).append(value)
        button = next(b for b in form.buttons if b.get("id") == self.decision)
        if button.get("name"):
            data.setdefault(str(button["name"]), []).append(button.get("value") or "")
        return data


@dataclass
class _Form:
    action: str
    method: str
    inputs: list[dict[str, str | None]] = field(default_factory=list)
    buttons: list[dict[str, str | None]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects forms with their inputs and buttons (enough for a consent page)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._current: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._current = _Form(
                action=attributes.get("action") or "", method=(attributes.get("method") or "get").lower()
            )
            self.forms.append(self._current)
        elif self._current is not None and tag == "input":
            self._current.inputs.append(attributes)
        elif self._current is not None and tag == "button":
            self._current.buttons.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


# --- HTTP, as a browser speaks it ------------------------------------------------------
@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: str


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process (building one costs tens of milliseconds)."""
    return ssl.create_default_context()


def _fetch(method: str, url: str, form: dict[str, list[str]] | None = None, *, timeout: float = 10.0) -> _Answer:
    """One request over a bare socket, ``Connection: close``; redirects are not followed.

    Example:
        >>> import threading
        >>> from http.server import BaseHTTPRequestHandler, HTTPServer
        >>> class Page(BaseHTTPRequestHandler):
        ...     def do_GET(self):
        ...         self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        ...         self.wfile.write(b"ok")
        ...     def log_message(self, *args): pass
        >>> server = HTTPServer(("127.0.0.1", 0), Page)
        >>> threading.Thread(target=server.handle_request, daemon=True).start()
        >>> answer = _fetch("GET", f"http://127.0.0.1:{server.server_port}/callback/?code=x")
        >>> answer.status, answer.headers["content-length"], answer.body
        (200, '2', 'ok')
        >>> server.server_close()
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or "127.0.0.1"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = urlencode(form, doseq=True).encode("ascii") if form is not None else b""
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {parts.netloc}",
        "User-Agent: pytok-sm-FakeBrowser/1",
        "Accept: text/html,*/*;q=0.8",
        "Connection: close",
    ]
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(socket.create_connection((host, parts.port or (443 if https else 80)), timeout))
        if https:
            conn = stack.enter_context(_tls().wrap_socket(conn, server_hostname=host))
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _dechunked(payload)
    return _Answer(int(status_line.split()[1]), headers, payload.decode("utf-8", "replace"))


def _dechunked(payload: bytes) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` answer."""
    body = bytearray()
    while True:
        size_line, _, rest = payload.partition(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            return bytes(body)
        body += rest[:size]
        payload = rest[size + 2 :]
