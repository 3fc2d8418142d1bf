"""The sandbox's webhooks, received by a plain http.server and checked with pytok_sm.webhooks
(the sandbox signs with its own code: each side checks the other)."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from pytok_sm.sandbox import App, Sandbox, Switches, default_apps
from pytok_sm.webhooks import (
    AuthorizationRemoved,
    Deduplicator,
    PostInboxDelivered,
    PostNoLongerPubliclyAvailable,
    PostPubliclyAvailable,
    PostPublishComplete,
    PostPublishFailed,
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfRange,
    WebhookEvent,
    handle,
    parse_event,
    verify,
)

from .test_posting_support import Poster, poster_fixture  # noqa: F401 - fixture

URL = "https://media.example.com/v/clip.mp4"
IMAGES = ["https://media.example.com/p/1.jpg"]


@dataclass
class Received:
    at: float  # time.monotonic() when it arrived
    body: bytes
    signature: str | None
    headers: dict[str, str]
    probe: Any = None


@dataclass
class Receiver:
    """An app's webhook endpoint: records every POST, answers ``answers`` in turn, then 200."""

    url: str = ""
    got: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    probe: Callable[[], Any] | None = None  # called at each arrival (what the app would see then)
    hold: threading.Event | None = None  # set: answer at once; unset: hang until set
    entered: threading.Event = field(default_factory=threading.Event)  # a POST came in
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.got) >= count, timeout), f"{len(self.got)} of {count}"
            return list(self.got)

    def quiet(self, seconds: float = 0.3) -> list[Received]:
        time.sleep(seconds)
        return list(self.got)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.entered.set()
            if state.hold is not None:
                state.hold.wait(10)
            with state.arrived:
                probe = state.probe() if state.probe else None
                state.got.append(Received(time.monotonic(), body, self.headers.get("TikTok-Signature"),
                                          dict(self.headers.items()), probe))
                status = state.answers.pop(0) if state.answers else 200
                state.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/tiktok"
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def hooked(sandbox: Sandbox, receiver: Receiver) -> Sandbox:
    """The sandbox, its default app delivering to ``receiver``, retries 0.05 s apart."""
    sandbox.switches.webhook_retry_base = 0.05
    sandbox.set_webhook_url(receiver.url)
    return sandbox


def verified(sb: Sandbox, got: Received) -> WebhookEvent:
    verify(got.body, got.signature, client_secret=sb.client_secret)
    return parse_event(got.body)


def publish_id(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["publish_id"])


