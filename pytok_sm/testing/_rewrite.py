"""Which values are secrets, what a cassette writes instead, and how they are found.

The value side of scrubbing, shared by the scrubber (:mod:`._scrub`, whose
:class:`~pytok_sm.testing.Scrubber` is a :class:`Rewriter`) and the scanner
(:mod:`._scan`): the field names that hold secrets, what their placeholders look like,
what a token-shaped value is, the canonical forms of values that change on every run (log
ids, TikTok's numeric ids), and the numbering of placeholders in JSON and free text.

Example:
    >>> TOKEN_RE.findall("Bearer act.scrubbed-1, then rft.live0refresh0value")
    ['rft.live0refresh0value']
    >>> rewrite = Rewriter()
    >>> rewrite.placeholder("act.live0access0value", "access_token"), rewrite.placeholder("c*1", "code", given=True)
    ('act.scrubbed-1', 'scrubbed-code-given-1')
    >>> rewrite.placeholder("act.live0access0value", "token"), rewrite.placeholder("s3cr3t", "client_secret")
    ('act.scrubbed-1', 'scrubbed-client-secret')
    >>> rewrite.canonical_id("v_pub_file~v2-1.7493784938978805793"), rewrite.canonical_id(8412581418884590691)
    ('v_pub_file~v2-1.7000000000000000001', 7000000000000000002)
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

__all__ = [
    "API_ORIGIN",
    "AUTHORIZATION_PLACEHOLDER",
    "CANONICAL_DATE",
    "CLIENT_SECRET_PLACEHOLDER",
    "CODE_VERIFIER_PLACEHOLDER",
    "COOKIE_PLACEHOLDER",
    "ID_FIELDS",
    "LOG_ID_HEADER",
    "LOOPBACK",
    "LOOPBACK_PORT_PLACEHOLDER",
    "LOOPBACK_PORT_RE",
    "SECRET_NAMES",
    "TOKEN_RE",
    "VOLATILE_REQUEST_HEADERS",
    "Rewriter",
]

#: Where canonical cassettes say the requests went (TikTok's API host).
API_ORIGIN: Final = "https://open.tiktokapis.com"

CLIENT_SECRET_PLACEHOLDER: Final = "scrubbed-client-secret"
CODE_VERIFIER_PLACEHOLDER: Final = "scrubbed-code-verifier"
AUTHORIZATION_PLACEHOLDER: Final = "scrubbed-authorization"
COOKIE_PLACEHOLDER: Final = "scrubbed-cookie"
LOOPBACK_PORT_PLACEHOLDER: Final = "PORT"
CANONICAL_DATE: Final = "Thu, 01 Jan 2026 00:00:00 GMT"
LOG_ID_STAMP: Final = "20260101000000"

#: Values that never come back in an answer: one fixed placeholder each.
FIXED: Final = {"client_secret": CLIENT_SECRET_PLACEHOLDER, "code_verifier": CODE_VERIFIER_PLACEHOLDER}
#: Values that an answer hands out and a later request sends back: numbered placeholders.
#: (An upload URL's ``upload_token`` makes the URL a credential.)
NUMBERED: Final = frozenset({"code", "access_token", "refresh_token", "token", "upload_token"})
SECRET_NAMES: Final = frozenset(FIXED) | NUMBERED
TOKEN_PREFIXES: Final = ("act.", "rft.", "clt.")
LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: Request headers that say nothing about the API call and change with the HTTP stack.
VOLATILE_REQUEST_HEADERS: Final = frozenset(
    {"host", "user-agent", "accept-encoding", "connection", "content-length", "transfer-encoding"}
)

PLACEHOLDER_RE: Final = re.compile(r"^(?:act\.|rft\.|clt\.)?scrubbed-[a-z0-9-]+$")
#: A token-shaped string that is not a placeholder (stops at what cannot be in a token).
TOKEN_RE: Final = re.compile(r"(?<![A-Za-z0-9])(?:act|rft|clt)\.(?!scrubbed-)[A-Za-z0-9._~!*%-]{6,}")
#: A secret in a URL query or form: ``name=value`` after ``?`` or ``&``.
URL_SECRET_RE: Final = re.compile(r"(?<=[?&])(" + "|".join(sorted(SECRET_NAMES)) + r")=([^&#\s\"'<>]*)")
LOOPBACK_PORT_RE: Final = re.compile(r"^(https?://(?:127\.0\.0\.1|localhost|\[::1\])):(\d+)(?=/|$)")
LOG_ID_HEADER: Final = "x-tt-logid"
CANONICAL_LOG_ID_RE: Final = re.compile(rf"^{LOG_ID_STAMP}[0-9A-F]{{20}}$")
#: Fields (JSON, or URL parameters) holding TikTok's numeric ids, new on every run: not
#: secret, but made canonical so that recording again gives the same file.
ID_FIELDS: Final = frozenset({"publish_id", "upload_id", "publicaly_available_post_id"})
#: ``prefix.digits`` (a publish_id) or bare digits (an upload id, a post id).
_ID_RE: Final = re.compile(r"^(.*\.)?(\d{6,20})$")
_ID_BASE: Final = 7 * 10**18  # TikTok's ids are 19-digit numbers; canonical ones are 70000000000000…
_GIVEN_IDS: Final = 100_000  # ids first met in a request: 7000000000000100001, …
CANONICAL_ID_RE: Final = re.compile(r"^7000000000000[01]\d{5}$")
URL_ID_RE: Final = re.compile(r"(?<=[?&])(" + "|".join(sorted(ID_FIELDS)) + r")=(\d+)")


class Rewriter:
    """Placeholders for secret values and canonical forms for volatile ones, numbered in the
    order they are met; the base of :class:`~pytok_sm.testing.Scrubber` (which documents
    the options).

    Numbered placeholders come in two series: values first seen in an *answer*
    (``given=False``: ``act.scrubbed-1``) and values first seen in a *request*
    (``given=True``: ``rft.scrubbed-given-1``). Placeholders are left as they are.
    """

    def __init__(
        self,
        *,
        api_origins: Iterable[str] = (),
        canonical_origin: str = API_ORIGIN,
        volatile_params: Iterable[str] = (),
        canonical_log_ids: bool = True,
        canonical_ids: bool = True,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.canonical_origin = canonical_origin.rstrip("/")
        self._aliases = dict(aliases or {})
        self._origins = {o.rstrip("/") for o in api_origins}
        self._volatile = tuple(volatile_params)
        self._canonical_log_ids = canonical_log_ids
        self._canonical_ids = canonical_ids
        self._lock = threading.RLock()
        self._values: dict[str, str] = {}
        self._counters = {True: 0, False: 0}
        self._log_ids: dict[str, str] = {}
        self._volatile_values: dict[tuple[str, str], str] = {}
        self._ids: dict[str, str] = {}
        self._id_counters = {True: 0, False: 0}

    def placeholder(self, value: str, name: str, *, given: bool = False) -> str:
        """The placeholder of a secret ``value`` found under ``name`` (stable per value).

        ``given`` says the value was first met in a request rather than in an answer.
        """
        if not value:
            return value
        if name in FIXED:
            return FIXED[name]
        if PLACEHOLDER_RE.match(value):
            return value
        with self._lock:
            if value not in self._values:
                self._counters[given] += 1
                prefix = value[:4] if value.startswith(TOKEN_PREFIXES) else ""
                label = "" if prefix else f"{name.replace('_', '-')}-"
                series = "given-" if given else ""
                self._values[value] = f"{prefix}scrubbed-{label}{series}{self._counters[given]}"
            return self._values[value]

    def log_id(self, value: str) -> str:
        """A canonical log id for ``value``: TikTok's shape, numbered in order of appearance."""
        if not value or not self._canonical_log_ids or CANONICAL_LOG_ID_RE.match(value):
            return value
        with self._lock:
            if value not in self._log_ids:
                self._log_ids[value] = f"{LOG_ID_STAMP}{len(self._log_ids) + 1:020X}"
            return self._log_ids[value]

    def canonical_id(self, value: Any, *, given: bool = False) -> Any:
        """The canonical form of one of TikTok's numeric ids (a ``publish_id``'s number after
        its last dot, an upload or post id, as text or number): numbered in order of
        appearance, in two series like placeholders; anything else is returned as it is."""
        if isinstance(value, list):
            return [self.canonical_id(item, given=given) for item in value]
        number = isinstance(value, int) and not isinstance(value, bool)
        match = _ID_RE.match(str(value)) if number or isinstance(value, str) else None
        if not self._canonical_ids or match is None or CANONICAL_ID_RE.match(match.group(2)):
            return value
        with self._lock:
            if match.group(2) not in self._ids:
                self._id_counters[given] += 1
                self._ids[match.group(2)] = str(_ID_BASE + _GIVEN_IDS * given + self._id_counters[given])
            canonical = self._ids[match.group(2)]
        return int(canonical) if number else (match.group(1) or "") + canonical

    def _scrub_json_text(self, text: str, *, given: bool) -> str | None:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None  # truncated, NaN-laden or absurdly deep: scrubbed as text instead
        try:
            return json.dumps(self._scrub_json(value, parent=None, given=given))
        except (ValueError, RecursionError):
            return None

    def _scrub_json(self, value: Any, parent: str | None, *, given: bool) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(item, str) and key == "log_id":
                    out[key] = self.log_id(item)
                elif isinstance(item, str) and key in SECRET_NAMES and not (key == "code" and parent == "error"):
                    # (error.code is "ok" or "access_token_invalid": a status, not a code)
                    out[key] = self.placeholder(item, key, given=given)
                elif key in ID_FIELDS:
                    out[key] = self.canonical_id(item, given=given)
                else:
                    out[key] = self._scrub_json(item, parent=key, given=given)
            return out
        if isinstance(value, list):
            return [self._scrub_json(item, parent=parent, given=given) for item in value]
        if isinstance(value, str):
            return self._scrub_text(value, given=given)
        return value

    def _scrub_text(self, text: str, *, given: bool) -> str:
        """Aliases, origins, secrets in URL queries, volatile URL parameters, stray tokens."""
        for value, alias in self._aliases.items():
            text = text.replace(value, alias)
        with self._lock:
            origins = sorted(self._origins, key=len, reverse=True)
        for origin in origins:
            text = text.replace(origin, self.canonical_origin)
        if "=" in text:
            text = URL_SECRET_RE.sub(lambda m: self._url_secret(m, given), text)
            text = URL_ID_RE.sub(lambda m: f"{m.group(1)}={self.canonical_id(m.group(2), given=given)}", text)
            for name in self._volatile:
                text = re.sub(rf"(?<=[?&]){re.escape(name)}=([^&#\s\"'<>]*)", self._volatile_sub(name), text)
        return TOKEN_RE.sub(lambda m: self.placeholder(m.group(0), "token", given=given), text)

    def _url_secret(self, match: re.Match[str], given: bool) -> str:
        name, value = match.group(1), urllib.parse.unquote_plus(match.group(2))
        return f"{name}={urllib.parse.quote(self.placeholder(value, name, given=given), safe='')}"

    def _volatile_sub(self, name: str) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            value = match.group(1)
            if re.fullmatch(rf"{re.escape(name.replace('_', '-'))}-\d+", value):
                return match.group(0)  # already canonical (a loaded cassette)
            key = (name, value)
            with self._lock:
                if key not in self._volatile_values:
                    count = sum(1 for known in self._volatile_values if known[0] == name) + 1
                    self._volatile_values[key] = f"{name.replace('_', '-')}-{count}"
                return f"{name}={self._volatile_values[key]}"

        return sub
