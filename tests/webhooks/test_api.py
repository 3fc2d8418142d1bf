"""The public surface of ``pytok_sm.webhooks``: a pinned ``__all__``, one error branch in the
tree, a documented example in every module, no web framework imported."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytok_sm
import pytok_sm.webhooks as webhooks
from pytok_sm.webhooks import (
    EventMalformed,
    SignatureMalformed,
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfRange,
    WebhookError,
)

PUBLIC_NAMES = [
    "Applied",
    "AsyncWebhookApp",
    "BOARD_TTL",
    "AuthorizationRemoved",
    "DEFAULT_TOLERANCE",
    "DELIVERY_TTL",
    "Deduplicator",
    "EVENT_TYPES",
    "EventActions",
    "EventMalformed",
    "MAX_EVENT_BYTES",
    "MemoryPostBoard",
    "MemorySingleUse",
    "Outcome",
    "PROCESSING_TTL",
    "PostBoard",
    "PostEntry",
    "PostInboxDelivered",
    "PostNoLongerPubliclyAvailable",
    "PostPublicContent",
    "PostPublishComplete",
    "PostPublishEvent",
    "PostPublishFailed",
    "PostPubliclyAvailable",
    "REASONS",
    "RedisPostBoard",
    "RedisSingleUse",
    "SIGNATURE_HEADER",
    "SQLitePostBoard",
    "SQLiteSingleUse",
    "SignatureMalformed",
    "SignatureMismatch",
    "SignatureMissing",
    "TimestampOutOfRange",
    "VideoPublishCompleted",
    "VideoUploadFailed",
    "WebhookApp",
    "WebhookError",
    "WebhookEvent",
    "apply_event",
    "apply_event_async",
    "event_status",
    "handle",
    "handle_async",
    "parse_event",
    "sign",
    "verify",
]


def test_the_public_names_are_pinned() -> None:
    assert sorted(webhooks.__all__) == sorted(PUBLIC_NAMES)
    assert len(set(webhooks.__all__)) == len(webhooks.__all__)
    namespace: dict[str, object] = {}
    exec("from pytok_sm.webhooks import *", namespace)  # noqa: S102
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC_NAMES)


def test_public_classes_and_functions_show_as_pytok_sm_webhooks() -> None:
    for name in webhooks.__all__:
        value = getattr(webhooks, name)
        if isinstance(value, type) or callable(value):
            assert value.__module__ == "pytok_sm.webhooks", name
    assert webhooks.SIGNATURE_HEADER == "TikTok-Signature" and webhooks.DEFAULT_TOLERANCE == 300.0


def test_the_errors_are_one_branch_of_the_tree() -> None:
    for error in (SignatureMissing, SignatureMalformed, SignatureMismatch, TimestampOutOfRange, EventMalformed):
        assert issubclass(error, WebhookError) and issubclass(error, pytok_sm.TikTokError)
    assert {e.status for e in (SignatureMissing, SignatureMalformed, SignatureMismatch, TimestampOutOfRange)} == {401}
    assert EventMalformed.status == 400
    checks = [e.check for e in (SignatureMissing, SignatureMalformed, SignatureMismatch, TimestampOutOfRange,
                                EventMalformed)]
    assert len(set(checks)) == 5


def test_every_module_has_a_docstring_with_an_example_and_stays_small() -> None:
    package = Path(webhooks.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"pytok_sm.webhooks.{info.name}")
        assert info.name.startswith("_"), info.name
        assert module.__doc__ and ">>>" in module.__doc__, info.name
        assert len((package / f"{info.name}.py").read_text(encoding="utf-8").splitlines()) <= 420, info.name
    assert webhooks.__doc__ and ">>>" in webhooks.__doc__
    for name in webhooks.__all__:
        value = getattr(webhooks, name)
        if isinstance(value, type):
            assert value.__doc__, name


def test_importing_it_loads_no_web_framework_and_no_redis() -> None:
    code = "import json, sys\nimport pytok_sm.webhooks\nprint(json.dumps(sorted(sys.modules)))\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(run.stdout))
    for heavy in ("flask", "fastapi", "starlette", "werkzeug", "django", "redis", "pytok_sm.sandbox"):
        assert heavy not in loaded, heavy
    assert "pytok_sm.webhooks" not in sys.modules["pytok_sm"].__dict__.get("__all__", ())


def test_the_package_sits_beside_flows_in_the_layers() -> None:
    from tests.unit import test_layout

    assert test_layout.layer_of("webhooks._receive") == test_layout.layer_of("flows._base")
    for name, path in test_layout.ALL.items():
        if name.startswith("webhooks"):
            imported = test_layout.runtime_imports(name, path)
            assert not {m for m in imported if m.split(".")[0] in ("flows", "drivers", "_policy", "_kit", "_app")}
