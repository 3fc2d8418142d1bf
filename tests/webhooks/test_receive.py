"""handle() and handle_async(): the status for every outcome, each delivery passed on once,
500 (a retry) when on_event raises, and nothing secret or internal in any answer."""

from __future__ import annotations

import asyncio
import json
import pickle
import threading
import traceback
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytok_sm import ConfigurationError, logs
from pytok_sm.stores import StoreUnavailable
from pytok_sm.webhooks import (
    AuthorizationRemoved,
    Deduplicator,
    MemorySingleUse,
    Outcome,
    WebhookEvent,
    handle,
    handle_async,
)

from .helpers import DOCUMENTED, OTHER_SECRET, SECRET, T, event_body, header

BODY = DOCUMENTED["authorization.removed"]


class Recorder:
    """An on_event that records what it was given and can be told to fail."""

    def __init__(self, failures: int = 0) -> None:
        self.events: list[WebhookEvent] = []
        self.failures = failures
        self.thread: threading.Thread | None = None

    def __call__(self, event: WebhookEvent) -> None:
        self.thread = threading.current_thread()
        self.events.append(event)
        if self.failures:
            self.failures -= 1
            raise RuntimeError(f"database down while storing {event.user_openid} (password {SECRET})")


def run(body: bytes = BODY, headers: Any = None, *, on_event: Any = None, dedupe: Any = "fresh",
        now: float = T + 1, secret: Any = SECRET) -> Outcome:
    return handle(body, {"TikTok-Signature": header(body)} if headers is None else headers, client_secret=secret,
                  on_event=on_event or Recorder(), dedupe=Deduplicator() if dedupe == "fresh" else dedupe,
                  clock=lambda: now)


def answer(outcome: Outcome) -> dict[str, Any]:
    decoded = json.loads(outcome.body)
    assert set(decoded) == {"ok", "reason"} and decoded["ok"] is (outcome.status == 200)
    return dict(decoded)


def test_a_verified_event_is_passed_on_and_answered_200() -> None:
    seen = Recorder()
    outcome = run(on_event=seen)
    assert (outcome.status, outcome.reason) == (200, "delivered")
    assert answer(outcome) == {"ok": True, "reason": "delivered"} and outcome.content_type == "application/json"
    assert isinstance(outcome.event, AuthorizationRemoved) and seen.events == [outcome.event]


@pytest.mark.parametrize(
    ("headers", "now", "reason"),
    [
        ({}, T, "signature_missing"),
        ({"TikTok-Signature": "nonsense"}, T, "signature_malformed"),
        ({"TikTok-Signature": header(BODY, OTHER_SECRET)}, T, "signature_mismatch"),
        ({"TikTok-Signature": header(BODY + b" ")}, T, "signature_mismatch"),
        ({"TikTok-Signature": header(BODY)}, T + 301, "timestamp_out_of_range"),
        ({"TikTok-Signature": header(BODY)}, T - 301, "timestamp_out_of_range"),
    ],
)
def test_a_failed_signature_or_timestamp_is_401_and_never_passed_on(headers: Any, now: float, reason: str) -> None:
    seen = Recorder()
    outcome = run(headers=headers, now=now, on_event=seen)
    assert (outcome.status, outcome.reason, outcome.event) == (401, reason, None)
    assert answer(outcome) == {"ok": False, "reason": reason} and seen.events == []


def test_header_names_are_compared_case_insensitively_in_any_shape() -> None:
    value = header(BODY)
    for headers in ({"tiktok-signature": value}, {"TIKTOK-SIGNATURE": value}, {"Tiktok-Signature": value},
                    [("TikTok-Signature", value)], [(b"tiktok-signature", value.encode())], {b"TikTok-Signature": value.encode()}):
        assert run(headers=headers).status == 200, headers
    doubled = [("TikTok-Signature", value), ("tiktok-signature", value)]
    assert run(headers=doubled).reason == "signature_malformed"  # two t=: refused, never guessed


