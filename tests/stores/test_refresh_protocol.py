"""The refresh protocol across OS processes, against the sandbox (which rotates refresh tokens
and treats a reused one as dead): one refresh per rotation, every worker gets the same new
token, the store holds it, and nothing a worker does loses the account."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

from . import refresh_workers
from .helpers import open_spec

WORKERS = 4


@pytest.fixture(params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, ...]:
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "private" / "tokens.db"))
    server = request.getfixturevalue("redis_server")
    return ("redis", server.url, f"p{tmp_path.name[-12:]}")


def app_of(sb: Sandbox) -> dict[str, str]:
    return {"client_key": sb.client_key, "client_secret": sb.client_secret, "base_api_url": sb.base_api_url,
            "authorization_url": sb.authorization_url}


def seed(sb: Sandbox, spec: tuple[str, ...], **changes: Any) -> pytok_sm.Token:
    token = pytok_sm.Token.from_dict({**sb.issue_tokens(), **changes})
    store = open_spec(spec)
    store.put(sb.client_key, token)
    store.close()
    return token


def run_workers(spec: tuple[str, ...], sb: Sandbox, open_id: str, call: str = "refresh") -> list[tuple[str, ...]]:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=refresh_workers.refresh, args=(spec, app_of(sb), open_id, barrier, results, call))
               for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    got = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
    return got


def test_four_processes_refreshing_at_once_make_one_rotation(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared)
        got = run_workers(shared, sb, old.open_id or "")
        assert {kind for kind, *_ in got} == {"token"}, got
        assert len({access for _, access, _ in got}) == 1  # every worker holds the same new token
        assert sb.count("token") == 1  # one refresh request reached TikTok
        stored = open_spec(shared).get(sb.client_key, old.open_id)
        assert stored is not None and stored.token.access_token == got[0][1]
        assert sb.is_alive(stored.token.refresh_token or "") and not sb.is_alive(old.refresh_token or "")


def test_workers_with_an_expired_token_reading_user_info_refresh_once(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared, expires_in=3)
        time.sleep(3.5)  # expired by the time the workers read user info
        got = run_workers(shared, sb, old.open_id or "", call="user_info")
        assert {kind for kind, *_ in got} == {"token"}, got
        assert sb.count("token") == 1 and len({access for _, access, _ in got}) == 1


def test_a_stale_kit_never_sends_the_dead_refresh_token(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared)
        settings = {k: v for k, v in app_of(sb).items() if k not in ("client_key", "client_secret")}
        first = pytok_sm.LoginKit(sb.client_key, sb.client_secret, store=open_spec(shared), open_id=old.open_id,
                                  **settings)
        stale = pytok_sm.LoginKit(sb.client_key, sb.client_secret, store=open_spec(shared), open_id=old.open_id,
                                  **settings)
        assert stale.get_user_info(["open_id"])  # it holds the old token now
        first.refresh_access_token()
        assert sb.count("token") == 1
        new = stale.refresh_access_token()  # the stale kit reads the store first, so it refreshes
        assert sb.count("token") == 2  # the *stored* token, never the dead one it held (no invalid_grant)
        assert sb.is_alive(new.refresh_token or "")


def test_a_lease_holder_killed_mid_refresh_blocks_nobody_past_the_lease(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared)
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        doomed = context.Process(target=refresh_workers.hold_the_lease_and_die,
                                 args=(shared, sb.client_key, old.open_id, ready))
        doomed.start()
        assert ready.wait(30)
        doomed.join(30)
        assert doomed.exitcode == -9
        settings = {k: v for k, v in app_of(sb).items() if k not in ("client_key", "client_secret")}
        kit = pytok_sm.LoginKit(sb.client_key, sb.client_secret, store=open_spec(shared), open_id=old.open_id,
                                **settings)
        started = time.monotonic()
        new = kit.refresh_access_token()
        waited = time.monotonic() - started
        assert 1.0 < waited < 10.0  # waited for the dead holder's 3 s lease, no longer
        assert sb.is_alive(new.refresh_token or "") and sb.count("token") == 1


def test_invalid_grant_after_another_worker_rotated_adopts_the_stored_token(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared)
        settings = {k: v for k, v in app_of(sb).items() if k not in ("client_key", "client_secret")}
        kit = pytok_sm.LoginKit(sb.client_key, sb.client_secret, store=open_spec(shared), open_id=old.open_id,
                                **settings)
        kit.get_user_info(["open_id"])  # holds the old token
        store = open_spec(shared)
        other = pytok_sm.LoginKit(sb.client_key, sb.client_secret, token=old, **settings)
        rotated = other.refresh_access_token()  # a worker that does not use the store rotates...
        sb.kill_token(old.refresh_token or "")
        account = store.get(sb.client_key, old.open_id)
        assert account is not None
        store.compare_and_set(sb.client_key, old.open_id, account.version, rotated)  # ...and saves late
        new = kit.refresh_access_token()
        assert sb.is_alive(new.refresh_token or "")


def test_invalid_grant_with_nothing_newer_marks_the_account_and_keeps_the_record(shared: tuple[str, ...]) -> None:
    with Sandbox() as sb:
        old = seed(sb, shared)
        sb.kill_token(old.refresh_token or "")
        settings = {k: v for k, v in app_of(sb).items() if k not in ("client_key", "client_secret")}
        kit = pytok_sm.LoginKit(sb.client_key, sb.client_secret, store=open_spec(shared), open_id=old.open_id,
                                **settings)
        with pytest.raises(pytok_sm.ReauthorizationRequired):
            kit.refresh_access_token()
        account = open_spec(shared).get(sb.client_key, old.open_id)
        assert account is not None and account.state == "reauth_required" and account.token == old
        with pytest.raises(pytok_sm.ReauthorizationRequired):
            kit.get_user_info(["open_id"])  # says so at once, without asking TikTok
        assert sb.count("token") == 1
