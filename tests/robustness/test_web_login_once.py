"""Web logins: a snapshot is sealed and checked, and its code is exchanged at most once.

An attacker who can write where an app keeps its snapshots, a browser that reloads the
callback page, two workers receiving the same callback: none of them may choose what the
callback is checked against, or make the app exchange a code twice (TikTok treats a reused
code as an attack and revokes the first token).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytok_sm
from pytok_sm.flows import BrowserFlow
from pytok_sm.flows._snapshot import seal, seal_key
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import FakeBrowser

from ..fake_tiktok import FakeTikTok

WEB = {"redirect_uri": "https://app.example.test/callback/"}


def kit(fake: FakeTikTok, **kw: Any) -> pytok_sm.LoginKit:
    return pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(fake), **{**WEB, **kw})


def begin(fake: FakeTikTok, **kw: Any) -> tuple[dict[str, Any], str]:
    url, snapshot = kit(fake, **kw).begin_browser_login()
    return snapshot, FakeBrowser(consent=False, code="web*code").redirect_url(url).partition("?")[2]


def exchanges(fake: FakeTikTok) -> int:
    return fake.count("oauth/token")


# ---------------------------------------------------------------- exchanged at most once
def test_a_reloaded_callback_is_refused_and_the_code_is_exchanged_once() -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    first = kit(fake).complete_browser_login(snapshot, query)
    with pytest.raises(pytok_sm.CallbackReplayed):
        kit(fake).complete_browser_login(snapshot, query)  # another request, another kit object
    assert exchanges(fake) == 1 and first.access_token.startswith("act.")


def test_two_requests_at_once_with_one_snapshot_exchange_once() -> None:
    fake = FakeTikTok(delay=0.2)  # the first exchange is still in flight when the second arrives
    snapshot, query = begin(fake)
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        try:
            outcomes.append(kit(fake).complete_browser_login(dict(snapshot), query))
        except pytok_sm.TikTokError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(type(o).__name__ for o in outcomes) == ["CallbackReplayed", "Token"]
    assert exchanges(fake) == 1


def test_against_the_sandbox_the_first_token_stays_valid_after_a_replay() -> None:
    with Sandbox() as sb:
        web = pytok_sm.LoginKit(sb.web_client_key, sb.web_client_secret, redirect_uri=sb.web_redirect_uris[0],
                                authorization_url=sb.authorization_url, base_api_url=sb.base_api_url)
        url, snapshot = web.begin_browser_login()
        browser = FakeBrowser(follow_redirect=False, background=False)
        browser(url)  # the person approves on the consent page; TikTok redirects to the app
        query = (browser.callback_url or "").partition("?")[2]
        token = web.complete_browser_login(snapshot, query)
        with pytest.raises(pytok_sm.CallbackReplayed):
            web.complete_browser_login(snapshot, query)  # the person reloads the callback page
        assert sb.is_alive(token.access_token) and sb.is_alive(token.refresh_token or "")
        assert sb.count("token") == 1


def _claim_in_sqlite(path: str) -> Any:
    def single_use(snapshot_id: str, seconds: float) -> bool:
        with sqlite3.connect(path, timeout=10) as db:
            db.execute("CREATE TABLE IF NOT EXISTS used (id TEXT PRIMARY KEY)")
            return db.execute("INSERT OR IGNORE INTO used VALUES (?)", (snapshot_id,)).rowcount == 1

    return single_use


def _worker(path: str, snapshot: dict[str, Any], query: str, results: Any) -> None:
    fake = FakeTikTok()
    try:
        kit(fake, single_use=_claim_in_sqlite(path)).complete_browser_login(snapshot, query)
        results.put(("token", exchanges(fake)))
    except pytok_sm.CallbackReplayed:
        results.put(("replayed", exchanges(fake)))


def test_workers_in_several_processes_share_a_single_use_record(tmp_path: Path) -> None:
    """The README's recipe for several workers: a shared, atomic single_use (here SQLite)."""
    snapshot, query = begin(FakeTikTok())
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(str(tmp_path / "used.db"), snapshot, query, results))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    got = sorted(results.get(timeout=5) for _ in workers)
    assert got == [("replayed", 0), ("replayed", 0), ("replayed", 0), ("token", 1)]


def test_a_forged_callback_does_not_use_up_the_snapshot() -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    with pytest.raises(pytok_sm.CallbackRejected) as refused:
        kit(fake).complete_browser_login(snapshot, "code=evil&state=forged")
    assert not isinstance(refused.value, pytok_sm.CallbackReplayed)
    assert kit(fake).complete_browser_login(snapshot, query).access_token.startswith("act.")


@pytest.mark.parametrize("form", ["str", "str?", "bytes", "mapping", "lists"])
def test_the_query_comes_as_web_frameworks_hand_it_out(form: str) -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    pairs = dict(item.split("=", 1) for item in query.split("&"))
    import urllib.parse

    decoded = {k: urllib.parse.unquote(v) for k, v in pairs.items()}
    given: Any = {"str": query, "str?": "?" + query, "bytes": query.encode(), "mapping": decoded,
                  "lists": {k: [v] for k, v in decoded.items()}}[form]
    assert kit(fake).complete_browser_login(snapshot, given).access_token.startswith("act.")
    assert fake.form(fake.requests[0])["code"] == "web*code"