def test_a_signed_body_that_is_no_event_is_400_after_the_signature_passed() -> None:
    for body in (b"\xff\xfe not utf-8", b"not json", b"[]", json.dumps({"event": "x"}).encode()):
        seen = Recorder()
        outcome = run(body, on_event=seen)
        assert (outcome.status, outcome.reason) == (400, "event_malformed") and seen.events == []
    # The signature is checked first: an unsigned non-event is a 401, not a 400.
    assert run(b"not json", headers={"TikTok-Signature": header(b"other")}).status == 401


def test_a_duplicate_is_answered_200_and_not_passed_on_again() -> None:
    seen, dedupe = Recorder(), Deduplicator()
    first = run(on_event=seen, dedupe=dedupe)
    again = run(on_event=seen, dedupe=dedupe, headers={"TikTok-Signature": header(BODY, t=T + 60)}, now=T + 61)
    assert (first.reason, again.status, again.reason) == ("delivered", 200, "duplicate")
    assert answer(again) == {"ok": True, "reason": "duplicate"}
    assert len(seen.events) == 1 and again.event == first.event
    other = event_body(n=1)
    assert run(other, on_event=seen, dedupe=dedupe).reason == "delivered" and len(seen.events) == 2
    # Without de-duplication, every delivery is passed on.
    assert run(on_event=seen, dedupe=None).reason == "delivered" and len(seen.events) == 3


def test_a_failing_on_event_is_500_without_its_text_and_the_retry_is_passed_on() -> None:
    seen, dedupe = Recorder(failures=1), Deduplicator()
    failed = run(on_event=seen, dedupe=dedupe)
    assert (failed.status, failed.reason) == (500, "handler_failed")
    assert answer(failed) == {"ok": False, "reason": "handler_failed"}
    assert b"database" not in failed.body and SECRET.encode() not in failed.body
    assert isinstance(failed.error, RuntimeError)                 # for the application's own logs
    retried = run(on_event=seen, dedupe=dedupe)                   # TikTok's retry: passed on, not a duplicate
    assert (retried.status, retried.reason) == (200, "delivered") and len(seen.events) == 2
    assert run(on_event=seen, dedupe=dedupe).reason == "duplicate" and len(seen.events) == 2


def test_a_failing_dedupe_store_is_500_and_on_event_is_not_called() -> None:
    def broken(key: str, seconds: float) -> bool:
        raise StoreUnavailable("Redis redis://cache:6379/0", "cannot be reached", "start Redis")

    seen = Recorder()
    outcome = run(on_event=seen, dedupe=Deduplicator(broken, release=lambda key: None))
    assert (outcome.status, outcome.reason) == (500, "dedupe_unavailable") and seen.events == []
    assert isinstance(outcome.error, StoreUnavailable) and b"Redis" not in outcome.body


def test_a_failure_to_confirm_still_answers_200_and_a_failure_to_release_is_noted() -> None:
    memory = MemorySingleUse()

    class Flaky:
        def __call__(self, key: str, seconds: float) -> bool:
            return memory(key, seconds)

        def keep(self, key: str, seconds: float) -> None:
            raise StoreUnavailable("x", "failed", "y")

        def release(self, key: str) -> None:
            raise StoreUnavailable("x", "failed", "y")

    outcome = run(dedupe=Deduplicator(Flaky()))
    assert (outcome.status, outcome.reason) == (200, "delivered")  # passed on already: a retry would repeat it
    failed = run(event_body(n=2), on_event=Recorder(failures=1), dedupe=Deduplicator(Flaky()))
    assert failed.status == 500 and failed.error is not None
    assert any("releasing its de-duplication claim failed" in note for note in failed.error.__notes__)


