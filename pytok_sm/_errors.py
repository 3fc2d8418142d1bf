"""One tree of errors: everything pytok_sm raises derives from :class:`TikTokError`.

::

    TikTokError
    ├── ConfigurationError          a setting is wrong: fix the code or the app registration
    ├── FlowUsageError              a flow was stepped wrongly (a bug in the calling code)
    ├── FlowError                   a flow ended without a token
    │   ├── AuthorizationDenied     the person pressed Cancel (error=access_denied)
    │   ├── FlowTimeout             nobody finished in time
    │   ├── FlowCancelled           the caller cancelled (Ctrl+C, cancel())
    │   ├── CallbackPortBusy        the loopback port is taken by another program
    │   ├── CallbackRejected        a callback without the flow's state (possible CSRF)
    │   │   └── CallbackReplayed    a web login's callback arrived a second time: never exchanged twice
    │   ├── SnapshotRejected        a flow snapshot is damaged, forged or of another version
    │   └── QrCodeError             a QR login cannot go on: ask for a new QR code
    │       ├── QrCodeExpired       status "expired"
    │       ├── QrCodeUtilised      status "utilised": its code was used already
    │       ├── QrTicketMismatch    the answer carried a foreign or missing client_ticket
    │       └── QrAnswerRefused     a confirmation with a foreign redirect or an impossible code
    ├── NotLoggedIn                 no token yet (or it was revoked): log in first
    ├── TokenStoreError             a token store (or the CLI's token file) cannot be used
    │   ├── StoreUnavailable        pytok_sm.stores: unreachable or unusable (Redis down, a lock held too long)
    │   ├── CorruptRecord           pytok_sm.stores: a stored account cannot be read; nothing overwritten
    │   ├── DecryptionFailed        pytok_sm.stores: a wrong key, or a ciphertext moved to another account
    │   ├── EncryptionUnavailable   pytok_sm.stores: encryption asked for without cryptography installed
    │   └── StoreBusy               pytok_sm.flows: another worker held the lease longer than a refresh takes
    ├── OAuthError                  TikTok answered {"error", "error_description", "log_id"}
    │   └── ReauthorizationRequired invalid_grant on refresh: log in again
    ├── ApiError                    TikTok answered {"error": {"code", "message", "log_id"}}
    │   ├── AccessTokenInvalid      access_token_invalid: refresh and retry once
    │   ├── ScopeError              scope_not_authorized / scope_permission_missed
    │   └── PostingError            the Content Posting API refused or ended a post (leaves: _posting_errors)
    ├── RateLimited                 429 / rate_limit_exceeded after the retries allowed
    ├── ProtocolError               an answer we cannot read (HTML, truncated JSON, odd fields)
    │   └── AccountMismatch         an answer about another TikTok account than the one held
    └── TransportError              no answer (connection refused, reset, timeout)

Transient errors (``RateLimited``, ``TransportError``, 5xx) carry ``transient = True``;
terminal ones tell what to do in their message. No message contains a secret or a raw body.

Example:
    >>> err = ReauthorizationRequired("invalid_grant", "Refresh token is invalid.", log_id="2024X")
    >>> str(err)
    'invalid_grant: the refresh token is no longer valid; log in again (log_id 2024X)'
    >>> isinstance(err, TikTokError)
    True
"""

from __future__ import annotations

import copyreg

__all__ = [
    "AccessTokenInvalid",
    "AccountMismatch",
    "ApiError",
    "AuthorizationDenied",
    "CallbackPortBusy",
    "CallbackRejected",
    "CallbackReplayed",
    "ConfigurationError",
    "FlowCancelled",
    "FlowError",
    "FlowTimeout",
    "FlowUsageError",
    "NotLoggedIn",
    "OAuthError",
    "ProtocolError",
    "QrAnswerRefused",
    "QrCodeError",
    "QrCodeExpired",
    "QrCodeUtilised",
    "QrTicketMismatch",
    "RateLimited",
    "ReauthorizationRequired",
    "ScopeError",
    "SnapshotRejected",
    "TikTokError",
    "TokenStoreError",
    "TransportError",
]

#: What a person should do after each OAuth error value.
_OAUTH_ADVICE = {
    "access_denied": "the person declined the authorization",
    "invalid_client": "check client_key and client_secret",
    "invalid_grant": "the code or refresh token is no longer valid; log in again",
    "invalid_request": "the request was refused as malformed",
    "invalid_scope": "ask only for scopes the app has been granted in the developer portal",
    "unauthorized_client": "the app may not use this grant; check its settings in the developer portal",
    "unsupported_grant_type": "the grant type is not supported",
    "unsupported_response_type": "the response type is not supported",
    "server_error": "TikTok failed; try again later",
    "temporarily_unavailable": "TikTok is busy; try again later",
}


