"""Checking a delivery's ``TikTok-Signature`` header, as TikTok documents it.

TikTok signs every delivery: ``TikTok-Signature: t=<unix seconds>,s=<hex>`` where
``s = hex(HMAC-SHA256(key=client_secret, msg=f"{t}.{raw_body}"))``. :func:`verify` splits
the header on ``,`` then ``=`` (spaces tolerated, unknown elements ignored), wants exactly
one ``t`` and at least one ``s`` (several are accepted: any one matching passes), compares
in constant time against every candidate under every client secret given (a list: key
rotation), and only then checks the timestamp against this server's clock, both ways.

Nothing here ever puts the client secret, the body or the expected signature into an error,
and a failure is raised without this module's frames (:func:`pytok_sm._secrets.hush`), so
error reporters that show local variables see none of them.

Example:
    >>> body = b'{"event": "authorization.removed"}'
    >>> header = sign(body, "my-client-secret", timestamp=1700000000)
    >>> header[:13]
    't=1700000000,'
    >>> verify(body, header, client_secret="my-client-secret", now=1700000042)
    1700000000
    >>> verify(body + b" ", header, client_secret="my-client-secret", now=1700000042)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pytok_sm.webhooks.SignatureMismatch: the TikTok webhook was refused: its TikTok-Signature does not match ...
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Sequence

from .._errors import ConfigurationError
from .._secrets import hush
from ._errors import SignatureMalformed, SignatureMismatch, SignatureMissing, TimestampOutOfRange

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "Secrets", "check_secrets", "check_tolerance", "sign", "verify"]

#: The header TikTok signs its deliveries in (header names are compared case-insensitively).
SIGNATURE_HEADER = "TikTok-Signature"
#: How far (seconds) the signed timestamp may be from this server's clock, either way.
DEFAULT_TOLERANCE = 300.0
#: One client secret, or several (the current one first, then those being rotated out).
Secrets = str | Sequence[str]

_MAX_HEADER = 4096
_MAX_CANDIDATES = 8
_MAX_SECRETS = 8
_HEX = frozenset("0123456789abcdefABCDEF")


def check_secrets(client_secret: object) -> tuple[str, ...]:
    """The client secrets as a tuple: one non-empty string, or a non-empty list of them."""
    secrets = (client_secret,) if isinstance(client_secret, str) else client_secret
    if isinstance(secrets, (bytes, bytearray)) or not isinstance(secrets, Sequence):
        raise ConfigurationError("client_secret", "must be the app's client secret (a string) or a list of them")
    found = tuple(secrets)
    if not found or len(found) > _MAX_SECRETS:
        raise ConfigurationError("client_secret", f"must hold from 1 to {_MAX_SECRETS} secrets, not {len(found)}")
    for secret in found:
        if not isinstance(secret, str) or not secret.strip():
            raise ConfigurationError("client_secret", "every secret must be a non-empty string")
    return found


def check_tolerance(tolerance: object) -> float:
    """A tolerance in seconds: a finite number from 0 to one day."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not math.isfinite(tolerance):
        raise ConfigurationError("tolerance", f"must be a finite number of seconds, not {tolerance!r}")
    if not 0 <= tolerance <= 86400:
        raise ConfigurationError("tolerance", f"must be from 0 to 86400 seconds, not {tolerance!r}")
    return float(tolerance)


def _raw(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    raise ConfigurationError("body", f"must be the raw bytes of the request, not a {type(body).__name__}")


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def parse_header(header: object) -> tuple[str, list[str]]:
    """``(t, [s, ...])`` from a header value, or :class:`SignatureMissing` / :class:`SignatureMalformed`.

    Example:
        >>> timestamp, found = parse_header(" t = 12 , s=" + "ab" * 32 + ", s = " + "CD" * 32 + " ,v1=x")
        >>> timestamp, [candidate[:4] for candidate in found]
        ('12', ['abab', 'cdcd'])
    """
    if header is None:
        raise SignatureMissing()
    if isinstance(header, (bytes, bytearray)):
        try:
            header = bytes(header).decode("ascii")
        except UnicodeDecodeError:
            raise SignatureMalformed("it is not ASCII text") from None
    if not isinstance(header, str):
        raise SignatureMalformed(f"it is a {type(header).__name__}, not text")
    if not header.strip():
        raise SignatureMissing()
    if len(header) > _MAX_HEADER:
        raise SignatureMalformed(f"it is longer than {_MAX_HEADER} characters")
    timestamps: list[str] = []
    candidates: list[str] = []
    for element in header.split(","):
        if not element.strip():
            continue
        key, equals, value = element.partition("=")
        if not equals:
            raise SignatureMalformed("an element has no '='")
        key, value = key.strip(), value.strip()
        if key == "t":
            timestamps.append(value)
        elif key == "s":
            candidates.append(value.lower())
    if len(timestamps) != 1:
        raise SignatureMalformed("it has no t= element" if not timestamps else "it has more than one t= element")
    (timestamp,) = timestamps
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureMalformed("its t= is not a whole number of seconds")
    if not candidates:
        raise SignatureMalformed("it has no s= element")
    if len(candidates) > _MAX_CANDIDATES:
        raise SignatureMalformed(f"it has more than {_MAX_CANDIDATES} s= elements")
    usable = [c for c in candidates if len(c) == 64 and _HEX.issuperset(c)]
    if not usable:
        raise SignatureMalformed("no s= value is an HMAC-SHA256 in hex (64 hex digits)")
    return timestamp, usable


@hush
def verify(
    body: bytes,
    signature_header: str | None,
    *,
    client_secret: Secrets,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a delivery's signature and timestamp; return the signed timestamp (unix seconds).

    ``body`` is the raw request body, exactly as received; ``signature_header`` the value of
    the ``TikTok-Signature`` header (None when absent). ``client_secret`` may be a list
    during a key rotation: a signature under any of them passes. ``now`` defaults to the
    wall clock. Raises :class:`SignatureMissing`, :class:`SignatureMalformed`,
    :class:`SignatureMismatch` or :class:`TimestampOutOfRange` (a :class:`WebhookError`).
    """
    raw = _raw(body)
    secrets = check_secrets(client_secret)
    allowed = check_tolerance(tolerance)
    timestamp, candidates = parse_header(signature_header)
    matched = False
    for secret in secrets:
        expected = _digest(secret, timestamp, raw)
        for candidate in candidates:  # every candidate, no early exit: the time taken tells nothing
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureMismatch()
    signed_at = int(timestamp)
    age = (time.time() if now is None else float(now)) - signed_at
    if not -allowed <= age <= allowed:
        raise TimestampOutOfRange(age=age, tolerance=allowed)
    return signed_at


@hush
def sign(body: bytes, client_secret: str, *, timestamp: int | None = None) -> str:
    """The ``TikTok-Signature`` header TikTok would send with ``body`` (for tests and tools).

    Example:
        >>> sign(b"{}", "secret", timestamp=1)
        't=1,s=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908'
    """
    (secret,) = check_secrets(client_secret)[:1]
    moment = str(int(time.time()) if timestamp is None else int(timestamp))
    return f"t={moment},s={_digest(secret, moment, _raw(body))}"