class TestEvents:
    def test_deauthorize_revokes_every_token_then_delivers_the_reason(self, hooked: Sandbox,
                                                                      receiver: Receiver) -> None:
        first, second = hooked.issue_tokens(), hooked.issue_tokens()
        receiver.probe = lambda: hooked.is_alive(first["access_token"])
        assert hooked.deauthorize(reason=4) == 4
        assert not any(hooked.is_alive(t[k]) for t in (first, second) for k in ("access_token", "refresh_token"))
        (got,) = receiver.wait_for(1)
        assert got.probe is False  # already revoked when the event arrived
        event = verified(hooked, got)
        assert isinstance(event, AuthorizationRemoved) and event.reason == 4
        assert (event.client_key, event.user_openid) == (hooked.client_key, hooked.user.open_id)
        assert abs(event.create_time - hooked.clock.now()) < 5
        assert got.headers["Content-Type"] == "application/json"
        (record,) = wait_records(hooked, 1)
        assert (record.event, record.url, record.attempt, record.status, record.error) == (
            "authorization.removed", receiver.url, 1, 200, None)
        assert record.delivered and not record.duplicate and record.next_in is None
        assert record.body_sha256 == hashlib.sha256(got.body).hexdigest()
        assert hooked.token(first["access_token"]).revoked_reason == "deauthorized"  # type: ignore[union-attr]
        with pytest.raises(LookupError):
            hooked.deauthorize()  # nothing left to remove

    def test_every_post_event_without_a_single_status_poll(self, hooked: Sandbox, receiver: Receiver,
                                                           poster: Poster) -> None:
        public = publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL}, "PUBLIC_TO_EVERYONE"))
        inbox = publish_id(poster.inbox({"source": "PULL_FROM_URL", "video_url": URL}))
        hooked.clock.advance(3)
        events = [verified(hooked, got) for got in receiver.wait_for(3)]
        assert hooked.count("publish_status") == 0  # nobody polled
        complete, delivered, available = sorted(events, key=lambda e: e.event)
        assert isinstance(complete, PostPublishComplete) and isinstance(available, PostPubliclyAvailable)
        assert isinstance(delivered, PostInboxDelivered)
        assert (complete.publish_id, complete.publish_type) == (public, "DIRECT_POST")
        assert (delivered.publish_id, delivered.publish_type) == (inbox, "INBOX_SHARE")
        (post_id,) = poster.status_data(public)["publicaly_available_post_id"]
        assert (available.publish_id, available.post_id) == (public, str(post_id))
        hooked.take_down(public)
        gone = verified(hooked, receiver.wait_for(4)[3])
        assert isinstance(gone, PostNoLongerPubliclyAvailable) and gone.post_id == str(post_id)
        assert poster.status_data(public)["publicaly_available_post_id"] == []
        hooked.switches.post_outcome = "fail"
        hooked.switches.post_fail_reason = "spam_risk_text"
        photos = publish_id(poster.photos(IMAGES, "MEDIA_UPLOAD"))
        hooked.clock.advance(3)
        failed = verified(hooked, receiver.wait_for(5)[4])
        assert isinstance(failed, PostPublishFailed)
        assert (failed.publish_id, failed.reason, failed.publish_type) == (photos, "spam_risk_text", "INBOX_SHARE")
        assert [e.status for e in wait_records(hooked, 5)] == [200] * 5  # each once
        assert len(receiver.quiet(0.2)) == 5

    def test_a_cancelled_post_fails_with_its_reason(self, hooked: Sandbox, receiver: Receiver,
                                                    poster: Poster) -> None:
        cancelled = publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL}))
        assert poster.cancel(cancelled).status_code == 200
        event = verified(hooked, receiver.wait_for(1)[0])
        assert isinstance(event, PostPublishFailed) and event.reason == "publish_cancelled"

    def test_a_post_that_never_ends_stays_silent(self, hooked: Sandbox, receiver: Receiver,
                                                 poster: Poster) -> None:
        hooked.switches.post_outcome = "never"
        publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL}))
        hooked.clock.advance(3600)
        assert receiver.quiet() == [] and hooked.webhook_deliveries == []

    def test_only_apps_with_a_url_hear_and_only_of_what_follows(self, sandbox: Sandbox, receiver: Receiver,
                                                                poster: Poster) -> None:
        before = publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL}))
        sandbox.clock.advance(3)
        assert poster.status_data(before)["status"] == "PUBLISH_COMPLETE"
        sandbox.set_webhook_url(receiver.url)
        after = publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL}))
        sandbox.clock.advance(3)
        (got,) = receiver.wait_for(1)
        assert verified(sandbox, got).content["publish_id"] == after  # not `before`
        sandbox.set_webhook_url(None)
        sandbox.deauthorize()
        assert receiver.quiet() == [got]

    def test_webhook_urls_are_https_or_loopback_http(self, sandbox: Sandbox) -> None:
        sandbox.set_webhook_url("https://app.example.test/hooks", client_key=sandbox.web_client_key)
        assert sandbox.apps[sandbox.web_client_key].webhook_url == "https://app.example.test/hooks"
        for bad in ("http://app.example.test/hooks", "ftp://127.0.0.1/x", "https://u@host/x", "not a url"):
            with pytest.raises(ValueError):
                sandbox.set_webhook_url(bad)
        desktop, web = default_apps()
        with pytest.raises(ValueError):
            App(**{**desktop.__dict__, "webhook_url": "http://10.0.0.1/hook"})
        assert App(**{**web.__dict__, "webhook_url": "http://[::1]:9/h"}).webhook_url == "http://[::1]:9/h"


