"""The QR code flow: TikTok's app on a phone scans a code, the desktop polls until confirmed.

https://developers.tiktok.com/doc/login-kit-qr-code-authorization. We make our own
``client_ticket`` and put it in place of ``tobefilled``; every non-empty ticket TikTok
echoes must be ours, and a ``confirmed`` answer without our ticket is refused: its code is
never exchanged. The code comes from ``redirect_uri``'s query or from a bare ``code`` field.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response
    >>> flow = QrFlow(Config("aw_key", "s"), random=lambda alphabet, n: "T" * n)
    >>> _ = flow.start()
    >>> flow.send(Response(200, {}, b'{"scan_qrcode_url": "aweme://authorize?client_ticket=tobefilled", "token": "qr1"}'))
    ShowQrCode()
    >>> flow.qr_url == "aweme://authorize?client_ticket=" + "T" * 64
    True
"""

from __future__ import annotations

import hmac
import urllib.parse
from typing import Any

from .. import _contract as contract
from .. import _pkce as pkce
from .. import _tiktok as tiktok
from .. import logs
from .._config import LOOPBACK_HOSTS, Config, check_timeout
from .._errors import FlowTimeout, ProtocolError, QrAnswerRefused, QrCodeExpired, QrCodeUtilised, QrTicketMismatch
from .._http import Request
from .._token import Token
from . import _snapshot as snapshots
from ._base import RETRYING, StateSpec, t
from ._effects import Shown, ShowQrCode, Sleep
from ._exchange import CodeExchange

__all__ = ["QrFlow"]

_POLLING = ("awaiting_scan", "scanned")
_WAIT_SCAN = "Waiting for the QR code to be scanned in the TikTok app"
#: No code TikTok issues comes near this (they are about 100 characters).
MAX_CODE_CHARS = 1024


def _refusal(status: tiktok.QrStatus, config: Config) -> str | None:
    """Why a confirmation must not be exchanged: an impossible code, or a redirect that is not
    this app's (not https or loopback http, credentials in it, or not the https redirect URI
    the app registered). None when it may be."""
    code = status.code or ""
    if len(code) > MAX_CODE_CHARS or not code.isprintable() or " " in code:
        return "its code is not one TikTok issues"
    if status.redirect_uri is None:
        return None
    try:
        parts = urllib.parse.urlsplit(status.redirect_uri)
        host = parts.hostname
    except ValueError:
        return "its redirect_uri is not a URL"
    loopback_http = parts.scheme == "http" and host in LOOPBACK_HOSTS
    if len(status.redirect_uri) >= 512 or parts.username is not None or not (parts.scheme == "https" or loopback_http):
        return "its redirect_uri is not an app's redirect URI"
    registered = (config.redirect_uri or "").partition("?")[0]
    if registered.startswith("https://") and status.redirect_uri != registered:
        return "its redirect_uri is not this app's"
    return None


