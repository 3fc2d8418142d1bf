"""The secrets canary (docs/ROBUSTNESS.md, "Secrets").

Every secret gets a unique value: the client_secret (the sandbox app is registered with a
canary), the CSRF state, the PKCE verifier and the QR client_ticket (the kit's ``random=``
source hands out canary-marked values), and the code, access token, refresh token and QR
token (made by the sandbox, collected from it after the run, plus a canary code of our
own). Then every flow and a fault row of every error class runs, with

* the stdlib root logger at DEBUG (httpx's and httpcore's loggers too) into a buffer,
* structlog unconfigured (pytok_sm's events go to the stdlib logger), or configured through
  ``pytok_sm.logs.processors(json=False)`` or ``processors(json=True)`` into a buffer,

and these places are scanned for each secret, its percent-encoded form and a 16-character
slice of it: the logs, str/repr/traceback of every exception, repr/str of every Token,
Flow, effect, Config, Request and Response, stdout/stderr, every page the loopback server
answered, cassettes/, and files written during the run (temp dir, repository). Zero hits.

The fake browser's own HTTP traffic is not the app's: should anything log in its thread
(the authorize and callback URLs, as a real browser's history would), it is left out by
thread name.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import logging
import os
import secrets
import socket
import tempfile
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
import sentry_sdk.transport
import structlog

import pytok_sm
from pytok_sm import AsyncLoginKit, LoginKit, Token
from pytok_sm import _tiktok as tiktok
from pytok_sm._errors import (
    AccessTokenInvalid,
    ApiError,
    AuthorizationDenied,
    CallbackPortBusy,
    CallbackRejected,
    CallbackReplayed,
    ConfigurationError,
    FlowTimeout,
    NotLoggedIn,
    OAuthError,
    ProtocolError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    TikTokError,
    TransportError,
)
from pytok_sm.drivers import SyncDriver
from pytok_sm.flows import QrFlow, Request, Send, parse_callback_query
from pytok_sm.flows._base import Flow
from pytok_sm.logs import processors
from pytok_sm.sandbox import App, Sandbox
from pytok_sm.testing import FakeBrowser

from .sandbox_kit import FIELDS, async_transport, browser_login, kit_settings, qr_login, transport, wait_until_done

REPO = Path(__file__).resolve().parents[2]
BROWSER_THREAD = "FakeBrowser"
STATE_LENGTH, VERIFIER_LENGTH, TICKET_LENGTH = 40, 72, 50  # distinct, so the random source knows what it makes


# --------------------------------------------------------------------------- canaries
@dataclass
class Canaries:
    """The secrets of one run, by kind. Ours are marked ``cnry``; the sandbox's are collected."""

    client_secret: str = field(default_factory=lambda: f"cnry-client-secret-{secrets.token_hex(12)}")
    made: dict[str, list[str]] = field(default_factory=lambda: {"state": [], "verifier": [], "client_ticket": []})
    codes: list[str] = field(default_factory=list)
    _counter: Iterator[int] = field(default_factory=itertools.count)

    def random(self, alphabet: str, length: int) -> str:
        """The kit's ``random=`` source: a canary of the asked length, from the asked alphabet."""
        kind = {STATE_LENGTH: "state", VERIFIER_LENGTH: "verifier", TICKET_LENGTH: "client_ticket"}[length]
        head = f"cnry{kind.replace('_', '')}{next(self._counter):03d}-"
        value = head + "".join(secrets.choice(alphabet) for _ in range(length - len(head)))
        assert len(value) == length and set(value) <= set(alphabet)
        self.made[kind].append(value)
        return value

    def code(self) -> str:
        """An authorization code of our own (TikTok's shape: ``*`` and ``!`` need encoding)."""
        value = f"cnrycode{secrets.token_urlsafe(24)}*1!0042"
        self.codes.append(value)
        return value

    def collect(self, sb: Sandbox) -> dict[str, list[str]]:
        """Every secret of the run, ours and those the sandbox issued."""
        return {
            "client_secret": [self.client_secret],
            **{kind: list(values) for kind, values in self.made.items()},
            "code": [c.code for c in sb.codes] + self.codes,
            "access_token": [t.value for t in sb.tokens("access")],
            "refresh_token": [t.value for t in sb.tokens("refresh")],
            "qr_token": [s.token for s in sb.qr_sessions],
        }