def test_no_answer_log_or_report_holds_the_secret() -> None:
    events: list[dict[str, Any]] = []
    outcomes = []
    with logs.listen(events.append):
        for headers, on_event, now in [({}, None, T), ({"TikTok-Signature": header(BODY, "a-third-secret")}, None, T),
                                       ({"TikTok-Signature": header(BODY)}, None, T + 999),
                                       (None, Recorder(failures=1), T + 1), (None, None, T + 1)]:
            outcomes.append(run(headers=headers, on_event=on_event, now=now, secret=[SECRET, OTHER_SECRET]))
    assert [o.status for o in outcomes] == [401, 401, 401, 500, 200]
    assert [e["reason"] for e in events] == [o.reason for o in outcomes]
    assert events[3]["error"] == "RuntimeError" and events[4]["tiktok_event"] == "authorization.removed"
    for outcome in outcomes:
        texts = [outcome.body.decode(), repr(outcome), json.dumps(events, default=str)]
        if outcome.error is not None and not isinstance(outcome.error, RuntimeError):
            texts.append(pickle.dumps(outcome.error).decode("latin-1"))
            texts.append("".join(traceback.TracebackException.from_exception(outcome.error, capture_locals=True)
                                 .format()))
        for text in texts:
            assert SECRET not in text and OTHER_SECRET not in text
    # The application's own exception went through pytok_sm's frames: they show no secret either.
    error = outcomes[3].error
    assert error is not None and error.__traceback__ is not None
    report = "".join(traceback.TracebackException(type(error), error, error.__traceback__,
                                                  capture_locals=True).format())
    assert "_steps" in report and "secrets=" not in report
    assert report.count(SECRET) == 1  # the RuntimeError's own message, which names it on purpose


def test_settings_are_checked_and_misuse_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="on_event"):
        handle(BODY, {}, client_secret=SECRET, on_event="nope")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="client_secret"):
        handle(BODY, {}, client_secret="", on_event=print)
    with pytest.raises(ConfigurationError, match="release"):
        handle(BODY, {}, client_secret=SECRET, on_event=print, dedupe=lambda key, ttl: True)

    async def coroutine(event: WebhookEvent) -> None:
        return None

    outcome = run(on_event=coroutine)
    assert (outcome.status, outcome.reason) == (500, "handler_failed")
    assert isinstance(outcome.error, ConfigurationError) and "handle_async" in str(outcome.error)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200), value=st.one_of(st.none(), st.text(max_size=200)))
def test_any_request_gets_an_outcome_never_an_exception(body: bytes, value: str | None) -> None:
    seen = Recorder()
    outcome = run(body, headers={} if value is None else {"TikTok-Signature": value}, on_event=seen)
    assert outcome.status in (400, 401) and seen.events == []


# --------------------------------------------------------------------------- asyncio


def run_async(body: bytes = BODY, *, on_event: Any, dedupe: Any, now: float = T + 1) -> Outcome:
    return asyncio.run(handle_async(body, {"tiktok-signature": header(body)}, client_secret=SECRET,
                                    on_event=on_event, dedupe=dedupe, clock=lambda: now))


def test_handle_async_awaits_coroutines_and_runs_plain_functions_in_a_thread() -> None:
    got: list[WebhookEvent] = []

    async def on_event(event: WebhookEvent) -> None:
        await asyncio.sleep(0)
        got.append(event)

    dedupe = Deduplicator()
    assert run_async(on_event=on_event, dedupe=dedupe).reason == "delivered" and len(got) == 1
    assert run_async(on_event=on_event, dedupe=dedupe).reason == "duplicate" and len(got) == 1
    plain = Recorder()
    assert run_async(event_body(n=3), on_event=plain, dedupe=dedupe).reason == "delivered"
    assert plain.thread is not threading.main_thread()


def test_handle_async_fails_and_retries_like_handle(tmp_path: Any) -> None:
    from pytok_sm.webhooks import SQLiteSingleUse

    seen = SQLiteSingleUse(tmp_path / "d" / "tokens.db")
    dedupe = Deduplicator(seen)
    assert dedupe.blocking                                   # SQLite waits: it runs in a thread
    failing = Recorder(failures=1)
    first = run_async(on_event=failing, dedupe=dedupe)
    assert (first.status, first.reason) == (500, "handler_failed") and b"database" not in first.body
    assert run_async(on_event=failing, dedupe=dedupe).reason == "delivered"
    assert run_async(on_event=failing, dedupe=dedupe).reason == "duplicate" and len(failing.events) == 2
    assert asyncio.run(handle_async(BODY, {}, client_secret=SECRET, on_event=failing)).status == 401
    seen.close()
