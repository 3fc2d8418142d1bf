"""The retry policy: the matrix of docs/ROBUSTNESS.md, bounded, with honest backoff."""

from __future__ import annotations

import email.utils
import math
import random

import pytest

from pytok_sm._retry import Outcome, RequestKind, RetryPolicy, parse_retry_after

K = RequestKind

# ROBUSTNESS.md: a code exchange or a refresh is repeated only when TikTok certainly did not
# act on it (not sent, 429, 503/temporarily_unavailable); the other kinds may be repeated
# after any transient fault.
CERTAINLY_NOT_ACTED = {Outcome.NOT_SENT, Outcome.RATE_LIMITED, Outcome.UNAVAILABLE}
EVERY_OUTCOME = {Outcome.NOT_SENT, Outcome.UNKNOWN, Outcome.RATE_LIMITED, Outcome.UNAVAILABLE, Outcome.SERVER_ERROR}
RETRIED_OUTCOMES = {
    K.EXCHANGE_CODE: CERTAINLY_NOT_ACTED,
    K.REFRESH: CERTAINLY_NOT_ACTED,
    K.CLIENT_CREDENTIALS: EVERY_OUTCOME,
    K.REVOKE: EVERY_OUTCOME,
    K.GET_QRCODE: EVERY_OUTCOME,
    K.CHECK_QRCODE: EVERY_OUTCOME,
    K.USER_INFO: EVERY_OUTCOME,
    K.CREATOR_INFO: EVERY_OUTCOME,
    # A posting init whose answer was lost may have created a post: a duplicate post is
    # worse than an error, so it is repeated only when TikTok certainly did not act.
    K.POST_INIT: CERTAINLY_NOT_ACTED,
    K.UPLOAD_CHUNK: EVERY_OUTCOME,  # a chunk is re-sent whole to the same range
    K.PUBLISH_STATUS: EVERY_OUTCOME,
    K.CANCEL_POST: EVERY_OUTCOME,
}
MATRIX = {(kind, outcome): outcome in RETRIED_OUTCOMES[kind] for kind in RequestKind for outcome in Outcome}


def test_matrix_covers_every_kind_and_outcome() -> None:
    assert set(RETRIED_OUTCOMES) == set(RequestKind)
    assert EVERY_OUTCOME == set(Outcome)


NO_JITTER = RetryPolicy(max_attempts=4, backoff_base=0.5, backoff_cap=8.0, retry_after_cap=30.0, jitter=0.0)


@pytest.mark.parametrize(("kind", "outcome"), list(MATRIX), ids=lambda v: v.value)
def test_retry_matrix(kind: RequestKind, outcome: Outcome) -> None:
    allowed = MATRIX[kind, outcome]
    assert NO_JITTER.retryable(outcome, kind) is allowed
    delay = NO_JITTER.delay(outcome, kind, attempt=1)
    assert (delay is not None) is allowed


@pytest.mark.parametrize(
    ("kind", "idempotent"),
    [(K.EXCHANGE_CODE, False), (K.REFRESH, False), (K.CLIENT_CREDENTIALS, True), (K.REVOKE, True),
     (K.GET_QRCODE, True), (K.CHECK_QRCODE, True), (K.USER_INFO, True), (K.POST_INIT, False),
     (K.UPLOAD_CHUNK, True), (K.PUBLISH_STATUS, True), (K.CANCEL_POST, True), (K.CREATOR_INFO, True)],
)
def test_idempotent_kinds(kind: RequestKind, idempotent: bool) -> None:
    assert kind.idempotent is idempotent


@pytest.mark.parametrize("max_attempts", [1, 2, 4, 10])
@pytest.mark.parametrize("outcome", list(Outcome), ids=lambda o: o.value)
def test_attempts_are_bounded(max_attempts: int, outcome: Outcome) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, jitter=0.0)
    attempts = 1
    while policy.delay(outcome, K.USER_INFO, attempt=attempts) is not None:
        attempts += 1
        assert attempts <= 10
    assert attempts == max_attempts


def test_exponential_backoff_capped() -> None:
    delays = [NO_JITTER.delay(Outcome.SERVER_ERROR, K.USER_INFO, attempt=n) for n in range(1, 4)]
    assert delays == [0.5, 1.0, 2.0]
    policy = RetryPolicy(max_attempts=10, backoff_base=1.0, backoff_cap=5.0, jitter=0.0)
    assert [policy.delay(Outcome.UNAVAILABLE, K.REFRESH, attempt=n) for n in range(1, 10)] == [1, 2, 4, 5, 5, 5, 5, 5, 5]


