"""Everything the sandbox remembers: consents, codes, tokens, QR sessions, the request log.

One :class:`SandboxState` per sandbox, guarded by one re-entrant lock that the router holds
for the whole of each request, so every endpoint sees and leaves a consistent state. Tests
read it through the :class:`~pytok_sm.sandbox.Sandbox` accessors, which hand out
copies. Secrets never appear in these records' ``repr``.

Example:
    >>> state = SandboxState()
    >>> token = state.new_token("access", client_key="k", open_id="o", scopes=("user.info.basic",),
    ...                         now=0.0, lifetime=7200, grant_id="g")
    >>> token.value.startswith("act."), token.alive(now=7199.0), token.alive(now=7200.0)
    (True, True, False)
"""

from __future__ import annotations

import secrets
import string
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Literal

from pytok_sm import _contract as contract

__all__ = [
    "CodeRecord",
    "ConsentRecord",
    "QrSession",
    "RequestRecord",
    "SandboxState",
    "TokenKind",
    "TokenRecord",
    "new_code_value",
    "new_secret",
    "new_token_value",
]

TokenKind = Literal["access", "refresh", "client"]
_PREFIX: dict[str, str] = {
    "access": contract.ACCESS_TOKEN_PREFIX,
    "refresh": contract.REFRESH_TOKEN_PREFIX,
    "client": contract.CLIENT_TOKEN_PREFIX,
}
_ALNUM = string.ascii_letters + string.digits


def _random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_secret() -> str:
    """A random URL-safe id (consent ids, QR polling tokens, grant ids)."""
    return secrets.token_urlsafe(24)


def new_code_value() -> str:
    """A code shaped like TikTok's, ``<base64url>*1!<digits>.sb``: it needs percent-encoding."""
    return f"{secrets.token_urlsafe(48)}*1!{secrets.randbelow(10000):04d}.sb"


def new_token_value(kind: TokenKind) -> str:
    """A token with the contract's prefix for ``kind``."""
    return f"{_PREFIX[kind]}{_random_alnum(56)}!{secrets.randbelow(10000):04d}.sb"


@dataclass
class ConsentRecord:
    """An authorize request that passed validation and waits for Approve or Deny."""

    consent_id: str = field(repr=False)
    client_key: str
    redirect_uri: str
    state: str | None = field(repr=False)
    scopes: tuple[str, ...]
    code_challenge: str | None = field(repr=False)
    created_at: float
    expires_at: float
    decided: bool = False


@dataclass
class CodeRecord:
    """An authorization code: single-use, short-lived, bound to client and redirect URI.

    Example:
        >>> code = CodeRecord(code="c*1!0001.sb", client_key="k", redirect_uri="http://127.0.0.1:1/cb/",
        ...                   scopes=("user.info.basic",), code_challenge=None, open_id="o",
        ...                   origin="browser", issued_at=0.0, expires_at=300.0)
        >>> code.expired(299.9), code.expired(300.0), code  # doctest: +ELLIPSIS
        (False, True, CodeRecord(client_key='k', redirect_uri='http://127.0.0.1:1/cb/', ...))
    """

    code: str = field(repr=False)
    client_key: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None = field(repr=False)
    open_id: str
    origin: Literal["browser", "qr"]
    issued_at: float
    expires_at: float
    used: bool = False
    #: The ``token`` of the QR session this code came from (QR logins only).
    qr_token: str | None = field(default=None, repr=False)
    #: Values of the tokens issued from this code (revoked if the code is reused).
    issued_tokens: list[str] = field(default_factory=list, repr=False)

    def expired(self, now: float) -> bool:
        """True once the code's lifetime is over."""
        return now >= self.expires_at


@dataclass
class TokenRecord:
    """An access (``act.``), refresh (``rft.``) or client (``clt.``) token.

    Example:
        >>> token = TokenRecord(value="act.x", kind="access", client_key="k", open_id="o", scopes=(),
        ...                     issued_at=0.0, expires_at=10.0, grant_id="g")
        >>> token.kill("revoked"); token.kill("rotated")
        >>> token.alive(now=1.0), token.revoked_reason
        (False, 'revoked')
    """

    value: str = field(repr=False)
    kind: TokenKind
    client_key: str
    open_id: str | None
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    #: All tokens of one login (its code, its refreshes) share a grant id.
    grant_id: str
    revoked: bool = False
    #: Why it died early: "revoked", "rotated", "code_reused", "deauthorized"; None while alive.
    revoked_reason: str | None = None

    def alive(self, now: float) -> bool:
        """True while neither revoked nor expired."""
        return not self.revoked and now < self.expires_at

    def kill(self, reason: str) -> None:
        """Revoke the token (first reason wins)."""
        if not self.revoked:
            self.revoked = True
            self.revoked_reason = reason


