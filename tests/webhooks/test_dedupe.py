"""De-duplication: each delivery passed on once, over memory, SQLite (two OS processes) and Redis."""

from __future__ import annotations

import multiprocessing
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytok_sm import ConfigurationError, TokenStoreError
from pytok_sm.stores import SQLiteStore, StoreUnavailable
from pytok_sm.webhooks import (
    DELIVERY_TTL,
    PROCESSING_TTL,
    Deduplicator,
    MemorySingleUse,
    RedisSingleUse,
    SQLiteSingleUse,
)

from . import workers
from .helpers import event_body, header

SPAWN = multiprocessing.get_context("spawn")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Clock | None]]:
    """A fresh backing of each kind; with a clock the test can move (memory, SQLite)."""
    if request.param == "memory":
        clock = Clock()
        yield MemorySingleUse(clock=clock), clock
    elif request.param == "sqlite":
        clock = Clock()
        on_disk = SQLiteSingleUse(tmp_path / "private" / "tokens.db", clock=clock)
        yield on_disk, clock
        on_disk.close()
    else:
        server = request.getfixturevalue("redis_server")
        shared = RedisSingleUse.from_url(server.url, prefix=f"t{uuid.uuid4().hex[:10]}:")
        yield shared, None
        shared.close()


def test_a_key_is_claimed_once_until_it_expires_or_is_released(backing: tuple[Any, Clock | None]) -> None:
    seen, clock = backing
    assert seen("d1", 60) is True
    assert seen("d1", 60) is False and seen("d1", 60) is False
    assert seen("d2", 60) is True
    seen.release("d1")
    assert seen("d1", 60) is True
    seen.release("never-claimed")  # forgetting what is not there is fine
    if clock is not None:
        clock.now += 60.5
        assert seen("d1", 60) is True and seen("d2", 60) is True  # both expired
        seen.keep("d1", 3600)
        clock.now += 600
        assert seen("d1", 60) is False  # kept for an hour, whatever its claim said
        seen.keep("fresh", 10)
        assert seen("fresh", 10) is False


def test_redis_keys_expire_on_the_server(redis_server: Any) -> None:
    import redis

    seen = RedisSingleUse(redis.Redis.from_url(redis_server.url), prefix="ttl-test:")
    assert seen("k", 0.2)
    client = redis.Redis.from_url(redis_server.url)
    assert 0 < client.pttl("ttl-test:k") <= 200
    seen.keep("k", 3600)
    assert client.ttl("ttl-test:k") > 3500
    seen.release("k")
    assert client.exists("ttl-test:k") == 0


def test_the_deduplicator_claims_confirms_and_releases(backing: tuple[Any, Clock | None]) -> None:
    seen, clock = backing
    dedupe = Deduplicator(seen)
    assert dedupe.ttl == DELIVERY_TTL == 73 * 3600 and dedupe.processing_ttl == PROCESSING_TTL
    assert dedupe.claim("a") and not dedupe.claim("a")      # being passed on: a duplicate meanwhile waits
    dedupe.release("a")                                     # on_event raised
    assert dedupe.claim("a")                                # TikTok's retry goes through
    dedupe.confirm("a")
    assert not dedupe.claim("a")
    if clock is not None:
        clock.now += PROCESSING_TTL + 1                     # a claim alone would have lapsed by now...
        assert not dedupe.claim("a")                        # ...but a confirmed delivery is kept 73 h
        clock.now += DELIVERY_TTL
        assert dedupe.claim("a")
        assert dedupe.claim("b")                            # a worker died while passing it on:
        clock.now += PROCESSING_TTL + 1                     # its claim lapses, the retry goes through
        assert dedupe.claim("b")


def test_a_single_use_without_release_is_refused_and_one_with_release_works() -> None:
    claimed: dict[str, float] = {}

    def single_use(key: str, seconds: float) -> bool:
        if key in claimed:
            return False
        claimed[key] = seconds
        return True

    with pytest.raises(ConfigurationError, match="release"):
        Deduplicator(single_use)
    dedupe = Deduplicator(single_use, release=lambda key: claimed.pop(key, None))
    assert dedupe.blocking  # a plain callable may do I/O
    assert dedupe.claim("x") and claimed["x"] == PROCESSING_TTL
    dedupe.confirm("x")     # no keep(): release, then claim again for the long ttl
    assert claimed["x"] == DELIVERY_TTL and not dedupe.claim("x")
    with pytest.raises(ConfigurationError, match="single_use"):
        Deduplicator("not callable")  # type: ignore[arg-type]
    for bad in (0, -1, float("nan"), 10**9, True):
        with pytest.raises(ConfigurationError, match="ttl"):
            Deduplicator(ttl=bad)
    assert not Deduplicator().blocking  # the default memory never waits


