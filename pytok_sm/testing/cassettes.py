"""Record TikTok traffic into vcrpy cassettes and replay it: scrubbed, canonical, strict.

For the tests of apps that use pytok_sm (and pytok_sm's own). vcrpy intercepts httpx at
the transport, so the kit, the flows and the drivers run unchanged; this module decides
what a cassette may hold and when a replayed request counts as the recorded one.

**Scrubbing** (:class:`Scrubber`) replaces secrets with *placeholders*, never removes them,
so a request that forgets a field still fails to match:

* form fields and query parameters ``client_secret`` and ``code_verifier`` become fixed
  placeholders; ``code``, ``refresh_token``, ``access_token`` and ``token`` become numbered
  ones (``act.scrubbed-1``, ``scrubbed-code-2`` for what answers issued,
  ``rft.scrubbed-given-1`` for what the client held before), the same number for the same
  value wherever it appears in one cassette: a refresh token that an answer handed out and
  the next request sends back keeps its number, so a client that sends the *old* refresh
  token after a rotation fails to match;
* the ``Authorization`` header keeps its scheme (``Bearer act.scrubbed-1``);
* JSON answers (whatever the charset of their content type) get the same treatment for
  ``access_token``, ``refresh_token``, ``token`` and a bare ``code``, and a ``code`` inside a
  URL (the QR ``redirect_uri``); any other token-shaped string (``act.``/``rft.``/``clt.``)
  anywhere in a body is scrubbed too;
* volatile values are made canonical: ``log_id`` s (body and ``X-Tt-Logid``), the ``Date``
  header, the port of a loopback ``redirect_uri`` (``http://127.0.0.1:PORT/callback/``) and
  the origin of a local emulator (``http://127.0.0.1:54321`` becomes
  ``https://open.tiktokapis.com``, so cassettes read like TikTok's);
* browser pages are not TikTok API traffic and are never recorded: the authorize page
  (``/v2/auth/...``) and any loopback request outside ``/v2/`` (the app's own callback).

vcrpy applies the request scrubber to the live request before matching, so replay matches
on method, scheme, host, port, path, query and the scrubbed body (:func:`match_body`).

**Strictness** (:func:`use_cassette`): a missing cassette, a request with no recorded
answer and a recorded answer nobody asked for each fail the test with a message that
names the cassette and the request's method and (scrubbed) URL, never a secret.

Requests the scrubber lets through unrecorded (browser pages, the loopback callback) reach
their server for real. Make them with httpx or :class:`~pytok_sm.testing.FakeBrowser`: for
urllib/http.client, vcrpy's passthrough unpatches every library in every thread for a
moment, and a kit's request in flight then would bypass the cassette.

Example:
    >>> from vcr.request import Request
    >>> scrub = Scrubber()
    >>> form = b"client_key=aw_key&client_secret=s3cr3t&grant_type=refresh_token&refresh_token=rft.abc"
    >>> recorded = scrub.request(Request("POST", "http://127.0.0.1:41234/v2/oauth/token/", form,
    ...                                  {"Content-Type": "application/x-www-form-urlencoded"}))
    >>> recorded.uri
    'https://open.tiktokapis.com/v2/oauth/token/'
    >>> recorded.body.decode()
    'client_key=aw_key&client_secret=scrubbed-client-secret&grant_type=refresh_token&refresh_token=rft.scrubbed-given-1'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import vcr as vcr_module
    from vcr.cassette import Cassette
    from vcr.request import Request as VcrRequest

__all__ = [
    "API_ORIGIN",
    "CLIENT_SECRET_PLACEHOLDER",
    "CODE_VERIFIER_PLACEHOLDER",
    "MATCH_ON",
    "RECORD_ENV",
    "CassetteError",
    "CassetteLibrary",
    "CassetteMismatch",
    "CassetteMissing",
    "CassetteUnplayed",
    "Finding",
    "HOOK_PATTERN",
    "Scrubber",
    "find_unscrubbed",
    "make_vcr",
    "match_body",
    "recording_requested",
    "use_cassette",
    "vcr_config",
    "write_empty_cassette",
]

#: Where canonical cassettes say the requests went (TikTok's API host).
API_ORIGIN: Final = "https://open.tiktokapis.com"
#: vcrpy matchers: everything of the URI, and the scrubbed body.
MATCH_ON: Final = ("method", "scheme", "host", "port", "path", "query", "pytok_body")
#: ``PYTOK_RECORD=1`` makes :func:`use_cassette` (and the ``pytok_vcr`` fixture) record.
RECORD_ENV: Final = "PYTOK_RECORD"

CLIENT_SECRET_PLACEHOLDER: Final = "scrubbed-client-secret"
CODE_VERIFIER_PLACEHOLDER: Final = "scrubbed-code-verifier"
AUTHORIZATION_PLACEHOLDER: Final = "scrubbed-authorization"
COOKIE_PLACEHOLDER: Final = "scrubbed-cookie"
LOOPBACK_PORT_PLACEHOLDER: Final = "PORT"
CANONICAL_DATE: Final = "Thu, 01 Jan 2026 00:00:00 GMT"
_LOG_ID_STAMP: Final = "20260101000000"

#: Values that never come back in an answer: one fixed placeholder each.
_FIXED: Final = {"client_secret": CLIENT_SECRET_PLACEHOLDER, "code_verifier": CODE_VERIFIER_PLACEHOLDER}
#: Values that an answer hands out and a later request sends back: numbered placeholders.
_NUMBERED: Final = frozenset({"code", "access_token", "refresh_token", "token"})
_SECRET_NAMES: Final = frozenset(_FIXED) | _NUMBERED
_TOKEN_PREFIXES: Final = ("act.", "rft.", "clt.")
_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: Request headers that say nothing about the API call and change with the HTTP stack.
_VOLATILE_REQUEST_HEADERS: Final = frozenset(
    {"host", "user-agent", "accept-encoding", "connection", "content-length", "transfer-encoding"}
)

_PLACEHOLDER_RE: Final = re.compile(r"^(?:act\.|rft\.|clt\.)?scrubbed-[a-z0-9-]+$")
#: A token-shaped string that is not a placeholder (stops at what cannot be in a token).
_TOKEN_RE: Final = re.compile(r"(?<![A-Za-z0-9])(?:act|rft|clt)\.(?!scrubbed-)[A-Za-z0-9._~!*%-]{6,}")
_URL_SECRET_RE: Final = re.compile(
    r"(?<=[?&])(" + "|".join(sorted(_SECRET_NAMES)) + r")=([^&#\s\"'<>]*)"
)
_LOOPBACK_PORT_RE: Final = re.compile(r"^(https?://(?:127\.0\.0\.1|localhost|\[::1\])):(\d+)(?=/|$)")
_LOG_ID_HEADER: Final = "x-tt-logid"
_CANONICAL_LOG_ID_RE: Final = re.compile(rf"^{_LOG_ID_STAMP}[0-9A-F]{{20}}$")


class Scrubber:
    """The request and response filters of one cassette (vcrpy's ``before_record_*``).

    Numbered placeholders come in two series, so that a replay numbers exactly as the
    recording did: values first seen in an *answer* (tokens and codes TikTok issued:
    ``act.scrubbed-1``, ``scrubbed-code-2``) and values first seen in a *request* (what
    the client was given from outside the cassette: a saved token, the code its browser
    brought: ``rft.scrubbed-given-1``). When replaying, answers are played back already
    scrubbed, so every raw value in a live request is a given one, met in the same order.
    Placeholders are left as they are. Use a fresh scrubber for each cassette
    (:func:`vcr_config`, :func:`make_vcr` and :func:`use_cassette` do).

    ``api_origins`` are extra origins to rewrite to ``canonical_origin`` (any loopback
    origin serving ``/v2/`` is rewritten anyway); ``volatile_params`` are URL parameters in
    answers whose values change on every run without meaning anything (e.g. an emulator's
    session id), made canonical so that re-recording gives the same file; ``aliases``
    replace public values wherever they appear (e.g. a real app's ``client_key`` by the one
    the tests use). :meth:`paused` lets requests through unrecorded.

    Example:
        >>> scrub = Scrubber()
        >>> answer = {"status": {"code": 200, "message": "OK"},
        ...           "headers": {"content-type": ["application/json; charset=utf-8"]},
        ...           "body": {"string": b'{"access_token": "act.1234567890", "log_id": "X1", "expires_in": 7200}'}}
        >>> scrub.response(answer)["body"]["string"]
        b'{"access_token": "act.scrubbed-1", "log_id": "2026010100000000000000000000000001", "expires_in": 7200}'
        >>> scrub.placeholder("act.1234567890", "access_token")  # the same value, the same number
        'act.scrubbed-1'
        >>> scrub.placeholder("rft.saved-before", "refresh_token", given=True)
        'rft.scrubbed-given-1'
    """

    def __init__(
        self,
        *,
        api_origins: Iterable[str] = (),
        canonical_origin: str = API_ORIGIN,
        volatile_params: Iterable[str] = (),
        canonical_log_ids: bool = True,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.canonical_origin = canonical_origin.rstrip("/")
        self._aliases = dict(aliases or {})
        self._paused = threading.Event()
        self._origins = {o.rstrip("/") for o in api_origins}
        self._volatile = tuple(volatile_params)
        self._canonical_log_ids = canonical_log_ids
        self._lock = threading.RLock()
        self._values: dict[str, str] = {}
        self._counters = {True: 0, False: 0}
        self._log_ids: dict[str, str] = {}
        self._volatile_values: dict[tuple[str, str], str] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> Scrubber:
        # Configurations get deep-copied (pytest-recording merges them so): the copy must
        # keep numbering with the original, and locks cannot be copied anyway.
        return self

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Requests made meanwhile are neither recorded nor matched: they reach the server.

        For what a recording needs but a replay must not see (a login to get a token first).
        """
        self._paused.set()
        try:
            yield
        finally:
            self._paused.clear()

    # ------------------------------------------------------------------ placeholders
    def placeholder(self, value: str, name: str, *, given: bool = False) -> str:
        """The placeholder of a secret ``value`` found under ``name`` (stable per value).

        ``given`` says the value was first met in a request rather than in an answer.
        """
        if not value:
            return value
        if name in _FIXED:
            return _FIXED[name]
        if _PLACEHOLDER_RE.match(value):
            return value
        with self._lock:
            if value not in self._values:
                self._counters[given] += 1
                prefix = value[:4] if value.startswith(_TOKEN_PREFIXES) else ""
                label = "" if prefix else f"{name.replace('_', '-')}-"
                series = "given-" if given else ""
                self._values[value] = f"{prefix}scrubbed-{label}{series}{self._counters[given]}"
            return self._values[value]

    def log_id(self, value: str) -> str:
        """A canonical log id for ``value``: TikTok's shape, numbered in order of appearance."""
        if not value or not self._canonical_log_ids or _CANONICAL_LOG_ID_RE.match(value):
            return value
        with self._lock:
            if value not in self._log_ids:
                self._log_ids[value] = f"{_LOG_ID_STAMP}{len(self._log_ids) + 1:020X}"
            return self._log_ids[value]

    # ------------------------------------------------------------------ requests
    def request(self, request: VcrRequest) -> VcrRequest | None:
        """vcrpy's ``before_record_request``: None for browser pages, else the scrubbed copy.

        vcrpy hands a deep copy, and applies this to live requests before matching too.
        """
        if self._paused.is_set():
            return None
        parts = urllib.parse.urlsplit(request.uri)
        host = (parts.hostname or "").lower()
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.path.startswith("/v2/auth/"):
            return None  # the authorize page and its form: the person's browser, not the API
        if origin in self._origins or (host in _LOOPBACK and parts.path.startswith("/v2/")):
            with self._lock:
                self._origins.add(origin)
            origin = self.canonical_origin
        elif host in _LOOPBACK:
            return None  # the app's own loopback callback (or an emulator page): not TikTok traffic
        query = self._scrub_query(parts.query)
        request.uri = urllib.parse.urlunsplit((*urllib.parse.urlsplit(origin)[:2], parts.path, query, ""))
        self._scrub_request_headers(request)
        body = request.body
        if isinstance(body, (bytes, bytearray)) and body:
            request.body = self._scrub_request_body(bytes(body), _header(request.headers, "content-type"))
        return request

    def _scrub_query(self, query: str) -> str:
        if not query:
            return query
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if not any(name in _SECRET_NAMES or name == "redirect_uri" for name, _ in pairs):
            return query
        return urllib.parse.urlencode([(name, self._field(name, value)) for name, value in pairs])

    def _field(self, name: str, value: str) -> str:
        if name in _SECRET_NAMES:
            return self.placeholder(value, name, given=True)
        if name == "redirect_uri":
            return _LOOPBACK_PORT_RE.sub(rf"\1:{LOOPBACK_PORT_PLACEHOLDER}", value)
        return self._scrub_text(value, given=True)

    def _scrub_request_headers(self, request: VcrRequest) -> None:
        headers = request.headers
        for name in list(headers):
            lowered = name.lower()
            if lowered in _VOLATILE_REQUEST_HEADERS:
                del headers[name]
            elif lowered == "authorization":
                scheme, _, credentials = str(headers[name]).partition(" ")
                if scheme.lower() == "bearer" and credentials.strip():
                    token = self.placeholder(credentials.strip(), "access_token", given=True)
                    headers[name] = f"{scheme} {token}"
                else:
                    headers[name] = AUTHORIZATION_PLACEHOLDER
            elif lowered == "cookie":
                headers[name] = COOKIE_PLACEHOLDER

    def _scrub_request_body(self, body: bytes, content_type: str) -> bytes:
        kind = content_type.split(";", 1)[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        if kind == "application/x-www-form-urlencoded":
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
            return urllib.parse.urlencode([(name, self._field(name, value)) for name, value in pairs]).encode()
        if "json" in kind:
            scrubbed = self._scrub_json_text(text, given=True)
            if scrubbed is not None:
                return scrubbed.encode()
        return self._scrub_text(text, given=True).encode()

    # ------------------------------------------------------------------ responses
    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """vcrpy's ``before_record_response``: scrub the (deep-copied) recorded answer.

        vcrpy also runs it over answers loaded from a cassette: it leaves them unchanged.
        """
        headers: dict[str, list[str]] = response.get("headers") or {}
        content_type = ""
        for name in list(headers):
            lowered = name.lower()
            values = [str(v) for v in headers[name]]
            if lowered == "date":
                values = [CANONICAL_DATE for _ in values]
            elif lowered == _LOG_ID_HEADER:
                values = [self.log_id(v) for v in values]
            elif lowered == "set-cookie":
                values = [COOKIE_PLACEHOLDER for _ in values]
            elif lowered == "location":
                values = [self._scrub_text(v, given=False) for v in values]
            elif lowered == "content-type":
                content_type = values[0] if values else ""
            headers[name] = values
        body = response.get("body") or {}
        raw = body.get("string")
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        if isinstance(raw, bytes) and raw:
            scrubbed = self._scrub_response_body(raw, content_type)
            if scrubbed != raw:
                body["string"] = scrubbed
                for name in headers:
                    if name.lower() == "content-length":
                        headers[name] = [str(len(scrubbed))]
        return response

    def _scrub_response_body(self, body: bytes, content_type: str) -> bytes:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        if "json" in content_type.lower() or text.lstrip()[:1] in ("{", "["):
            scrubbed = self._scrub_json_text(text, given=False)
            if scrubbed is not None:
                return scrubbed.encode()
        return self._scrub_text(text, given=False).encode()

    # ------------------------------------------------------------------ JSON and text
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
                elif isinstance(item, str) and key in _SECRET_NAMES and not (key == "code" and parent == "error"):
                    # (error.code is "ok" or "access_token_invalid": a status, not a code)
                    out[key] = self.placeholder(item, key, given=given)
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
            text = _URL_SECRET_RE.sub(lambda m: self._url_secret(m, given), text)
            for name in self._volatile:
                text = re.sub(rf"(?<=[?&]){re.escape(name)}=([^&#\s\"'<>]*)", self._volatile_sub(name), text)
        return _TOKEN_RE.sub(lambda m: self.placeholder(m.group(0), "token", given=given), text)

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


def _header(headers: Mapping[str, Any], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return ""


# ---------------------------------------------------------------------------- matching
def _body_bytes(request: VcrRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return b"".join(body) if isinstance(body, list) else bytes(body.read())


def _form_pairs(request: VcrRequest, body: bytes) -> list[tuple[str, str]] | None:
    if "x-www-form-urlencoded" not in _header(request.headers, "content-type").lower():
        return None
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return None


def match_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher ``pytok_body``: the scrubbed bodies are the same (forms in any order).

    Raises AssertionError naming the differing form fields, never their values.

    Example:
        >>> from vcr.request import Request
        >>> form = {"Content-Type": "application/x-www-form-urlencoded"}
        >>> live = Request("POST", "https://x/", b"a=1&code=scrubbed-code-1", form)
        >>> recorded = Request("POST", "https://x/", b"code=scrubbed-code-1&a=1&code_verifier=v", form)
        >>> match_body(live, recorded)
        Traceback (most recent call last):
        ...
        AssertionError: form fields differ: missing code_verifier
    """
    live, recorded = _body_bytes(r1), _body_bytes(r2)
    if live == recorded:
        return
    live_form, recorded_form = _form_pairs(r1, live), _form_pairs(r2, recorded)
    if live_form is not None and recorded_form is not None:
        if sorted(live_form) == sorted(recorded_form):
            return
        have, want = Counter(n for n, _ in live_form), Counter(n for n, _ in recorded_form)
        parts = []
        if missing := sorted(set(want) - set(have)):
            parts.append("missing " + ", ".join(missing))
        if extra := sorted(set(have) - set(want)):
            parts.append("unexpected " + ", ".join(extra))
        changed = sorted(
            name
            for name in set(have) & set(want)
            if sorted(v for k, v in live_form if k == name) != sorted(v for k, v in recorded_form if k == name)
        )
        if changed:
            parts.append("different values in " + ", ".join(changed))
        raise AssertionError("form fields differ: " + "; ".join(parts))
    try:
        if json.loads(live) == json.loads(recorded):
            return
        raise AssertionError("JSON bodies differ")
    except (ValueError, RecursionError):
        pass
    raise AssertionError(f"bodies differ ({len(live)} bytes sent, {len(recorded)} recorded)")


# ---------------------------------------------------------------------------- configuration
def vcr_config(**scrubber_options: Any) -> dict[str, Any]:
    """Keyword arguments for ``vcr.use_cassette`` (e.g. pytest-recording's ``vcr_config``
    fixture), with a fresh :class:`Scrubber`: call it once per cassette.

    The ``pytok_body`` matcher is registered on pytest-recording's VCR by pytok_sm's pytest
    plugin; with plain vcrpy use :func:`make_vcr`, which registers it.

    Example:
        >>> config = vcr_config()
        >>> config["match_on"]
        ('method', 'scheme', 'host', 'port', 'path', 'query', 'pytok_body')
    """
    scrubber = Scrubber(**scrubber_options)
    return {
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "match_on": MATCH_ON,
        "decode_compressed_response": True,
        "record_on_exception": False,
    }


def make_vcr(
    cassette_dir: str | os.PathLike[str],
    record_mode: str = "none",
    *,
    scrubber: Scrubber | None = None,
    **scrubber_options: Any,
) -> vcr_module.VCR:
    """A ``vcr.VCR`` for ``cassette_dir`` that scrubs every cassette with a fresh
    :class:`Scrubber` (or with ``scrubber``, for a single cassette) and matches with
    :data:`MATCH_ON`.

    Prefer :func:`use_cassette`, which adds clear failures on top.

    Example:
        >>> my_vcr = make_vcr("cassettes/mine")
        >>> my_vcr.record_mode.value, "pytok_body" in my_vcr.matchers
        ('none', True)
    """
    import vcr

    class _PytokVCR(vcr.VCR):  # type: ignore[misc]
        def get_merged_config(self, **kwargs: Any) -> dict[str, Any]:
            if "before_record_request" not in kwargs and "before_record_response" not in kwargs:
                scrub = scrubber or Scrubber(**scrubber_options)
                kwargs = {**kwargs, "before_record_request": scrub.request, "before_record_response": scrub.response}
            merged: dict[str, Any] = super().get_merged_config(**kwargs)
            return merged

    instance = _PytokVCR(
        cassette_library_dir=os.fspath(cassette_dir),
        record_mode=record_mode,
        match_on=MATCH_ON,
        decode_compressed_response=True,
        record_on_exception=False,
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
    )
    instance.register_matcher("pytok_body", match_body)
    return instance


def recording_requested() -> bool:
    """True when ``PYTOK_RECORD`` is set to ``1``/``true``/``yes``/``on``."""
    return os.environ.get(RECORD_ENV, "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------- strict use
class CassetteError(AssertionError):
    """A replay went wrong; the message names the cassette and the request, not secrets."""


class CassetteMissing(CassetteError):
    """The cassette file does not exist (and the run does not record)."""


class CassetteMismatch(CassetteError):
    """A request has no recorded answer (changed, extra or repeated request)."""


class CassetteUnplayed(CassetteError):
    """Recorded answers were never asked for (the code now makes fewer requests)."""


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path.resolve()) if relative.startswith("..") else relative


def _how_to_record(hint: str | None) -> str:
    return hint or f"re-record it: run the test with {RECORD_ENV}=1 (or pytest --pytok-record)"


def _mismatch_message(path: Path, error: Exception, hint: str | None) -> str:
    request = getattr(error, "failed_request", None)
    # The failed request is the live, unscrubbed one: show only its method and scrubbed URI.
    scrubbed = Scrubber().request(_copy_request(request)) if request is not None else None
    what = f"{request.method} {scrubbed.uri if scrubbed is not None else '(a browser page)'}" if request else "a request"
    reason = getattr(error, "reason", "")
    similar = getattr(error, "similar_requests", None) or []
    if reason == "already_played":
        why = "it matches a recorded request that was already answered (the code sends it more often than when recorded)"
    elif similar:
        _, _, failed = similar[0]
        details = "; ".join(f"{name}: {message}" if message else name for name, message in failed)
        why = f"the closest recorded request differs in {details}"
    else:
        why = "nothing like it was recorded"
    return (
        f"cassette {_shown(path)} has no answer for {what}: {why}. "
        f"Nothing was sent to the network (replay). If the change is intended, {_how_to_record(hint)}."
    )


def _copy_request(request: VcrRequest) -> VcrRequest:
    from vcr.request import Request

    return Request(request.method, request.uri, request.body, dict(request.headers))


def write_empty_cassette(path: str | os.PathLike[str]) -> None:
    """Write a cassette with no interaction (a flow that never reached TikTok's API).

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "empty.yaml"
        >>> write_empty_cassette(target)
        >>> target.read_text()
        'interactions: []\\nversion: 1\\n'
    """
    from vcr.serialize import serialize
    from vcr.serializers import yamlserializer

    Path(path).write_text(serialize({"requests": [], "responses": []}, yamlserializer), encoding="utf-8")


def _below_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


@contextlib.contextmanager
def _quiet_vcr_logs() -> Iterator[None]:
    """vcrpy logs requests and raw recorded answers at INFO/DEBUG (before scrubbing them):
    keep those records out of every log while a cassette is in use."""
    import vcr.cassette  # noqa: F401 - the loggers exist once their modules are imported
    import vcr.stubs.httpx_stubs  # noqa: F401

    names = [name for name in logging.root.manager.loggerDict if name == "vcr" or name.startswith("vcr.")]
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addFilter(_below_warning)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(_below_warning)


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    record: bool | None = None,
    require_all_played: bool = True,
    hint: str | None = None,
    scrubber: Scrubber | None = None,
    **scrubber_options: Any,
) -> Iterator[Cassette]:
    """Replay (or, with ``record=True`` or ``PYTOK_RECORD=1``, record) one cassette.

    Replaying is strict: a missing file raises :class:`CassetteMissing` at once, a request
    without a recorded answer :class:`CassetteMismatch`, and recorded answers left unasked
    :class:`CassetteUnplayed` at the end (unless ``require_all_played=False``). Recording
    starts the file afresh, writes it even when no request was made, and replaces the old
    one only if the block ends without an exception. ``hint`` replaces
    the "how to re-record" advice of the messages; ``scrubber`` is the one to use (to hold
    on to it, e.g. for :meth:`Scrubber.paused`), else a fresh one gets ``scrubber_options``.

    Example:
        >>> import tempfile, pathlib
        >>> missing = pathlib.Path(tempfile.mkdtemp()) / "login.yaml"
        >>> with use_cassette(missing, record=False):
        ...     pass
        Traceback (most recent call last):
        ...
        pytok_sm.testing.cassettes.CassetteMissing: cassette ... does not exist; re-record it: ...
    """
    from vcr.errors import CannotOverwriteExistingCassetteException

    target = Path(path)
    recording = recording_requested() if record is None else record
    # A recording goes to a side file and replaces the cassette only when the block ends
    # without an exception: a failed re-recording leaves the old cassette as it was.
    work = target.with_name(f"{target.stem}.recording{target.suffix}") if recording else target
    if recording:
        target.parent.mkdir(parents=True, exist_ok=True)
        work.unlink(missing_ok=True)
    elif not target.is_file():
        raise CassetteMissing(f"cassette {_shown(target)} does not exist; {_how_to_record(hint)}")
    recorder = make_vcr(target.parent, "all" if recording else "none", scrubber=scrubber, **scrubber_options)
    with _quiet_vcr_logs(), recorder.use_cassette(work.name) as cassette:
        try:
            yield cassette
        except CannotOverwriteExistingCassetteException as error:
            raise CassetteMismatch(_mismatch_message(target, error, hint)) from None
    if recording:
        if work.exists():
            os.replace(work, target)
        else:
            write_empty_cassette(target)
        return
    if require_all_played and not cassette.all_played:
        left = [
            f"{request.method} {request.uri}"
            for index, (request, _) in enumerate(cassette.data)
            if not cassette.play_counts[index]
        ]
        raise CassetteUnplayed(
            f"cassette {_shown(target)}: {len(left)} recorded request(s) were never made: {'; '.join(left)}. "
            f"If the change is intended, {_how_to_record(hint)}."
        )


class CassetteLibrary:
    """The cassettes of one test module: ``directory/<name>.yaml``, recorded or replayed.

    What the ``pytok_vcr`` fixture of pytok_sm's pytest plugin hands to a test. ``random``
    is a :class:`~pytok_sm.testing.DeterministicRandom` seeded with ``seed``: pass it to the
    kit (``random=``) so that recording and replaying draw the same state and tickets.

    Example:
        >>> import tempfile
        >>> library = CassetteLibrary(tempfile.mkdtemp(), default_name="test_login")
        >>> library.path().name, library.path("other").name, library.record
        ('test_login.yaml', 'other.yaml', False)
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        record: bool = False,
        default_name: str = "cassette",
        seed: int | str | None = None,
        hint: str | None = None,
        **scrubber_options: Any,
    ) -> None:
        from .deterministic import DeterministicRandom

        self.directory = Path(directory)
        self.record = record
        self.default_name = default_name
        self.hint = hint
        self.random = DeterministicRandom(default_name if seed is None else seed)
        self._options = scrubber_options

    def path(self, name: str | None = None) -> Path:
        """Where the cassette ``name`` (default: the test's name) lives."""
        stem = _safe_name(name or self.default_name)
        return self.directory / (stem if stem.endswith(".yaml") else f"{stem}.yaml")

    def use(self, name: str | None = None, **options: Any) -> contextlib.AbstractContextManager[Cassette]:
        """:func:`use_cassette` for ``name`` with this library's mode and options."""
        merged = {**self._options, **options}
        merged.setdefault("hint", self.hint)
        return use_cassette(self.path(name), record=self.record, **merged)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "cassette"


# ---------------------------------------------------------------------------- scanning
#: The before-stop hook's pattern of unscrubbed secrets (token-shaped values, form secrets,
#: bearer tokens); a hit containing one of :data:`_MARKERS` is a placeholder.
HOOK_PATTERN: Final = re.compile(
    r"(act|rft|clt)\.[A-Za-z0-9_\-]{16,}|(client_secret|code_verifier|refresh_token)=[A-Za-z0-9_\-]{8,}"
    r"|Bearer [A-Za-z0-9_.\-]{16,}"
)
_MARKERS: Final = re.compile(r"redacted|placeholder|<|scrubbed|filtered", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    """One suspicious spot in a cassette: where, and what kind (never the value itself)."""

    path: str
    line: int
    kind: str
    preview: str  # the first characters only, like the before-stop hook prints

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} ({self.preview}…)"


def find_unscrubbed(
    text: str, secrets: Mapping[str, str] | Iterable[str] = (), *, path: str = "<cassette>"
) -> list[Finding]:
    """Token-shaped strings that are not placeholders, and any of ``secrets`` (raw,
    percent-encoded or JSON-escaped), in a cassette's text.

    ``secrets`` may map a label to each value, so that a finding names the label.

    Example:
        >>> find_unscrubbed("refresh_token=rft.scrubbed-2 Bearer act.scrubbed-1")
        []
        >>> [f.kind for f in find_unscrubbed("access_token: act.A1b2C3d4E5f6G7h8I9", {"my canary": "G7h8I9"})]
        ['hook pattern', 'token-shaped value', 'secret: my canary']
    """
    labelled = dict(secrets) if isinstance(secrets, Mapping) else {f"secret #{i}": s for i, s in enumerate(secrets, 1)}
    findings: list[Finding] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        for match in HOOK_PATTERN.finditer(line):
            if not _MARKERS.search(match.group(0)):
                findings.append(Finding(path, number, "hook pattern", match.group(0)[:10]))
        for match in _TOKEN_RE.finditer(line):
            findings.append(Finding(path, number, "token-shaped value", match.group(0)[:6]))
    for label, value in labelled.items():
        if not value:
            continue
        variants = {
            value,
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value),
            json.dumps(value)[1:-1],
        }
        for number, line in enumerate(lines, 1):
            if any(variant in line for variant in variants):
                findings.append(Finding(path, number, f"secret: {label}", value[:3]))
                break
    return findings