class QrFlow(CodeExchange):
    """Log in by QR code: get a code, show it, poll check_qrcode, exchange the code."""

    KIND = "qr"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("requesting_qrcode", enter="_enter_requesting", handle="_on_qrcode", doc="POST get_qrcode"),
        StateSpec("showing_qrcode", enter="_enter_showing", handle="_on_shown", doc="the QR code goes on screen",
                  waiting=_WAIT_SCAN),
        StateSpec("awaiting_scan", enter="_enter_polling", handle="_on_status", doc="polling: status new",
                  waiting=_WAIT_SCAN),
        StateSpec("scanned", enter="_enter_polling", handle="_on_status", doc="polling: scanned, not confirmed",
                  waiting="Scanned; waiting for you to confirm in the TikTok app"),
        StateSpec("exchanging", enter="_enter_exchanging", handle="_on_token", doc="code -> token"),
        StateSpec("authorized", enter="_enter_authorized", final=True, doc="token issued"),
        StateSpec("expired", final=True, doc="the QR code expired: ask for a new one"),
        StateSpec("utilised", final=True, doc="the code was used already"),
        StateSpec("refused", final=True, doc="a missing or foreign client_ticket"),
        StateSpec("timed_out", final=True, doc="nobody confirmed in time"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    _LIVE = ("created", "requesting_qrcode", "showing_qrcode", "awaiting_scan", "scanned", "exchanging")
    TRANSITIONS = (
        t("start", "created", "requesting_qrcode"),
        t("poll_existing", "created", "awaiting_scan"),
        t("retry", "requesting_qrcode", "requesting_qrcode"),
        t("retry", "awaiting_scan", "awaiting_scan"),
        t("retry", "scanned", "scanned"),
        t("retry", "exchanging", "exchanging"),
        t("qrcode_issued", "requesting_qrcode", "showing_qrcode"),
        t("qrcode_shown", "showing_qrcode", "awaiting_scan"),
        t("scan", "awaiting_scan", "scanned"),
        t("confirm", _POLLING, "exchanging"),
        t("expire", _POLLING, "expired"),
        t("utilise", _POLLING, "utilised"),
        t("refuse_ticket", _POLLING, "refused"),
        t("refuse_answer", _POLLING, "refused"),
        t("time_out", ("showing_qrcode", *_POLLING), "timed_out"),
        t("token_issued", "exchanging", "authorized"),
        t("fail", ("requesting_qrcode", *_POLLING, "exchanging"), "failed"),
        t("cancel", _LIVE, "cancelled"),
    )
    RESUMABLE = ("showing_qrcode", "awaiting_scan", "scanned")
    SNAPSHOT_FIELDS = {
        "qr_token": snapshots.TOKEN,
        "client_ticket": snapshots.text(min_len=22, max_len=511, alphabet=contract.VERIFIER_ALPHABET),
        "qr_url": snapshots.optional(snapshots.text(max_len=8192)),
        "csrf_state": snapshots.optional(snapshots.STATE),
        "timeout": snapshots.TIMEOUT,
        "interval": snapshots.seconds(0.05, 60),
    }
    TIMED = ("showing_qrcode", "awaiting_scan", "scanned")

    __slots__ = ("qr_token", "client_ticket", "qr_url", "csrf_state", "interval", "redirect_uri")

    def __init__(
        self,
        config: Config,
        *,
        qr_token: str | None = None,
        client_ticket: str | None = None,
        timeout: float = 300.0,
        interval: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, **kwargs)
        self._init_data()
        self.qr_token = qr_token
        self.client_ticket = client_ticket or pkce.new_client_ticket(config.client_ticket_length, source=self.random)
        # The state is ours to check only when this flow asked for the QR code itself; a flow
        # polling an existing code (oauth_qrcode) relies on the client_ticket alone.
        self.csrf_state = None if qr_token else pkce.new_state(config.csrf_state_length, source=self.random)
        self.timeout = check_timeout(timeout)
        self.interval = config.qr_poll_interval if interval is None else check_timeout(interval, "interval")
        for secret in (qr_token, self.client_ticket, self.csrf_state):
            logs.register_secret(secret, owner=self)

    def _init_data(self) -> None:
        self.qr_url: str | None = None
        self.code: str | None = None
        self.redirect_uri: str | None = None
        self.token: Token | None = None

    # ------------------------------------------------------------------ get_qrcode
    def _begin(self) -> None:
        if self.qr_token:
            self.deadline = self.clock() + self._seconds()
            self._fire("poll_existing")
        else:
            self._fire("start")

    def _get_qrcode(self) -> Request:
        return tiktok.get_qrcode_request(self.config, state=self.csrf_state)

    def _enter_requesting(self, event: object) -> None:
        self._send(self._get_qrcode())

    def _on_qrcode(self, result: object) -> None:
        qrcode = self._read(result, self._get_qrcode, tiktok.parse_get_qrcode)
        if qrcode is RETRYING:
            return
        self.qr_token = qrcode.token
        logs.register_secret(self.qr_token, owner=self)
        self.qr_url = tiktok.fill_client_ticket(qrcode.scan_qrcode_url, self.client_ticket)
        self.deadline = self.clock() + self._seconds()
        self._fire("qrcode_issued")

    def _enter_showing(self, event: object) -> None:
        assert self.qr_url is not None
        self.effect = ShowQrCode(self.qr_url)

    def _on_shown(self, result: object) -> None:
        self._expect(result, Shown)
        if not self._timed_out():
            self._fire("qrcode_shown")

    # ------------------------------------------------------------------ polling
    def _check(self) -> Request:
        assert self.qr_token is not None
        return tiktok.check_qrcode_request(self.config, self.qr_token)

    def _enter_polling(self, event: object) -> None:
        self._send(self._check())

    def _timed_out(self) -> bool:
        if self.deadline is not None and self.clock() >= self.deadline:
            self._end_with("time_out", FlowTimeout(f"the QR code was not confirmed within {self.timeout:g} s"))
            return True
        return False

    def _on_status(self, result: object) -> None:
        if self._timed_out():
            return
        answer = self._read(result, self._check, tiktok.parse_check_qrcode)
        if answer is RETRYING:
            return
        status: tiktok.QrStatus = answer
        ticket = status.client_ticket
        if ticket and not hmac.compare_digest(ticket.encode(), self.client_ticket.encode()):
            self._end_with("refuse_ticket", QrTicketMismatch())
            return
        if status.status == contract.QR_CONFIRMED:
            self._confirmed(status)
        elif status.status == contract.QR_EXPIRED:
            self._end_with("expire", QrCodeExpired())
        elif status.status == contract.QR_UTILISED:
            self._end_with("utilise", QrCodeUtilised())
        elif status.status == contract.QR_SCANNED and self.state == "awaiting_scan":
            self._fire("scan", qr_status=status.status)
            self._wait()
        else:
            self._wait()

    def _wait(self) -> None:
        if self.deadline is not None and self.clock() + self.interval >= self.deadline:
            self.effect = Sleep(max(0.0, self.deadline - self.clock()))
        else:
            self.effect = Sleep(self.interval)

    def _confirmed(self, status: tiktok.QrStatus) -> None:
        if not status.client_ticket:
            self._end_with("refuse_ticket", QrTicketMismatch())
            return
        if not status.code:
            raise ProtocolError("the confirmed QR answer carries no code")
        if (
            self.csrf_state
            and status.state is not None
            and not hmac.compare_digest(status.state.encode(), self.csrf_state.encode())
        ):
            self._end_with("refuse_ticket", QrTicketMismatch())
            return
        refused = _refusal(status, self.config)
        if refused:
            self._end_with("refuse_answer", QrAnswerRefused(refused))
            return
        self.code = status.code
        self.redirect_uri = status.redirect_uri
        logs.register_secret(self.code, owner=self)
        self._fire("confirm", qr_status=status.status)

    # ------------------------------------------------------------------ exchange
    def _exchange(self) -> Request:
        assert self.code is not None
        # Which extra fields a QR code's exchange needs is undocumented: send the redirect the
        # confirmation named, else the configured one when it is a concrete URI; no verifier.
        redirect = self.redirect_uri or (None if self.config.wildcard_port else self.config.redirect_uri)
        return tiktok.exchange_request(self.config, code=self.code, redirect_uri=redirect, code_verifier=None)
