"""Every flow end to end against the sandbox emulator over real HTTP, sync and async."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser, capture_transitions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def login(runner: Any, decision: str = "approve", scopes: list[str] | None = None) -> tuple[Any, FakeBrowser]:
    browser = FakeBrowser(decision, scopes=scopes)  # type: ignore[arg-type]
    try:
        return runner("oauth_server", timeout=20, open_browser=browser), browser
    finally:
        browser.join(10)


# ---------------------------------------------------------------- browser
def test_browser_login_gets_a_token_the_sandbox_issued(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    token, browser = login(runner)
    assert sandbox.is_alive(token.access_token) and sandbox.is_alive(token.refresh_token)
    assert token.open_id and token.scopes == {"user.info.basic"}
    assert browser.last_callback_status == 200
    assert "Authentication workflow completed" in browser.last_callback_body
    assert runner.kit.current_access_token == token.access_token


def test_the_person_may_untick_an_optional_scope(make_runner: Any) -> None:
    runner = make_runner(scopes=["user.info.basic", "user.info.stats"])
    token, _ = login(runner, scopes=["user.info.basic"])
    assert token.scopes == {"user.info.basic"}
    assert runner.kit.granted_scopes == {"user.info.basic"}
    with pytest.raises(pytok_sm.ScopeError):
        runner("get_user_info", ["follower_count"])


def test_deny_ends_in_authorization_denied(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    with pytest.raises(pytok_sm.AuthorizationDenied, match="access_denied"):
        login(runner, "deny")
    assert sandbox.count("token") == 0
    assert runner.kit.token is None


def test_a_login_nobody_finishes_times_out_and_frees_the_port(make_runner: Any) -> None:
    runner = make_runner()
    seen: list[str] = []
    with pytest.raises(pytok_sm.FlowTimeout):
        runner("oauth_server", timeout=0.3, open_browser=lambda url: seen.append(url) or True)
    port = int(seen[0].split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")[1].split("%2F")[0])
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_the_transition_log_of_a_browser_login_event_by_event(sandbox: Sandbox) -> None:
    kit = pytok_sm.LoginKit(sandbox.client_key, sandbox.client_secret,
                            authorization_url=sandbox.authorization_url, base_api_url=sandbox.base_api_url,
                            port=0, redirect_uri="http://127.0.0.1:*/callback/",
                            open_browser=FakeBrowser("approve"))
    with capture_transitions(all_events=True) as events:
        kit.oauth_server(timeout=20)
    flow_id = events[0]["flow_id"]
    transitions = [e for e in events if e["event"] == "transition"]
    assert transitions == [
        {"event": "transition", "flow": "browser", "flow_id": flow_id, "trigger": "start",
         "source": "created", "dest": "listening"},
        {"event": "transition", "flow": "browser", "flow_id": flow_id, "trigger": "listened",
         "source": "listening", "dest": "opening_browser"},
        {"event": "transition", "flow": "browser", "flow_id": flow_id, "trigger": "browser_opened",
         "source": "opening_browser", "dest": "awaiting_callback", "opened": True},
        {"event": "transition", "flow": "browser", "flow_id": flow_id, "trigger": "code_received",
         "source": "awaiting_callback", "dest": "exchanging"},
        {"event": "transition", "flow": "browser", "flow_id": flow_id, "trigger": "token_issued",
         "source": "exchanging", "dest": "authorized"},
    ]
    # The loopback server's verdict comes from its own thread: after the browser was opened
    # (the scripted browser may be quicker than the driver) and before the code is exchanged.
    verdicts = [e for e in events if e["event"] == "callback"]
    assert verdicts == [{"event": "callback", "flow": "browser", "flow_id": flow_id, "verdict": "accept",
                         "reason": "callback accepted"}]
    order = [e.get("trigger", e["event"]) for e in events]
    assert order.index("listened") < order.index("callback") < order.index("code_received")


# ---------------------------------------------------------------- refresh and revoke
def test_refresh_rotates_twice_in_a_row_and_the_old_refresh_tokens_die(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    first, _ = login(runner)
    second = runner("refresh_access_token")
    third = runner("refresh_access_token")
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3
    assert not sandbox.is_alive(first.refresh_token) and not sandbox.is_alive(second.refresh_token)
    assert sandbox.is_alive(third.refresh_token) and runner.kit.token == third


def test_a_dead_refresh_token_means_log_in_again(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    token, _ = login(runner)
    sandbox.kill_token(token.refresh_token)
    with pytest.raises(pytok_sm.ReauthorizationRequired, match="log in again"):
        runner("refresh_access_token")
    assert runner.kit.token == token and sandbox.count("token") == 2


def test_revoke_kills_the_token_at_tiktok_and_forgets_it(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    token, _ = login(runner)
    runner("revoke_access_token")
    assert runner.kit.current_access_token is None
    assert not sandbox.is_alive(token.access_token)


def test_revoking_an_already_dead_token_succeeds(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    token, _ = login(runner)
    sandbox.kill_token(token.access_token)
    sandbox.switches.revoke_dead_token = "error"
    runner("revoke_access_token")
    assert runner.kit.current_access_token is None


# ---------------------------------------------------------------- user info
def test_user_info_returns_the_requested_fields_only(make_runner: Any) -> None:
    runner = make_runner()
    login(runner)
    user = runner("get_user_info", ["display_name", "open_id"])
    assert user == {"display_name": "Sandbox Creator", "open_id": runner.kit.token.open_id}


def test_user_info_429_then_success(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    login(runner)
    sandbox.faults.add("user_info", "rate_limit_429", retry_after=0)
    assert runner("get_user_info", ["display_name"])["display_name"] == "Sandbox Creator"
    assert sandbox.count("user_info") == 2


def test_user_info_401_then_refresh_then_success(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    token, _ = login(runner)
    sandbox.kill_token(token.access_token, reason="expired")
    assert runner("get_user_info", ["display_name"])["display_name"] == "Sandbox Creator"
    assert runner.kit.token.access_token != token.access_token
    assert [r.endpoint for r in sandbox.requests if r.endpoint in ("user_info", "token")][-3:] == [
        "user_info", "token", "user_info"]


def test_an_expired_access_token_is_refreshed_before_use(make_runner: Any, sandbox: Sandbox) -> None:
    clock = pytok_sm.testing.FakeClock()
    runner = make_runner(clock=clock)
    token, _ = login(runner)
    clock.advance(7200)
    runner("get_user_info", ["display_name"])
    assert runner.kit.token.access_token != token.access_token


# ---------------------------------------------------------------- QR code
def phone(sandbox: Sandbox, qr_url: str, *, confirm: bool = True) -> threading.Thread:
    def act() -> None:
        sandbox.phone_scan(qr_url)
        if confirm:
            sandbox.phone_confirm(qr_url)

    thread = threading.Thread(target=act)
    thread.start()
    return thread


def test_qr_login_new_scanned_confirmed(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    qr_url, qr_token, ticket = runner("generate_qr_code")
    assert f"client_ticket={ticket}" in qr_url and "tobefilled" not in qr_url
    with capture_transitions() as events:
        person = phone(sandbox, qr_url)
        token = runner("oauth_qrcode", qr_token, ticket, timeout=20)
        person.join()
    assert sandbox.is_alive(token.access_token)
    triggers = [e["trigger"] for e in events]
    assert triggers[0] == "poll_existing" and triggers[-2:] == ["confirm", "token_issued"]
    assert sandbox.qr_sessions[-1].status == "utilised"


def test_qr_code_expired(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    _, qr_token, ticket = runner("generate_qr_code")
    sandbox.clock.advance(sandbox.switches.qr_lifetime + 1)
    with pytest.raises(pytok_sm.QrCodeExpired, match="new one"):
        runner("oauth_qrcode", qr_token, ticket, timeout=20)


def test_qr_answer_with_a_foreign_ticket_is_refused_and_never_exchanged(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    qr_url, qr_token, ticket = runner("generate_qr_code")
    forged = qr_url.replace(ticket, "F" * len(ticket))
    phone(sandbox, forged).join()
    with pytest.raises(pytok_sm.QrTicketMismatch):
        runner("oauth_qrcode", qr_token, ticket, timeout=20)
    assert sandbox.count("token") == 0


def test_qr_code_utilised(make_runner: Any, sandbox: Sandbox) -> None:
    runner = make_runner()
    qr_url, qr_token, ticket = runner("generate_qr_code")
    phone(sandbox, qr_url).join()
    runner("oauth_qrcode", qr_token, ticket, timeout=20)
    with pytest.raises(pytok_sm.QrCodeUtilised):
        runner("oauth_qrcode", qr_token, ticket, timeout=20)


# ---------------------------------------------------------------- snapshot and resume in fresh processes
STEP_ONE = """
import json, sys, pytok_sm
kit = pytok_sm.LoginKit(sys.argv[1], sys.argv[2], redirect_uri="https://app.example.test/callback/",
                        authorization_url=sys.argv[3], base_api_url=sys.argv[4])
