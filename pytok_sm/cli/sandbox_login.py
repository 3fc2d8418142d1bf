"""``pytok login --sandbox``: which sandbox, and how the login gets approved without a person.

The login uses the running sandbox (``pytok sandbox start``, or ``$PYTOK_SANDBOX``) and says
so; when none runs, it starts one in this process, which stops when the command ends (and
says that too). Its token goes to the sandbox's token file, never to the real one.

Who presses the button:

* ``--approve`` / ``--deny``: pytok itself, on the sandbox's consent page, as
  :class:`pytok_sm.testing.FakeBrowser` does (QR: the sandbox's phone confirms or cancels);
* a browser, when there is one (a display, or ``$BROWSER``), as for TikTok;
* otherwise (no display, or ``--no-browser``) the login is put on the sandbox's list of
  logins waiting for approval (its authorize page is fetched, as a browser would), and the
  person is told where to approve it: the page ``/sandbox/pending``, or ``pytok sandbox
  approve`` in another terminal.

An authorize request the sandbox refuses (an unknown ``--client-key``, say) ends the login at
once, with the sandbox's reason, instead of waiting for an approval that cannot come.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="pytok login")
    >>> add_arguments(parser)
    >>> parser.parse_args(["--approve"]).decision
    'approve'
"""

from __future__ import annotations

import argparse
import contextlib
import html
import re
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from .exits import CheckFailed, UsageError
from .sandbox_state import ENV_SANDBOX, SandboxTarget
from .session import Session

__all__ = ["SandboxLogin", "SandboxRefused", "add_arguments", "check_arguments"]

_LABELS = {"approve": ("Authorize", "confirmed"), "deny": ("Cancel", "denied")}