def test_keys_and_durations_are_checked(backing: tuple[Any, Clock | None]) -> None:
    seen, _ = backing
    for key in ("", "a\nb", "x" * 257, 5):
        with pytest.raises(ConfigurationError, match="key"):
            seen(key, 60)
    for seconds in (0, -5, float("inf"), "60"):
        with pytest.raises(ConfigurationError, match="seconds"):
            seen("k", seconds)


def test_memory_is_bounded_forgetting_expired_keys_first() -> None:
    clock = Clock()
    seen = MemorySingleUse(limit=3, clock=clock)
    assert seen("old", 1) and seen("a", 100) and seen("b", 100)
    clock.now += 2
    assert seen("c", 100) and len(seen) == 3          # "old" (expired) made room
    assert not seen("a", 100)                          # "a" is still remembered
    assert seen("d", 100) and len(seen) == 3           # then the oldest live key goes
    assert seen("a", 100)
    with pytest.raises(ConfigurationError):
        MemorySingleUse(limit=0)


def test_sqlite_keeps_deliveries_beside_the_token_store_with_its_file_checks(tmp_path: Path) -> None:
    path = tmp_path / "private" / "tokens.db"
    store = SQLiteStore(path)
    seen = SQLiteSingleUse(store)
    assert seen("d1", 60) and not SQLiteSingleUse(path)("d1", 60)   # the same file, another handle
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.accounts("aw_key") == []                            # the token store still works
    seen.close()                                                     # not ours to close: still usable
    assert store.get("aw_key", "u1") is None
    store.close()
    os.chmod(path.parent, 0o777)
    with pytest.raises(StoreUnavailable, match="others can write"):
        SQLiteSingleUse(path)


def test_sqlite_purges_expired_rows_as_new_ones_come(tmp_path: Path) -> None:
    import sqlite3

    clock = Clock()
    path = tmp_path / "d" / "tokens.db"
    seen = SQLiteSingleUse(path, clock=clock)
    for n in range(50):
        seen(f"k{n}", 1)
    clock.now += 2
    seen("new", 60)
    count = sqlite3.connect(path).execute("SELECT COUNT(*) FROM webhook_deliveries").fetchone()[0]
    assert count == 1
    seen.close()


def test_an_unreachable_redis_is_a_typed_error_without_its_password() -> None:
    pytest.importorskip("redis")
    seen = RedisSingleUse.from_url("redis://:hunter2-password@127.0.0.1:1/0", socket_connect_timeout=0.5)
    with pytest.raises(StoreUnavailable) as caught:
        seen("k", 60)
    assert isinstance(caught.value, TokenStoreError) and caught.value.transient
    assert "hunter2" not in str(caught.value) and "cannot be reached" in str(caught.value)
    assert "webhook deliveries" in str(caught.value)


def test_two_processes_sharing_a_sqlite_dedupe_pass_each_delivery_on_once(tmp_path: Path) -> None:
    db = tmp_path / "shared" / "tokens.db"
    SQLiteStore(db).close()
    bodies = [event_body(n=n) for n in range(30)]
    deliveries = [(body, header(body)) for body in bodies] * 2    # every delivery twice in each process
    barrier = SPAWN.Barrier(2)
    results = SPAWN.Queue()
    processes = [SPAWN.Process(target=workers.receive_all, args=(str(db), deliveries, barrier, results), daemon=True)
                 for _ in range(2)]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    assert [r[0] for r in reports] == ["done", "done"], reports
    passed = [delivery_id for report in reports for delivery_id in report[1]]
    assert len(passed) == len(bodies) == len(set(passed))          # each delivery exactly once, in all
    statuses = [status for report in reports for status in report[2]]
    assert statuses.count((200, "delivered")) == 30 and statuses.count((200, "duplicate")) == 90


def test_a_failing_claim_store_is_reported_to_the_caller(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "x" / "tokens.db"
    seen = SQLiteSingleUse(path)
    assert seen("k", 60)
    sqlite3.connect(path, isolation_level=None).execute("DROP TABLE webhook_deliveries")  # damaged behind its back
    with pytest.raises(StoreUnavailable, match="cannot be used"):
        seen("k2", 60)
    seen.close()
