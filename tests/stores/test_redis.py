"""RedisStore and AsyncRedisStore against a real redis-server: the server stopped mid-run,
unreachable or refusing the password gives a typed error naming the URL without its
password; keys of the wrong kind or naming another account are refused; leases expire on the
server's clock."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from pytok_sm import ConfigurationError, TokenStoreError
from pytok_sm.stores import AsyncRedisStore, CorruptRecord, RedisStore, StoreUnavailable

from .conftest import need_redis
from .helpers import CLIENT_KEY, RedisServer, quick_retry, token

PASSWORD = "hunter2-redis-password"


def every_call(store: Any) -> list[Callable[[], Any]]:
    return [
        lambda: store.get(CLIENT_KEY, "u1"),
        lambda: store.put(CLIENT_KEY, token("u1", "two")),
        lambda: store.compare_and_set(CLIENT_KEY, "u1", 1, token("u1", "two")),
        lambda: store.mark(CLIENT_KEY, "u1", "removed"),
        lambda: store.delete(CLIENT_KEY, "u1"),
        lambda: store.open_ids(CLIENT_KEY),
        lambda: store.accounts(CLIENT_KEY),
        lambda: store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5),
        lambda: store.renew_lease(CLIENT_KEY, "u1", "a", ttl=5),
        lambda: store.release_lease(CLIENT_KEY, "u1", "a"),
    ]


def check_down(error: StoreUnavailable, server: RedisServer) -> None:
    message = str(error)
    assert isinstance(error, TokenStoreError) and error.transient
    assert f"redis://127.0.0.1:{server.port}/0" in message and "start Redis" in message
    assert PASSWORD not in message and PASSWORD not in repr(error)


def test_redis_stopped_mid_run_is_a_typed_error_naming_the_url_without_the_password(
    own_redis: Callable[..., RedisServer],
) -> None:
    server = own_redis(password=PASSWORD)
    store = RedisStore.from_url(server.url, **quick_retry())
    assert PASSWORD not in store.where
    store.put(CLIENT_KEY, token("u1"))
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=30)
    server.stop()
    for call in every_call(store):
        with pytest.raises(StoreUnavailable) as caught:
            call()
        check_down(caught.value, server)
    store.close()


def test_async_redis_stopped_mid_run_is_the_same_typed_error(own_redis: Callable[..., RedisServer]) -> None:
    server = own_redis(password=PASSWORD)

    async def scenario() -> list[BaseException]:
        store = AsyncRedisStore.from_url(server.url, **quick_retry())
        await store.put(CLIENT_KEY, token("u1"))
        server.stop()
        errors = []
        for call in every_call(store):
            try:
                await call()
            except BaseException as error:  # noqa: BLE001 - collected and checked below
                errors.append(error)
        await store.aclose()
        return errors

    errors = asyncio.run(scenario())
    assert len(errors) == 10
    for error in errors:
        assert isinstance(error, StoreUnavailable), repr(error)
        check_down(error, server)


def test_a_redis_that_is_not_there_is_a_typed_error(redis_server: RedisServer) -> None:
    from tests.ports import free_port

    port = free_port()
    with RedisStore.from_url(f"redis://127.0.0.1:{port}/3", **quick_retry()) as store:
        with pytest.raises(StoreUnavailable, match=f"redis://127.0.0.1:{port}/3.*cannot be reached"):
            store.get(CLIENT_KEY, "u1")


def test_a_wrong_password_is_a_typed_error_that_does_not_say_it(own_redis: Callable[..., RedisServer]) -> None:
    server = own_redis(password=PASSWORD)
    url = f"redis://:wrong-{PASSWORD}@127.0.0.1:{server.port}/0"
    with RedisStore.from_url(url, **quick_retry()) as store:
        with pytest.raises(StoreUnavailable, match="password") as caught:
            store.get(CLIENT_KEY, "u1")
    assert caught.value.transient is False and "wrong-" not in str(caught.value)


def test_the_store_names_its_url_with_the_user_but_never_the_password() -> None:
    need_redis()
    with RedisStore.from_url(f"redis://alice:{PASSWORD}@cache.internal:6380/4", prefix="app") as store:
        assert store.where == "Redis redis://alice@cache.internal:6380/4 (prefix app)"
    with RedisStore.from_url(f"rediss://:{PASSWORD}@cache.internal:6380/0") as store:
        assert store.where.startswith("Redis rediss://cache.internal:6380/0")
    with pytest.raises(ConfigurationError, match="url") as caught:
        RedisStore.from_url(f"http://:{PASSWORD}@cache.internal/0")
    assert PASSWORD not in str(caught.value)


def test_a_key_of_the_wrong_kind_is_a_corrupt_record(redis_server: RedisServer) -> None:
    with RedisStore.from_url(redis_server.url, prefix="wrongtype") as store:
        client = redis_server.client()
        client.set(f"wrongtype:{{{CLIENT_KEY}}}:account:u1", "a string, not a hash")
        for call in (lambda: store.get(CLIENT_KEY, "u1"), lambda: store.put(CLIENT_KEY, token("u1"))):
            with pytest.raises(CorruptRecord, match="another kind of value"):
                call()
        assert client.get(f"wrongtype:{{{CLIENT_KEY}}}:account:u1") == b"a string, not a hash"
        client.close()


def test_an_account_hash_moved_under_another_key_is_refused(redis_server: RedisServer) -> None:
    with RedisStore.from_url(redis_server.url, prefix="moved") as store:
        store.put(CLIENT_KEY, token("u1"))
        client = redis_server.client()
        fields = client.hgetall(f"moved:{{{CLIENT_KEY}}}:account:u1")
        client.hset(f"moved:{{{CLIENT_KEY}}}:account:u2", mapping=fields)
        client.close()
        with pytest.raises(CorruptRecord, match="names another account"):
            store.get(CLIENT_KEY, "u2")


def test_the_layout_is_a_hash_of_version_meta_and_token_json(redis_server: RedisServer) -> None:
    with RedisStore.from_url(redis_server.url, prefix="layout") as store:
        store.put(CLIENT_KEY, token("u1"))
        store.acquire_lease(CLIENT_KEY, "u1", "worker-a", ttl=7)
        client = redis_server.client()
        fields = client.hgetall(f"layout:{{{CLIENT_KEY}}}:account:u1")
        assert fields[b"version"] == b"1"
        assert json.loads(fields[b"token"]) == token("u1").to_dict()
        assert json.loads(fields[b"meta"])["state"] == "active"
        assert client.smembers(f"layout:{{{CLIENT_KEY}}}:accounts") == {b"u1"}
        lease = f"layout:{{{CLIENT_KEY}}}:lease:u1"
        assert client.get(lease) == b"worker-a" and 0 < client.pttl(lease) <= 7000
        client.close()


def test_without_the_redis_package_a_redis_store_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ConfigurationError, match="pip install redis"):
        RedisStore.from_url("redis://localhost:6379/0")
    with pytest.raises(ConfigurationError, match="pip install redis"):
        AsyncRedisStore.from_url("redis://localhost:6379/0")
