"""A scripted browser: opens an authorize URL, clicks Approve or Deny, follows the redirect.

It does what a person does in a real browser, with plain HTTP: GET the consent page,
parse its ``<form>`` (stdlib :mod:`html.parser`), submit it with the chosen button (unticking
scopes if asked), read the ``302`` ``Location`` and GET it, which is the app's loopback
callback. It is a drop-in for ``webbrowser.open``: pass it as ``open_browser=`` to a flow;
by default it works in a background thread, so the flow can keep serving its callback.

Example:
    >>> browser = ScriptedBrowser(decision="deny", background=False)
    >>> browser.decision, browser.opened_urls
    ('deny', [])
"""

from __future__ import annotations

import functools
import ssl
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urljoin

import httpx

__all__ = ["BrowserError", "ScriptedBrowser"]

Decision = Literal["approve", "deny"]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (building one per run costs ~0.1 s)."""
    return httpx.create_ssl_context()


class BrowserError(RuntimeError):
    """The page was not what a consent page looks like (no form, no such button, ...)."""


@dataclass
class _Form:
    action: str
    method: str
    inputs: list[dict[str, str | None]] = field(default_factory=list)
    buttons: list[dict[str, str | None]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Collects forms with their inputs and buttons (enough for the consent page)."""

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


class ScriptedBrowser:
    """Approve or deny a TikTok (sandbox) authorize page like a person would.

    Example:
        >>> from pytok_sm.sandbox import Sandbox
        >>> with Sandbox() as sb:
        ...     browser = ScriptedBrowser(decision="deny", follow_redirect=False)
        ...     url = (sb.authorization_url + "?client_key=" + sb.client_key + "&response_type=code"
        ...            "&scope=user.info.basic&redirect_uri=http%3A%2F%2F127.0.0.1%3A3456%2Fcallback%2F"
        ...            "&state=s1&code_challenge=" + "0" * 64 + "&code_challenge_method=S256")
        ...     browser(url)
        ...     browser.join(5)
        ...     browser.callback_url.split("?")[1].startswith("error=access_denied")
        True
        True
    """

    def __init__(
        self,
        decision: Decision = "approve",
        scopes: list[str] | tuple[str, ...] | None = None,
        follow_redirect: bool = True,
        *,
        background: bool = True,
        timeout: float = 10.0,
    ) -> None:
        if decision not in ("approve", "deny"):
            raise ValueError("decision is 'approve' or 'deny'")
        self.decision: Decision = decision
        #: Optional scopes left ticked (None: leave the page's defaults, all ticked).
        self.scopes = None if scopes is None else tuple(scopes)
        self.follow_redirect = follow_redirect
        self.background = background
        self.timeout = timeout
        #: Every URL this browser was asked to open.
        self.opened_urls: list[str] = []
        #: Status and HTML of the authorize page (an error page is status 400).
        self.page_status: int | None = None
        self.page_body: str | None = None
        #: The ``Location`` the decision redirected to (the app's callback URL).
        self.callback_url: str | None = None
        #: What the app's callback answered (only with ``follow_redirect``).
        self.last_callback_status: int | None = None
        self.last_callback_body: str | None = None
        #: The exception that ended the last run, if any.
        self.exception: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._done.set()

    # --- webbrowser.open-compatible entry point -----------------------------------------
    def __call__(self, url: str, *args: Any, **kwargs: Any) -> bool:
        """Open ``url`` (extra arguments of ``webbrowser.open`` are ignored); returns True."""
        self.opened_urls.append(url)
        self.exception = None
        self._done.clear()
        if not self.background:
            try:
                self._run(url)
            finally:
                self._done.set()
            return True
        self._thread = threading.Thread(target=self._run_in_thread, args=(url,), name="ScriptedBrowser", daemon=True)
        self._thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the last run; re-raise its exception; TimeoutError if still running."""
        if not self._done.wait(timeout):
            raise TimeoutError("the scripted browser is still busy")
        if self._thread is not None:
            self._thread.join(timeout)
        if self.exception is not None:
            raise self.exception

    @property
    def done(self) -> bool:
        """True when no run is in progress."""
        return self._done.is_set()

    # --- the work -----------------------------------------------------------------------
    def _run_in_thread(self, url: str) -> None:
        try:
            self._run(url)
        except BaseException as exc:  # noqa: BLE001 - handed to join()
            self.exception = exc
        finally:
            self._done.set()

    def _run(self, url: str) -> None:
        headers = {"User-Agent": "pytok-sm-ScriptedBrowser/1", "Accept": "text/html,*/*;q=0.8"}
        with httpx.Client(
            follow_redirects=False, timeout=self.timeout, trust_env=False, headers=headers, verify=_tls_context()
        ) as client:
            page = client.get(url)
            self.page_status, self.page_body = page.status_code, page.text
            if page.status_code != 200:
                return  # an error page: a person would stop here
            form = self._consent_form(page.text)
            target = urljoin(str(page.url), form.action)
            answer = client.post(target, data=self._form_data(form))
            location = answer.headers.get("location")
            if answer.status_code not in (301, 302, 303, 307, 308) or not location:
                raise BrowserError(f"the decision was answered {answer.status_code} without a redirect")
            self.callback_url = urljoin(target, location)
            if self.follow_redirect:
                callback = client.get(self.callback_url)
                self.last_callback_status = callback.status_code
                self.last_callback_body = callback.text

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