def _with_log_id(message: str, log_id: str | None) -> str:
    return f"{message} (log_id {log_id})" if log_id else message


class TikTokError(Exception):
    """Root of every error pytok_sm raises.

    ``flow`` and ``state`` say where a flow failed, when it was a flow; ``transient`` says
    whether trying again later may succeed.
    """

    transient: bool = False

    def __init__(self, message: str = "", *, flow: str | None = None, state: str | None = None) -> None:
        super().__init__(message)
        self.flow = flow
        self.state = state

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # Pickle (process pools, queues) and copy rebuild the error from its args and fields
        # without calling __init__, whose signature differs per class: same text, same fields.
        return copyreg.__newobj__, (type(self), *self.args), dict(self.__dict__)  # type: ignore[attr-defined]


class ConfigurationError(TikTokError, ValueError):
    """A configuration value is out of range; the message names the field and what is allowed.

    Example:
        >>> ConfigurationError("port", "must be 0..65535, got 70000").field
        'port'
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class FlowUsageError(TikTokError, TypeError):
    """A flow was fed a result it did not ask for, or resumed from a foreign snapshot."""


class FlowError(TikTokError):
    """A flow ended without a token."""


class AuthorizationDenied(FlowError):
    """The person declined (``error=access_denied``) or TikTok refused at the authorize page."""

    def __init__(self, error: str = "access_denied", description: str = "", **kw: str | None) -> None:
        text = f"{error}: the authorization was declined in the browser"
        if description:
            text += f" ({description})"
        super().__init__(text, **kw)
        self.error = error
        self.description = description


class FlowTimeout(FlowError):
    """The flow's deadline passed before it finished."""

    transient = True


class FlowCancelled(FlowError):
    """The caller cancelled the flow."""


class CallbackPortBusy(FlowError):
    """The loopback port is in use by another program.

    Example:
        >>> str(CallbackPortBusy(3456))
        'port 3456 on 127.0.0.1 is already in use; close the program using it or configure another port'
    """

    def __init__(self, port: int, **kw: str | None) -> None:
        super().__init__(
            f"port {port} on 127.0.0.1 is already in use; close the program using it or configure another port",
            **kw,
        )
        self.port = port


class CallbackRejected(FlowError):
    """A redirect reached the app without this flow's ``state`` (or malformed): never exchanged."""

    def __init__(self, reason: str, **kw: str | None) -> None:
        super().__init__(f"the login callback was refused ({reason}); start the login again", **kw)
        self.reason = reason


class CallbackReplayed(CallbackRejected):
    """The callback of a web login was already exchanged (a reloaded page, a second worker):
    TikTok would treat a second exchange of the code as an attack and revoke the first token,
    so it is refused here; the token of the first exchange stays valid.

    Example:
        >>> str(CallbackReplayed())
        'the login callback was refused (already used: this login was completed once); start the login again'
    """

    def __init__(self, **kw: str | None) -> None:
        super().__init__("already used: this login was completed once", **kw)


class SnapshotRejected(FlowError):
    """A flow snapshot cannot be resumed: damaged, forged (its seal does not match), written
    by another version, for another app, or expired. ``reason`` says which check failed.

    Example:
        >>> str(SnapshotRejected("its seal does not match"))
        'the flow snapshot is damaged or forged (its seal does not match); start the flow again'
    """

    def __init__(self, reason: str, **kw: str | None) -> None:
        super().__init__(f"the flow snapshot is damaged or forged ({reason}); start the flow again", **kw)
        self.reason = reason


class QrCodeError(FlowError):
    """The QR login cannot go on; ask for a new QR code."""


class QrCodeExpired(QrCodeError):
    """The QR code expired before it was confirmed."""

    def __init__(self, **kw: str | None) -> None:
        super().__init__("the QR code expired; ask for a new one (generate_qr_code)", **kw)


class QrCodeUtilised(QrCodeError):
    """The QR code's authorization code was used already."""

    def __init__(self, **kw: str | None) -> None:
        super().__init__("the QR code was already used; ask for a new one (generate_qr_code)", **kw)


class QrTicketMismatch(QrCodeError):
    """TikTok's answer carried a client_ticket that is not ours: never exchange its code."""

    def __init__(self, **kw: str | None) -> None:
        super().__init__(
            "the QR answer carried a missing or foreign client_ticket; refusing it. Ask for a new QR code",
            **kw,
        )


class QrAnswerRefused(QrCodeError):
    """A QR confirmation was refused before its code was exchanged (a foreign redirect URI,
    a code no TikTok code looks like); ``reason`` says which."""

    def __init__(self, reason: str, **kw: str | None) -> None:
        super().__init__(f"the QR confirmation was refused ({reason}); ask for a new QR code", **kw)
        self.reason = reason


