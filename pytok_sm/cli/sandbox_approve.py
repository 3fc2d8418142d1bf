"""``pytok sandbox approve`` and ``pytok sandbox deny``: decide the newest pending login.

What a person with the consent page in front of them would do, from another terminal: the
running sandbox (or ``$PYTOK_SANDBOX``'s) lists the browser logins waiting for a decision at
``/sandbox/pending``; the newest one is decided (its optional scopes all granted, as the
consent page has them ticked), and the redirect the browser would follow is followed to the
app's loopback callback, whose answer is reported. ``--wait SECONDS`` waits for a login to
appear (``pytok login --sandbox &`` in a script, then ``pytok sandbox approve --wait 30``).

Example:
    >>> where("http://127.0.0.1:5000/callback/?code=secret&state=secret")
    'http://127.0.0.1:5000/callback/'
"""

from __future__ import annotations

import argparse
import time
import urllib.parse
from typing import Any

from .exits import CheckFailed, ExitCode
from .session import Session

__all__ = ["add_arguments", "decide", "wait_seconds", "where"]

_REDIRECTS = (301, 302, 303, 307, 308)


def wait_seconds(text: str) -> float:
    """argparse type: seconds to wait, 0..3600.

    Example:
        >>> wait_seconds("2.5")
        2.5
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be 0..3600 seconds, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``pytok sandbox approve`` and ``deny``."""
    parser.add_argument(
        "--wait", type=wait_seconds, default=0.0, metavar="SECONDS",
        help="wait up to this long for a login to be waiting (default 0: it must be there already)",
    )


def where(url: str) -> str:
    """A callback URL without its query (which holds the code and the state)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _pending(base: str) -> list[dict[str, Any]]:
    import httpx

    try:
        answer = httpx.get(base + "/sandbox/pending", params={"format": "json"}, timeout=10.0, trust_env=False)
        items = answer.json()["pending"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise CheckFailed(f"the sandbox at {base} did not list its pending logins; is it a pytok_sm sandbox?") from None
    return [item for item in items if isinstance(item, dict)]


def decide(args: argparse.Namespace, session: Session, decision: str) -> int:
    """Approve (or deny) the newest login waiting at the sandbox; follow its redirect."""
    import httpx

    target = session.sandbox()
    deadline = time.monotonic() + args.wait
    while not (items := _pending(target.url)):
        if time.monotonic() >= deadline:
            waited = f" within {args.wait:g} s" if args.wait else ""
            raise CheckFailed(
                f"no login is waiting for approval in the sandbox at {target.url}{waited}; start one with "
                "pytok login --sandbox (--wait SECONDS waits for one)"
            )
        time.sleep(0.2)
    item = items[0]
    scopes = [str(scope) for scope in item.get("scopes", [])]
    form = {"consent": str(item.get("consent", "")), "decision": decision, "scope": scopes}
    try:
        answer = httpx.post(target.url + str(item.get("action", "")), data=form, timeout=10.0, trust_env=False)
    except httpx.HTTPError as exc:
        raise CheckFailed(f"the sandbox at {target.url} did not take the decision ({type(exc).__name__})") from None
    location = answer.headers.get("location")
    if answer.status_code not in _REDIRECTS or not location:
        raise CheckFailed(f"the sandbox did not take the decision (HTTP {answer.status_code}); the login may have expired")
    callback = where(location)
    try:
        # The browser's part: the redirect to the app, which answers once it has the token.
        reached = httpx.get(location, timeout=60.0, trust_env=False)
    except httpx.HTTPError:
        raise CheckFailed(f"the app that asked ({callback}) is no longer waiting: nothing answered there") from None
    verb = "Approved" if decision == "approve" else "Denied"
    session.print(
        f"{verb} the login of {item.get('app', '?')} (scopes {','.join(scopes)}); "
        f"the app at {callback} answered {reached.status_code}."
    )
    return ExitCode.OK
