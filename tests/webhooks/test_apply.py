"""Acting on events: ``authorization.removed`` marks the account removed in the store (kept,
with the reason; a bound kit then refuses with it), posting events land on a board; both
idempotent under TikTok's repeated, out-of-order deliveries."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm import ConfigurationError, NotLoggedIn, Token
from pytok_sm.stores import MemoryStore, SQLiteStore, StoreUnavailable, as_async
from pytok_sm.webhooks import (
    AuthorizationRemoved,
    Deduplicator,
    EventActions,
    MemoryPostBoard,
    SQLitePostBoard,
    apply_event,
    apply_event_async,
    event_status,
    handle,
    parse_event,
)

from .helpers import DOCUMENTED, SECRET, header

KEY = "bwo2m45353a6k85"
OPEN_ID = "act.example12345Example12345Example"


def removed(reason: int = 1, *, create_time: float | None = None, open_id: str = OPEN_ID) -> AuthorizationRemoved:
    moment = int(time.time() if create_time is None else create_time)
    return AuthorizationRemoved(client_key=KEY, event="authorization.removed", create_time=moment,
                                user_openid=open_id, reason=reason)


def stored(store: Any, open_id: str = OPEN_ID) -> Any:
    return store.put(KEY, Token(access_token="act.live", expires_at=time.time() + 3600, open_id=open_id,
                                refresh_token="rft.live"))


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should be sent, yet {request.url} was")


# ---------------------------------------------------------------- authorization.removed
def test_removal_marks_the_account_keeps_the_record_and_a_bound_kit_names_the_reason() -> None:
    store = MemoryStore()
    before = stored(store)
    applied = apply_event(removed(4), store=store)
    account = store.get(KEY, OPEN_ID)
    assert applied.action == "account_removed" and applied.account == account
    assert (account.state, account.version) == ("removed", before.version + 1)
    assert account.reason == "the user's account was banned (authorization.removed, reason 4)"
    assert account.token == before.token  # the record is kept, never deleted
    kit = pytok_sm.LoginKit(KEY, "secret", store=store, open_id=OPEN_ID, transport=httpx.MockTransport(no_network))
    with pytest.raises(NotLoggedIn, match=r"removed: the user's account was banned \(authorization.removed, reason 4\)"):
        kit.get_user_info()


def test_removal_is_idempotent_and_leaves_unknown_or_newer_accounts_alone() -> None:
    store = MemoryStore()
    stored(store)
    apply_event(removed(1), store=store)
    version = store.get(KEY, OPEN_ID).version
    again = apply_event(removed(5), store=store)  # a repeat, or another reason after: the first stays
    assert again.action == "account_removed" and store.get(KEY, OPEN_ID).version == version
    assert "reason 1" in (store.get(KEY, OPEN_ID).reason or "")
    assert apply_event(removed(1, open_id="someone-else"), store=store).action == "account_unknown"
    assert store.get(KEY, "someone-else") is None  # nothing created
    relogged = stored(store, "u2")  # a login made long after the event: a late delivery must not undo it
    late = apply_event(removed(1, create_time=time.time() - 3600, open_id="u2"), store=store)
    assert late.action == "account_newer" and store.get(KEY, "u2") == relogged


def test_an_account_needing_a_new_login_becomes_removed() -> None:
    store = MemoryStore()
    stored(store)
    store.mark(KEY, OPEN_ID, "reauth_required", "invalid_grant")
    apply_event(removed(2), store=store)
    assert store.get(KEY, OPEN_ID).state == "removed"


def test_a_write_racing_the_removal_is_read_again_not_overwritten_blindly() -> None:
    store = MemoryStore()
    stored(store)

    class Racing:
        where = "racing store"
        raced = False

        def get(self, *args: Any) -> Any:
            return store.get(*args)

        def mark(self, *args: Any, **kwargs: Any) -> Any:
            if not self.raced:  # another worker refreshes between our read and our write
                self.raced = True
                account = store.get(KEY, OPEN_ID)
                store.compare_and_set(KEY, OPEN_ID, account.version, account.token)
            return store.mark(*args, **kwargs)

    racing = Racing()
    assert apply_event(removed(1), store=racing).action == "account_removed"
    assert racing.raced and store.get(KEY, OPEN_ID).state == "removed" and store.get(KEY, OPEN_ID).version == 3


# ---------------------------------------------------------------- posting events
@pytest.mark.parametrize(("name", "status", "reason", "post_ids", "public"), [
    ("post.publish.complete", "PUBLISH_COMPLETE", None, (), None),
    ("post.publish.inbox_delivered", "SEND_TO_USER_INBOX", None, (), None),
    ("post.publish.failed", "FAILED", "file_format_check_failed", (), None),
    ("post.publish.publicly_available", "PUBLISH_COMPLETE", None, ("7493784938978805793",), True),
    ("post.publish.no_longer_publicaly_available", "PUBLISH_COMPLETE", None, ("7493784938978805793",), False),
])
def test_each_posting_event_lands_on_the_board_as_its_status(name: str, status: str, reason: str | None,
                                                             post_ids: tuple[str, ...], public: bool | None) -> None:
    board = MemoryPostBoard()
    event = parse_event(DOCUMENTED[name])
    applied = apply_event(event, board=board)
    assert applied.action == "post_recorded" and applied.entry is not None
    found = board.get(KEY, event.publish_id)  # type: ignore[attr-defined]
    assert found is not None and (found.status, found.fail_reason, found.post_ids) == (status, reason, post_ids)
    assert applied.entry.public is public and event_status(event) is not None


def test_out_of_order_posting_events_end_on_the_final_status_with_its_post_ids() -> None:
    board = MemoryPostBoard()
    publicly = parse_event(DOCUMENTED["post.publish.publicly_available"])
    complete = parse_event(DOCUMENTED["post.publish.complete"])
    for event in (publicly, complete, publicly, complete):
        apply_event(event, board=board)
    entry = board.entry(KEY, publicly.publish_id)  # type: ignore[attr-defined]
    assert entry is not None and entry.status.post_ids == ("7493784938978805793",) and entry.public is True


@pytest.mark.parametrize("name", ["video.upload.failed", "video.publish.completed"])
def test_events_the_library_has_no_record_of_are_ignored(name: str) -> None:
    board, store = MemoryPostBoard(), MemoryStore()
    assert apply_event(parse_event(DOCUMENTED[name]), store=store, board=board).action == "ignored"
    assert len(board) == 0
    assert apply_event(removed(), board=board).action == "ignored"  # no store given
    assert apply_event(parse_event(DOCUMENTED["post.publish.complete"]), store=store).action == "ignored"


# ---------------------------------------------------------------- as an on_event
def test_event_actions_in_a_receiver_apply_once_and_then_pass_the_event_on() -> None:
    store, board, seen = MemoryStore(), MemoryPostBoard(), []
    stored(store)
    actions = EventActions(store=store, board=board, then=seen.append)
    body = json.dumps({"client_key": KEY, "event": "authorization.removed", "create_time": int(time.time()),
                       "user_openid": OPEN_ID, "content": json.dumps({"reason": 3})}).encode()
    signed = {"TikTok-Signature": header(body, t=int(time.time()))}
    dedupe = Deduplicator()
    first = handle(body, signed, client_secret=SECRET, on_event=actions, dedupe=dedupe)
    version = store.get(KEY, OPEN_ID).version
    second = handle(body, signed, client_secret=SECRET, on_event=actions, dedupe=dedupe)
    assert (first.reason, second.reason) == ("delivered", "duplicate")
    assert store.get(KEY, OPEN_ID).version == version and len(seen) == 1
    assert "the user's age changed" in (store.get(KEY, OPEN_ID).reason or "")
    assert "memory store" in repr(actions)


def test_a_store_failure_is_a_500_and_the_retry_applies_it(tmp_path: Any) -> None:
    store = MemoryStore()
    stored(store)

    class Down:
        where = "down store"
        fail = True

        def get(self, *args: Any) -> Any:
            if self.fail:
                raise StoreUnavailable("down store", "is down", "try later")
            return store.get(*args)

        def mark(self, *args: Any, **kwargs: Any) -> Any:
            return store.mark(*args, **kwargs)

    down = Down()
    body = json.dumps({"client_key": KEY, "event": "authorization.removed", "create_time": int(time.time()),
                       "user_openid": OPEN_ID, "content": json.dumps({"reason": 1})}).encode()
    signed = {"TikTok-Signature": header(body, t=int(time.time()))}
    dedupe = Deduplicator()
    failed = handle(body, signed, client_secret=SECRET, on_event=EventActions(store=down), dedupe=dedupe)
    assert (failed.status, failed.reason) == (500, "handler_failed") and store.get(KEY, OPEN_ID).active
    down.fail = False
    retried = handle(body, signed, client_secret=SECRET, on_event=EventActions(store=down), dedupe=dedupe)
    assert retried.reason == "delivered" and store.get(KEY, OPEN_ID).state == "removed"


def test_asyncio_stores_and_blocking_boards_with_apply_event_async(tmp_path: Any) -> None:
    store = MemoryStore()
    stored(store)
    board = SQLitePostBoard(SQLiteStore(tmp_path / "posts.db"))
    event = parse_event(DOCUMENTED["post.publish.failed"])

    async def main() -> tuple[Any, Any]:
        marked = await apply_event_async(removed(2), store=as_async(store))
        posted = await apply_event_async(event, store=store, board=board)
        return marked, posted

    marked, posted = asyncio.run(main())
    assert marked.action == "account_removed" and store.get(KEY, OPEN_ID).state == "removed"
    assert posted.action == "post_recorded" and board.get(KEY, event.publish_id).status == "FAILED"  # type: ignore[union-attr,attr-defined]
    board.store.close()


def test_an_asyncio_store_is_refused_where_it_cannot_be_awaited() -> None:
    with pytest.raises(ConfigurationError, match="apply_event_async"):
        EventActions(store=as_async(MemoryStore()))
    with pytest.raises(ConfigurationError, match="apply_event_async"):
        apply_event(removed(), store=as_async(MemoryStore()))
    with pytest.raises(ConfigurationError, match="store"):
        apply_event(removed(), store=object())
    with pytest.raises(ConfigurationError, match="board"):
        EventActions(board=object())
