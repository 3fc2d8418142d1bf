"""The behaviour every store promises (:class:`pytok_sm.stores.TokenStore`), run over each kind:
memory, SQLite, Redis and asyncio Redis. One test, one guarantee, for every store."""

from __future__ import annotations

import time
import traceback
from typing import Any

import pytest

from pytok_sm import AccountMismatch, ConfigurationError, TokenStoreError
from pytok_sm.stores import Account, CorruptRecord

from .helpers import CLIENT_KEY, Raw, token


def test_an_account_is_none_until_put_then_version_1_active_with_the_same_token(store: Any) -> None:
    assert store.get(CLIENT_KEY, "u1") is None
    before = time.time()
    account = store.put(CLIENT_KEY, token("u1"))
    assert isinstance(account, Account)
    assert (account.client_key, account.open_id, account.version, account.state, account.reason) == (
        CLIENT_KEY, "u1", 1, "active", None)
    assert before <= account.updated_at <= time.time()
    assert store.get(CLIENT_KEY, "u1") == account
    assert store.get(CLIENT_KEY, "u1").token == token("u1")
    assert store.get("another_app", "u1") is None


def test_put_overwrites_with_the_next_version_and_makes_the_account_active_again(store: Any) -> None:
    store.put(CLIENT_KEY, token("u1", "one"))
    store.mark(CLIENT_KEY, "u1", "reauth_required", "invalid_grant")
    again = store.put(CLIENT_KEY, token("u1", "two"))
    assert (again.version, again.state, again.reason) == (3, "active", None)
    assert store.get(CLIENT_KEY, "u1").token == token("u1", "two")


def test_put_needs_a_token_with_an_open_id_and_stores_nothing_without(store: Any) -> None:
    with pytest.raises(ConfigurationError, match="open_id"):
        store.put(CLIENT_KEY, token(None))  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="client_key"):
        store.put("", token("u1"))
    assert store.open_ids(CLIENT_KEY) == []


def test_compare_and_set_writes_only_at_the_expected_version(store: Any) -> None:
    first = store.put(CLIENT_KEY, token("u1", "one"))
    second = store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u1", "two"))
    assert (second.version, second.state, second.token) == (2, "active", token("u1", "two"))
    assert store.get(CLIENT_KEY, "u1") == second
    # A writer still holding version 1 loses, and changes nothing.
    assert store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u1", "stale")) is None
    assert store.compare_and_set(CLIENT_KEY, "u1", 7, token("u1", "future")) is None
    assert store.get(CLIENT_KEY, "u1") == second


def test_compare_and_set_from_0_inserts_only_when_there_is_no_account(store: Any) -> None:
    created = store.compare_and_set(CLIENT_KEY, "u1", 0, token("u1", "one"))
    assert created is not None and created.version == 1
    assert store.compare_and_set(CLIENT_KEY, "u1", 0, token("u1", "two")) is None
    assert store.compare_and_set(CLIENT_KEY, "u2", 1, token("u2")) is None  # no account u2: nothing at version 1
    assert store.get(CLIENT_KEY, "u1").token == token("u1", "one")
    assert store.open_ids(CLIENT_KEY) == ["u1"]


def test_compare_and_set_refuses_a_token_of_another_account_and_odd_versions(store: Any) -> None:
    first = store.put(CLIENT_KEY, token("u1"))
    with pytest.raises(AccountMismatch):
        store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u2"))
    for bad in (-1, True, 1.0, "1", None):
        with pytest.raises(ConfigurationError, match="expected_version"):
            store.compare_and_set(CLIENT_KEY, "u1", bad, token("u1", "two"))
    assert store.get(CLIENT_KEY, "u1") == first


def test_mark_keeps_the_token_bumps_the_version_and_never_deletes(store: Any) -> None:
    first = store.put(CLIENT_KEY, token("u1"))
    marked = store.mark(CLIENT_KEY, "u1", "reauth_required", "invalid_grant on refresh")
    assert (marked.version, marked.state, marked.reason, marked.token) == (
        2, "reauth_required", "invalid_grant on refresh", first.token)
    assert store.get(CLIENT_KEY, "u1") == marked
    removed = store.mark(CLIENT_KEY, "u1", "removed")
    assert (removed.version, removed.state, removed.reason) == (3, "removed", None)
    assert store.open_ids(CLIENT_KEY) == ["u1"] and store.get(CLIENT_KEY, "u1").token == first.token


