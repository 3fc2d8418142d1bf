"""``pytok demo``: a whole login told as a story, against the embedded sandbox emulator.

No credentials and no network: the sandbox (:mod:`pytok_sm.sandbox`) plays TikTok on
127.0.0.1, a scripted browser presses Authorize on its consent page (or, with ``qr=True``, a
scripted phone scans the QR code), and the real :class:`~pytok_sm.LoginKit` does the rest:
login, user info, refresh, a video post (:mod:`pytok_sm.cli.demo_post`: a small MP4-shaped
file uploaded in two chunks, SELF_ONLY), revoke. Every transition is shown as it happens.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> run_demo(out=out)
    0
    >>> "authorized" in out.getvalue() and "PUBLISH_COMPLETE" in out.getvalue() and "revoked" in out.getvalue()
    True
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from .. import logs
from .._kit import LoginKit
from .._token import Token, mask
from .demo_post import post_video
from .exits import ExitCode
from .progress import is_interactive
from .session import Command, Session

__all__ = ["DEMO", "run_demo"]

_SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.publish")
_FIELDS = ("open_id", "display_name", "username", "bio_description", "follower_count", "likes_count")


class _Story:
    """Writes the demo's lines: numbered steps, indented details, transitions as they come."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0
        self._lock = threading.Lock()

    def title(self, text: str) -> None:
        self.step += 1
        self.line(f"\n{self.step}. {text}")

    def line(self, text: str = "") -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def detail(self, text: str) -> None:
        self.line(f"   {text}")

    def event(self, entry: dict[str, Any]) -> None:
        if entry.get("event") == "transition":
            extra = "".join(
                f"  {key}={entry[key]}"
                for key in ("attempt", "http_status", "error", "opened", "rotated", "qr_status", "already_dead")
                if key in entry
            )
            self.detail(
                f"[{entry['flow']} {entry['flow_id'][:6]}] {entry['source']} --{entry['trigger']}--> "
                f"{entry['dest']}{extra}"
            )


@contextlib.contextmanager
def _shown(story: _Story) -> Iterator[None]:
    with logs.listen(story.event):
        yield


def _describe(story: _Story, token: Token) -> None:
    left = max(0, int(token.expires_at - time.time()))
    story.detail(f"open_id          {token.open_id}")
    story.detail(f"granted scopes   {', '.join(sorted(token.scopes))}")
    story.detail(f"access token     {mask(token.access_token)}  (expires in {left // 3600}h{left % 3600 // 60:02d}m)")
    story.detail(f"refresh token    {mask(token.refresh_token)}")


def run_demo(*, qr: bool = False, out: TextIO | None = None, color: bool = False) -> int:
    """Run the demo and return the exit code (0 when the whole story went through)."""
    import sys

    from ..sandbox import Sandbox
    from ..testing import FakeBrowser

    story = _Story(out or sys.stdout)
    story.line("pytok demo: a TikTok login and post against the embedded sandbox (no credentials, no network)")
    with Sandbox() as sandbox:
        story.title("TikTok, emulated")
        story.detail(f"sandbox          {sandbox.base_url}")
        story.detail(f"app              {sandbox.app.name} (client_key {sandbox.client_key})")
        kit = LoginKit(
            sandbox.client_key,
            sandbox.client_secret,
            scopes=_SCOPES,
            port=0,
            redirect_uri="http://127.0.0.1:*/callback/",
            authorization_url=sandbox.authorization_url,
            base_api_url=sandbox.base_api_url,
            qr_poll_interval=0.2,
        )
        with kit, _shown(story):
            if qr:
                token = _qr_login(story, kit, sandbox, color=color)
            else:
                story.title("Browser login (a scripted browser presses Authorize on the consent page)")
                browser = FakeBrowser("approve")
                token = kit.oauth_server(timeout=60, open_browser=browser)
                browser.join(10)
                story.detail(f"browser saw      {browser.last_callback_status}: Authentication workflow completed")
            _describe(story, token)

            story.title("Who is this? (Display API, GET /v2/user/info/)")
            user = kit.get_user_info(_FIELDS)
            for name in _FIELDS:
                story.detail(f"{name:<17}{user.get(name)}")

            story.title("Refresh (TikTok rotates the refresh token: the old one dies)")
            old = token.refresh_token
            token = kit.refresh_access_token()
            story.detail(f"old refresh token alive at TikTok: {sandbox.is_alive(old or '')}")
            _describe(story, token)

            story.title("Post a video (Content Posting API: creator info, chunked upload, status)")
            post_video(story, kit, sandbox)

            story.title("Revoke")
            kit.revoke_access_token()
            story.detail(f"token alive at TikTok: {sandbox.is_alive(token.access_token)}; "
                         f"kit.current_access_token = {kit.current_access_token}")
    story.line("\nDone: logged in, read the profile, refreshed, posted a video and revoked, all against the sandbox.")
    return 0


def _qr_login(story: _Story, kit: LoginKit, sandbox: Any, *, color: bool) -> Token:
    from ..qr import render_terminal

    story.title("QR code login (a scripted phone scans and confirms)")
    qr_url, qr_token, ticket = kit.generate_qr_code()
    story.line(render_terminal(qr_url, color=color))
    story.detail(f"QR URL: {qr_url.replace(ticket, mask(ticket))}")

    def phone() -> None:
        time.sleep(0.5)
        story.detail("[phone] scanned the code")
        sandbox.phone_scan(qr_url)
        time.sleep(0.5)
        story.detail("[phone] pressed Confirm")
        sandbox.phone_confirm(qr_url)

    person = threading.Thread(target=phone, daemon=True)
    person.start()
    token = kit.oauth_qrcode(qr_token, ticket, timeout=60)
    person.join(5)
    return token


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--qr", action="store_true", help="log in by QR code (a scripted phone scans it)")


def _run(args: argparse.Namespace, session: Session) -> int:
    color = is_interactive(session.out) and "NO_COLOR" not in session.environ
    run_demo(qr=args.qr, out=session.out, color=color)
    return ExitCode.OK


DEMO = Command(
    name="demo",
    help="a whole login, profile, refresh, post and revoke against the embedded sandbox (no credentials)",
    description=(
        "Start the sandbox emulator, log in with the real browser flow (a scripted browser presses "
        "Authorize; --qr: the QR flow with a scripted phone), show the transition log as it happens, "
        "the profile and a masked token, then refresh, post a small video (SELF_ONLY, two chunks) and revoke. "
        "No credentials, no network."
    ),
    add_arguments=_arguments,
    run=_run,
)
