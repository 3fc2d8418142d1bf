"""Post boards: how deliveries merge (repeated, out of order), and waiting on them, in memory
(a waiter wakes at once), in SQLite across two OS processes, and in a real Redis."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pytok_sm import ConfigurationError, PublishStatus, Token
from pytok_sm.stores import SQLiteStore, StoreUnavailable
from pytok_sm.webhooks import MemoryPostBoard, PostBoard, RedisPostBoard, SQLitePostBoard
from pytok_sm.webhooks._board import merge

from ..ports import free_port

PID = "v_pub_file~v2-1.7"
COMPLETE = PublishStatus(PID, "PUBLISH_COMPLETE")
INBOX = PublishStatus(PID, "SEND_TO_USER_INBOX")
FAILED = PublishStatus(PID, "FAILED", fail_reason="file_format_check_failed")
PROCESSING = PublishStatus(PID, "PROCESSING_UPLOAD", uploaded_bytes=10)


def public(post_id: str) -> PublishStatus:
    return PublishStatus(PID, "PUBLISH_COMPLETE", post_ids=(post_id,))


# ---------------------------------------------------------------- merging
@pytest.mark.parametrize(("arrivals", "status", "reason"), [
    ([COMPLETE, PROCESSING], "PUBLISH_COMPLETE", None),             # a final status is never undone
    ([PROCESSING, COMPLETE], "PUBLISH_COMPLETE", None),
    ([INBOX, COMPLETE], "PUBLISH_COMPLETE", None),                  # the person posted it from the inbox
    ([COMPLETE, INBOX], "PUBLISH_COMPLETE", None),                  # ... told out of order
    ([INBOX, FAILED], "FAILED", "file_format_check_failed"),
    ([FAILED, COMPLETE], "FAILED", "file_format_check_failed"),     # of two final statuses, the first stays
    ([COMPLETE, COMPLETE, COMPLETE], "PUBLISH_COMPLETE", None),     # repeated deliveries
])
def test_statuses_merge_whatever_the_order_and_repetition(arrivals: list[PublishStatus], status: str,
                                                          reason: str | None) -> None:
    record = None
    for arrival in arrivals:
        record = merge(record, arrival)
    assert record is not None and (record["status"], record["fail_reason"]) == (status, reason)


def test_post_ids_accumulate_and_visibility_follows_the_latest_event() -> None:
    board = MemoryPostBoard()
    board.record("k", PID, COMPLETE)
    board.record("k", PID, public("42"), public=True, at=10)
    late = board.record("k", PID, public("42"), public=False, at=5)   # an older event, delivered late
    assert (late.status.post_ids, late.public) == (("42",), True)
    gone = board.record("k", PID, public("42"), public=False, at=20)
    assert (gone.status.status, gone.status.post_ids, gone.public) == ("PUBLISH_COMPLETE", ("42",), False)
    assert board.record("k", PID, public("43"), public=True, at=30).status.post_ids == ("42", "43")


def test_posts_are_apart_by_client_key_and_publish_id() -> None:
    board = MemoryPostBoard()
    board.record("app-1", PID, COMPLETE)
    assert board.get("app-2", PID) is None and board.get("app-1", PID + "0") is None
    assert board.get("app-1", PID) == COMPLETE and board.entry("app-1", PID).public is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("call", "match"), [
    (lambda b: b.record("", PID, COMPLETE), "client_key"),
    (lambda b: b.record("k", "a\nb", COMPLETE), "publish_id"),
    (lambda b: b.record("k", PID, "PUBLISH_COMPLETE"), "status"),
    (lambda b: b.record("k", PID, COMPLETE, public="yes"), "public"),
    (lambda b: b.wait("k", PID, -1), "seconds"),
    (lambda b: b.wait("k", PID, float("inf")), "seconds"),
])
def test_wrong_arguments_are_configuration_errors(call: Any, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        call(MemoryPostBoard())


# ---------------------------------------------------------------- memory: waiting
def test_a_waiter_wakes_the_moment_a_status_is_recorded() -> None:
    board = MemoryPostBoard()
    assert isinstance(board, PostBoard)
    threading.Timer(0.1, board.record, ("k", PID, COMPLETE)).start()
    started = time.monotonic()
    assert board.wait("k", PID, 30) == COMPLETE
    assert time.monotonic() - started < 5  # not the 30 s


def test_a_wait_ends_empty_when_nothing_comes_and_at_once_when_it_came_before() -> None:
    board = MemoryPostBoard()
    started = time.monotonic()
    assert board.wait("k", PID, 0.1) is None
    assert 0.09 <= time.monotonic() - started < 5
    board.record("k", PID, FAILED)
    assert board.wait("k", PID, 0) == FAILED


def test_an_async_waiter_wakes_when_another_thread_records() -> None:
    board = MemoryPostBoard()

    async def main() -> tuple[Any, Any, float]:
        threading.Timer(0.1, board.record, ("k", PID, INBOX)).start()
        started = time.monotonic()
        woken = await board.wait_async("k", PID, 30)
        return woken, await board.wait_async("k", "other", 0.05), time.monotonic() - started

    woken, nothing, took = asyncio.run(main())
    assert woken == INBOX and nothing is None and took < 5


def test_entries_expire_and_the_board_stays_bounded() -> None:
    now = [1000.0]
    board = MemoryPostBoard(limit=3, ttl=60, clock=lambda: now[0])
    board.record("k", PID, COMPLETE)
    now[0] += 61
    assert board.get("k", PID) is None
    assert board.record("k", PID, PROCESSING).status.status == "PROCESSING_UPLOAD"  # the expired one is not merged
    for n in range(5):
        board.record("k", f"p{n}", COMPLETE)
    assert len(board) == 3 and board.get("k", "p0") is None and board.get("k", "p4") == PublishStatus("p4", "PUBLISH_COMPLETE")


# ---------------------------------------------------------------- SQLite: two processes
CHILD = """
import json, sys
from pytok_sm import PublishStatus
from pytok_sm.webhooks import SQLitePostBoard
board = SQLitePostBoard(sys.argv[1])
print("waiting", flush=True)
found = board.wait("k", sys.argv[2], 20)
print(json.dumps(None if found is None else [found.status, list(found.post_ids)]), flush=True)
board.record("k", "from-child", PublishStatus("from-child", "FAILED", fail_reason="internal"))
board.close()
"""


def test_sqlite_a_waiter_in_another_process_sees_a_status_recorded_here_and_back(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    store = SQLiteStore(path)
    store.put("k", Token(access_token="act.x", expires_at=2e9, open_id="u1"))  # tokens and posts in one file
    board = SQLitePostBoard(store)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), PID], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "waiting"
        started = time.monotonic()
        board.record("k", PID, public("42"), public=True, at=1)
        assert json.loads(child.stdout.readline()) == ["PUBLISH_COMPLETE", ["42"]]
        assert time.monotonic() - started < 10
        back = board.wait("k", "from-child", 20)
        assert back is not None and (back.status, back.fail_reason) == ("FAILED", "internal")
        assert child.wait(20) == 0
    finally:
        if child.poll() is None:
            child.kill()
    assert store.get("k", "u1") is not None and oct(path.stat().st_mode & 0o777) == "0o600"
    board.close()
    store.close()


def test_sqlite_merges_expires_and_purges(tmp_path: Path) -> None:
    now = [1000.0]
    board = SQLitePostBoard(tmp_path / "posts.db", ttl=60, clock=lambda: now[0])
    board.record("k", PID, COMPLETE)
    assert board.record("k", PID, PROCESSING).status.status == "PUBLISH_COMPLETE"
    now[0] += 61
    assert board.entry("k", PID) is None
    board.record("k", "new", INBOX)  # purges the expired row
    rows = [r[0] for r in board.store._transaction(write=False).__enter__()._db.execute(
        "SELECT publish_id FROM webhook_posts")]
    assert rows == ["new"]
    board.close()


def test_sqlite_async_waiting_reads_in_a_thread(tmp_path: Path) -> None:
    board = SQLitePostBoard(tmp_path / "posts.db")
    other = SQLitePostBoard(board.store.path)  # another board on the file: no in-process signal

    async def main() -> Any:
        threading.Timer(0.1, other.record, ("k", PID, FAILED)).start()
        return await board.wait_async("k", PID, 20)

    assert asyncio.run(main()) == FAILED
    other.close()
    board.close()


# ---------------------------------------------------------------- Redis
@pytest.fixture
def redis_board(redis_server: Any) -> Any:
    board = RedisPostBoard.from_url(redis_server.url, prefix=f"test-{uuid.uuid4().hex[:8]}:post:")
    yield board
    board.close()


def test_redis_merges_expires_on_the_server_and_wakes_a_waiter(redis_board: Any, redis_server: Any) -> None:
    import redis

    threading.Timer(0.2, redis_board.record, ("k", PID, INBOX)).start()
    assert redis_board.wait("k", PID, 20) == INBOX
    assert redis_board.record("k", PID, PROCESSING).status.status == "SEND_TO_USER_INBOX"
    merged = redis_board.record("k", PID, public("7"), public=True, at=1)
    assert (merged.status.status, merged.status.post_ids, merged.status.uploaded_bytes, merged.public) == (
        "PUBLISH_COMPLETE", ("7",), 10, True)
    client = redis.Redis.from_url(redis_server.url)
    ttl = client.pttl(f"{redis_board.prefix}k:{PID}")
    assert 6 * 86400 * 1000 < ttl <= 7 * 86400 * 1000
    reader = RedisPostBoard(client, prefix=redis_board.prefix)  # another machine's view

    async def main() -> Any:
        return await reader.wait_async("k", PID, 5)

    assert asyncio.run(main()) == merged.status
    client.close()


def test_redis_concurrent_records_lose_nothing(redis_board: Any) -> None:
    ids = [str(n) for n in range(20)]
    threads = [threading.Thread(target=redis_board.record, args=("k", PID, public(i)), kwargs={"public": True})
               for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(redis_board.get("k", PID).post_ids) == sorted(ids)


def test_redis_unreachable_is_a_store_error_without_the_password() -> None:
    board = RedisPostBoard.from_url(f"redis://:hunter2@127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    with pytest.raises(StoreUnavailable) as caught:
        board.record("k", PID, COMPLETE)
    assert "hunter2" not in str(caught.value) and "127.0.0.1" in str(caught.value)
    board.close()