def test_a_duplicated_parameter_in_a_mapping_is_still_refused() -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    decoded = dict(item.split("=", 1) for item in query.split("&"))
    with pytest.raises(pytok_sm.CallbackRejected, match="duplicate"):
        kit(fake).complete_browser_login(snapshot, {**decoded, "code": ["a", "b"]})
    assert fake.requests == []


# ---------------------------------------------------------------- sealed and checked
def forged(snapshot: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What someone without the key can write: a changed copy, seal kept."""
    data = {**snapshot["data"], **changes.pop("data", {})}
    return {**snapshot, **changes, "data": data}


def resealed(snapshot: dict[str, Any], config: pytok_sm.Config, **changes: Any) -> dict[str, Any]:
    """What a buggy writer holding the key could write: a changed copy, sealed again."""
    body = {k: v for k, v in forged(snapshot, **changes).items() if k != "seal"}
    for key, value in changes.items():
        if value is DROP:
            body.pop(key, None)
    return seal(body, seal_key(config, None))


DROP = object()


@pytest.mark.parametrize(("name", "change"), [
    ("state chosen by the writer", {"data": {"csrf_state": "A" * 32}}),
    ("verifier chosen by the writer", {"data": {"verifier": "B" * 64}}),
    ("deadline moved", {"deadline": 9e9}),
    ("seal removed", {"seal": None}),
    ("seal of another snapshot", {"seal": "0" * 64}),
    ("another app", {"client_key": "other_key"}),
])
def test_a_snapshot_changed_without_the_key_is_rejected_and_nothing_is_sent(name: str, change: dict[str, Any]) -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    with pytest.raises(pytok_sm.SnapshotRejected):
        kit(fake).complete_browser_login(forged(snapshot, **change), query)
    assert fake.requests == []


CONFIG = pytok_sm.Config("aw_key", "aw_secret", **WEB)


@pytest.mark.parametrize(("name", "change", "why"), [
    ("data is a list", {"data": DROP}, "data"),
    ("state missing", {"state": DROP}, "state"),
    ("state None", {"state": None}, "state"),
    ("deadline null", {"deadline": None}, "deadline"),
    ("deadline infinite", {"deadline": math.inf}, "JSON"),
    ("deadline NaN", {"deadline": math.nan}, "JSON"),
    ("deadline a string", {"deadline": "soon"}, "deadline"),
    ("verifier missing", {"data": {"verifier": None}}, "verifier"),
    ("verifier too short", {"data": {"verifier": "a" * 10}}, "verifier"),
    ("csrf state not a string", {"data": {"csrf_state": 123}}, "csrf_state"),
    ("flow_id forging a log line", {"flow_id": "abc\nflow=evil"}, "flow_id"),
    ("attempt a bool", {"attempt": True}, "attempt"),
    ("attempt huge", {"attempt": 10**9}, "attempt"),
    ("version a bool", {"version": True}, "version"),
    ("a code already there", {"data": {"code": "stolen"}}, "code"),
    ("timeout NaN-like", {"data": {"timeout": -1}}, "timeout"),
    ("an extra field", {"data": {"evil": 1}}, "fields"),
])
def test_a_damaged_snapshot_is_one_typed_error_naming_the_check(name: str, change: dict[str, Any], why: str) -> None:
    fake = FakeTikTok()
    snapshot, query = begin(fake)
    if change.get("data") is DROP:
        damaged = resealed(snapshot, CONFIG)
        damaged = seal({**{k: v for k, v in damaged.items() if k != "seal"}, "data": []}, seal_key(CONFIG, None))
    else:
        try:
            damaged = resealed(snapshot, CONFIG, **change)
        except ValueError:  # NaN and infinity are not JSON: no seal can be made for them
            damaged = forged(snapshot, **change)
    with pytest.raises(pytok_sm.SnapshotRejected, match=why if why != "JSON" else "JSON|seal"):
        kit(fake).complete_browser_login(damaged, query)
    assert fake.requests == []


def test_a_snapshot_sealed_with_an_app_key_opens_only_with_that_key() -> None:
    fake = FakeTikTok()
    key = b"k" * 32
    snapshot, query = begin(fake, snapshot_key=key)
    with pytest.raises(pytok_sm.SnapshotRejected, match="seal"):
        kit(fake).complete_browser_login(snapshot, query)
    assert kit(fake, snapshot_key=key).complete_browser_login(snapshot, query).access_token.startswith("act.")
    with pytest.raises(pytok_sm.ConfigurationError, match="snapshot_key"):
        kit(fake, snapshot_key=b"short")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.lists(st.sampled_from(["flow", "version", "client_key", "flow_id", "state", "attempt", "deadline",
                                      "data", "seal", "csrf_state", "verifier", "redirect_uri", "timeout"]),
                     min_size=1, max_size=2),
       value=st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40),
                       st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                            max_size=3)))
def test_any_change_is_rejected_as_damaged_never_another_exception(path: list[str], value: Any) -> None:
    flow = BrowserFlow(CONFIG)
    flow.start_web()
    snapshot = json.loads(json.dumps(flow.snapshot()))
    target = snapshot["data"] if path[-1] in snapshot["data"] else snapshot
    if target.get(path[-1]) == value:
        return
    target[path[-1]] = value
    with pytest.raises(pytok_sm.SnapshotRejected):
        BrowserFlow.resume(snapshot, CONFIG)
