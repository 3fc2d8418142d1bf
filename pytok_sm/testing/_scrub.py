"""Scrubbing: what a cassette may hold, as vcrpy's ``before_record_*`` filters.

:class:`Scrubber` replaces secrets with *placeholders*, never removes them, so a request
that forgets a field still fails to match:

* form fields and query parameters ``client_secret`` and ``code_verifier`` become fixed
  placeholders; ``code``, ``refresh_token``, ``access_token`` and ``token`` become numbered
  ones (``act.scrubbed-1``, ``scrubbed-code-2`` for what answers issued,
  ``rft.scrubbed-given-1`` for what the client held before), the same number for the same
  value wherever it appears in one cassette: a refresh token that an answer handed out and
  the next request sends back keeps its number, so a client that sends the *old* refresh
  token after a rotation fails to match;
* the ``Authorization`` header keeps its scheme (``Bearer act.scrubbed-1``);
* an upload URL is a credential: its ``upload_token`` becomes a numbered placeholder
  (``scrubbed-upload-token-1``) in the init's answer and in the ``PUT`` alike, the URL's
  shape kept;
* an upload's body (a video chunk, any media or other non-text body) is recorded as its
  length and sha256 (:mod:`._upload`), never its bytes;
* JSON answers (whatever the charset of their content type) get the same treatment for
  ``access_token``, ``refresh_token``, ``token`` and a bare ``code``, and a ``code`` inside a
  URL (the QR ``redirect_uri``); any other token-shaped string (``act.``/``rft.``/``clt.``)
  anywhere in a body is scrubbed too;
* volatile values are made canonical: ``log_id`` s (body and ``X-Tt-Logid``), the ``Date``
  header, TikTok's numeric ids (the number of a ``publish_id``, ``upload_id``, public post
  ids: ``v_pub_file~v2-1.7000000000000000001``; not secrets), the port of a loopback
  ``redirect_uri`` (``http://127.0.0.1:PORT/callback/``) and the origin of a local emulator
  (``http://127.0.0.1:54321`` becomes ``https://open.tiktokapis.com``, so cassettes read
  like TikTok's);
* browser pages are not TikTok API traffic and are never recorded: the authorize page
  (``/v2/auth/...``) and any loopback request outside ``/v2/`` and ``/upload/`` (the app's
  own callback).

vcrpy applies the request scrubber to the live request before matching, so replay matches
on method, scheme, host, port, path, query, ``Content-Range`` and the scrubbed body (an
upload's by length and sha256; :mod:`._match`).

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
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from . import _upload as upload
from ._rewrite import (
    AUTHORIZATION_PLACEHOLDER,
    CANONICAL_DATE,
    COOKIE_PLACEHOLDER,
    ID_FIELDS,
    LOG_ID_HEADER,
    LOOPBACK,
    LOOPBACK_PORT_PLACEHOLDER,
    LOOPBACK_PORT_RE,
    SECRET_NAMES,
    VOLATILE_REQUEST_HEADERS,
    Rewriter,
)

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = ["Scrubber", "header"]

#: Paths of a loopback origin that are the API (an emulator's), not the app's own pages:
#: the API and the upload host.
_API_PATHS = ("/v2/", "/upload/")


class Scrubber(Rewriter):
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
    origin serving ``/v2/`` or ``/upload/`` is rewritten anyway); ``volatile_params`` are URL parameters in
    answers whose values change on every run without meaning anything (e.g. an emulator's
    session id), made canonical so that re-recording gives the same file;
    ``canonical_log_ids=False`` and ``canonical_ids=False`` keep TikTok's log ids and its
    numeric ids (publish, upload and post ids) as they came; ``aliases`` replace public
    values wherever they appear (e.g. a real app's ``client_key`` by the one the tests use).
    :meth:`paused` lets requests through unrecorded.

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

    #: While true (:meth:`paused`), requests pass unrecorded and unmatched.
    _paused = False

    def __deepcopy__(self, memo: dict[int, Any]) -> Scrubber:
        # Configurations get deep-copied (pytest-recording merges them so): the copy must
        # keep numbering with the original, and locks cannot be copied anyway.
        return self

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Requests made meanwhile are neither recorded nor matched: they reach the server.

        For what a recording needs but a replay must not see (a login to get a token first).
        """
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    # ------------------------------------------------------------------ requests
    def request(self, request: VcrRequest) -> VcrRequest | None:
        """vcrpy's ``before_record_request``: None for browser pages, else the scrubbed copy.

        vcrpy hands a deep copy, and applies this to live requests before matching too.
        """
        if self._paused:
            return None
        parts = urllib.parse.urlsplit(request.uri)
        host = (parts.hostname or "").lower()
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.path.startswith("/v2/auth/"):
            return None  # the authorize page and its form: the person's browser, not the API
        if origin in self._origins or (host in LOOPBACK and parts.path.startswith(_API_PATHS)):
            with self._lock:
                self._origins.add(origin)
            origin = self.canonical_origin
        elif host in LOOPBACK:
            return None  # the app's own loopback callback (or an emulator page): not TikTok traffic
        query = self._scrub_query(parts.query)
        request.uri = urllib.parse.urlunsplit((*urllib.parse.urlsplit(origin)[:2], parts.path, query, ""))
        self._scrub_request_headers(request)
        body = request.body
        if isinstance(body, (bytes, bytearray)) and body:
            if upload.is_media(request.headers) or upload.read_record(body) is not None:
                request.body = upload.digest_record(body)  # the bytes are dropped here, as soon as seen
            else:
                request.body = self._scrub_request_body(body, header(request.headers, "content-type"))
        return request

    def _scrub_query(self, query: str) -> str:
        if not query:
            return query
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if not any(name in SECRET_NAMES or name in ID_FIELDS or name == "redirect_uri" for name, _ in pairs):
            return query
        return urllib.parse.urlencode([(name, self._field(name, value)) for name, value in pairs])

    def _field(self, name: str, value: str) -> str:
        if name in SECRET_NAMES:
            return self.placeholder(value, name, given=True)
        if name == "redirect_uri":
            return LOOPBACK_PORT_RE.sub(rf"\1:{LOOPBACK_PORT_PLACEHOLDER}", value)
        if name in ID_FIELDS:
            return str(self.canonical_id(value, given=True))
        return self._scrub_text(value, given=True)

    def _scrub_request_headers(self, request: VcrRequest) -> None:
        headers = request.headers
        for name in list(headers):
            lowered = name.lower()
            if lowered in VOLATILE_REQUEST_HEADERS:
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

    def _scrub_request_body(self, body: bytes | bytearray, content_type: str) -> bytes:
        kind = content_type.split(";", 1)[0].strip().lower()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return upload.digest_record(body)  # not text: bytes of a file, never written out
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
            elif lowered == LOG_ID_HEADER:
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


def header(headers: Mapping[str, Any], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return ""
