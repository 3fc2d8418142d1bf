"""When to try a request again, and after how long (the matrix of docs/ROBUSTNESS.md).

A request belongs to a :class:`RequestKind`. Kinds whose repetition is harmless (user info,
QR polling, revoke) may be retried after any transient fault; a code exchange or a refresh
is retried only when TikTok certainly did not act on it: the connection failed before the
request was sent, or TikTok answered 429 / 503 / ``temporarily_unavailable``.

Example:
    >>> policy = RetryPolicy(max_attempts=3, jitter=0.0)
    >>> policy.delay(Outcome.RATE_LIMITED, RequestKind.EXCHANGE_CODE, attempt=1, retry_after=2.0)
    2.0
    >>> policy.delay(Outcome.SERVER_ERROR, RequestKind.EXCHANGE_CODE, attempt=1) is None
    True
    >>> policy.delay(Outcome.SERVER_ERROR, RequestKind.USER_INFO, attempt=3) is None
    True
"""

from __future__ import annotations

import email.utils
import enum
import math
import random
from dataclasses import dataclass

from . import _contract as contract
from ._errors import ApiError, ConfigurationError, OAuthError, RateLimited

__all__ = ["Outcome", "RequestKind", "RetryPolicy", "outcome_of", "parse_retry_after"]


class RequestKind(enum.Enum):
    """What a request does, which decides whether repeating it is safe."""

    EXCHANGE_CODE = "exchange_code"
    REFRESH = "refresh"
    CLIENT_CREDENTIALS = "client_credentials"
    REVOKE = "revoke"
    GET_QRCODE = "get_qrcode"
    CHECK_QRCODE = "check_qrcode"
    USER_INFO = "user_info"
    CREATOR_INFO = "creator_info"
    #: A posting init (video, inbox or photo): TikTok documents no idempotency, so an init
    #: whose answer was lost may have created a post; never resent blindly.
    POST_INIT = "post_init"
    UPLOAD_CHUNK = "upload_chunk"
    PUBLISH_STATUS = "publish_status"
    CANCEL_POST = "cancel_post"

    @property
    def idempotent(self) -> bool:
        """True when sending it twice does no harm."""
        return self not in (RequestKind.EXCHANGE_CODE, RequestKind.REFRESH, RequestKind.POST_INIT)


class Outcome(enum.Enum):
    """How one attempt ended, as far as retrying is concerned."""

    NOT_SENT = "not_sent"  # connection refused / DNS / connect timeout: TikTok saw nothing
    UNKNOWN = "unknown"  # reset or timeout after sending: TikTok may have acted
    RATE_LIMITED = "rate_limited"  # 429 / rate_limit_exceeded: refused before acting
    UNAVAILABLE = "unavailable"  # 503 / temporarily_unavailable: refused before acting
    SERVER_ERROR = "server_error"  # 500 / 502 / 504 / server_error / internal_error: may have acted


_SAFE_FOR_ALL = frozenset({Outcome.NOT_SENT, Outcome.RATE_LIMITED, Outcome.UNAVAILABLE})


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date).

    Returns None for a missing or unreadable value; never a negative number.

    Example:
        >>> parse_retry_after("7", now=0.0)
        7.0
        >>> parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0)
        6.0
        >>> parse_retry_after("soon", now=0.0) is None
        True
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts '²', which int() refuses
        return float(min(int(value[:12]), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    ``max_attempts`` counts the first try. ``Retry-After`` is honoured up to
    ``retry_after_cap`` seconds; a longer wait ends the retries with a typed error.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 30.0
    jitter: float = 1.0  # 0 = no jitter, 1 = full jitter

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise ConfigurationError("retry.max_attempts", "must be an integer 1..10")
        if not 1 <= self.max_attempts <= 10:
            raise ConfigurationError("retry.max_attempts", f"must be 1..10, got {self.max_attempts}")
        for name in ("backoff_base", "backoff_cap", "retry_after_cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
                raise ConfigurationError(f"retry.{name}", f"must be a number of seconds 0..3600, got {value!r}")
        if isinstance(self.jitter, bool) or not isinstance(self.jitter, (int, float)) or not 0 <= self.jitter <= 1:
            raise ConfigurationError("retry.jitter", f"must be 0..1, got {self.jitter!r}")

    def retryable(self, outcome: Outcome, kind: RequestKind) -> bool:
        """Whether this outcome may be retried at all for this kind of request."""
        return outcome in _SAFE_FOR_ALL or kind.idempotent

    def delay(
        self,
        outcome: Outcome,
        kind: RequestKind,
        *,
        attempt: int,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None when no retry is allowed."""
        if attempt >= self.max_attempts or not self.retryable(outcome, kind):
            return None
        if retry_after is not None and math.isfinite(retry_after):
            if retry_after > self.retry_after_cap:
                return None
            return max(0.0, retry_after)
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        spread = ceiling * self.jitter
        draw: float = (rng or random).random()
        return ceiling - spread + draw * spread


def outcome_of(status: int | None, error: BaseException | None) -> Outcome | None:
    """How an attempt ended, from its HTTP status and the error its answer carried; None
    when it is final (success, or a terminal error).

    Example:
        >>> outcome_of(503, None)
        <Outcome.UNAVAILABLE: 'unavailable'>
        >>> outcome_of(200, OAuthError("temporarily_unavailable"))
        <Outcome.UNAVAILABLE: 'unavailable'>
        >>> outcome_of(200, OAuthError("invalid_client")) is None
        True
    """
    if isinstance(error, RateLimited):
        return Outcome.RATE_LIMITED
    if isinstance(error, OAuthError):
        if error.error == "temporarily_unavailable":
            return Outcome.UNAVAILABLE
        if error.error == "server_error":
            return Outcome.SERVER_ERROR
        return None
    if isinstance(error, ApiError):
        return Outcome.SERVER_ERROR if error.code == contract.API_INTERNAL_ERROR else None
    if status is not None:
        if status == 429:
            return Outcome.RATE_LIMITED
        if status == 503:
            return Outcome.UNAVAILABLE
        if status >= 500:
            return Outcome.SERVER_ERROR
    return None
