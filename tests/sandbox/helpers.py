"""Helpers for the sandbox's own tests: a tiny hand-written "app" that drives logins over
plain HTTP (no pytok_sm client code: the emulator is tested on its own, against the
contract), and a stand-in for an app's loopback callback server."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox._authorize import DECISION_PATH

REDIRECT_URI = "http://127.0.0.1:3456/callback/"


def make_verifier(length: int = 64) -> str:
    """A random RFC 7636 verifier of ``length`` characters."""
    alphabet = contract.VERIFIER_ALPHABET
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hex_of(verifier: str) -> str:
    """TikTok's challenge, written independently of the sandbox's own helper."""
    return hashlib.sha256(verifier.encode()).hexdigest()


def query_of(url: str) -> dict[str, str]:
    """The query of ``url`` as a dict of single (percent-decoded) values."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def revoked_reason(sb: Sandbox, token: str) -> str | None:
    """Why the sandbox killed ``token`` (None while alive); the token must exist."""
    record = sb.token(token)
    assert record is not None, "the sandbox never issued this token"
    return record.revoked_reason


def fill_ticket(scan_url: str, ticket: str) -> str:
    """Replace the value of the client_ticket parameter only (as the app must)."""
    placeholder = f"client_ticket={contract.CLIENT_TICKET_PLACEHOLDER}"
    assert scan_url.count(placeholder) == 1
    return scan_url.replace(placeholder, f"client_ticket={ticket}")


@dataclass
class Login:
    """What the callback of one approved login carried, plus the verifier that goes with it."""

    code: str
    scopes: str
    state: str | None
    verifier: str
    redirect_uri: str
    location: str


@dataclass
class AppDriver:
    """A minimal hand-written TikTok client for the tests (plain httpx, form bodies).

    The ``app`` fixture is one of these for the sandbox's desktop app.
    """

    sb: Sandbox
    http: httpx.Client
    client_key: str = ""
    client_secret: str = ""

    REDIRECT_URI = REDIRECT_URI
    make_verifier = staticmethod(make_verifier)
    hex_of = staticmethod(hex_of)
    query_of = staticmethod(query_of)
    fill_ticket = staticmethod(fill_ticket)

    def __post_init__(self) -> None:
        self.client_key = self.client_key or self.sb.client_key
        self.client_secret = self.client_secret or self.sb.client_secret

    # --- authorize --------------------------------------------------------------------
    def authorize_params(self, verifier: str | None = None, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "client_key": self.client_key,
            "scope": "user.info.basic",
            "redirect_uri": REDIRECT_URI,
            "state": "state-123",
            "response_type": "code",
            "code_challenge": hex_of(verifier or make_verifier()),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def authorize(self, verifier: str | None = None, **overrides: str | None) -> httpx.Response:
        return self.http.get(contract.AUTHORIZE_PATH, params=self.authorize_params(verifier, **overrides))

    def decide(
        self, page: httpx.Response, decision: str = "approve", scopes: list[str] | None = None
    ) -> httpx.Response:
        assert page.status_code == 200, page.text
        consent = re.search(r'name="consent" value="([^"]+)"', page.text)
        assert consent is not None
        if scopes is None:
            scopes = re.findall(r'type="checkbox" name="scope" value="([^"]+)" checked', page.text)
        data: dict[str, Any] = {"consent": consent.group(1), "decision": decision, "scope": scopes}
        return self.http.post(DECISION_PATH, data=data)

    def login(
        self,
        scope: str = "user.info.basic",
        *,
        verifier: str | None = None,
        ticked: list[str] | None = None,
        **overrides: str | None,
    ) -> Login:
        """Authorize and approve; ``ticked`` are the optional scopes left ticked (None: all)."""
        verifier = verifier or make_verifier()
        params = self.authorize_params(verifier, scope=scope, **overrides)
        answer = self.decide(self.http.get(contract.AUTHORIZE_PATH, params=params), scopes=ticked)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        q = query_of(location)
        return Login(q["code"], q["scopes"], q.get("state"), verifier, params["redirect_uri"], location)

    # --- OAuth endpoints --------------------------------------------------------------
    def post(self, path: str, **fields: str | None) -> httpx.Response:
        return self.http.post(path, data={k: v for k, v in fields.items() if v is not None})

    def exchange(self, login: Login, /, **overrides: str | None) -> httpx.Response:
        fields: dict[str, str | None] = {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "code": login.code,
            "grant_type": "authorization_code",
            "redirect_uri": login.redirect_uri,
            "code_verifier": login.verifier,
        }
        fields.update(overrides)
        return self.post(contract.TOKEN_PATH, **fields)

    def tokens(self, scope: str = "user.info.basic") -> dict[str, Any]:
        answer = self.exchange(self.login(scope))
        assert answer.status_code == 200 and "access_token" in answer.json(), answer.text
        return dict(answer.json())

    def refresh(self, refresh_token: str | None, /, **overrides: str | None) -> httpx.Response:
        fields: dict[str, str | None] = {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        fields.update(overrides)
        return self.post(contract.TOKEN_PATH, **fields)

    def revoke(self, token: str, /, **overrides: str | None) -> httpx.Response:
        fields: dict[str, str | None] = {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "token": token,
        }
        fields.update(overrides)
        return self.post(contract.REVOKE_PATH, **fields)

    def user_info(self, access_token: str | None, fields: str = "open_id,display_name") -> httpx.Response:
        headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        return self.http.get(contract.USER_INFO_PATH, params={"fields": fields}, headers=headers)

    # --- QR ---------------------------------------------------------------------------
    def get_qrcode(self, scope: str = "user.info.basic", state: str | None = "qr-state") -> dict[str, str]:
        answer = self.post(contract.GET_QRCODE_PATH, client_key=self.client_key, scope=scope, state=state)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def check_qrcode(self, token: str, /, **overrides: str | None) -> httpx.Response:
        fields: dict[str, str | None] = {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "token": token,
        }
        fields.update(overrides)
        return self.post(contract.CHECK_QRCODE_PATH, **fields)


@dataclass
class CallbackReceiver:
    """A stand-in for an app's loopback callback server: records each query it receives."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    queries: list[dict[str, str]] = field(default_factory=list)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/callback/"
