"""Fixtures of the store tests: a real redis-server for the session, and one fresh store of
each kind per test (the behavioural tests run over every kind).

The session's redis-server (``redis_server``), ``need_redis`` and ``unavailable`` live in
``tests/conftest.py``, shared with the CLI tests (``pytok --store redis://...``); they are
imported here for the store tests that name them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytok_sm.stores import MemoryStore

from ..conftest import need_redis, unavailable  # noqa: F401 - test_redis imports need_redis from here
from .helpers import Raw, RedisServer, Spec, memory_twin, open_spec

#: Every kind of store the behavioural tests run over.
KINDS = ("memory", "sqlite", "redis", "async-redis")
#: The kinds several OS processes can share.
SHARED_KINDS = ("sqlite", "redis")


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Start a redis-server of the test's own (to stop it, or with a password)."""
    need_redis()
    started: list[RedisServer] = []

    def start(password: str | None = None) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(started)}", password=password).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def spec(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Spec | None:
    """Where the test's store lives (None for memory, which lives in one object)."""
    if kind == "sqlite":
        return ("sqlite", str(tmp_path / "private" / "tokens.db"))
    if kind in ("redis", "async-redis"):
        server = request.getfixturevalue("redis_server")
        return (kind, server.url, f"t{uuid.uuid4().hex[:12]}")
    return None


@pytest.fixture
def open_store(kind: str, spec: Spec | None) -> Iterator[Callable[..., Any]]:
    """Opens a handle on the test's one store (each handle sees the same accounts), with
    options such as ``encryption_key=``; all are closed at the end."""
    handles: list[Any] = []

    def open_(**options: Any) -> Any:
        if kind == "memory":
            handle = MemoryStore(**options) if not handles else memory_twin(handles[0], **options)
        else:
            assert spec is not None
            handle = open_spec(spec, **options)
        handles.append(handle)
        return handle

    yield open_
    for handle in handles:
        handle.close()


@pytest.fixture
def store(open_store: Callable[..., Any]) -> Any:
    """A fresh, empty store of the kind under test."""
    return open_store()


@pytest.fixture
def raw(kind: str, store: Any, spec: Spec | None) -> Raw:
    """The test's store as stored, to read or damage a row under the API."""
    return Raw("redis" if kind == "async-redis" else kind, store, spec)
