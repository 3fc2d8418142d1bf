"""Every transition of every flow machine, taken by stepping flows with canned results.

Each scenario feeds a flow a sequence of results (no network) and names the final state it
must reach. The coverage test proves the scenarios together take every edge of every table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytok_sm import _errors as errors
from pytok_sm._config import Config
from pytok_sm._diagrams import edges
from pytok_sm._token import Token
from pytok_sm.flows import FLOWS, BrowserFlow, Flow, QrFlow, RefreshFlow, RevokeFlow, StoreRefreshFlow, UserInfoFlow
from pytok_sm.flows._effects import (
    BrowserOpened,
    Failed,
    Finished,
    Listening,
    PortBusy,
    Shown,
    Slept,
    TimedOut,
    TransportFailure,
)
from pytok_sm.stores import Account, StoreUnavailable
from pytok_sm.testing import FakeClock, capture_transitions

from .canned import Scenario, answer, callback, html_error, oauth_error, qr_answer, rate_limited, token_answer
from .posting_scenarios import POSTING_SCENARIOS
from .video_scenarios import VIDEO_SCENARIOS

CONFIG = Config("aw_key", "aw_secret", port=0, redirect_uri="http://127.0.0.1:*/callback/")
TICKET = "T" * 64
REDIRECT = "http://127.0.0.1:4242/callback/"
PORT = 4242

Step = Any  # a result, "cancel", "advance:N" (move the clock), or a callable(flow) -> result


def browser(clock: FakeClock) -> Flow:
    return BrowserFlow(CONFIG, timeout=60, clock=clock)


def right(**extra: Any) -> Callable[[BrowserFlow], Any]:
    return lambda flow: callback(flow.csrf_state, **extra)


def qr(clock: FakeClock) -> Flow:
    return QrFlow(CONFIG, timeout=60, clock=clock, random=lambda alphabet, n: "T" * n)


def qr_existing(clock: FakeClock) -> Flow:
    return QrFlow(CONFIG, qr_token="qr-token", client_ticket=TICKET, timeout=60, clock=clock)


def refresh(clock: FakeClock) -> Flow:
    return RefreshFlow(CONFIG, refresh_token="rft.old", clock=clock)


def revoke(clock: FakeClock) -> Flow:
    return RevokeFlow(CONFIG, access_token="act.old", clock=clock)


def user_info(clock: FakeClock) -> Flow:
    return UserInfoFlow(CONFIG, access_token="act.old", fields=["display_name"], clock=clock)


QRCODE = answer({"scan_qrcode_url": "aweme://authorize?client_ticket=tobefilled&x=1", "token": "qr-token"})
CONFIRMED = qr_answer("confirmed", TICKET, redirect_uri="https://app.example/cb?code=qr*code!&state=")
USER = answer({"data": {"user": {"display_name": "Ann"}}, "error": {"code": "ok", "message": "", "log_id": "L"}})
BROWSER_READY = [Listening(PORT), BrowserOpened(True)]

HELD = Token("act.held", 0.0, open_id="open-1", refresh_token="rft.held")
NEWER = Token("act.newer", 9e9, open_id="open-1", refresh_token="rft.newer")
ISSUED = Token("act.issued", 9e9, open_id="open-1", refresh_token="rft.issued")


def account(token: Token, version: int = 1, state: str = "active") -> Account:
    return Account("aw_key", "open-1", token, version, state, None if state == "active" else "why", 0.0)  # type: ignore[arg-type]


def store_refresh(clock: FakeClock) -> Flow:
    return StoreRefreshFlow(CONFIG, held=HELD, holder="w1", clock=clock)


DOWN = StoreUnavailable("sqlite:///x", "cannot be reached", "check it")
REJECTED = errors.ReauthorizationRequired(log_id="L1")

SCENARIOS = [
    # browser
    Scenario("browser: login", browser, [*BROWSER_READY, right(), token_answer()], "authorized"),
    Scenario("browser: wrong state, then the real callback", browser,
             [*BROWSER_READY, callback("not-the-state"), right(), token_answer()], "authorized"),
    Scenario("browser: denied", browser, [*BROWSER_READY, right(code=None, error="access_denied")], "denied",
             errors.AuthorizationDenied),
    Scenario("browser: nobody comes back", browser, [*BROWSER_READY, TimedOut()], "timed_out", errors.FlowTimeout),
    Scenario("browser: a callback after the deadline", browser,
             [*BROWSER_READY, "advance:61", right()], "timed_out", errors.FlowTimeout),
    Scenario("browser: exchange rate limited, then ok", browser,
             [*BROWSER_READY, right(), rate_limited("1"), Slept(), token_answer()], "authorized"),
    Scenario("browser: busy port", browser, [PortBusy(3456)], "failed", errors.CallbackPortBusy),
    Scenario("browser: a web app's login (start_web)", browser, [right(), token_answer()], "authorized"),
    Scenario("browser: PKCE refused", browser,
             [*BROWSER_READY, right(), oauth_error("invalid_request", "Code verifier or code challenge is invalid.")],
             "failed", errors.OAuthError),
    Scenario("browser: exchange outcome unknown is not retried", browser,
             [*BROWSER_READY, right(), TransportFailure(sent=True, reason="read timeout")], "failed",
             errors.TransportError),
    Scenario("browser: cancelled before start", browser, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("browser: cancelled while listening", browser, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("browser: cancelled opening the browser", browser, [Listening(PORT), "cancel"], "cancelled",
             errors.FlowCancelled),
    Scenario("browser: cancelled while waiting", browser, [*BROWSER_READY, "cancel"], "cancelled",
             errors.FlowCancelled),
    Scenario("browser: cancelled while exchanging", browser, [*BROWSER_READY, right(), "cancel"], "cancelled",
             errors.FlowCancelled),
    # store_refresh: the protocol across workers
    Scenario("store: lease, read, refresh, compare-and-set, release", store_refresh,
             [True, account(HELD), ISSUED, account(ISSUED, 2), True], "done"),
    Scenario("store: another worker rotated first: adopt, send nothing", store_refresh,
             [True, account(NEWER, 2), True], "done"),
    Scenario("store: lease busy, wait, then refresh", store_refresh,
             [False, Slept(), True, account(HELD), ISSUED, account(ISSUED, 2), True], "done"),
    Scenario("store: lease busy past the deadline", store_refresh, [False, Slept(), "advance:999", False],
             "failed", errors.TokenStoreError),
    Scenario("store: the lease request fails", store_refresh, [DOWN], "failed", errors.TokenStoreError),
    Scenario("store: invalid_grant and no newer token: reauth_required, record kept", store_refresh,
             [True, account(HELD), REJECTED, account(HELD), account(HELD, 2, "reauth_required"), True],
             "reauth_required", errors.ReauthorizationRequired),
    Scenario("store: invalid_grant but another worker rotated: adopt", store_refresh,
             [True, account(HELD), REJECTED, account(NEWER, 2), True], "done"),
    Scenario("store: the answer was lost: never resent, token kept", store_refresh,
             [True, account(HELD), errors.TransportError("lost", sent=True), True], "failed", errors.TransportError),
    Scenario("store: unreadable while reading", store_refresh, [True, DOWN, True], "failed", errors.TokenStoreError),
    Scenario("store: the account is gone", store_refresh, [True, None, True], "failed", errors.TokenStoreError),
    Scenario("store: already marked reauth_required", store_refresh,
             [True, account(HELD, 3, "reauth_required"), True], "reauth_required", errors.ReauthorizationRequired),
    Scenario("store: the write fails: the rotated token rides on the error", store_refresh,
             [True, account(HELD), ISSUED, DOWN, True], "failed", errors.TokenStoreError),
    Scenario("store: a compare-and-set conflict past an expired lease: ours is put", store_refresh,
             [True, account(HELD), ISSUED, None, account(ISSUED, 3), True], "done"),
    Scenario("store: unreadable while rechecking", store_refresh, [True, account(HELD), REJECTED, DOWN, True],
             "failed", errors.TokenStoreError),
    Scenario("store: cancelled before start", store_refresh, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("store: cancelled while leasing", store_refresh, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("store: cancelled while waiting", store_refresh, [False, "cancel"], "cancelled", errors.FlowCancelled),
    # qr
    Scenario("qr: new, scanned, confirmed", qr,
             [QRCODE, Shown(), qr_answer("new"), Slept(), qr_answer("scanned", TICKET), Slept(), CONFIRMED,
              token_answer()], "authorized"),
    Scenario("qr: confirmed straight away", qr_existing, [CONFIRMED, token_answer()], "authorized"),
    Scenario("qr: get_qrcode 503 then ok", qr, [html_error(503), Slept(), QRCODE, Shown(), CONFIRMED, token_answer()],
             "authorized"),
    Scenario("qr: polls through 429 while new and while scanned", qr_existing,
             [rate_limited(None), Slept(), qr_answer("scanned", TICKET), rate_limited("0"), Slept(), CONFIRMED,
              html_error(503), Slept(), token_answer()], "authorized"),
    Scenario("qr: expired while new", qr_existing, [qr_answer("expired")], "expired", errors.QrCodeExpired),
    Scenario("qr: expired after scan", qr_existing, [qr_answer("scanned", TICKET), Slept(), qr_answer("expired")],
             "expired", errors.QrCodeExpired),
    Scenario("qr: utilised", qr_existing, [qr_answer("utilised", TICKET)], "utilised", errors.QrCodeUtilised),
    Scenario("qr: utilised after scan", qr_existing, [qr_answer("scanned", TICKET), Slept(),
                                                     qr_answer("utilised", TICKET)], "utilised", errors.QrCodeUtilised),
    Scenario("qr: foreign ticket", qr_existing, [qr_answer("scanned", "F" * 64)], "refused", errors.QrTicketMismatch),
    Scenario("qr: a 100 KB code is never exchanged", qr_existing,
             [qr_answer("confirmed", TICKET, code="c" * 100_000)], "refused", errors.QrAnswerRefused),
    Scenario("qr: a redirect to a foreign http host after scan is never exchanged", qr_existing,
             [qr_answer("scanned", TICKET), Slept(),
              qr_answer("confirmed", TICKET, redirect_uri="http://evil.example/cb?code=c&state=")],
             "refused", errors.QrAnswerRefused),
    Scenario("qr: confirmed without ticket after scan", qr_existing,
             [qr_answer("scanned", TICKET), Slept(), qr_answer("confirmed", "", code="c")], "refused",
             errors.QrTicketMismatch),
    Scenario("qr: nobody scans in time", qr_existing, [qr_answer("new"), "advance:61", Slept()], "timed_out",
             errors.FlowTimeout),
    Scenario("qr: scanned but not confirmed in time", qr_existing,
             [qr_answer("scanned", TICKET), "advance:61", Slept()], "timed_out", errors.FlowTimeout),
    Scenario("qr: shown too long", qr, [QRCODE, "advance:61", Shown()], "timed_out",
             errors.FlowTimeout),
    Scenario("qr: get_qrcode refused", qr, [oauth_error("invalid_client")], "failed", errors.OAuthError),
    Scenario("qr: poll answer unreadable", qr_existing, [html_error(400)], "failed", errors.ProtocolError),
    Scenario("qr: poll unreadable after scan", qr_existing, [qr_answer("scanned", TICKET), Slept(), html_error(400)],
             "failed", errors.ProtocolError),
    Scenario("qr: exchange refused", qr_existing, [CONFIRMED, oauth_error("invalid_grant")], "failed",
             errors.OAuthError),
    Scenario("qr: cancelled before start", qr, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("qr: cancelled requesting", qr, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("qr: cancelled showing", qr, [QRCODE, "cancel"], "cancelled", errors.FlowCancelled),
    Scenario("qr: cancelled while new", qr_existing, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("qr: cancelled while scanned", qr_existing, [qr_answer("scanned", TICKET), "cancel"], "cancelled",
             errors.FlowCancelled),
    Scenario("qr: cancelled exchanging", qr_existing, [CONFIRMED, "cancel"], "cancelled", errors.FlowCancelled),
    # refresh
    Scenario("refresh: rotated", refresh, [token_answer(2)], "refreshed"),
    Scenario("refresh: 429 then ok", refresh, [rate_limited("1"), Slept(), token_answer(2)], "refreshed"),
    Scenario("refresh: invalid_grant", refresh, [oauth_error("invalid_grant")], "reauth_required",
             errors.ReauthorizationRequired),
    Scenario("refresh: 500 is not retried blindly", refresh, [html_error(500)], "failed", errors.ProtocolError),
    Scenario("refresh: cancelled before start", refresh, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("refresh: cancelled", refresh, ["cancel"], "cancelled", errors.FlowCancelled),
    # revoke
    Scenario("revoke: ok", revoke, [answer(b"")], "revoked"),
    Scenario("revoke: already dead", revoke, [oauth_error("invalid_grant")], "revoked"),
    Scenario("revoke: reset, retried", revoke, [TransportFailure(sent=True), Slept(), answer({})], "revoked"),
    Scenario("revoke: bad client", revoke, [oauth_error("invalid_client")], "failed", errors.OAuthError),
    Scenario("revoke: cancelled before start", revoke, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("revoke: cancelled", revoke, ["cancel"], "cancelled", errors.FlowCancelled),
    # user info
    Scenario("user_info: ok", user_info, [USER], "fetched"),
    Scenario("user_info: 429 then ok", user_info, [rate_limited("0"), Slept(), USER], "fetched"),
    Scenario("user_info: token invalid", user_info,
             [answer({"data": {}, "error": {"code": "access_token_invalid", "message": "", "log_id": "L"}}, 401)],
             "failed", errors.AccessTokenInvalid),
    Scenario("user_info: cancelled before start", user_info, ["cancel"], "cancelled", errors.FlowCancelled),
    Scenario("user_info: cancelled", user_info, ["cancel"], "cancelled", errors.FlowCancelled),
    *POSTING_SCENARIOS,
    *VIDEO_SCENARIOS,
]

# Scenarios named "cancelled before start" cancel before start(); all others start first.


def play(scenario: Scenario) -> tuple[Flow, list[dict[str, Any]]]:
    clock = FakeClock()
    flow = scenario.make(clock)
    with capture_transitions() as events:
        if "before start" in scenario.name:
            flow.cancel()
            return flow, events
        if "start_web" in scenario.name:
            flow.start_web()  # type: ignore[attr-defined]
        else:
            flow.start()
        for step in scenario.steps:
            if step == "cancel":
                flow.cancel()
            elif isinstance(step, str) and step.startswith("advance:"):
                clock.advance(float(step.split(":")[1]))
            else:
                flow.send(step(flow) if callable(step) else step)
    return flow, events


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_reaches_its_final_state(scenario: Scenario) -> None:
    flow, events = play(scenario)
    assert flow.state == scenario.final
    assert flow.finished
    if scenario.error is None:
        assert isinstance(flow.effect, Finished)
        assert flow.error is None
    else:
        assert isinstance(flow.effect, Failed)
        assert isinstance(flow.error, scenario.error)
        assert flow.error.flow == flow.KIND
    assert [e["dest"] for e in events][-1] == scenario.final


@pytest.mark.parametrize("kind", sorted(FLOWS))
def test_scenarios_take_every_transition_of_the_table(kind: str) -> None:
    flow_class = FLOWS[kind]
    taken: set[tuple[str, str, str]] = set()
    for scenario in SCENARIOS:
        flow, events = play(scenario)
        if type(flow) is flow_class:
            taken |= {(e["source"], e["dest"], e["trigger"]) for e in events}
    assert set(edges(flow_class)) - taken == set()


def test_every_transition_event_names_flow_trigger_source_and_dest() -> None:
    _, events = play(SCENARIOS[0])
    assert [(e["trigger"], e["source"], e["dest"]) for e in events] == [
        ("start", "created", "listening"),
        ("listened", "listening", "opening_browser"),
        ("browser_opened", "opening_browser", "awaiting_callback"),
        ("code_received", "awaiting_callback", "exchanging"),
        ("token_issued", "exchanging", "authorized"),
    ]
    assert {e["flow"] for e in events} == {"browser"}
    assert len({e["flow_id"] for e in events}) == 1


def test_a_retry_event_carries_the_attempt_status_and_log_id() -> None:
    _, events = play(next(s for s in SCENARIOS if s.name == "refresh: 429 then ok"))
    retry = next(e for e in events if e["trigger"] == "retry")
    assert retry["attempt"] == 2
    assert retry["http_status"] == 429
    assert retry["log_id"] == "LOG2"
    assert retry["error"] == "rate_limit_exceeded"


def test_a_failure_event_carries_the_oauth_error_and_log_id() -> None:
    _, events = play(next(s for s in SCENARIOS if s.name == "browser: PKCE refused"))
    assert events[-1]["error"] == "invalid_request"
    assert events[-1]["log_id"] == "LOG1"


def test_machines_are_built_once_per_class_not_per_instance() -> None:
    first, second = BrowserFlow(CONFIG), BrowserFlow(CONFIG)
    assert first.machine is second.machine is BrowserFlow.machine
    assert not hasattr(first, "__dict__")


def test_the_refresh_keeps_the_old_refresh_token_when_the_answer_has_none() -> None:
    previous = Token("act.old", 0.0, "open-1", "rft.keep", 99.0)
    flow = RefreshFlow(CONFIG, previous=previous, clock=FakeClock())
    flow.start()
    done = flow.send(token_answer(2, refresh_token=None, refresh_expires_in=None))
    assert isinstance(done, Finished)
    assert done.result.refresh_token == "rft.keep"
    assert done.result.access_token == "act.access2"


def test_the_qr_code_url_carries_our_ticket_in_place_of_tobefilled() -> None:
    flow = qr(FakeClock())
    flow.start()
    flow.send(QRCODE)
    assert flow.qr_url == f"aweme://authorize?client_ticket={TICKET}&x=1"


def test_qr_code_taken_from_bare_fields_when_there_is_no_redirect_uri() -> None:
    flow = qr_existing(FakeClock())
    flow.start()
    effect = flow.send(qr_answer("confirmed", TICKET, code="bare*code", state=None))
    assert flow.state == "exchanging"
    assert effect.request.form["code"] == "bare*code"
    assert "code_verifier" not in effect.request.form


def test_qr_polling_sleeps_the_configured_interval() -> None:
    flow = QrFlow(CONFIG.replace(qr_poll_interval=2.5), qr_token="q", client_ticket=TICKET, clock=FakeClock())
    flow.start()
    assert flow.send(qr_answer("new")).seconds == 2.5


def test_a_callback_that_beats_the_browser_opened_result_is_accepted() -> None:
    """A fast browser (or remembered consent) may redirect before the driver reports back."""
    from pytok_sm.flows._browser import Verdict

    flow = BrowserFlow(CONFIG, clock=FakeClock())
    flow.start()
    flow.send(Listening(PORT))
    assert flow.state == "opening_browser"
    assert flow.judge(callback(flow.csrf_state))[0] is Verdict.ACCEPT


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_compiled_routes_behave_exactly_as_the_transitions_machine(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hot path's route table is compiled from each class's Machine; with it emptied,
    every trigger goes through ``transitions`` itself, and the story must be the same."""
    compiled, compiled_events = play(scenario)
    for flow_class in FLOWS.values():
        monkeypatch.setattr(flow_class, "_routes", {})
    machine, machine_events = play(scenario)

    def story(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "flow_id"} for e in events]

    assert story(machine_events) == story(compiled_events)
    assert (machine.state, type(machine.effect), type(machine.error)) == (
        compiled.state, type(compiled.effect), type(compiled.error))


def test_every_edge_of_every_table_is_compiled_into_a_route() -> None:
    for flow_class in FLOWS.values():
        assert {(trigger, source) for source, _, trigger in edges(flow_class)} == set(flow_class._routes)