url, snapshot = kit.begin_browser_login()
print(json.dumps({"url": url, "snapshot": snapshot}))
"""

STEP_TWO = """
import json, sys, pytok_sm
kit = pytok_sm.LoginKit(sys.argv[1], sys.argv[2], redirect_uri="https://app.example.test/callback/",
                        authorization_url=sys.argv[3], base_api_url=sys.argv[4])
data = json.loads(sys.stdin.read())
token = kit.complete_browser_login(data["snapshot"], data["query"])
print(json.dumps({"open_id": token.open_id, "alive": token.access_token[:4]}))
"""


def run_python(code: str, args: list[str], stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_browser_flow_started_in_one_process_finishes_in_another(sandbox: Sandbox) -> None:
    args = [sandbox.web_client_key, sandbox.web_client_secret, sandbox.authorization_url, sandbox.base_api_url]
    first = json.loads(run_python(STEP_ONE, args))
    browser = FakeBrowser("approve", follow_redirect=False, background=False)
    browser(first["url"])
    query = browser.callback_url.partition("?")[2]
    second = json.loads(run_python(STEP_TWO, args, json.dumps({"snapshot": first["snapshot"], "query": query})))
    assert second == {"open_id": sandbox.user.open_id, "alive": "act."}
    assert sandbox.count("token") == 1
