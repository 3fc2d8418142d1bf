"""The one place that speaks TikTok: builds every request and reads every answer.

Requests are plain :class:`Request` values (no I/O here); drivers send them and hand back a
:class:`Response`. Parsers turn a response into a value or raise a typed error from
:mod:`pytok_sm._errors`. **The body decides, not the status**: TikTok answers some OAuth
errors with HTTP 200 (docs/TIKTOK-API.md section 2).

Docs: https://developers.tiktok.com/doc/oauth-user-access-token-management,
https://developers.tiktok.com/doc/login-kit-qr-code-authorization,
https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info,
https://developers.tiktok.com/doc/oauth-error-handling.

Example:
    >>> from pytok_sm._config import Config
    >>> cfg = Config("aw_key", "s3cret")
    >>> req = refresh_request(cfg, "rft.old")
    >>> req.method, req.url, sorted(req.form)
    ('POST', 'https://open.tiktokapis.com/v2/oauth/token/', ['client_key', 'client_secret', 'grant_type', 'refresh_token'])
    >>> req
    Request(POST https://open.tiktokapis.com/v2/oauth/token/, form fields: client_key, client_secret, grant_type, refresh_token)
    >>> parse_oauth(Response(200, {}, b'{"error": "invalid_grant", "error_description": "x", "log_id": "L1"}'),
    ...             RequestKind.REFRESH)
    Traceback (most recent call last):
    ...
    pytok_sm.ReauthorizationRequired: invalid_grant: the refresh token is no longer valid; log in again (log_id L1)
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _contract as contract
from ._config import Config
from ._errors import (
    AccessTokenInvalid,
    AccountMismatch,
    ApiError,
    ConfigurationError,
    OAuthError,
    ProtocolError,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    TikTokError,
)
from ._http import Request, Response, parse_json
from ._posting_errors import POSTING_CODES, MediaError, PostSettingsError, posting_error
from ._retry import RequestKind, parse_retry_after
from ._secrets import hush
from ._token import Token

__all__ = [
    "QrCode",
    "QrStatus",
    "api_error",
    "authorize_url",
    "check_qrcode_request",
    "client_credentials_request",
    "exchange_request",
    "fill_client_ticket",
    "get_qrcode_request",
    "parse_check_qrcode",
    "parse_get_qrcode",
    "parse_oauth",
    "parse_revoke",
    "parse_token",
    "parse_user_info",
    "read_envelope",
    "refresh_request",
    "revoke_request",
    "user_info_request",
]

DEFAULT_USER_FIELDS = ("open_id", "union_id", "avatar_url", "display_name")


# --------------------------------------------------------------------------- requests


def _form_headers(config: Config) -> dict[str, str]:
    """The configured headers over the form defaults, names compared case-insensitively (a
    configured ``content-type`` replaces ours rather than making a second one)."""
    headers = {"content-type": ("Content-Type", contract.FORM_CONTENT_TYPE)}
    for name, value in config.request_header.items():
        headers[name.lower()] = (name, value)
    headers["accept"] = ("Accept", "application/json")
    return dict(headers.values())


def authorize_url(config: Config, *, state: str, code_challenge: str, redirect_uri: str) -> str:
    """The URL of TikTok's authorize page for a browser login (PKCE with the hex challenge).

    Example:
        >>> cfg = Config("aw_key", "s")
        >>> authorize_url(cfg, state="st", code_challenge="ab", redirect_uri=cfg.redirect_uri)
        'https://www.tiktok.com/v2/auth/authorize/?client_key=aw_key&scope=user.info.basic&redirect_uri=http%3A%2F%2F127.0.0.1%3A3456%2Fcallback%2F&state=st&response_type=code&code_challenge=ab&code_challenge_method=S256'
    """
    query = urllib.parse.urlencode(
        [
            ("client_key", config.client_key),
            ("scope", ",".join(config.scopes)),
            ("redirect_uri", redirect_uri),
            ("state", state),
            ("response_type", "code"),
            ("code_challenge", code_challenge),
            ("code_challenge_method", contract.CODE_CHALLENGE_METHOD),
        ]
    )
    sep = "&" if urllib.parse.urlsplit(config.authorization_url).query else "?"
    return f"{config.authorization_url}{sep}{query}"


def exchange_request(config: Config, *, code: str, redirect_uri: str | None, code_verifier: str | None) -> Request:
    """Exchange an authorization code for tokens (``grant_type=authorization_code``)."""
    form = {
        "client_key": config.client_key,
        "client_secret": config.client_secret,
        "code": code,
        "grant_type": contract.GRANT_AUTHORIZATION_CODE,
    }
    if redirect_uri:
        form["redirect_uri"] = redirect_uri
    if code_verifier:
        form["code_verifier"] = code_verifier
    return Request("POST", config.endpoint(contract.TOKEN_PATH), RequestKind.EXCHANGE_CODE, _form_headers(config), form)


def refresh_request(config: Config, refresh_token: str) -> Request:
    """Refresh an access token (``grant_type=refresh_token``)."""
    form = {
        "client_key": config.client_key,
        "client_secret": config.client_secret,
        "grant_type": contract.GRANT_REFRESH_TOKEN,
        "refresh_token": refresh_token,
    }
    return Request("POST", config.endpoint(contract.TOKEN_PATH), RequestKind.REFRESH, _form_headers(config), form)


def client_credentials_request(config: Config) -> Request:
    """An app-level ``clt.`` token (``grant_type=client_credentials``)."""
    form = {
        "client_key": config.client_key,
        "client_secret": config.client_secret,
        "grant_type": contract.GRANT_CLIENT_CREDENTIALS,
    }
    return Request(
        "POST", config.endpoint(contract.TOKEN_PATH), RequestKind.CLIENT_CREDENTIALS, _form_headers(config), form
    )


def revoke_request(config: Config, access_token: str) -> Request:
    """Revoke an access token (and with it the person's authorization of the app)."""
    form = {"client_key": config.client_key, "client_secret": config.client_secret, "token": access_token}
    return Request("POST", config.endpoint(contract.REVOKE_PATH), RequestKind.REVOKE, _form_headers(config), form)


def get_qrcode_request(config: Config, *, state: str | None = None) -> Request:
    """Ask for a QR code login session (no secret, no redirect, no PKCE)."""
    form = {"client_key": config.client_key, "scope": ",".join(config.scopes)}
    if state:
        form["state"] = state
    return Request("POST", config.endpoint(contract.GET_QRCODE_PATH), RequestKind.GET_QRCODE, _form_headers(config), form)


def check_qrcode_request(config: Config, qr_token: str) -> Request:
    """Poll the status of a QR code login session."""
    form = {"client_key": config.client_key, "client_secret": config.client_secret, "token": qr_token}
    return Request(
        "POST", config.endpoint(contract.CHECK_QRCODE_PATH), RequestKind.CHECK_QRCODE, _form_headers(config), form
    )


def user_info_request(config: Config, access_token: str, fields: Iterable[str] = DEFAULT_USER_FIELDS) -> Request:
    """Read the person's profile from the Display API (``GET /v2/user/info/``)."""
    names = list(dict.fromkeys(fields))
    if not names or not all(isinstance(n, str) and n.replace("_", "").isalnum() for n in names):
        raise ConfigurationError("fields", "must be a non-empty list of field names such as 'display_name'")
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    return Request(
        "GET", config.endpoint(contract.USER_INFO_PATH), RequestKind.USER_INFO, headers, params={"fields": ",".join(names)}
    )


def fill_client_ticket(scan_qrcode_url: str, client_ticket: str) -> str:
    """Put our ``client_ticket`` in place of the value of the ``client_ticket`` parameter only.

    Everything else of TikTok's URL stays byte for byte; a URL without the parameter gets it
    appended.

    Example:
        >>> fill_client_ticket("aweme://authorize?a=tobefilled&client_ticket=tobefilled&b=1", "T1")
        'aweme://authorize?a=tobefilled&client_ticket=T1&b=1'
    """
    base, hash_mark, fragment = scan_qrcode_url.partition("#")
    path, qmark, query = base.partition("?")
    encoded = urllib.parse.quote(client_ticket, safe="")
    parts = query.split("&") if query else []
    found = False
    for i, part in enumerate(parts):
        name = urllib.parse.unquote_plus(part.partition("=")[0])
        if name == "client_ticket":
            parts[i] = f"{part.partition('=')[0]}={encoded}"
            found = True
    if not found:
        parts.append(f"client_ticket={encoded}")
    return f"{path}?{'&'.join(parts)}{hash_mark}{fragment}"


# --------------------------------------------------------------------------- reading answers


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _retry_after(response: Response) -> float | None:
    return parse_retry_after(response.header("retry-after"), now=time.time())


def _oauth_error(body: Mapping[str, Any], response: Response, kind: RequestKind) -> TikTokError:
    error = _text(body.get("error")) or "server_error"
    description = _text(body.get("error_description"))
    log_id = _text(body.get("log_id")) or None
    if error == contract.API_RATE_LIMIT_EXCEEDED or response.status == 429:
        return RateLimited(retry_after=_retry_after(response), log_id=log_id, http_status=response.status)
    if error == "invalid_grant" and kind is RequestKind.REFRESH:
        return ReauthorizationRequired(error, description, log_id=log_id, http_status=response.status)
    return OAuthError(error, description, log_id=log_id, http_status=response.status)


#: What a posting endpoint's ``invalid_param(s)`` message says when it is about the media's size.
_SIZE_WORDS = ("chunk", "video_size", "video size", "file size", "file_size")


def api_error(error: Mapping[str, Any], response: Response, *, posting: bool = False,
              publish_id: str | None = None) -> TikTokError:
    """The typed error of an envelope's ``error`` object. On the posting endpoints
    (``posting``), ``invalid_param`` and ``invalid_params`` are a :class:`PostSettingsError`, or
    a :class:`MediaError` when the message is about the chunk or video size, and any other
    code but ``internal_error`` a :class:`PostingError` (naming ``publish_id``).

    Example:
        >>> api_error({"code": "invalid_params", "message": "The chunk size is invalid"}, Response(400, {}), posting=True)
        MediaError('invalid_params: The chunk size is invalid')
    """
    code = _text(error.get("code")) or "unknown_error"
    message = _text(error.get("message"))[:500]
    log_id = _text(error.get("log_id"))[:200] or None
    status = response.status
    if code == contract.API_RATE_LIMIT_EXCEEDED or status == 429:
        return RateLimited(retry_after=_retry_after(response), log_id=log_id, http_status=status, code=code)
    if code == contract.API_ACCESS_TOKEN_INVALID:
        return AccessTokenInvalid(code, message, log_id=log_id, http_status=status)
    if code in (contract.API_SCOPE_NOT_AUTHORIZED, contract.API_SCOPE_PERMISSION_MISSED):
        return ScopeError(code, message, log_id=log_id, http_status=status)
    if code in (contract.API_INVALID_PARAMS, contract.API_INVALID_PARAM):
        if not posting:
            return ApiError(code, message, log_id=log_id, http_status=status)
        about_size = any(word in message.lower() for word in _SIZE_WORDS)
        cls = MediaError if about_size else PostSettingsError
        return cls(code, message, publish_id=publish_id, log_id=log_id, http_status=status)
    if code in POSTING_CODES or (posting and code != contract.API_INTERNAL_ERROR):
        return posting_error(code, message, publish_id=publish_id, log_id=log_id, http_status=status)
    return ApiError(code, message, log_id=log_id, http_status=status)


@hush
def read_envelope(response: Response, kind: RequestKind, *, what: str, posting: bool = False,
                  publish_id: str | None = None) -> Mapping[str, Any]:
    """The ``data`` object of a data-API envelope (``{}`` when absent), or the typed error of
    its ``error.code``: the body decides, not the status (creator_info answers "cannot post
    now" with HTTP 200). ``what`` names the answer in errors.

    Example:
        >>> read_envelope(Response(200, {}, b'{"data": {"a": 1}, "error": {"code": "ok"}}'),
        ...               RequestKind.USER_INFO, what="user info")
        {'a': 1}
    """
    if response.status == 429 and not response.body.strip():
        raise RateLimited(retry_after=_retry_after(response), http_status=429)
    body = parse_json(response)
    error = body.get("error")
    if not isinstance(error, Mapping):
        if isinstance(error, str) and error:  # a flat OAuth error where an envelope was expected
            raise _oauth_error(body, response, kind)
        raise ProtocolError(f"the {what} answer has no error object", http_status=response.status)
    if error.get("code") != contract.API_OK:
        raise api_error(error, response, posting=posting, publish_id=publish_id)
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ProtocolError(f"the {what} answer's data is not an object", http_status=response.status)
    return data


@hush
def parse_oauth(response: Response, kind: RequestKind, *, allow_empty: bool = False) -> dict[str, Any]:
    """A flat OAuth answer as a dict, or the typed error it carries.

    A top-level ``error`` means failure whatever the HTTP status; a 429 or 5xx without a
    readable body is a :class:`RateLimited` or transient :class:`ProtocolError`.
    """
    if response.status == 429 and not response.body.strip():
        raise RateLimited(retry_after=_retry_after(response), http_status=429)
    body = parse_json(response, allow_empty=allow_empty)
    error = body.get("error")
    if isinstance(error, Mapping):  # an envelope where a flat answer was expected
        code = error.get("code")
        if code not in (None, "", contract.API_OK):
            raise api_error(error, response)
    elif error not in (None, ""):
        raise _oauth_error(body, response, kind)
    if response.status == 429:
        raise RateLimited(retry_after=_retry_after(response), http_status=429)
    if response.status >= 300:
        raise ProtocolError("TikTok answered with an unexpected HTTP status", http_status=response.status)
    return body


@hush
def parse_token(response: Response, kind: RequestKind, *, now: float, previous: Token | None = None,
                open_id: str | None = None) -> Token:
    """A token endpoint answer as a :class:`Token` (``previous`` fills what a refresh omits).

    ``open_id`` (else ``previous.open_id``) is the account the answer must be about: an answer
    naming another raises :class:`AccountMismatch`.
    """
    body = parse_oauth(response, kind)
    expected = open_id or (previous.open_id if previous is not None else None)
    if expected and body.get("open_id") not in (None, "", expected):
        raise AccountMismatch("the refresh answer" if kind is RequestKind.REFRESH else "the token answer")
    return Token.from_response(body, now=now, previous=previous)


@hush
def parse_revoke(response: Response) -> None:
    """A revoke answer: empty or ``{}`` (or any object without an error) is success."""
    parse_oauth(response, RequestKind.REVOKE, allow_empty=True)


@dataclass(frozen=True, slots=True)
class QrCode:
    """The answer of get_qrcode: the URL to show (still with ``tobefilled``) and the poll token."""

    scan_qrcode_url: str
    token: str = field(repr=False)


@hush
def parse_get_qrcode(response: Response) -> QrCode:
    body = parse_oauth(response, RequestKind.GET_QRCODE)
    url, token = body.get("scan_qrcode_url"), body.get("token")
    if not isinstance(url, str) or not url or not isinstance(token, str) or not token:
        raise ProtocolError("the get_qrcode answer lacks scan_qrcode_url or token")
    return QrCode(url, token)


@dataclass(frozen=True, slots=True)
class QrStatus:
    """One answer of check_qrcode. ``code`` and ``state`` come from ``redirect_uri`` or bare fields."""

    status: str
    client_ticket: str = field(default="", repr=False)
    code: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    scopes: str | None = None
    redirect_uri: str | None = None  # the confirmed redirect without its query


@hush
def parse_check_qrcode(response: Response) -> QrStatus:
    """A check_qrcode answer; the code may sit in ``redirect_uri``'s query or in a bare field."""
    body = parse_oauth(response, RequestKind.CHECK_QRCODE)
    status = body.get("status")
    if not isinstance(status, str) or status not in contract.QR_STATUSES:
        raise ProtocolError("the check_qrcode answer has no known status")
    ticket = body.get("client_ticket")
    if ticket is not None and not isinstance(ticket, str):
        raise ProtocolError("the check_qrcode answer's client_ticket is not a string")
    code = body.get("code") if isinstance(body.get("code"), str) else None
    state = body.get("state") if isinstance(body.get("state"), str) else None
    scopes = body.get("scopes") if isinstance(body.get("scopes"), str) else None
    redirect = body.get("redirect_uri")
    redirect_base = redirect.partition("?")[0] if isinstance(redirect, str) and redirect else None
    if isinstance(redirect, str) and "?" in redirect:
        try:
            query_text = urllib.parse.urlsplit(redirect).query
        except ValueError:  # e.g. "Invalid IPv6 URL" for a stray "["
            raise ProtocolError("the check_qrcode answer's redirect_uri is not a URL") from None
        query = dict(urllib.parse.parse_qsl(query_text, keep_blank_values=True))
        code = code or query.get("code")
        state = state or query.get("state")
        scopes = scopes or query.get("scopes")
    return QrStatus(status, ticket or "", code or None, state or None, scopes, redirect_base)


@hush
def parse_user_info(response: Response, *, open_id: str | None = None) -> dict[str, Any]:
    """The ``user`` object of a Display API envelope, or the typed error of its ``error.code``.

    With ``open_id``, a user object naming another account raises :class:`AccountMismatch`.
    """
    data = read_envelope(response, RequestKind.USER_INFO, what="user info")
    user = data.get("user")
    if not isinstance(user, dict):
        raise ProtocolError("the user info answer has no data.user object", http_status=response.status)
    if open_id and user.get("open_id") not in (None, "", open_id):
        raise AccountMismatch("the user info answer")
    return user


