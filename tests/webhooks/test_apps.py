"""WebhookApp (WSGI, PEP 3333) and AsyncWebhookApp (ASGI) driven with raw environ and scope."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from pytok_sm import ConfigurationError
from pytok_sm.webhooks import AsyncWebhookApp, Deduplicator, WebhookApp, WebhookEvent

from .helpers import DOCUMENTED, SECRET, T, environ, event_body, header

BODY = DOCUMENTED["post.publish.failed"]


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.events: list[WebhookEvent] = []
        self.failures = failures

    def __call__(self, event: WebhookEvent) -> None:
        self.events.append(event)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the queue is full")


class Counting(io.BytesIO):
    """A wsgi.input that counts what was read (a WSGI app must not read past CONTENT_LENGTH)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.asked += len(chunk)
        return chunk


def wsgi(app: WebhookApp, env: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(app(env, start_response))
    code, _, phrase = seen["status"].partition(" ")
    assert phrase and all(isinstance(k, str) and isinstance(v, str) for k, v in seen["headers"])
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert int(headers["content-length"]) == len(body) and headers["content-type"] == "application/json"
    assert headers["cache-control"] == "no-store"
    return int(code), headers, json.loads(body)


def make(kind: type[Any] = WebhookApp, on_event: Any = None, **options: Any) -> Any:
    return kind(SECRET, on_event or Recorder(), dedupe=options.pop("dedupe", Deduplicator()),
                clock=lambda: float(T), **options)


def test_wsgi_passes_a_signed_delivery_on_once() -> None:
    seen = Recorder()
    app = make(on_event=seen)
    assert wsgi(app, environ(BODY, signature_header=header(BODY)))[::2] == (200, {"ok": True, "reason": "delivered"})
    assert wsgi(app, environ(BODY, signature_header=header(BODY)))[::2] == (200, {"ok": True, "reason": "duplicate"})
    assert [e.publish_id for e in seen.events] == ["v_inbox_file~v2.123456789"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("env", "status", "reason"),
    [
        (environ(BODY), 401, "signature_missing"),
        (environ(BODY, signature_header=header(BODY + b"x")), 401, "signature_mismatch"),
        (environ(b"not json", signature_header=header(b"not json")), 400, "event_malformed"),
        (environ(BODY, method="GET", signature_header=header(BODY)), 405, "method_not_allowed"),
        (environ(BODY, method="PUT", signature_header=header(BODY)), 405, "method_not_allowed"),
        (environ(BODY, length=None, signature_header=header(BODY)), 411, "length_required"),
        (environ(BODY, length="12abc", signature_header=header(BODY)), 400, "bad_content_length"),
        (environ(BODY, length="-5", signature_header=header(BODY)), 400, "bad_content_length"),
        (environ(BODY, length=str(len(BODY) + 10), signature_header=header(BODY)), 400, "incomplete_body"),
        (environ(BODY, length="70000", signature_header=header(BODY)), 413, "too_large"),
    ],
    ids=["unsigned", "tampered", "not-an-event", "get", "put", "no-length", "bad-length", "negative-length",
         "short-body", "too-large"],
)
def test_wsgi_answers_every_refusal_with_its_status(env: dict[str, Any], status: int, reason: str) -> None:
    seen = Recorder()
    code, headers, answer = wsgi(make(on_event=seen), env)
    assert (code, answer) == (status, {"ok": False, "reason": reason}) and seen.events == []
    assert (headers.get("allow") == "POST") is (status == 405)


def test_wsgi_reads_exactly_content_length_and_nothing_when_it_is_too_large() -> None:
    stream = Counting(BODY + b"trailing bytes of the next request")
    env = environ(BODY, signature_header=header(BODY))
    env["wsgi.input"] = stream
    assert wsgi(make(), env)[0] == 200 and stream.asked == len(BODY)
    big = Counting(b"x" * 100)
    env = environ(b"x" * 100, signature_header="t=1,s=2")
    env["wsgi.input"] = big
    assert wsgi(make(max_body=50), env)[2]["reason"] == "too_large" and big.asked == 0


def test_wsgi_without_length_reads_a_terminated_input_up_to_the_cap() -> None:
    env = environ(BODY, length=None, signature_header=header(BODY))
    env["wsgi.input_terminated"] = True
    assert wsgi(make(), env)[0] == 200
    env = environ(b"y" * 200, length=None, signature_header="t=1,s=2")
    env["wsgi.input_terminated"] = True
    assert wsgi(make(max_body=100), env)[0] == 413


def test_wsgi_a_failing_on_event_is_500_and_its_retry_is_passed_on() -> None:
    seen = Recorder(failures=1)
    app = make(on_event=seen)
    code, _, answer = wsgi(app, environ(BODY, signature_header=header(BODY)))
    assert (code, answer) == (500, {"ok": False, "reason": "handler_failed"})
    assert wsgi(app, environ(BODY, signature_header=header(BODY)))[0] == 200 and len(seen.events) == 2


def test_wsgi_through_werkzeugs_test_client() -> None:
    from werkzeug.test import Client

    client = Client(make())
    answer = client.post("/anywhere", data=BODY, headers={"tiktok-signature": header(BODY)})
    assert answer.status_code == 200 and answer.json == {"ok": True, "reason": "delivered"}
    assert client.get("/anywhere").status_code == 405


def test_the_apps_check_their_settings_and_hide_the_secret() -> None:
    for bad in (0, -1, 10**9, True, "1024"):
        with pytest.raises(ConfigurationError, match="max_body"):
            make(max_body=bad)
    with pytest.raises(ConfigurationError, match="client_secret"):
        WebhookApp("", print)
    app = make()
    assert SECRET not in repr(app) and SECRET not in repr(vars(app))


# --------------------------------------------------------------------------- ASGI


def asgi(app: AsyncWebhookApp, chunks: list[bytes], *, method: str = "POST", headers: list[tuple[bytes, bytes]] | None = None,
         content_length: bool = True, disconnect: bool = False) -> tuple[int | None, dict[bytes, bytes], Any, int]:
    """One request: the body in ``chunks`` (more_body between them); returns status, headers,
    the decoded answer and how many body messages the app asked for."""
    body = b"".join(chunks)
    request_headers = list(headers or [])
    if content_length:
        request_headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": "/hook",
             "raw_path": b"/hook", "query_string": b"", "headers": request_headers, "scheme": "https"}
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
                for i, chunk in enumerate(chunks)] or [{"type": "http.request", "body": b"", "more_body": False}]
    if disconnect:
        messages = [{**messages[0], "more_body": True}, {"type": "http.disconnect"}]
    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(app(scope, receive, send))
    if not sent:
        return None, {}, None, asked
    start, done = sent
    assert start["type"] == "http.response.start" and done["type"] == "http.response.body"
    answer_headers = dict(start["headers"])
    assert int(answer_headers[b"content-length"]) == len(done["body"])
    assert answer_headers[b"content-type"] == b"application/json"
    return start["status"], answer_headers, json.loads(done["body"]), asked