class TestDelivery:
    def test_retries_after_500s_with_growing_gaps_then_stops(self, hooked: Sandbox, receiver: Receiver) -> None:
        receiver.answers = [500, 503, 500]
        hooked.issue_tokens()
        hooked.deauthorize()
        got = receiver.wait_for(4)
        assert len({g.body for g in got}) == 1  # the same delivery each time
        for g in got:
            verified(hooked, g)  # each attempt signed anew, over the bytes sent
        gaps = [later.at - earlier.at for earlier, later in zip(got, got[1:], strict=False)]
        records = wait_records(hooked, 4)
        assert [(r.attempt, r.status) for r in records] == [(1, 500), (2, 503), (3, 500), (4, 200)]
        assert [r.next_in for r in records] == [0.05, 0.1, 0.2, None]
        assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.195, gaps
        assert receiver.quiet(0.2) == got

    def test_gives_up_after_the_last_attempt_even_when_nobody_listens(self, hooked: Sandbox) -> None:
        with socket_closed() as dead:
            hooked.set_webhook_url(dead)
            hooked.switches.webhook_max_attempts = 3
            hooked.issue_tokens()
            hooked.deauthorize()
            records = wait_records(hooked, 3)
        assert [(r.attempt, r.status) for r in records] == [(1, None), (2, None), (3, None)]
        assert all(r.error for r in records) and records[-1].next_in is None
        time.sleep(0.3)
        assert len(hooked.webhook_deliveries) == 3

    def test_the_retry_horizon_ends_retries(self, hooked: Sandbox, receiver: Receiver) -> None:
        receiver.answers = [500] * 10
        hooked.switches.webhook_retry_horizon = 0.1  # 0.05 fits, the next 0.1 (at 0.15) does not
        hooked.issue_tokens()
        hooked.deauthorize()
        assert len(receiver.wait_for(2)) == 2 and len(receiver.quiet()) == 2

    def test_duplicates_are_sent_on_purpose_and_deduplicated_by_the_receiver(self, hooked: Sandbox,
                                                                            receiver: Receiver) -> None:
        hooked.switches.webhook_duplicates = 2
        hooked.issue_tokens()
        hooked.deauthorize(reason=5)
        got = receiver.wait_for(3)
        assert len({g.body for g in got}) == 1
        assert [(r.attempt, r.duplicate) for r in wait_records(hooked, 3)] == [(1, False), (2, True), (3, True)]
        dedupe, passed = Deduplicator(), list[WebhookEvent]()
        outcomes = [handle(g.body, {"TikTok-Signature": g.signature or ""}, client_secret=hooked.client_secret,
                           on_event=passed.append, dedupe=dedupe) for g in got]
        assert [o.reason for o in outcomes] == ["delivered", "duplicate", "duplicate"] and len(passed) == 1
        assert len(receiver.quiet(0.2)) == 3

    @pytest.mark.parametrize(("signature", "timestamp", "error"), [
        ("wrong_secret", "now", SignatureMismatch),
        ("tampered_body", "now", SignatureMismatch),
        ("missing", "now", SignatureMissing),
        ("valid", "stale", TimestampOutOfRange),
        ("valid", "future", TimestampOutOfRange),
    ])
    def test_bad_signatures_and_timestamps_are_refused(self, hooked: Sandbox, receiver: Receiver,
                                                       signature: str, timestamp: str, error: type) -> None:
        hooked.switches.webhook_signature = signature
        hooked.switches.webhook_timestamp = timestamp
        hooked.issue_tokens()
        hooked.deauthorize(reason=2)
        (got,) = receiver.wait_for(1)
        with pytest.raises(error):
            verify(got.body, got.signature, client_secret=hooked.client_secret)
        event = parse_event(got.body)  # still TikTok's shape: only the signature is wrong
        assert isinstance(event, AuthorizationRemoved) and event.reason == 2
        (record,) = wait_records(hooked, 1)
        assert record.signature == signature and (record.signed_at is None) == (signature == "missing")
        if timestamp != "now":
            assert record.signed_at is not None and abs(abs(record.signed_at - time.time()) - 600) < 5

    @pytest.mark.parametrize("order", ["in_order", "shuffled"])
    def test_a_batch_goes_out_in_order_or_shuffled(self, hooked: Sandbox, receiver: Receiver, poster: Poster,
                                                   order: str) -> None:
        hooked.switches.webhook_order = order
        made = [publish_id(poster.direct({"source": "PULL_FROM_URL", "video_url": URL})) for _ in range(4)]
        hooked.clock.advance(3)  # all four end at once: one batch
        sent = [verified(hooked, got).content["publish_id"] for got in receiver.wait_for(4)]
        assert sorted(sent) == sorted(made)
        assert (sent == made) == (order == "in_order")