class NotLoggedIn(TikTokError):
    """There is no token to use: log in first."""

    def __init__(self, what: str = "token") -> None:
        super().__init__(f"not logged in: no {what} is held; log in first (or restore a saved token)")
        self.missing = what


class TokenStoreError(TikTokError):
    """The token file cannot be used: unreadable, corrupt, of another schema, or locked.

    The message names the file and what to do. ``corrupt`` is True when moving the file
    aside would help (it exists but cannot be read as tokens).

    Example:
        >>> TokenStoreError("the token file x is corrupt", corrupt=True).corrupt
        True
    """

    def __init__(self, message: str, *, corrupt: bool = False) -> None:
        super().__init__(message)
        self.corrupt = corrupt


class OAuthError(TikTokError):
    """TikTok's OAuth endpoints answered with ``{"error", "error_description", "log_id"}``.

    Example:
        >>> e = OAuthError("invalid_client", "Client key or secret is invalid.", log_id="L1", http_status=200)
        >>> (e.error, e.http_status, e.transient)
        ('invalid_client', 200, False)
    """

    def __init__(
        self,
        error: str,
        description: str = "",
        *,
        log_id: str | None = None,
        http_status: int | None = None,
        **kw: str | None,
    ) -> None:
        advice = _OAUTH_ADVICE.get(error, "TikTok refused the request")
        text = f"{error}: {advice}"
        if description and error not in ("invalid_grant",):
            text += f" ({description})"
        super().__init__(_with_log_id(text, log_id), **kw)
        self.error = error
        self.description = description
        self.log_id = log_id
        self.http_status = http_status
        self.transient = error in ("server_error", "temporarily_unavailable")


class ReauthorizationRequired(OAuthError):
    """The refresh token is no longer valid (``invalid_grant``): the person must log in again."""

    def __init__(self, error: str = "invalid_grant", description: str = "", **kw: object) -> None:
        super().__init__(error, description, **kw)  # type: ignore[arg-type]
        self.args = (_with_log_id(f"{error}: the refresh token is no longer valid; log in again", self.log_id),)


class ApiError(TikTokError):
    """A data endpoint answered with an ``error.code`` other than ``ok``."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        log_id: str | None = None,
        http_status: int | None = None,
        **kw: str | None,
    ) -> None:
        text = f"{code}: {message}" if message else code
        super().__init__(_with_log_id(text, log_id), **kw)
        self.code = code
        self.api_message = message
        self.log_id = log_id
        self.http_status = http_status
        self.transient = code == "internal_error"


class AccessTokenInvalid(ApiError):
    """The access token is missing, expired or revoked."""


class ScopeError(ApiError):
    """The person did not grant a scope the request needs."""


class RateLimited(TikTokError):
    """Too many requests, still after the retries the policy allows.

    ``retry_after`` is TikTok's ``Retry-After`` in seconds when it sent one.
    """

    transient = True

    def __init__(
        self,
        *,
        retry_after: float | None = None,
        log_id: str | None = None,
        http_status: int | None = 429,
        code: str = "rate_limit_exceeded",
    ) -> None:
        text = "rate_limit_exceeded: TikTok's rate limit was hit; wait"
        text += f" {retry_after:g} s" if retry_after is not None else " a minute"
        super().__init__(_with_log_id(text + " and try again", log_id))
        self.retry_after = retry_after
        self.log_id = log_id
        self.http_status = http_status
        self.code = code


class ProtocolError(TikTokError):
    """TikTok's answer could not be read (not JSON, not an object, a field of the wrong type).

    The raw body is never part of the message; ``http_status`` and ``log_id`` are, when known.
    """

    def __init__(self, message: str, *, http_status: int | None = None, log_id: str | None = None) -> None:
        text = message if http_status is None else f"{message} (HTTP {http_status})"
        super().__init__(_with_log_id(text, log_id))
        self.http_status = http_status
        self.log_id = log_id
        self.transient = http_status is not None and http_status >= 500


class TransportError(TikTokError):
    """No usable answer: the connection failed, was reset, or timed out.

    ``sent`` tells whether the request may have reached TikTok (its outcome is then
    unknown: a code exchange or refresh is not retried blindly).
    """

    transient = True

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class AccountMismatch(ProtocolError):
    """TikTok's answer is about another account (``open_id``) than the token held: refused,
    so that one account's token is never stored or used as another's.

    Example:
        >>> str(AccountMismatch("the refresh answer"))
        'the refresh answer is about another TikTok account (open_id) than the one held; it was not used'
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is about another TikTok account (open_id) than the one held; it was not used")
        self.what = what
