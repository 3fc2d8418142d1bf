"""Fixtures for end-to-end tests: a running sandbox and kits aimed at it (sync and async)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox

FAST = pytok_sm.RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb
        assert sb.errors == [], sb.errors


def kit_options(sb: Sandbox, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "authorization_url": sb.authorization_url,
        "base_api_url": sb.base_api_url,
        "port": 0,
        "redirect_uri": "http://127.0.0.1:*/callback/",
        "retry": FAST,
        "qr_poll_interval": 0.05,
    }
    options.update(overrides)
    return options


class SyncRunner:
    """Calls a LoginKit's methods; the same interface as AsyncRunner, for parametrized tests."""

    name = "sync"

    def __init__(self, sb: Sandbox, **overrides: Any) -> None:
        self.kit = pytok_sm.LoginKit(sb.client_key, sb.client_secret, **kit_options(sb, **overrides))

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.kit, method)(*args, **kwargs)

    def close(self) -> None:
        self.kit.close()


class AsyncRunner:
    """Calls an AsyncLoginKit's coroutines on a private event loop."""

    name = "async"

    def __init__(self, sb: Sandbox, **overrides: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.kit = pytok_sm.AsyncLoginKit(sb.client_key, sb.client_secret, **kit_options(sb, **overrides))

    def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        attribute = getattr(self.kit, method)
        result = attribute(*args, **kwargs)
        return self.loop.run_until_complete(result) if asyncio.iscoroutine(result) else result

    def close(self) -> None:
        self.loop.run_until_complete(self.kit.aclose())
        self.loop.close()


@pytest.fixture(params=[SyncRunner, AsyncRunner], ids=["sync", "async"])
def make_runner(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        runner = request.param(sandbox, **overrides)
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.close()
