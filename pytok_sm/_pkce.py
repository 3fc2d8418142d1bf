"""Random secrets of a login (CSRF state, PKCE verifier, QR client ticket) and PKCE challenges.

TikTok's quirk (docs/TIKTOK-API.md section 1): the ``code_challenge`` is the lower-case
*hex* SHA-256 of the verifier, not RFC 7636's base64url, although the method is ``S256``.

Example:
    >>> hex_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    '13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3'
    >>> s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    >>> len(new_verifier(64))
    64
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
from collections.abc import Callable

from ._contract import VERIFIER_ALPHABET, VERIFIER_MAX_LENGTH, VERIFIER_MIN_LENGTH

__all__ = [
    "RandomSource",
    "hex_challenge",
    "new_client_ticket",
    "new_state",
    "new_verifier",
    "s256_challenge",
]

#: ``(alphabet, length) -> str``. The default draws from :mod:`secrets`; tests and
#: cassette recording may inject a deterministic one.
RandomSource = Callable[[str, int], str]

#: Characters that need no percent-encoding anywhere in a URL (RFC 3986 unreserved).
_URL_SAFE = VERIFIER_ALPHABET


def system_random(alphabet: str, length: int) -> str:
    """Draw ``length`` characters of ``alphabet`` from the operating system's CSPRNG.

    Each character is uniform over ``alphabet``: random bytes at or above the largest
    multiple of its size are dropped (no modulo bias), the rest are mapped onto it in one
    ``bytes.translate``. About 2 us for a 64-character verifier, where a
    ``secrets.choice`` per character took about 100 us (benchmarks/README.md, figure 3).
    """
    if length <= 0:
        return ""
    table = _byte_table(alphabet)
    if table is None:  # more than 256 symbols or non-Latin-1 ones: one draw per character
        return "".join(secrets.choice(alphabet) for _ in range(length))
    mapping, rejected, kept = table
    drawn = b""
    while len(drawn) < length:
        # Ask for enough bytes that one round almost always suffices (kept/256 >= 1/2).
        want = (length - len(drawn)) * 256 // kept + 16
        drawn += secrets.token_bytes(want).translate(mapping, rejected)
    return drawn[:length].decode("latin-1")


@functools.lru_cache(maxsize=16)
def _byte_table(alphabet: str) -> tuple[bytes, bytes, int] | None:
    """For ``bytes.translate``: byte b -> ``alphabet[b % n]``, bytes >= ``256 - 256 % n`` deleted."""
    size = len(alphabet)
    if not 0 < size <= 256 or any(ord(ch) > 255 for ch in alphabet):
        return None
    kept = 256 - 256 % size
    mapping = bytes(ord(alphabet[b % size]) for b in range(kept)) + bytes(256 - kept)
    return mapping, bytes(range(kept, 256)), kept


def new_verifier(length: int = 64, *, source: RandomSource = system_random) -> str:
    """A fresh PKCE code verifier: ``length`` (43..128) characters of ``[A-Za-z0-9-._~]``."""
    if not VERIFIER_MIN_LENGTH <= length <= VERIFIER_MAX_LENGTH:
        raise ValueError(f"a code verifier has 43..128 characters, not {length}")
    return source(VERIFIER_ALPHABET, length)


def new_state(length: int = 32, *, source: RandomSource = system_random) -> str:
    """A fresh CSRF ``state``: ``length`` URL-safe characters (32 gives about 192 bits)."""
    return source(_URL_SAFE, length)


def new_client_ticket(length: int = 64, *, source: RandomSource = system_random) -> str:
    """A fresh QR ``client_ticket``: URL-safe, so its URL-encoded form is ``length`` chars."""
    return source(_URL_SAFE, length)


def hex_challenge(verifier: str) -> str:
    """TikTok's ``code_challenge``: lower-case hex SHA-256 of the verifier (64 characters)."""
    return hashlib.sha256(verifier.encode("ascii")).hexdigest()


def s256_challenge(verifier: str) -> str:
    """RFC 7636's ``S256`` challenge: unpadded base64url SHA-256 (for standard servers)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
