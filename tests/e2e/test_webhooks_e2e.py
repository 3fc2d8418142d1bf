"""Webhooks end to end: the sandbox delivers TikTok's signed events to a ``WebhookApp`` served
by ``wsgiref``, whose ``EventActions`` apply them. A de-authorised account is removed in the
store after one delivery (a bound kit then refuses, naming the reason, without asking
TikTok); a post ends on its webhook after the one status poll made on entering processing
(sync and async kits); a public post's id, and its take-down, are noted on the board."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import pytok_sm
from pytok_sm import NotLoggedIn, PostFailed, Token
from pytok_sm.sandbox import Sandbox
from pytok_sm.stores import SQLiteStore
from pytok_sm.testing import capture_transitions
from pytok_sm.webhooks import EventActions, SQLitePostBoard, WebhookApp

from .conftest import kit_options
from .posting_support import SCOPES, URL, poster

#: The sandbox processes a post in this many seconds: less than the first poll's 2.5 s wait,
#: so that without the webhook a second poll would be needed.
PROCESSING = 2.0


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


class Receiver:
    """A token store and a post board in one SQLite file, filled by a served ``WebhookApp``."""

    def __init__(self, sb: Sandbox, tmp_path: Path) -> None:
        self.store = SQLiteStore(tmp_path / "tokens.db")
        self.board = SQLitePostBoard(self.store)
        self.events: list[str] = []
        app = WebhookApp(sb.client_secret, EventActions(store=self.store, board=self.board,
                                                        then=lambda event: self.events.append(event.event)))
        self.server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/tiktok"
        sb.set_webhook_url(self.url)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.store.close()


@pytest.fixture
def receiver(sandbox: Sandbox, tmp_path: Path) -> Iterator[Receiver]:
    made = Receiver(sandbox, tmp_path)
    yield made
    made.close()


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("it did not happen in time")


def delivered(sb: Sandbox, event: str) -> list[Any]:
    return [d for d in sb.webhook_deliveries if d.event == event]


def test_a_deauthorised_account_is_removed_in_the_store_after_one_delivery(sandbox: Sandbox,
                                                                           receiver: Receiver) -> None:
    token = Token.from_dict(sandbox.issue_tokens(["user.info.basic"]))
    assert token.open_id is not None
    receiver.store.put(sandbox.client_key, token)
    assert sandbox.deauthorize(token.open_id, reason=4) >= 1
    account = until(lambda: (a := receiver.store.get(sandbox.client_key, token.open_id)) and not a.active and a)
    assert (account.state, account.reason) == ("removed",
                                               "the user's account was banned (authorization.removed, reason 4)")
    until(lambda: delivered(sandbox, "authorization.removed"))
    (delivery,) = delivered(sandbox, "authorization.removed")
    assert (delivery.attempt, delivery.status, receiver.events) == (1, 200, ["authorization.removed"])
    sandbox.clear_requests()
    options = kit_options(sandbox)
    kit = pytok_sm.LoginKit(sandbox.client_key, sandbox.client_secret, store=receiver.store, open_id=token.open_id,
                            **options)
    with pytest.raises(NotLoggedIn, match=r"removed: the user's account was banned"):
        kit.get_user_info()

    async def main() -> None:
        async with pytok_sm.AsyncLoginKit(sandbox.client_key, sandbox.client_secret, store=receiver.store,
                                          open_id=token.open_id, **options) as async_kit:
            await async_kit.get_user_info()

    with pytest.raises(NotLoggedIn, match="reason 4"):
        asyncio.run(main())
    assert sandbox.requests == []  # refused from the store: TikTok was not asked


def test_a_post_completes_through_its_webhook_with_one_status_poll(make_runner: Any, sandbox: Sandbox,
                                                                   receiver: Receiver) -> None:
    runner = poster(make_runner, sandbox, processing=PROCESSING)
    with capture_transitions() as seen:
        result = runner("post_video", URL, privacy_level="SELF_ONLY", events=receiver.board)
    assert (result.status, result.confirmed) == ("PUBLISH_COMPLETE", True)
    assert sandbox.count("publish_status") == 1  # the first, on entering processing; then the webhook
    assert [(e["trigger"], e.get("via")) for e in seen][-2:] == [("still_processing", None), ("published", "webhook")]
    assert receiver.board.get(sandbox.client_key, result.publish_id).status == "PUBLISH_COMPLETE"  # type: ignore[union-attr]
    until(lambda: delivered(sandbox, "post.publish.complete"))
    assert [d.status for d in delivered(sandbox, "post.publish.complete")] == [200]


def test_an_inbox_upload_and_a_failure_end_on_their_webhooks(sandbox: Sandbox, receiver: Receiver) -> None:
    sandbox.switches.processing_seconds = PROCESSING
    kit = pytok_sm.LoginKit(sandbox.client_key, sandbox.client_secret, token=sandbox.issue_tokens(SCOPES),
                            **kit_options(sandbox))
    inbox = kit.post_video(URL, mode="inbox", events=receiver.board)
    assert inbox.status == "SEND_TO_USER_INBOX" and sandbox.count("publish_status") == 1
    sandbox.switches.post_outcome = "fail"
    with pytest.raises(PostFailed) as failed:
        kit.post_photos(["https://media.example.com/1.jpg"], privacy_level="SELF_ONLY", events=receiver.board)
    assert failed.value.publish_id and sandbox.count("publish_status") == 2
    status = receiver.board.get(sandbox.client_key, failed.value.publish_id)
    assert status is not None and status.status == "FAILED" and status.fail_reason == failed.value.fail_reason


def test_a_public_post_gets_its_id_then_its_take_down_noted_on_the_board(sandbox: Sandbox,
                                                                        receiver: Receiver) -> None:
    sandbox.switches.processing_seconds = 0.3
    kit = pytok_sm.LoginKit(sandbox.client_key, sandbox.client_secret, token=sandbox.issue_tokens(SCOPES),
                            **kit_options(sandbox))
    result = kit.post_video(URL, privacy_level="PUBLIC_TO_EVERYONE", events=receiver.board)
    assert result.status == "PUBLISH_COMPLETE"  # ended by post.publish.complete: the public id comes after it
    entry = until(lambda: (e := receiver.board.entry(sandbox.client_key, result.publish_id)) and e.public and e)
    assert entry.status.post_ids and entry.status.post_ids == kit.publish_status(result.publish_id).post_ids
    sandbox.take_down(result.publish_id)
    gone = until(lambda: (e := receiver.board.entry(sandbox.client_key, result.publish_id)) and e.public is False and e)
    assert (gone.status.status, gone.status.post_ids) == ("PUBLISH_COMPLETE", entry.status.post_ids)