def forms(secret: str) -> set[str]:
    """What a leak could look like: the value, percent-encoded, and a slice of its middle."""
    found = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    if len(secret) >= 24:
        start = len(secret) // 4
        found.add(secret[start : start + 16])
    return found


@dataclass(frozen=True)
class Hit:
    kind: str
    place: str
    context: str


def scan(secrets_by_kind: dict[str, list[str]], places: dict[str, str]) -> list[Hit]:
    hits = []
    for kind, values in secrets_by_kind.items():
        for value in values:
            for form in forms(value):
                for place, text in places.items():
                    at = text.find(form)
                    if at >= 0:
                        hits.append(Hit(kind, place, text[max(0, at - 60) : at + len(form) + 60]))
    return hits


def test_the_scan_finds_a_secret_whole_percent_encoded_or_cut() -> None:
    """The scanner itself can fail: a planted secret in any shape is reported."""
    code = "cnrycodeAbCdEfGhIjKlMnOpQrStUvWx*1!0042"
    places = {
        "whole": f"exchanging {code} now",
        "encoded": f"GET /callback/?code={urllib.parse.quote(code, safe='')}",
        "cut": f"code starts {code[:30]}",
        "clean": "nothing to see",
    }
    assert {hit.place for hit in scan({"code": [code]}, places)} == {"whole", "encoded", "cut"}


