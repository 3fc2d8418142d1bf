"""Helpers of the store tests: a real redis-server, opening a store from a picklable spec (for
child processes), driving an async store from sync code, and reaching under a store's API to
damage a row the way a disk, a person or an attacker could."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytok_sm import Token
from pytok_sm.stores import AsyncRedisStore, MemoryStore, RedisStore, SQLiteStore
from tests.ports import free_port

REDIS_SERVER = os.environ.get("PYTOK_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
CLIENT_KEY = "aw_store_key"

#: What a child process needs to open the same store: ("sqlite", path) or ("redis", url, prefix).
Spec = tuple[str, ...]


def token(open_id: str = "u1", tag: str = "one", *, expires_at: float = 2e9) -> Token:
    """A token whose secrets carry ``tag`` (so a test can tell tokens apart)."""
    return Token(
        access_token=f"act.{tag}-access-secret",
        expires_at=expires_at,
        open_id=open_id,
        refresh_token=f"rft.{tag}-refresh-secret",
        refresh_expires_at=expires_at + 1e6,
        scopes=frozenset({"user.info.basic"}),
    )


class RedisServer:
    """A real redis-server on a free 127.0.0.1 port, in its own directory, persisting nothing."""

    def __init__(self, directory: Path, *, password: str | None = None) -> None:
        self.directory = directory
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, port: int | None = None) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            self.port = port or free_port()
            command = [
                REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
                "--logfile", str(self.directory / "redis.log"),
            ]
            if self.password:
                command += ["--requirepass", self.password]
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if self._answers_ping(deadline=time.monotonic() + 10):
                return self
            self.stop()
        raise RuntimeError(f"redis-server did not answer PING; see {self.directory / 'redis.log'}")

    def _answers_ping(self, deadline: float) -> bool:
        import redis

        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            client = redis.Redis(port=self.port, password=self.password, socket_timeout=1, socket_connect_timeout=1)
            try:
                if client.ping():
                    return True
            except redis.RedisError:
                time.sleep(0.05)
            finally:
                client.close()
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def client(self) -> Any:
        import redis

        return redis.Redis(port=self.port, password=self.password, socket_timeout=5)


def quick_retry() -> dict[str, Any]:
    """Client options that give up at once on a dead server (the tests need no retry)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"retry": Retry(NoBackoff(), 0), "socket_timeout": 2.0, "socket_connect_timeout": 2.0}


class Blocking:
    """An async store driven from sync test code, on an event loop of its own: the same
    behavioural tests then run over the async stores too."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._runner = asyncio.Runner()
        self.store = factory()

    @property
    def where(self) -> str:
        return str(self.store.where)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._runner.run(attribute(*args, **kwargs))

        return call

    def close(self) -> None:
        try:
            self._runner.run(self.store.aclose())
        finally:
            self._runner.close()


def open_spec(spec: Spec, **options: Any) -> Any:
    """A new handle on the store a spec names (in this process)."""
    if spec[0] == "sqlite":
        return SQLiteStore(spec[1], **options)
    if spec[0] == "redis":
        return RedisStore.from_url(spec[1], spec[2], **options)
    if spec[0] == "async-redis":
        return Blocking(lambda: AsyncRedisStore.from_url(spec[1], spec[2], **options))
    raise ValueError(spec)


def memory_twin(first: MemoryStore, **options: Any) -> MemoryStore:
    """A second MemoryStore over the same rows, leases and lock (e.g. with another key)."""
    twin = MemoryStore(**options)
    twin._rows, twin._leases, twin._lock = first._rows, first._leases, first._lock  # noqa: SLF001
    return twin


class Raw:
    """A store's rows as stored, under its API: read a field, write any value into one."""

    def __init__(self, kind: str, store: Any, spec: Spec | None) -> None:
        self.kind, self.store, self.spec = kind, store, spec

    def _redis(self) -> Any:
        import redis

        assert self.spec is not None
        return redis.Redis.from_url(self.spec[1], decode_responses=True)

    def _key(self, open_id: str, client_key: str = CLIENT_KEY) -> str:
        return f"{self.spec[2]}:{{{client_key}}}:account:{open_id}" if self.spec else ""

    def row(self, open_id: str) -> dict[str, Any]:
        """Every stored field of the account: version, state, reason, updated_at, token."""
        if self.kind == "memory":
            return dict(self.store._rows[(CLIENT_KEY, open_id)]._asdict())  # noqa: SLF001
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.spec[1])) as db:  # type: ignore[index]
                found = db.execute(
                    "SELECT version, state, reason, updated_at, token FROM accounts WHERE client_key = ? AND open_id = ?",
                    (CLIENT_KEY, open_id),
                ).fetchone()
            return dict(zip(("version", "state", "reason", "updated_at", "token"), found, strict=True))
        client = self._redis()
        try:
            fields = client.hgetall(self._key(open_id))
        finally:
            client.close()
        meta = json.loads(fields["meta"])
        return {"version": fields["version"], "state": meta["state"], "reason": meta["reason"],
                "updated_at": meta["updated_at"], "token": fields["token"], "meta": fields["meta"]}

    def set(self, open_id: str, field: str, value: Any) -> None:
        """Write ``value`` into one field of the stored account, bypassing every check."""
        if self.kind == "memory":
            key = (CLIENT_KEY, open_id)
            self.store._rows[key] = self.store._rows[key]._replace(**{field: value})  # noqa: SLF001
            return
        if self.kind == "sqlite":
            if field == "reason" and isinstance(value, int):
                value = sqlite3.Binary(str(value).encode())  # an int would become TEXT by the column's affinity
            with contextlib.closing(sqlite3.connect(self.spec[1])) as db, db:  # type: ignore[index]
                db.execute(f"UPDATE accounts SET {field} = ? WHERE client_key = ? AND open_id = ?",
                           (value, CLIENT_KEY, open_id))
            return
        client = self._redis()
        try:
            key = self._key(open_id)
            if field in ("version", "token", "meta"):
                client.hset(key, field, value)
            else:
                meta = json.loads(client.hget(key, "meta"))
                meta[field] = value
                client.hset(key, "meta", json.dumps(meta))
        finally:
            client.close()