@dataclass
class QrSession:
    """One QR-code login, from get_qrcode to utilised or expired.

    Example:
        >>> session = QrSession(token="t", qrcode_id="q", client_key="k", scopes=("user.info.basic",),
        ...                     state=None, created_at=0.0, expires_at=120.0)
        >>> session.status, session.client_ticket
        ('new', '')
    """

    #: Secret polling token the app sends to check_qrcode.
    token: str = field(repr=False)
    #: Public id carried in scan_qrcode_url (``qrcode_id``) so the phone can find it.
    qrcode_id: str
    client_key: str
    scopes: tuple[str, ...]
    state: str | None = field(repr=False)
    created_at: float
    expires_at: float
    status: str = contract.QR_NEW
    #: The app's client_ticket as read by the phone from the QR code.
    client_ticket: str = field(default="", repr=False)
    code: str | None = field(default=None, repr=False)
    granted_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestRecord:
    """One request as logged: names only, never values (no query or form values).

    Example:
        >>> RequestRecord("POST", "/v2/oauth/token/", "token", (), ("code", "grant_type"),
        ...               "application/x-www-form-urlencoded", None, 200, None, 0.0).form_fields
        ('code', 'grant_type')
    """

    method: str
    path: str
    endpoint: str
    query_fields: tuple[str, ...]
    form_fields: tuple[str, ...]
    content_type: str
    #: The scheme of the Authorization header ("Bearer"), None when absent.
    auth_scheme: str | None
    status: int | None
    #: The fault kind applied to this request, if any.
    fault: str | None
    at: float


class SandboxState:
    """The sandbox's memory. Lock :attr:`lock` around every read-modify-write.

    Example:
        >>> SandboxState().count("token")
        0
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.consents: dict[str, ConsentRecord] = {}
        self.codes: dict[str, CodeRecord] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.qr_sessions: dict[str, QrSession] = {}
        self.requests: list[RequestRecord] = []
        self.counts: Counter[str] = Counter()
        #: Sliding-window timestamps of /v2/user/info/ calls, per client_key.
        self.rate_windows: dict[str, deque[float]] = {}

    # --- storing --------------------------------------------------------------------
    def add_consent(self, consent: ConsentRecord) -> ConsentRecord:
        """Remember a consent under its id."""
        with self.lock:
            self.consents[consent.consent_id] = consent
            return consent

    def add_code(self, code: CodeRecord) -> CodeRecord:
        """Remember an authorization code."""
        with self.lock:
            self.codes[code.code] = code
            return code

    def add_qr_session(self, session: QrSession) -> QrSession:
        """Remember a QR session under its polling token."""
        with self.lock:
            self.qr_sessions[session.token] = session
            return session

    def new_token(
        self,
        kind: TokenKind,
        *,
        client_key: str,
        open_id: str | None,
        scopes: tuple[str, ...],
        now: float,
        lifetime: float,
        grant_id: str,
    ) -> TokenRecord:
        """Store a fresh token with the contract's prefix (``act.``/``rft.``/``clt.``)."""
        record = TokenRecord(
            value=new_token_value(kind),
            kind=kind,
            client_key=client_key,
            open_id=open_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + lifetime,
            grant_id=grant_id,
        )
        with self.lock:
            self.tokens[record.value] = record
        return record

    # --- queries ------------------------------------------------------------------
    def grant_tokens(self, grant_id: str) -> list[TokenRecord]:
        """Every token of one login."""
        with self.lock:
            return [t for t in self.tokens.values() if t.grant_id == grant_id]

    def qr_by_id(self, qrcode_id: str) -> QrSession | None:
        """The QR session a phone found in a scanned URL."""
        with self.lock:
            return next((s for s in self.qr_sessions.values() if s.qrcode_id == qrcode_id), None)

    def count(self, endpoint: str) -> int:
        """How many requests reached ``endpoint`` (faulted ones included)."""
        with self.lock:
            return self.counts[endpoint]

    def log_request(self, record: RequestRecord) -> None:
        """Append to the request log and bump the endpoint's counter."""
        with self.lock:
            self.requests.append(record)
            self.counts[record.endpoint] += 1