# --------------------------------------------------------------------------- capturing
class SkipBrowserThread(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != BROWSER_THREAD


@contextlib.contextmanager
def captured_logs(mode: str) -> Iterator[dict[str, io.StringIO]]:
    """The root logger, httpx and httpcore at DEBUG into one buffer; structlog, when the mode
    configures it, through pytok_sm's processor chain into another."""
    stdlib, rendered = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(stdlib)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(threadName)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(SkipBrowserThread())
    root = logging.getLogger()
    loggers = [root, logging.getLogger("httpx"), logging.getLogger("httpcore"), logging.getLogger("pytok_sm")]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    structlog.reset_defaults()
    if mode != "stdlib":
        structlog.configure(
            processors=processors(json=mode == "structlog-json"),
            logger_factory=structlog.PrintLoggerFactory(file=rendered),
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
            cache_logger_on_first_use=False,
        )
    try:
        yield {"stdlib": stdlib, "structlog": rendered}
    finally:
        structlog.reset_defaults()
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass
class Seen:
    """Everything the run produced that a person or a log could see."""

    errors: list[tuple[str, BaseException]] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    sent: list[tuple[Request, object]] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    kits: list[LoginKit] = field(default_factory=list)


@contextlib.contextmanager
def recording(monkeypatch: pytest.MonkeyPatch, seen: Seen) -> Iterator[None]:
    """Keep every flow made and every request sent (with its answer) for the repr scan."""
    flow_init, driver_send = Flow.__init__, SyncDriver._send

    def init(self: Flow, *args: Any, **kwargs: Any) -> None:
        flow_init(self, *args, **kwargs)
        seen.flows.append(self)

    def send(self: SyncDriver, effect: Send) -> object:
        answer = driver_send(self, effect)
        seen.sent.append((effect.request, answer))
        return answer

    monkeypatch.setattr(Flow, "__init__", init)
    monkeypatch.setattr(SyncDriver, "_send", send)
    yield


# --------------------------------------------------------------------------- the tour
@dataclass
class Tour:
    """Every flow and a fault row of every error class, against one sandbox."""

    sb: Sandbox
    canaries: Canaries
    seen: Seen

    def kit(self, **overrides: Any) -> LoginKit:
        settings = kit_settings(self.sb, transport=transport(), random=self.canaries.random,
                                csrf_state_length=STATE_LENGTH, code_verifier_length=VERIFIER_LENGTH,
                                client_ticket_length=TICKET_LENGTH)
        settings.update(overrides)
        kit = LoginKit(self.sb.client_key, self.canaries.client_secret, **settings)
        self.seen.kits.append(kit)
        return kit

    def ok(self, what: str, action: Callable[[], Any]) -> Any:
        result = action()
        if isinstance(result, Token):
            self.seen.tokens.append(result)
        return result

    def fails(self, what: str, error: type[TikTokError], action: Callable[[], Any]) -> None:
        try:
            action()
        except TikTokError as exc:
            assert type(exc) is error, f"{what}: {exc!r}"
            self.seen.errors.append((what, exc))
        else:
            pytest.fail(f"{what}: no {error.__name__}")

    def logged_in(self, kit: LoginKit) -> Token:
        return kit.load_token(self.sb.issue_tokens(["user.info.basic"]))

    def browse(self, kit: LoginKit, browser: FakeBrowser) -> Token:
        try:
            return browser_login(kit, browser)
        finally:
            self.seen.pages.append(browser.last_callback_body or "")

    def run(self) -> None:
        self.flows()
        asyncio.run(self.async_flows())
        self.people_and_settings()
        self.fault_rows()

    def flows(self) -> None:
        sb, kit = self.sb, self.kit()
        browser = FakeBrowser()
        self.ok("browser login", lambda: self.browse(kit, browser))
        assert self.canaries.made["state"][0] in browser.opened_urls[0]  # the canaries are really in use
        self.ok("user info", lambda: kit.get_user_info(FIELDS))
        self.ok("refresh", kit.refresh_access_token)
        sb.kill_token(kit.current_access_token or "")
        self.ok("user info after a 401: one refresh, one retry", lambda: kit.get_user_info(FIELDS))
        assert kit.token is not None
        kit.load_token(Token.from_dict({**kit.token.to_dict(), "expires_at": time.time() - 1}))
        self.ok("user info with an expired token", lambda: kit.get_user_info(FIELDS))
        self.ok("QR login", lambda: qr_login(kit, sb))
        assert sb.qr_sessions[-1].client_ticket in self.canaries.made["client_ticket"]
        url, qr_token, ticket = kit.generate_qr_code()
        sb.phone_confirm(url)
        self.ok("QR login, split", lambda: kit.oauth_qrcode(qr_token, ticket, timeout=5))
        self.ok("revoke", kit.revoke_access_token)

        web = self.kit(port=3456, redirect_uri="http://127.0.0.1:3456/callback/")
        url, snapshot = web.begin_browser_login()
        browser = FakeBrowser(follow_redirect=False)  # in its own thread: its traffic is the browser's
        browser(url)
        browser.join(5)
        query = urllib.parse.urlsplit(browser.callback_url or "").query
        self.ok("web login", lambda: web.complete_browser_login(snapshot, query))
        self.fails("web callback replayed", CallbackReplayed, lambda: web.complete_browser_login(snapshot, query))
        self.fails("web callback forged", CallbackRejected,
                   lambda: web.complete_browser_login(snapshot, f"code={self.canaries.code()}&state=forged"))

    async def async_flows(self) -> None:
        """The async kit and driver: the same flows, another code path for I/O."""
        sb = self.sb
        settings = kit_settings(sb, transport=async_transport(), random=self.canaries.random,
                                csrf_state_length=STATE_LENGTH, code_verifier_length=VERIFIER_LENGTH,
                                client_ticket_length=TICKET_LENGTH)
        async with AsyncLoginKit(sb.client_key, self.canaries.client_secret, **settings) as kit:
            browser = FakeBrowser()
            self.seen.tokens.append(await kit.oauth_server(timeout=10, open_browser=browser))
            wait_until_done(browser)
            self.seen.pages.append(browser.last_callback_body or "")
            await kit.get_user_info(FIELDS)
            self.seen.tokens.append(await kit.refresh_access_token())
            self.seen.tokens.append(await kit.run(QrFlow(kit.config, timeout=5), show_qr=sb.phone_confirm))
            sb.faults.add("token", "connection_reset", process=True)
            lost = await _raised(kit.refresh_access_token())
            assert isinstance(lost, TransportError), repr(lost)
            await kit.revoke_access_token()
            logged_out = await _raised(kit.get_user_info(FIELDS))
            assert isinstance(logged_out, NotLoggedIn), repr(logged_out)
            self.seen.errors += [("async refresh, answer lost", lost), ("async, not logged in", logged_out)]

    def people_and_settings(self) -> None:
        kit = self.kit()
        self.logged_in(kit)
        self.fails("denied on the consent page", AuthorizationDenied,
                   lambda: self.browse(kit, FakeBrowser(decision="deny")))
        self.fails("denied, straight redirect", AuthorizationDenied, lambda: self.browse(kit, FakeBrowser("deny", consent=False)))
        self.fails("a code TikTok never issued", OAuthError,
                   lambda: self.browse(kit, FakeBrowser(consent=False, code=self.canaries.code())))
        self.fails("nobody comes back", FlowTimeout, lambda: browser_login(kit, lambda url: True, timeout=0.3))
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            fixed = self.kit(port=port, redirect_uri=f"http://127.0.0.1:{port}/callback/")
            self.fails("port busy", CallbackPortBusy, lambda: browser_login(fixed, FakeBrowser()))
        self.fails("not logged in", NotLoggedIn, self.kit().revoke_access_token)
        self.fails("a secret with a newline", ConfigurationError,
                   lambda: LoginKit(self.sb.client_key, self.canaries.client_secret + "\n"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = probe.getsockname()[1]
        offline = self.kit(base_api_url=f"http://127.0.0.1:{dead}/v2/")
        self.logged_in(offline)
        self.fails("connection refused", TransportError, offline.refresh_access_token)

    def fault_rows(self) -> None:
        sb, kit = self.sb, self.kit()
        impatient = self.kit(call_deadline=0.3)
        calls: dict[str, Callable[[], Any]] = {
            "exchange": lambda: self.browse(kit, FakeBrowser()),
            "refresh": kit.refresh_access_token,
            "refresh, short deadline": impatient.refresh_access_token,
            "user_info": lambda: kit.get_user_info(FIELDS),
            "get_qrcode": kit.generate_qr_code,
            "qr": lambda: qr_login(kit, sb),
            "revoke": kit.revoke_access_token,
        }
        rows: list[tuple[str, str, dict[str, Any], int, str, type[TikTokError]]] = [
            ("token", "oauth_error_200", {"error": "invalid_client"}, 1, "exchange", OAuthError),
            ("token", "connection_reset", {"process": True}, 1, "exchange", TransportError),
            ("token", "truncated_json", {}, 1, "exchange", ProtocolError),
            ("token", "connection_reset", {"process": True}, 1, "qr", TransportError),
            ("token", "redirect_302", {}, 1, "refresh", ProtocolError),
            ("token", "rate_limit_429", {"retry_after": 30}, 1, "refresh", RateLimited),
            ("token", "odd_fields", {"drop": ("access_token",)}, 1, "refresh", ProtocolError),
            ("token", "slow_drip", {"seconds": 1.0}, 1, "refresh, short deadline", TransportError),
            ("user_info", "api_error", {"code": "invalid_params"}, 1, "user_info", ApiError),
            ("user_info", "api_error", {"code": "access_token_invalid"}, 2, "user_info", AccessTokenInvalid),
            ("user_info", "html_5xx", {}, 3, "user_info", ProtocolError),
            ("user_info", "nan_json", {}, 1, "user_info", ProtocolError),
            ("user_info", "deep_json", {}, 1, "user_info", ProtocolError),
            ("user_info", "not_json", {}, 1, "user_info", ProtocolError),
            ("get_qrcode", "non_object_json", {}, 1, "get_qrcode", ProtocolError),
            ("check_qrcode", "odd_fields", {"overrides": {"client_ticket": "someone-elses-ticket-01"}}, 1, "qr",
             QrTicketMismatch),
            ("check_qrcode", "odd_fields", {"overrides": {"status": "utilised"}}, 1, "qr", QrCodeUtilised),
            ("check_qrcode", "odd_fields", {"overrides": {"status": "expired", "client_ticket": ""}}, 1, "qr",
             QrCodeExpired),
            ("revoke", "temporarily_unavailable", {}, 3, "revoke", OAuthError),
        ]
        for endpoint, kind, params, times, call, error in rows:
            for each in (kit, impatient):
                self.logged_in(each)
            sb.faults.add(endpoint, kind, times=times, **params)
            self.fails(f"{kind} on {call}", error, calls[call])
            sb.faults.clear()

        self.logged_in(kit)
        sb.switches.missing_scope_error = "scope_not_authorized"
        self.fails("scope not granted", ScopeError, lambda: kit.get_user_info(("open_id", "follower_count")))
        sb.kill_token((kit.token.refresh_token if kit.token else None) or "")
        self.fails("refresh token dead", ReauthorizationRequired, kit.refresh_access_token)
        sb.kill_token(kit.current_access_token or "")
        self.ok("revoke of a dead token", kit.revoke_access_token)


async def _raised(call: Any) -> BaseException:
    try:
        await call
    except TikTokError as exc:
        return exc
    raise AssertionError("no error")


# --------------------------------------------------------------------------- the places
def exception_texts(error: BaseException) -> list[str]:
    """The error as a traceback, with every frame's locals (as ``capture_locals=True`` and
    Sentry show them), and every error of its chain."""
    texts = ["".join(traceback.format_exception(error))]
    with library_frames_only(error):
        texts.append("".join(traceback.TracebackException.from_exception(error, capture_locals=True).format()))
    chain: BaseException | None = error
    visited: set[int] = set()
    while chain is not None and id(chain) not in visited:
        visited.add(id(chain))
        texts += [str(chain), repr(chain), repr(chain.args)]
        chain = chain.__cause__ or chain.__context__
    return texts


LIBRARY = str(Path(pytok_sm.__file__).parent)


@contextlib.contextmanager
def library_frames_only(error: BaseException) -> Iterator[None]:
    """Show only the library's frames of ``error`` (and of its chain): the test's own frames
    (the tour, its lambdas) hold the canaries by design."""
    saved: list[tuple[BaseException, Any]] = []
    chain: BaseException | None = error
    while chain is not None and all(chain is not e for e, _ in saved):
        tb = chain.__traceback__
        saved.append((chain, tb))
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(LIBRARY):
            tb = tb.tb_next
        chain.__traceback__ = tb
        chain = chain.__cause__ or chain.__context__
    try:
        yield
    finally:
        for chained, tb in saved:
            chained.__traceback__ = tb


class _Reports(sentry_sdk.transport.Transport):
    """Keeps every envelope in memory: nothing leaves the process."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.sent: list[str] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.sent.append(envelope.serialize().decode("utf-8", "replace"))


def sentry_reports(errors: list[BaseException]) -> list[str]:
    """Each error as the real sentry-sdk reports it with its default settings (which send
    the local variables of every frame), captured in-process."""
    transport = _Reports()
    client = sentry_sdk.Client(dsn="http://public@127.0.0.1:9/1", transport=transport, default_integrations=False)
    reports = []
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        for error in errors:
            before = len(transport.sent)
            with library_frames_only(error):
                scope.capture_exception(error)
            client.flush(timeout=5)
            assert len(transport.sent) == before + 1, "sentry-sdk sent no report"
            reports.append(transport.sent[-1])
    assert all('"vars"' in report for report in reports), "the reports carry no frame locals"
    return reports


def object_texts(seen: Seen) -> list[str]:
    texts: list[str] = []
    for flow in seen.flows:
        texts += [repr(flow), str(flow), repr(flow.effect), repr(flow.error), repr(flow.config)]
        if isinstance(flow.effect, Send):
            texts.append(str(flow.effect.request))
    for request, answer in seen.sent:
        texts += [repr(request), str(request), repr(Send(request)), repr(answer)]
    for token in seen.tokens:
        texts += [repr(token), str(token)]
    for kit in seen.kits:
        texts += [repr(kit), repr(kit.config), str(kit.config), repr(kit.token), str(kit.token)]
    return texts


def values_texts(secrets_by_kind: dict[str, list[str]], config: Any) -> list[str]:
    """The reprs of request and parsed-answer objects built from the secrets themselves."""
    first = {kind: values[0] for kind, values in secrets_by_kind.items() if values}
    code, verifier, state = first["code"], first["verifier"], first["state"]
    access, refresh = first["access_token"], first["refresh_token"]
    qr_token, ticket = first["qr_token"], first["client_ticket"]
    objects: list[object] = [
        tiktok.exchange_request(config, code=code, redirect_uri="http://127.0.0.1:1/callback/", code_verifier=verifier),
        tiktok.refresh_request(config, refresh),
        tiktok.revoke_request(config, access),
        tiktok.get_qrcode_request(config, state=state),
        tiktok.check_qrcode_request(config, qr_token),
        tiktok.user_info_request(config, access),
        parse_callback_query(f"code={urllib.parse.quote(code)}&state={state}&scopes=user.info.basic"),
        tiktok.QrCode("aweme://authorize?client_ticket=tobefilled", qr_token),
        tiktok.QrStatus("confirmed", ticket, code, state, "user.info.basic", "https://app.example.test/cb/"),
        Token(access_token=access, expires_at=0.0, refresh_token=refresh),
    ]
    return [text for obj in objects for text in (repr(obj), str(obj))]


def files_written_since(start: float, *roots: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")]
            for name in names:
                path = Path(folder, name)
                try:
                    if path.stat().st_mtime >= start and path.stat().st_size < 5_000_000:
                        found[str(path)] = path.read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
    return found


# --------------------------------------------------------------------------- the test
@pytest.mark.parametrize("mode", ["stdlib", "structlog-console", "structlog-json"])
def test_no_secret_reaches_logs_errors_reprs_output_pages_or_files(
    mode: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    start = time.time() - 1
    canaries = Canaries()
    app = App(client_key="cnrykey0canary0app", client_secret=canaries.client_secret, name="Canary app",
              kind="desktop", redirect_uris=("http://127.0.0.1:3456/callback/", "http://127.0.0.1:*/callback/"))
    seen = Seen()
    with Sandbox(apps=[app]) as sb, captured_logs(mode) as logs, recording(monkeypatch, seen):
        Tour(sb, canaries, seen).run()
        for kit in seen.kits:
            kit.close()
        found = canaries.collect(sb)
        assert sb.errors == []
    out, err = capfd.readouterr()

    assert all(found.values()), {kind: len(values) for kind, values in found.items()}
    stdlib_log, rendered = logs["stdlib"].getvalue(), logs["structlog"].getvalue()
    assert "HTTP Request: POST http://127.0.0.1" in stdlib_log and "httpcore" in stdlib_log  # both loggers on
    if mode == "stdlib":
        assert "transition flow=browser" in stdlib_log and rendered == ""
    else:
        assert rendered.count("transition") > 50 and "transition flow=" not in stdlib_log
        if mode == "structlog-json":
            assert all(json.loads(line)["event"] for line in rendered.splitlines())

    places = {"stdlib log": stdlib_log, "structlog output": rendered, "stdout": out, "stderr": err}
    reports = sentry_reports([error for _, error in seen.errors])
    for index, (what, error) in enumerate(seen.errors):
        places[f"error {index} ({what}: {type(error).__name__})"] = "\n".join(exception_texts(error))
        places[f"Sentry report of error {index} ({what}: {type(error).__name__})"] = reports[index]
    places["reprs of flows, effects, requests, answers, tokens, configs"] = "\n".join(object_texts(seen))
    places["reprs of objects holding the secrets"] = "\n".join(values_texts(found, seen.kits[0].config))
    for index, page in enumerate(seen.pages):
        places[f"loopback page {index}"] = page
    cassettes = REPO / "cassettes"
    if cassettes.is_dir():
        places.update(files_written_since(0.0, cassettes))
    places.update(files_written_since(start, temp, REPO))

    assert len(seen.errors) >= 30 and len(seen.pages) >= 5
    assert scan(found, places) == []
