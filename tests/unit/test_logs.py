"""Logging (issue 2, item 7): quiet by default, routed to the app's structlog, redacted."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import uuid
from collections import namedtuple
from typing import Any

import pytest
import structlog

from pytok_sm import logs
from pytok_sm.logs import Redactor, emit, processors, register_secret
from pytok_sm.testing import capture_transitions

pytestmark = pytest.mark.usefixtures("clean_structlog")


def fresh_secret(kind: str = "secret") -> str:
    """A unique value that appears nowhere in this file's source (so tracebacks cannot show it)."""
    return f"{kind}-{uuid.uuid4().hex}"


@pytest.fixture
def sink() -> Any:
    events: list[dict[str, Any]] = []
    logs._captures.append(events.append)
    try:
        yield events
    finally:
        logs._captures.remove(events.append)


def configure_into(buffer: io.StringIO, *, json_output: bool) -> None:
    structlog.configure(
        processors=processors(json=json_output),
        logger_factory=structlog.PrintLoggerFactory(file=buffer),
        cache_logger_on_first_use=False,
    )


# --------------------------------------------------------------------------- emit


def test_emit_goes_to_every_capture_sink(sink: list[dict[str, Any]]) -> None:
    emit("transition", flow="browser", flow_id="f1", trigger="start", source="new", dest="authorizing")
    emit("callback", verdict="reject")
    assert sink == [
        {"event": "transition", "flow": "browser", "flow_id": "f1", "trigger": "start", "source": "new",
         "dest": "authorizing"},
        {"event": "callback", "verdict": "reject"},
    ]


def test_each_sink_gets_its_own_copy(sink: list[dict[str, Any]]) -> None:
    other: list[dict[str, Any]] = []
    logs._captures.append(other.append)
    try:
        emit("transition", flow="qr")
    finally:
        logs._captures.remove(other.append)
    sink[0]["flow"] = "changed"
    assert other == [{"event": "transition", "flow": "qr"}]


def test_capture_transitions_collects_only_transitions() -> None:
    with capture_transitions() as transitions, capture_transitions(all_events=True) as everything:
        emit("transition", flow="refresh", dest="done")
        emit("callback", verdict="accept")
    emit("transition", flow="after")  # no longer captured
    assert [e["event"] for e in transitions] == ["transition"]
    assert [e["event"] for e in everything] == ["transition", "callback"]