def signed(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"tiktok-signature", header(body).encode())]


def test_asgi_assembles_chunks_and_passes_a_delivery_on_once() -> None:
    seen = Recorder()
    app = make(AsyncWebhookApp, on_event=seen)
    chunks = [BODY[:10], BODY[10:40], b"", BODY[40:]]
    assert asgi(app, chunks, headers=signed(BODY))[::2] == (200, {"ok": True, "reason": "delivered"})
    assert asgi(app, [BODY], headers=signed(BODY), content_length=False)[2] == {"ok": True, "reason": "duplicate"}
    assert len(seen.events) == 1 and seen.events[0].event == "post.publish.failed"


def test_asgi_refusals() -> None:
    seen = Recorder()
    app = make(AsyncWebhookApp, on_event=seen, max_body=100)
    status, headers, answer, _ = asgi(app, [BODY], method="GET", headers=signed(BODY))
    assert (status, answer["reason"], headers[b"allow"]) == (405, "method_not_allowed", b"POST")
    assert asgi(app, [b"{}"])[::2] == (401, {"ok": False, "reason": "signature_missing"})
    small = event_body(n=1)[:90]
    assert asgi(app, [small], headers=signed(small))[2]["reason"] == "event_malformed"
    assert seen.events == []


def test_asgi_refuses_a_large_body_from_its_length_before_reading_and_while_reading() -> None:
    app = make(AsyncWebhookApp, max_body=100)
    status, _, answer, asked = asgi(app, [b"x" * 60, b"x" * 60])
    assert (status, answer["reason"], asked) == (413, "too_large", 0)          # from content-length: nothing read
    status, _, answer, asked = asgi(app, [b"x" * 60, b"x" * 60, b"x" * 60], content_length=False)
    assert (status, answer["reason"], asked) == (413, "too_large", 2)          # stops at the chunk past the cap
    lying = [(b"content-length", b"10")]
    assert asgi(app, [b"x" * 50], headers=lying, content_length=False)[2]["reason"] == "incomplete_body"
    assert asgi(app, [b"x" * 5], headers=lying, content_length=False)[2]["reason"] == "incomplete_body"
    assert asgi(app, [b"x"], headers=[(b"content-length", b"ten")], content_length=False)[0] == 400