def test_mark_with_an_expected_version_is_a_compare_and_set(store: Any) -> None:
    first = store.put(CLIENT_KEY, token("u1"))
    store.compare_and_set(CLIENT_KEY, "u1", first.version, token("u1", "two"))
    assert store.mark(CLIENT_KEY, "u1", "reauth_required", "late", expected_version=first.version) is None
    assert store.get(CLIENT_KEY, "u1").state == "active"
    done = store.mark(CLIENT_KEY, "u1", "reauth_required", "now", expected_version=2)
    assert (done.version, done.state) == (3, "reauth_required")
    assert store.mark(CLIENT_KEY, "nobody", "removed") is None
    assert store.open_ids(CLIENT_KEY) == ["u1"]


def test_mark_refuses_an_unknown_state(store: Any) -> None:
    store.put(CLIENT_KEY, token("u1"))
    with pytest.raises(ConfigurationError, match="state"):
        store.mark(CLIENT_KEY, "u1", "gone")
    assert store.get(CLIENT_KEY, "u1").version == 1


def test_delete_and_the_listings_of_a_client_key(store: Any) -> None:
    for open_id in ("u3", "u1", "u2"):
        store.put(CLIENT_KEY, token(open_id))
    store.put("another_app", token("u9"))
    store.mark(CLIENT_KEY, "u2", "reauth_required", "invalid_grant")
    assert store.open_ids(CLIENT_KEY) == ["u1", "u2", "u3"]
    assert [(a.open_id, a.state) for a in store.accounts(CLIENT_KEY)] == [
        ("u1", "active"), ("u2", "reauth_required"), ("u3", "active")]
    assert store.delete(CLIENT_KEY, "u2") is True
    assert store.delete(CLIENT_KEY, "u2") is False
    assert store.get(CLIENT_KEY, "u2") is None
    assert store.open_ids(CLIENT_KEY) == ["u1", "u3"]
    assert store.open_ids("another_app") == ["u9"] and store.open_ids("nobody") == []
    # Deleted, then written again: a new account from version 1.
    assert store.put(CLIENT_KEY, token("u2")).version == 1


def test_keys_with_separators_and_unicode_stay_apart(store: Any) -> None:
    store.put("app:1", token("x:y/z"))
    store.put("app", token("1:x:y/z"))
    store.put("app:1", token("é{}%"))
    assert store.open_ids("app:1") == ["x:y/z", "é{}%"]
    assert store.open_ids("app") == ["1:x:y/z"]
    assert store.get("app:1", "é{}%").token == token("é{}%")


# -- leases -------------------------------------------------------------------------------------


def test_a_lease_has_one_holder_and_only_the_holder_renews_or_releases_it(store: Any) -> None:
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=30) is True
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=30) is False
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=30) is True  # already a's: extended
    assert store.renew_lease(CLIENT_KEY, "u1", "b", ttl=30) is False
    assert store.release_lease(CLIENT_KEY, "u1", "b") is False
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=30) is False  # b's release did nothing
    assert store.renew_lease(CLIENT_KEY, "u1", "a", ttl=30) is True
    assert store.acquire_lease(CLIENT_KEY, "u2", "b", ttl=30) is True  # one lease per account
    assert store.release_lease(CLIENT_KEY, "u1", "a") is True
    assert store.release_lease(CLIENT_KEY, "u1", "a") is False
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=30) is True


def test_a_lease_expires_after_its_ttl_and_the_late_holder_can_no_longer_renew(store: Any) -> None:
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=0.3) is True
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=5) is False
    time.sleep(0.45)
    assert store.renew_lease(CLIENT_KEY, "u1", "a", ttl=5) is False
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=5) is True
    assert store.release_lease(CLIENT_KEY, "u1", "a") is False
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5) is False


def test_renewing_moves_the_expiry(store: Any) -> None:
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=0.4)
    time.sleep(0.25)
    assert store.renew_lease(CLIENT_KEY, "u1", "a", ttl=0.4)
    time.sleep(0.25)  # 0.5 s after the acquisition, 0.25 s after the renewal: still a's
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=5) is False


