"""The errors of a refused webhook delivery: one branch of pytok_sm's tree.

::

    TikTokError
    └── WebhookError                 a delivery was refused; ``check`` names the check, ``status`` the answer
        ├── SignatureMissing         no TikTok-Signature header                           401
        ├── SignatureMalformed       a header that is not ``t=<unix>,s=<hex>``            401
        ├── SignatureMismatch        no ``s=`` matches the body under any client secret   401
        ├── TimestampOutOfRange      ``t=`` too old (a replay) or too far in the future   401
        └── EventMalformed           signed, but not an event TikTok documents the shape of   400

Every message says which check failed and what to do; none holds the client secret, the
body or the expected signature. They pickle (process pools, task queues) like every
:class:`~pytok_sm.TikTokError`.

Example:
    >>> error = TimestampOutOfRange(age=400.0, tolerance=300.0)
    >>> error.check, error.status, error.stale
    ('timestamp_out_of_range', 401, True)
    >>> str(error).split(";")[0]
    'the TikTok webhook was refused: its signature timestamp is 400 s old, more than the 300 s allowed (stale)'
"""

from __future__ import annotations

from .._errors import TikTokError

__all__ = [
    "EventMalformed",
    "SignatureMalformed",
    "SignatureMismatch",
    "SignatureMissing",
    "TimestampOutOfRange",
    "WebhookError",
]

_REFUSED = "the TikTok webhook was refused: "


class WebhookError(TikTokError):
    """A webhook delivery was refused. ``check`` names the check that failed (also the
    ``reason`` of the receivers' answer); ``status`` is the HTTP status a receiver answers."""

    check: str = "webhook"
    status: int = 400


class SignatureMissing(WebhookError):
    """The request carries no ``TikTok-Signature`` header (or an empty one).

    Example:
        >>> SignatureMissing().status
        401
    """

    check = "signature_missing"
    status = 401

    def __init__(self) -> None:
        super().__init__(
            _REFUSED + "it carries no TikTok-Signature header; only deliveries signed by TikTok are accepted "
            "(if a proxy stands in front of this app, let it pass the header on)"
        )


class SignatureMalformed(WebhookError):
    """The ``TikTok-Signature`` header is not ``t=<unix seconds>,s=<64 hex digits>``;
    ``problem`` says what is wrong with it (never quoting it).

    Example:
        >>> str(SignatureMalformed("it has no t= element")).split(";")[0]
        'the TikTok webhook was refused: its TikTok-Signature header is malformed (it has no t= element)'
    """

    check = "signature_malformed"
    status = 401

    def __init__(self, problem: str) -> None:
        super().__init__(
            _REFUSED + f"its TikTok-Signature header is malformed ({problem}); TikTok sends "
            "t=<unix seconds>,s=<HMAC-SHA256 in hex>: this request did not come from TikTok unchanged"
        )
        self.problem = problem


class SignatureMismatch(WebhookError):
    """No signature of the header matches the body under any of the client secrets.

    Example:
        >>> "check client_secret" in str(SignatureMismatch())
        True
    """

    check = "signature_mismatch"
    status = 401

    def __init__(self) -> None:
        super().__init__(
            _REFUSED + "its TikTok-Signature does not match the body; either it was forged or changed on the way, "
            "or it was signed with another key: check client_secret (the secret of the app whose callback URL "
            "this is) and pass the raw body exactly as received (not JSON parsed and encoded again)"
        )


class TimestampOutOfRange(WebhookError):
    """The signature is genuine but its ``t=`` is more than ``tolerance`` seconds from this
    server's clock: ``age`` is how old it is (negative: in the future); ``stale`` tells which.

    Example:
        >>> error = TimestampOutOfRange(age=-400.0, tolerance=300.0)
        >>> error.stale, "in the future" in str(error)
        (False, True)
    """

    check = "timestamp_out_of_range"
    status = 401

    def __init__(self, *, age: float, tolerance: float) -> None:
        if age > 0:
            text = (
                f"its signature timestamp is {age:.0f} s old, more than the {tolerance:g} s allowed (stale); "
                "a replayed delivery is refused this way. If genuine deliveries are refused, check that this "
                "server's clock is right (NTP), or raise tolerance="
            )
        else:
            text = (
                f"its signature timestamp is {-age:.0f} s in the future, more than the {tolerance:g} s allowed; "
                "this server's clock is probably behind: synchronise it (NTP), or raise tolerance="
            )
        super().__init__(_REFUSED + text)
        self.age = age
        self.tolerance = tolerance
        self.stale = age > 0


class EventMalformed(WebhookError):
    """The body is not an event of the documented shape (not UTF-8 JSON, a field missing or
    of another type); ``problem`` names the field, never its value. After a valid signature
    this means TikTok's format changed, or a body was signed by someone holding the secret.

    Example:
        >>> str(EventMalformed("create_time is not a whole number of seconds")).split(";")[0]
        'the TikTok webhook was refused: its event is malformed (create_time is not a whole number of seconds)'
    """

    check = "event_malformed"
    status = 400

    def __init__(self, problem: str) -> None:
        super().__init__(
            _REFUSED + f"its event is malformed ({problem}); TikTok documents client_key, event, create_time, "
            "user_openid and content (a JSON object as a string): update pytok_sm if TikTok changed the format"
        )
        self.problem = problem
