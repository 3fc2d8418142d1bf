"""The public surface of ``pytok_sm.stores``: a pinned ``__all__``, stores that follow their
protocol, errors in pytok_sm's one tree (and picklable, for process pools), a documented
example in every module, and :func:`as_async`."""

from __future__ import annotations

import asyncio
import importlib
import pickle
import pkgutil
from pathlib import Path

import pytest

import pytok_sm
import pytok_sm.stores as stores
from pytok_sm import ConfigurationError, TokenStoreError
from pytok_sm.stores import (
    AsyncRedisStore,
    AsyncTokenStore,
    CorruptRecord,
    DecryptionFailed,
    EncryptionUnavailable,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    StoreUnavailable,
    TokenStore,
    as_async,
)

from .helpers import CLIENT_KEY, token

PUBLIC_NAMES = [
    "Account",
    "AccountState",
    "AsyncRedisStore",
    "AsyncTokenStore",
    "CorruptRecord",
    "DecryptionFailed",
    "EncryptionUnavailable",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "STATES",
    "StoreUnavailable",
    "TokenStore",
    "as_async",
]


def test_the_public_names_are_pinned() -> None:
    assert sorted(stores.__all__) == sorted(PUBLIC_NAMES)
    assert len(set(stores.__all__)) == len(stores.__all__)
    for name in stores.__all__:
        assert getattr(stores, name) is not None


def test_public_classes_show_as_pytok_sm_stores() -> None:
    assert repr(StoreUnavailable("x", "y", "z")).startswith("StoreUnavailable(")
    assert MemoryStore.__module__ == StoreUnavailable.__module__ == "pytok_sm.stores"


def test_every_store_follows_its_protocol(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    sync_stores = [MemoryStore(), SQLiteStore(tmp_path / "tokens.db"), RedisStore.from_url("redis://localhost:1/0")]
    for store in sync_stores:
        assert isinstance(store, TokenStore), store
        assert isinstance(as_async(store), AsyncTokenStore)
        store.close()
    assert isinstance(AsyncRedisStore.from_url("redis://localhost:1/0"), AsyncTokenStore)
    assert not isinstance(object(), TokenStore)


def test_the_errors_are_token_store_errors_and_survive_pickling() -> None:
    errors = [
        StoreUnavailable("SQLite store /x", "stayed locked", "try again", transient=True),
        CorruptRecord("memory store", CLIENT_KEY, "u1", "its token is not JSON"),
        DecryptionFailed("memory store", CLIENT_KEY, "u1", "none of the 1 key(s) given opens it"),
        EncryptionUnavailable(),
    ]
    for error in errors:
        assert isinstance(error, TokenStoreError) and isinstance(error, pytok_sm.TikTokError)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__
    assert errors[1].corrupt and not errors[2].corrupt


def test_every_module_has_a_docstring_with_an_example() -> None:
    package = Path(stores.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"pytok_sm.stores.{info.name}")
        assert module.__doc__ and ">>>" in module.__doc__, info.name
    for name in stores.__all__:
        value = getattr(stores, name)
        if isinstance(value, type):
            assert value.__doc__, name


def test_as_async_runs_any_store_in_threads(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = as_async(SQLiteStore(tmp_path / "tokens.db"))
        first = await store.put(CLIENT_KEY, token("u1"))
        assert await store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u1", "two")) is not None
        assert await store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u1", "three")) is None
        assert (await store.mark(CLIENT_KEY, "u1", "removed", "gone", expected_version=2)).state == "removed"
        assert await store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5)
        assert not await store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=5)
        assert await store.renew_lease(CLIENT_KEY, "u1", "a", ttl=5)
        assert await store.release_lease(CLIENT_KEY, "u1", "a")
        assert await store.open_ids(CLIENT_KEY) == ["u1"]
        assert [a.version for a in await store.accounts(CLIENT_KEY)] == [3]
        assert await store.delete(CLIENT_KEY, "u1") and await store.get(CLIENT_KEY, "u1") is None
        await store.aclose()

    asyncio.run(scenario())
    with pytest.raises(ConfigurationError, match="store"):
        as_async(object())  # type: ignore[arg-type]