def test_unconfigured_structlog_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert not structlog.is_configured()
    emit("transition", flow="browser", flow_id="f1", trigger="start", source="new", dest="authorizing")
    emit("callback", verdict="reject", reason="state mismatch")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_unconfigured_structlog_goes_to_the_stdlib_logger_when_enabled(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pytok_sm"):
        emit("transition", flow="revoke", dest="revoked")
    records = [r for r in caplog.records if r.name == "pytok_sm"]
    assert len(records) == 1
    assert records[0].levelno == logging.INFO
    assert records[0].getMessage() == "transition flow=revoke dest=revoked"


def test_stdlib_logger_is_silent_below_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pytok_sm"):
        emit("transition", flow="revoke")
    assert not [r for r in caplog.records if r.name == "pytok_sm"]


def test_configured_structlog_receives_the_event(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[dict[str, Any]] = []

    def keep(_logger: Any, _method: str, event_dict: dict[str, Any]) -> str:
        seen.append(dict(event_dict))
        return "rendered"

    structlog.configure(processors=[keep], logger_factory=structlog.PrintLoggerFactory(file=io.StringIO()))
    emit("transition", flow="browser", dest="done")
    assert seen == [{"event": "transition", "flow": "browser", "dest": "done"}]
    assert capsys.readouterr().out == ""


def test_the_library_does_not_configure_structlog() -> None:
    code = (
        "import structlog, pytok_sm, pytok_sm.logs, pytok_sm.testing\n"
        "pytok_sm.logs.emit('transition', flow='x')\n"
        "print(structlog.is_configured())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout == "False\n"
    assert run.stderr == ""


# --------------------------------------------------------------------------- Redactor


@pytest.mark.parametrize(
    "key",
    ["access_token", "refresh_token", "client_secret", "code", "code_verifier", "verifier", "state", "token",
     "client_ticket", "authorization", "password", "secret", "Authorization", "ACCESS_TOKEN"],
)
def test_secret_keys_are_masked(key: str) -> None:
    out = Redactor()(None, "info", {"event": "x", key: "value-to-hide", "flow": "browser"})
    assert out == {"event": "x", key: "[redacted]", "flow": "browser"}


def test_harmless_keys_are_kept() -> None:
    event = {"event": "transition", "flow": "browser", "source": "a", "dest": "b", "http_status": 429, "attempt": 2}
    assert Redactor()(None, "info", dict(event)) == event


def test_secret_keys_inside_nested_dicts_are_masked() -> None:
    out = Redactor()(None, "info", {"event": "x", "request": {"headers": {"Authorization": "Bearer act.x", "Accept": "*/*"},
                                                             "form": {"client_secret": "s", "grant_type": "refresh"}}})
    assert out["request"] == {
        "headers": {"Authorization": "[redacted]", "Accept": "*/*"},
        "form": {"client_secret": "[redacted]", "grant_type": "refresh"},
    }


def test_registered_values_are_masked_wherever_they_appear() -> None:
    secret = fresh_secret("act")
    register_secret(secret)
    Point = namedtuple("Point", "label where")
    event = {
        "event": f"sending {secret} now",
        "note": f"prefix:{secret}:suffix",
        "nested": {"deeper": {"text": f"x {secret} y"}},
        "items": [secret, "fine", (secret, 1)],
        "point": Point(secret, "here"),
        "error": ValueError(f"bad token {secret}"),
        "count": 3,
    }
    out = Redactor()(None, "info", event)
    assert secret not in repr(out)
    assert out["event"] == "sending [redacted] now"
    assert out["note"] == "prefix:[redacted]:suffix"
    assert out["nested"] == {"deeper": {"text": "x [redacted] y"}}
    assert out["items"] == ["[redacted]", "fine", ("[redacted]", 1)]
    assert out["point"] == Point("[redacted]", "here")
    assert out["error"] == "ValueError: bad token [redacted]"
    assert out["count"] == 3


def test_longer_secrets_are_masked_before_their_prefixes() -> None:
    short = fresh_secret("s")
    long = short + "-extended"
    register_secret(short)
    register_secret(long)
    out = Redactor()(None, "info", {"event": f"[{long}] [{short}]"})
    assert out["event"] == "[[redacted]] [[redacted]]"


@pytest.mark.parametrize("value", [None, "", "abc", "12345"])
def test_tiny_values_are_not_registered(value: str | None) -> None:
    register_secret(value)
    out = Redactor()(None, "info", {"event": "abc 12345 ok"})
    assert out["event"] == "abc 12345 ok"


def test_custom_keys_and_placeholder() -> None:
    out = Redactor(keys=frozenset({"pin"}), placeholder="***")(None, "info", {"event": "x", "pin": "1234", "token": "t"})
    assert out == {"event": "x", "pin": "***", "token": "t"}


def test_registry_is_bounded() -> None:
    from pytok_sm._secrets import SecretRegistry

    registry = SecretRegistry(capacity=3)
    for n in range(5):
        registry.add(f"value-{n}")
    assert sorted(registry.snapshot()) == ["value-2", "value-3", "value-4"]


# --------------------------------------------------------------------------- processors()


def failing_call(secret_local: str) -> None:
    hidden_local = secret_local.upper()  # noqa: F841 - a local a traceback with locals would print
    raise RuntimeError("the exchange failed")


def test_json_chain_renders_redacted_events_without_locals() -> None:
    buffer = io.StringIO()
    configure_into(buffer, json_output=True)
    registered = fresh_secret("rft")
    register_secret(registered)
    local_value = fresh_secret("local")
    log = structlog.get_logger("app")
    log.info("token stored", refresh_token="rft.key-hidden", note=f"got {registered}", flow="refresh")
    try:
        failing_call(local_value)
    except RuntimeError:
        log.exception("refresh failed", flow="refresh")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["token stored", "refresh failed"]
    first, second = lines
    assert first["refresh_token"] == "[redacted]"
    assert first["note"] == "got [redacted]"
    assert first["level"] == "info"
    assert "timestamp" in first
    assert second["level"] == "error"
    assert "exception" in second
    text = buffer.getvalue()
    assert "the exchange failed" in text
    assert "failing_call" in text  # the frames are there ...
    for hidden in (registered, "rft.key-hidden", local_value, local_value.upper()):
        assert hidden not in text  # ... their locals are not
    assert '"locals"' not in text


def test_console_chain_renders_redacted_events_without_locals() -> None:
    buffer = io.StringIO()
    configure_into(buffer, json_output=False)
    registered = fresh_secret("act")
    register_secret(registered)
    local_value = fresh_secret("local")
    log = structlog.get_logger("app")
    log.info("calling", access_token="act.key-hidden", url=f"https://x/?t={registered}")
    try:
        failing_call(local_value)
    except RuntimeError:
        log.exception("call failed")
    text = buffer.getvalue()
    assert "calling" in text and "call failed" in text
    assert "access_token=[redacted]" in text
    assert "Traceback" in text and "the exchange failed" in text
    for hidden in (registered, "act.key-hidden", local_value, local_value.upper()):
        assert hidden not in text
    assert "\x1b[" not in text  # no colour codes


def test_secret_in_an_exception_message_is_redacted() -> None:
    buffer = io.StringIO()
    configure_into(buffer, json_output=True)
    registered = fresh_secret("code")
    register_secret(registered)
    try:
        raise ValueError(f"upstream echoed {registered}")
    except ValueError:
        structlog.get_logger().exception("failed")
    assert registered not in buffer.getvalue()
    assert "upstream echoed [redacted]" in buffer.getvalue()


@pytest.mark.parametrize("json_output", [True, False])
def test_chain_ends_with_a_renderer_after_the_redactor(json_output: bool) -> None:
    chain = processors(json=json_output)
    kinds = [type(p) for p in chain]
    assert Redactor in kinds
    assert kinds.index(Redactor) == len(chain) - 2
