"""TikTokApp and AsyncTikTokApp: many accounts over one store, kits made on demand, a keeper
that refreshes what is due once per account, across processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import tracemalloc
from pathlib import Path

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox
from pytok_sm.stores import MemoryStore, SQLiteStore

ACCOUNTS = 12


def settings(sb: Sandbox) -> dict[str, str]:
    return {"base_api_url": sb.base_api_url, "authorization_url": sb.authorization_url}


def seed_many(sb: Sandbox, store: object, n: int, **changes: object) -> list[pytok_sm.Token]:
    tokens = []
    for index in range(n):
        body = {**sb.issue_tokens(open_id=f"acct-{index:03d}"), **changes}
        token = pytok_sm.Token.from_dict(body)
        store.put(sb.client_key, token)  # type: ignore[attr-defined]
        tokens.append(token)
    return tokens


def test_making_a_kit_reads_and_sends_nothing_and_costs_little() -> None:
    store = MemoryStore()
    app = pytok_sm.TikTokApp("aw_key", "aw_secret", store=store)
    calls: list[str] = []
    store.get = lambda *a: calls.append("get")  # type: ignore[method-assign]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kits = [app.kit(f"u{n}") for n in range(2000)]
    per_kit = (tracemalloc.get_traced_memory()[0] - before) / len(kits)
    tracemalloc.stop()
    assert calls == [] and per_kit < 2048, per_kit  # the benchmark measures time; this pins "nothing read"


def test_refresh_due_refreshes_what_expires_soon_and_reports_every_account(tmp_path: Path) -> None:
    with Sandbox() as sb:
        store = SQLiteStore(tmp_path / "private" / "tokens.db")
        due = seed_many(sb, store, 4, expires_in=60)
        for name in ("fine-0", "fine-1"):
            store.put(sb.client_key, pytok_sm.Token.from_dict(sb.issue_tokens(open_id=name)))
        dead = pytok_sm.Token.from_dict({**sb.issue_tokens(open_id="dead-0"), "expires_in": 1})
        store.put(sb.client_key, dead)
        sb.kill_token(dead.refresh_token or "")
        app = pytok_sm.TikTokApp(sb.client_key, sb.client_secret, store=store, **settings(sb))
        report = app.refresh_due(within=3600, concurrency=4)
        assert sorted(report.refreshed) == sorted(t.open_id for t in due)
        assert sorted(report.unchanged) == ["fine-0", "fine-1"]
        assert report.reauth_required == ["dead-0"] and report.failed == {}
        assert str(report) == "4 refreshed, 2 unchanged, 1 need a new login, 0 failed"
        again = app.refresh_due(within=3600)
        assert again.refreshed == [] and again.reauth_required == ["dead-0"]  # marked: not asked again
        assert store.get(sb.client_key, "dead-0").state == "reauth_required"  # type: ignore[union-attr]
        assert app.access_token(due[0].open_id or "") != due[0].access_token


def _keeper(path: str, app: dict[str, str], barrier: object, results: object) -> None:
    store = SQLiteStore(path)
    keeper = pytok_sm.TikTokApp(app["client_key"], app["client_secret"], store=store,
                                base_api_url=app["base_api_url"], authorization_url=app["authorization_url"])
    barrier.wait(30)  # type: ignore[attr-defined]
    report = keeper.refresh_due(within=3600, concurrency=4)
    results.put((sorted(report.refreshed), sorted(report.unchanged), report.failed))  # type: ignore[attr-defined]


def test_four_keepers_at_once_refresh_each_account_exactly_once(tmp_path: Path) -> None:
    with Sandbox() as sb:
        path = tmp_path / "private" / "tokens.db"
        store = SQLiteStore(path)
        seed_many(sb, store, ACCOUNTS, expires_in=60)
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(4), context.Queue()
        app = {"client_key": sb.client_key, "client_secret": sb.client_secret, **settings(sb)}
        keepers = [context.Process(target=_keeper, args=(str(path), app, barrier, results)) for _ in range(4)]
        for keeper in keepers:
            keeper.start()
        reports = [results.get(timeout=120) for _ in keepers]
        for keeper in keepers:
            keeper.join(30)
        refreshed = [open_id for report in reports for open_id in report[0]]
        assert sorted(refreshed) == sorted(f"acct-{n:03d}" for n in range(ACCOUNTS))  # each exactly once
        assert all(report[2] == {} for report in reports)
        assert sb.count("token") == ACCOUNTS
        for account in store.accounts(sb.client_key):
            assert sb.is_alive(account.token.refresh_token or "")


def test_the_async_app_does_the_same(tmp_path: Path) -> None:
    with Sandbox() as sb:
        store = SQLiteStore(tmp_path / "private" / "tokens.db")
        seed_many(sb, store, 5, expires_in=60)

        async def main() -> pytok_sm._app.RefreshReport:
            app = pytok_sm.AsyncTikTokApp(sb.client_key, sb.client_secret, store=store, **settings(sb))
            assert len(await app.accounts()) == 5
            return await app.refresh_due(within=3600, concurrency=3)

        report = asyncio.run(main())
        assert len(report.refreshed) == 5 and sb.count("token") == 5


def test_refresh_due_checks_its_arguments() -> None:
    app = pytok_sm.TikTokApp("aw_key", "aw_secret", store=MemoryStore())
    for bad in ({"within": -1}, {"within": float("nan")}, {"concurrency": 0}, {"concurrency": True}):
        with pytest.raises(pytok_sm.ConfigurationError):
            app.refresh_due(**bad)  # type: ignore[arg-type]
    with pytest.raises(pytok_sm.ConfigurationError, match="store"):
        pytok_sm.TikTokApp("aw_key", "aw_secret")
    assert time.time()  # (a clock is all the keeper needs)