class SandboxRefused(CheckFailed):
    """The sandbox showed an error page for the authorize request (exit code 1)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--approve`` and ``--deny`` (one of them), for ``pytok login``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--approve", dest="decision", action="store_const", const="approve",
        help="with --sandbox: press Authorize on the sandbox's consent page yourself (QR: confirm on its phone)",
    )
    group.add_argument(
        "--deny", dest="decision", action="store_const", const="deny",
        help="with --sandbox: press Cancel instead (the login ends denied, exit 4)",
    )


def check_arguments(args: argparse.Namespace, session: Session) -> None:
    """``--approve``/``--deny`` only make sense against the sandbox."""
    if getattr(args, "decision", None) and not session.sandbox_requested():
        raise UsageError("--approve and --deny work only with --sandbox (real TikTok waits for a person)")


class SandboxLogin:
    """The sandbox side of one ``pytok login``: the target, and who approves."""

    def __init__(self, session: Session, target: SandboxTarget, *, decision: str | None, embedded: bool) -> None:
        self.session = session
        self.target = target
        self.decision = decision
        self.embedded = embedded
        self._refusal: str | None = None

    @classmethod
    def enter(cls, session: Session, args: argparse.Namespace, stack: contextlib.ExitStack) -> SandboxLogin:
        """Use the running sandbox, or start one in this process for this command only."""
        target = session.find_sandbox()
        embedded = target is None
        if target is None:
            from ..sandbox import Sandbox

            sandbox = stack.enter_context(Sandbox())
            target = SandboxTarget(sandbox.base_url, sandbox.client_key, sandbox.client_secret)
            session.use_sandbox(target)
            session.terminal.say(
                f"Sandbox running at {target.url}, in this command only: it stops when this command ends "
                "(pytok sandbox start runs one that stays, for whoami, refresh and revoke)."
            )
        else:
            where = f"pid {target.pid}" if target.pid is not None else f"${ENV_SANDBOX}"
            session.terminal.say(f"Using the sandbox at {target.url} ({where}).")
        return cls(session, target, decision=getattr(args, "decision", None), embedded=embedded)

    @property
    def url(self) -> str:
        """The sandbox's base URL."""
        return self.target.url

    # ------------------------------------------------------------------ the browser login
    def opener(self, browser: Any) -> Any:
        """The ``open_browser=`` to use: pytok pressing the button, the person's browser, or
        the pending list (``browser`` is False: no browser here)."""
        if self.decision is not None:
            return self._press
        if browser is False:
            return self._put_on_the_pending_list
        return browser

    def watch(self, on_tick: Callable[[Any], None]) -> Callable[[Any], None]:
        """``on_tick`` that first ends the login when the sandbox refused its authorize request."""

        def tick(flow: Any) -> None:
            if self._refusal is not None:
                raise SandboxRefused(f"the sandbox refused the authorization request: {self._refusal}")
            on_tick(flow)

        return tick

    def _press(self, url: str) -> bool:
        from ..testing import FakeBrowser

        assert self.decision in ("approve", "deny")
        browser = FakeBrowser(self.decision, follow_redirect=False, background=False)  # type: ignore[arg-type]
        try:
            browser(url)
        except Exception as exc:  # noqa: BLE001 - a page we cannot use: said, and the URL is printed
            self.session.warn(f"could not press the button on the sandbox's consent page ({type(exc).__name__})")
            return False
        if browser.callback_url is None:
            self._refusal = _reason(browser.page_status, browser.page_body or "")
            return False
        label = _LABELS[self.decision][0]
        self.session.terminal.say(f"Sandbox: pressed {label} on the consent page (--{self.decision}).")
        # The browser follows the redirect to our loopback server, which answers once the
        # code is exchanged: in a thread, while this one serves the callback.
        threading.Thread(target=_follow, args=(browser.callback_url,), name="pytok-redirect", daemon=True).start()
        return True

    def _put_on_the_pending_list(self, url: str) -> bool:
        import httpx

        try:
            page = httpx.get(url, timeout=10.0, trust_env=False)
        except httpx.HTTPError as exc:
            self.session.warn(f"could not reach the sandbox's authorize page ({type(exc).__name__})")
            return False
        if page.status_code != 200:
            self._refusal = _reason(page.status_code, page.text)
            return False
        command = "pytok sandbox approve" if not self.embedded else f"{ENV_SANDBOX}={self.url} pytok sandbox approve"
        self.session.terminal.say(
            f"Sandbox: this login waits for approval at {self.url}/sandbox/pending; approve it there, or with "
            f"{command} in another terminal (pytok login --sandbox --approve approves by itself)."
        )
        return False  # no browser was opened: the URL is printed too

    # ------------------------------------------------------------------ the QR login
    def qr_shown(self, qr_url: str) -> None:
        """The QR code is on screen: show the sandbox's phone, or let it decide (``--approve``)."""
        phone = f"{self.url}/sandbox/phone?url={urllib.parse.quote(qr_url, safe='')}"
        if self.decision is None:
            self.session.terminal.say(f"Sandbox: play the phone at {phone}")
            return
        import httpx

        action = "confirm" if self.decision == "approve" else "deny"
        try:
            answer = httpx.post(f"{self.url}/sandbox/phone/{action}", data={"url": qr_url}, timeout=10.0, trust_env=False)
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            self.session.warn(f"the sandbox's phone could not {action} the QR code ({type(exc).__name__}); use {phone}")
            return
        self.session.terminal.say(f"Sandbox: the phone {_LABELS[self.decision][1]} the QR code (--{self.decision}).")


def _follow(callback_url: str) -> None:
    import httpx

    with contextlib.suppress(httpx.HTTPError):
        httpx.get(callback_url, timeout=60.0, trust_env=False)


def _reason(status: int | None, page: str) -> str:
    """What the sandbox's error page says: ``invalid_client (client_key: The client_key is ...)``.

    Example:
        >>> _reason(400, '<div id="error" data-error="invalid_client" data-param="client_key">'
        ...              '<p class="muted" id="error-description">Unknown &amp; gone.</p>')
        'invalid_client (client_key: Unknown & gone.)'
    """
    error = re.search(r'data-error="([^"]*)"', page)
    param = re.search(r'data-param="([^"]*)"', page)
    description = re.search(r'id="error-description">([^<]*)<', page)
    if error is None:
        return f"HTTP {status} instead of the consent page"
    detail = ": ".join(html.unescape(m.group(1)) for m in (param, description) if m is not None)
    return html.unescape(error.group(1)) + (f" ({detail})" if detail else "")