def test_asgi_a_client_that_goes_away_gets_no_answer_and_nothing_is_passed_on() -> None:
    seen = Recorder()
    assert asgi(make(AsyncWebhookApp, on_event=seen), [BODY], headers=signed(BODY), disconnect=True)[0] is None
    assert seen.events == []


def test_asgi_a_failing_on_event_is_500_and_async_handlers_are_awaited() -> None:
    seen = Recorder(failures=1)
    app = make(AsyncWebhookApp, on_event=seen)
    assert asgi(app, [BODY], headers=signed(BODY))[::2] == (500, {"ok": False, "reason": "handler_failed"})
    assert asgi(app, [BODY], headers=signed(BODY))[0] == 200 and len(seen.events) == 2
    got: list[str] = []

    async def on_event(event: WebhookEvent) -> None:
        got.append(event.event)

    assert asgi(make(AsyncWebhookApp, on_event=on_event), [BODY], headers=signed(BODY))[0] == 200
    assert got == ["post.publish.failed"]


def test_asgi_lifespan_completes_and_other_scopes_are_ignored() -> None:
    app = make(AsyncWebhookApp)
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    asyncio.run(app({"type": "websocket"}, receive, send))
    assert len(sent) == 2


@pytest.mark.filterwarnings("ignore:Using `httpx`")  # FastAPI's TestClient on httpx: not ours to fix
def test_the_apps_mounted_in_flask_and_fastapi_as_their_docstrings_say() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    seen = Recorder()
    flask_app = Flask("mounted")
    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {  # type: ignore[method-assign]
        "/webhooks/tiktok": make(on_event=seen)})
    answer = flask_app.test_client().post("/webhooks/tiktok", data=BODY, headers={"TikTok-Signature": header(BODY)})
    assert (answer.status_code, answer.get_json()) == (200, {"ok": True, "reason": "delivered"})
    fastapi_app = FastAPI()
    fastapi_app.add_route("/webhooks/tiktok", make(AsyncWebhookApp, on_event=seen), methods=["POST"])
    client = TestClient(fastapi_app)
    body = event_body(n=7)
    answer = client.post("/webhooks/tiktok", content=body, headers={"tiktok-signature": header(body)})
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "reason": "delivered"})
    assert [e.event for e in seen.events] == ["post.publish.failed", "post.publish.complete"]