class TestAccountsPage:
    def test_remove_access_from_the_page(self, hooked: Sandbox, receiver: Receiver, http: httpx.Client) -> None:
        tokens = hooked.issue_tokens()
        listing = http.get("/sandbox/accounts", params={"format": "json"}).json()
        (account,) = listing["accounts"]
        assert (account["client_key"], account["open_id"], account["live_tokens"]) == (
            hooked.client_key, hooked.user.open_id, 2)
        page = http.get("/sandbox/accounts")
        assert page.status_code == 200 and 'id="remove-1"' in page.text and listing["form_token"] in page.text
        form = {"client_key": hooked.client_key, "open_id": hooked.user.open_id, "reason": "1",
                "form_token": listing["form_token"]}
        assert http.post("/sandbox/accounts/remove", data={**form, "form_token": "guess"}).status_code == 403
        foreign = http.post("/sandbox/accounts/remove", data=form, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and hooked.is_alive(tokens["access_token"])
        assert http.get("/sandbox/accounts/remove").status_code == 405
        done = http.post("/sandbox/accounts/remove", data={**form, "reason": "3"},
                         headers={"Origin": hooked.base_url})
        assert done.status_code == 200 and "Access removed" in done.text
        assert not hooked.is_alive(tokens["access_token"])
        event = verified(hooked, receiver.wait_for(1)[0])
        assert isinstance(event, AuthorizationRemoved) and event.reason == 3
        assert http.post("/sandbox/accounts/remove", data=form).status_code == 404  # removed already
        assert http.get("/sandbox/accounts", params={"format": "json"}).json()["accounts"] == []


class TestStop:
    def test_stop_joins_the_worker_in_a_backoff_wait(self, receiver: Receiver) -> None:
        receiver.answers = [500]
        sb = Sandbox(switches=Switches(webhook_retry_base=30.0)).start()
        sb.set_webhook_url(receiver.url)
        sb.issue_tokens()
        sb.deauthorize()
        wait_records(sb, 1)
        began = time.monotonic()
        sb.stop()
        assert time.monotonic() - began < 1.0
        assert not [t for t in threading.enumerate() if t.name == "pytok-sandbox-webhooks"]
        assert sb.errors == []

    def test_stop_cuts_a_post_in_flight(self, receiver: Receiver) -> None:
        receiver.hold = threading.Event()  # the receiver never answers (until the test ends)
        sb = Sandbox().start()
        sb.set_webhook_url(receiver.url)
        sb.issue_tokens()
        sb.deauthorize()
        assert receiver.entered.wait(5)
        began = time.monotonic()
        sb.stop()
        assert time.monotonic() - began < 1.0
        assert not [t for t in threading.enumerate() if t.name == "pytok-sandbox-webhooks"]
        (record,) = wait_records(sb, 1)
        assert record.status is None and record.error


def wait_records(sb: Sandbox, count: int, timeout: float = 5.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while len(sb.webhook_deliveries) < count:
        assert time.monotonic() < deadline, sb.webhook_deliveries
        time.sleep(0.01)
    return sb.webhook_deliveries


@contextmanager
def socket_closed() -> Iterator[str]:
    """A loopback URL nobody listens on (its port bound, never listening, meanwhile)."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}/hook"