@pytest.mark.parametrize("jitter", [0.25, 0.5, 1.0])
def test_jitter_stays_within_its_bounds(jitter: float) -> None:
    policy = RetryPolicy(max_attempts=10, backoff_base=1.0, backoff_cap=8.0, jitter=jitter)
    rng = random.Random(1234)
    for attempt in range(1, 10):
        ceiling = min(8.0, 2.0 ** (attempt - 1))
        delays = [policy.delay(Outcome.RATE_LIMITED, K.EXCHANGE_CODE, attempt=attempt, rng=rng) for _ in range(300)]
        assert all(d is not None and ceiling * (1 - jitter) <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling * jitter * 0.5  # it really spreads  # type: ignore[operator]


def test_jitter_is_reproducible_with_a_seeded_rng() -> None:
    policy = RetryPolicy()
    a = [policy.delay(Outcome.NOT_SENT, K.REFRESH, attempt=1, rng=random.Random(7)) for _ in range(3)]
    b = [policy.delay(Outcome.NOT_SENT, K.REFRESH, attempt=1, rng=random.Random(7)) for _ in range(3)]
    c = policy.delay(Outcome.NOT_SENT, K.REFRESH, attempt=1, rng=random.Random(8))
    assert a == b
    assert c != a[0]


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("retry_after", [0.0, 1.0, 7.5, 30.0])
def test_retry_after_is_honoured_exactly(retry_after: float) -> None:
    policy = RetryPolicy(jitter=1.0, retry_after_cap=30.0)
    assert policy.delay(Outcome.RATE_LIMITED, K.EXCHANGE_CODE, attempt=1, retry_after=retry_after) == retry_after


def test_retry_after_over_the_cap_ends_the_retries() -> None:
    assert NO_JITTER.delay(Outcome.RATE_LIMITED, K.USER_INFO, attempt=1, retry_after=30.5) is None
    assert NO_JITTER.delay(Outcome.RATE_LIMITED, K.USER_INFO, attempt=1, retry_after=3600) is None


def test_retry_after_does_not_override_the_matrix_or_the_bound() -> None:
    assert NO_JITTER.delay(Outcome.SERVER_ERROR, K.EXCHANGE_CODE, attempt=1, retry_after=1.0) is None
    assert NO_JITTER.delay(Outcome.RATE_LIMITED, K.USER_INFO, attempt=4, retry_after=1.0) is None


def test_negative_retry_after_waits_zero() -> None:
    assert NO_JITTER.delay(Outcome.RATE_LIMITED, K.USER_INFO, attempt=1, retry_after=-5.0) == 0.0


@pytest.mark.parametrize("odd", [math.inf, math.nan])
def test_non_finite_retry_after_falls_back_to_backoff(odd: float) -> None:
    assert NO_JITTER.delay(Outcome.RATE_LIMITED, K.USER_INFO, attempt=2, retry_after=odd) == 1.0


# --------------------------------------------------------------------------- parse_retry_after


@pytest.mark.parametrize(
    ("header", "now", "seconds"),
    [
        ("7", 0.0, 7.0),
        ("0", 0.0, 0.0),
        (" 120 ", 0.0, 120.0),
        ("999999999999999999", 0.0, 1e9),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 4.0, 6.0),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 60.0, 0.0),  # a date in the past: no negative wait
        (email.utils.formatdate(1_700_000_090, usegmt=True), 1_700_000_000.0, 90.0),
        ("Tue, 14 Nov 2023 22:14:50 +0000", 1_700_000_000.0, 90.0),
    ],
)
def test_parse_retry_after(header: str, now: float, seconds: float) -> None:
    assert parse_retry_after(header, now=now) == seconds


@pytest.mark.parametrize(
    "header",
    [None, "", "soon", "-5", "1.5", "7s", "²", "٣", "Thu, 01 Jan 1970 00:00:10", "Mon, 32 Foo 2024 99:99:99 GMT",
     "\x00", "inf", "nan"],
)
def test_unreadable_retry_after_is_none(header: str | None) -> None:
    assert parse_retry_after(header, now=0.0) is None


def test_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.backoff_base, policy.backoff_cap, policy.retry_after_cap, policy.jitter) == (
        4, 0.5, 8.0, 30.0, 1.0,
    )
