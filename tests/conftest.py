"""Fixtures shared by several test folders: a real redis-server for the session (the store
tests in ``tests/stores`` and the ``pytok --store redis://...`` tests in ``tests/cli``).

Redis is Debian's ``redis-server`` (``.ci/run`` installs it), started on a free port of
127.0.0.1 in a temp directory with ``--save '' --appendonly no``, checked with PING, and
stopped at the end. fakeredis is no substitute: the Lua scripts, ``PX`` expiry and the
connection errors must be Redis's own. Missing locally, the Redis tests skip saying what to
install; missing under ``CI=true``, they fail.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.stores.helpers import REDIS_SERVER, RedisServer


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail under CI=true, where .ci/run installs everything these tests need."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


def need_redis() -> None:
    """Skip (fail under CI) unless redis-server and the redis package are here."""
    if not (os.path.isfile(REDIS_SERVER) and os.access(REDIS_SERVER, os.X_OK)):
        unavailable(f"{REDIS_SERVER} is missing: apt-get install redis-server")
    if importlib.util.find_spec("redis") is None:
        unavailable("the redis package is missing: pip install redis")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the whole run (tests keep apart by key prefix)."""
    need_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()