def test_a_lease_is_not_an_account_and_an_account_is_not_a_lease(store: Any) -> None:
    store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=30)
    assert store.get(CLIENT_KEY, "u1") is None and store.open_ids(CLIENT_KEY) == []
    store.put(CLIENT_KEY, token("u1"))
    store.delete(CLIENT_KEY, "u1")
    assert store.acquire_lease(CLIENT_KEY, "u1", "b", ttl=30) is False


@pytest.mark.parametrize(("holder", "ttl"), [("", 5), ("a\nb", 5), ("a", 0), ("a", -1), ("a", float("inf")),
                                             ("a", float("nan")), ("a", True), ("a", 86401)])
def test_odd_holders_and_ttls_are_configuration_errors(store: Any, holder: str, ttl: float) -> None:
    with pytest.raises(ConfigurationError):
        store.acquire_lease(CLIENT_KEY, "u1", holder, ttl)
    assert store.acquire_lease(CLIENT_KEY, "u1", "a", ttl=5) is True


# -- rows that cannot be read -------------------------------------------------------------------

CORRUPTIONS = [
    ("token", "{not json", "its token is not JSON"),
    ("token", "[1, 2]", "not a saved token"),
    ("token", '{"access_token": "act.x", "expires_at": "soon"}', "wrong type"),
    ("token", '{"access_token": 5, "expires_at": 1}', "wrong type"),
    ("version", "seven", "version"),
    ("version", 0, "version"),
    ("state", "zombie", "state"),
    ("updated_at", "yesterday", "updated_at"),
    ("reason", 42, "reason"),
]


@pytest.mark.parametrize(("field", "value", "problem"), CORRUPTIONS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CORRUPTIONS)])
def test_a_corrupt_row_is_a_typed_error_naming_the_account_and_is_left_as_it_is(
    store: Any, raw: Raw, field: str, value: object, problem: str
) -> None:
    store.put(CLIENT_KEY, token("u1"))
    store.put(CLIENT_KEY, token("u2"))
    raw.set("u1", field, value)
    damaged = raw.row("u1")
    for attempt in (lambda: store.get(CLIENT_KEY, "u1"), lambda: store.accounts(CLIENT_KEY),
                    lambda: store.mark(CLIENT_KEY, "u1", "removed")):
        with pytest.raises(CorruptRecord) as caught:
            attempt()
        error = caught.value
        assert isinstance(error, TokenStoreError) and error.corrupt
        assert (error.client_key, error.open_id) == (CLIENT_KEY, "u1")
        assert f"{CLIENT_KEY}/u1" in str(error) and store.where in str(error) and problem in str(error)
        assert "secret" not in str(error)
    assert raw.row("u1") == damaged
    assert store.get(CLIENT_KEY, "u2").token == token("u2")  # the other accounts stay readable
    assert store.delete(CLIENT_KEY, "u1") is True  # the way out the message gives
    assert store.put(CLIENT_KEY, token("u1")).version == 1


def test_a_token_of_another_open_id_inside_an_account_is_refused(store: Any, raw: Raw) -> None:
    store.put(CLIENT_KEY, token("u1"))
    store.put(CLIENT_KEY, token("u2"))
    raw.set("u1", "token", raw.row("u2")["token"])
    with pytest.raises(CorruptRecord, match="another open_id"):
        store.get(CLIENT_KEY, "u1")


def test_a_row_whose_version_cannot_be_read_is_not_overwritten_by_put_or_compare_and_set(store: Any, raw: Raw) -> None:
    store.put(CLIENT_KEY, token("u1"))
    raw.set("u1", "version", "seven")
    damaged = raw.row("u1")
    with pytest.raises(CorruptRecord, match="version"):
        store.put(CLIENT_KEY, token("u1", "two"))
    assert store.compare_and_set(CLIENT_KEY, "u1", 1, token("u1", "two")) is None
    assert store.mark(CLIENT_KEY, "u1", "removed", expected_version=1) is None
    assert raw.row("u1") == damaged


def test_the_error_of_a_corrupt_row_carries_no_frame_that_held_the_row(store: Any, raw: Raw) -> None:
    store.put(CLIENT_KEY, token("u1"))
    raw.set("u1", "token", '{"access_token": "act.canary-secret", "expires_at": "soon", "open_id": "u1"}')
    with pytest.raises(CorruptRecord) as caught:
        store.get(CLIENT_KEY, "u1")
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "read_row" not in frames and "_token_dict" not in frames
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "canary" not in "".join(traceback.format_exception(caught.value))
