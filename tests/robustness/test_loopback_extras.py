"""Loopback-server rows of docs/ROBUSTNESS.md that test_loopback_attacks.py leaves open:
where it listens (127.0.0.1 only, and only while a flow waits) and what it logs (the
verdict, never the request line or query). Driven through a real login on the sandbox."""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytok_sm import LoginKit
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser, capture_transitions

from ..ports import free_port
from .sandbox_kit import browser_login


def accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def listeners(port: int) -> list[str]:
    """Local addresses listening on ``port``, from the kernel's own table (Linux)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address if len(address) == width else "?")
    return found


def snooping(browser: Callable[[str], Any], look: Callable[[str], None]) -> Callable[[str], Any]:
    """An ``open_browser`` that first looks at the waiting loopback server, then logs in."""

    def open_browser(url: str) -> Any:
        look(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"])
        return browser(url)

    return open_browser


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_the_callback_server_listens_on_127_0_0_1_only_and_only_while_the_flow_waits(
    sb: Sandbox, make_kit: Callable[..., LoginKit]
) -> None:
    port = free_port()
    kit = make_kit(port=port, redirect_uri=f"http://127.0.0.1:{port}/callback/")
    seen: dict[str, Any] = {}

    def look(redirect_uri: str) -> None:
        seen["redirect_uri"] = redirect_uri
        seen["listeners"] = listeners(port)
        seen["other loopback address"] = accepts("127.0.0.2", port)  # 0.0.0.0 would answer here

    assert listeners(port) == [] and not accepts("127.0.0.1", port)  # nothing before the flow
    browser_login(kit, snooping(FakeBrowser(), look))
    assert seen == {
        "redirect_uri": f"http://127.0.0.1:{port}/callback/",
        "listeners": ["0100007F"],  # 127.0.0.1, little-endian hex; no IPv6 listener
        "other loopback address": False,
    }
    assert listeners(port) == [] and not accepts("127.0.0.1", port)  # nothing after it


def test_the_callback_server_logs_verdicts_never_the_request_line_or_query(
    sb: Sandbox, make_kit: Callable[..., LoginKit], caplog: pytest.LogCaptureFixture
) -> None:
    marker = "drive-by-marker-5f0c"

    def drive_by(redirect_uri: str) -> None:  # a web page firing requests at the loopback port
        for target in (f"{redirect_uri}?code={marker}&state={marker}", redirect_uri.replace("/callback/", f"/{marker}")):
            try:
                urllib.request.urlopen(target, timeout=5)  # noqa: S310 - loopback only
            except urllib.error.HTTPError as refused:
                assert refused.code in (400, 404)

    caplog.set_level("DEBUG")
    kit = make_kit()
    with capture_transitions(all_events=True) as events:
        browser_login(kit, snooping(FakeBrowser(), drive_by))
    verdicts = [(e["verdict"], e["reason"]) for e in events if e["event"] == "callback"]
    assert verdicts == [("reject", "state mismatch"), ("accept", "callback accepted")]
    assert marker not in repr(events) and marker not in caplog.text
    assert kit.token is not None
