"""Every field of the token file is checked: a damaged file is a TokenStoreError, never a crash.

Each damage names the entry (client key, open_id; never a secret), leaves the file untouched,
and ``pytok --move-corrupt-store`` recovers from it. A file over the size cap is refused
without being read whole. Hypothesis damages valid files at random: reading raises nothing
but TokenStoreError, and always one that ``--move-corrupt-store`` can act on.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytok_sm.cli.token_file import TokenStore, TokenStoreError

from .helpers import Pytok
from .test_cli_usage import assert_one_line_error
from .test_store import token

SECRET = "act.SECRET-never-shown"
REFRESH = "rft.SECRET-refresh-never-shown"


def entry(open_id: str | None = "u1", **changes: Any) -> dict[str, Any]:
    saved = token(open_id=open_id or "x", access=SECRET, refresh=REFRESH).to_dict()
    saved["open_id"] = open_id
    saved.update(changes)
    return {"token": saved, "saved_at": 1_700_000_000.0}


def document(**client_changes: Any) -> dict[str, Any]:
    client = {"current": "u1", "accounts": {"u1": entry()}}
    client.update(client_changes)
    return {"schema_version": 1, "clients": {"aw_app": client}}


def with_token(**changes: Any) -> dict[str, Any]:
    return document(accounts={"u1": entry(**changes)})


#: name -> (file content, fragments the message must hold)
DAMAGED: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "current-is-a-list": (document(current=[]), ("'aw_app'", "current")),
    "current-is-an-object": (document(current={"u1": 1}), ("'aw_app'", "current")),
    "current-is-a-number": (document(current=7), ("'aw_app'", "current")),
    "expires_at-true": (with_token(expires_at=True), ("'aw_app'", "'u1'", "expires_at")),
    "expires_at-a-string": (with_token(expires_at="2000000000"), ("'aw_app'", "'u1'", "expires_at")),
    "expires_at-infinite": (with_token(expires_at=float("inf")), ("'u1'", "expires_at")),
    "refresh_expires_at-false": (with_token(refresh_expires_at=False), ("'u1'", "refresh_expires_at")),
    "expires_at-missing": (with_token(expires_at=None), ("'u1'", "expires_at")),
    "token_type-zero": (with_token(token_type=0), ("'u1'", "token_type")),
    "token-schema_version-true": (with_token(schema_version=True), ("'u1'", "schema_version")),
    "open_id-of-another-account": (with_token(open_id="u2"), ("'aw_app'", "'u1'", "'u2'")),
    "open_id-missing-under-a-key": (with_token(open_id=None), ("'aw_app'", "'u1'", "open_id")),
    "saved_at-true": (document(accounts={"u1": {**entry(), "saved_at": True}}), ("'u1'", "saved_at")),
    "saved_at-a-string": (document(accounts={"u1": {**entry(), "saved_at": "today"}}), ("'u1'", "saved_at")),
    "client-is-a-list": ({"schema_version": 1, "clients": {"aw_app": []}}, ("'aw_app'",)),
    "clients-is-a-list": ({"schema_version": 1, "clients": []}, ("clients",)),
    "schema_version-true": ({"schema_version": True, "clients": {}}, ("schema_version",)),
    "schema_version-1.0": ({"schema_version": 1.0, "clients": {}}, ("schema_version",)),
    "schema_version-string": ({"schema_version": "1", "clients": {}}, ("schema_version",)),
}


def write(path: Path, content: dict[str, Any] | bytes) -> bytes:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_bytes(raw)
    os.chmod(path, 0o600)
    return raw


def test_the_fixture_document_itself_is_valid(tmp_path: Path) -> None:
    write(tmp_path / "tokens.json", document())
    found = TokenStore(tmp_path / "tokens.json").get("aw_app")
    assert found is not None and found.open_id == "u1"


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_a_damaged_field_is_a_token_store_error_naming_the_entry(tmp_path: Path, name: str) -> None:
    content, fragments = DAMAGED[name]
    path = tmp_path / "tokens.json"
    raw = write(path, content)
    store = TokenStore(path)
    for call, args in ((store.get, ("aw_app",)), (store.accounts, ("aw_app",)), (store.save, ("aw_app", token(open_id="u9")))):
        with pytest.raises(TokenStoreError) as caught:
            call(*args)
        message = str(caught.value)
        assert caught.value.corrupt, message
        assert str(path) in message and "--move-corrupt-store" in message
        for fragment in fragments:
            assert fragment in message, message
        assert "SECRET" not in message
    assert path.read_bytes() == raw


@pytest.mark.parametrize(
    "name", ["current-is-a-list", "expires_at-true", "open_id-of-another-account", "schema_version-true", "saved_at-true"]
)
def test_the_cli_refuses_each_damage_with_exit_2_and_move_corrupt_store_recovers(pytok: Pytok, name: str) -> None:
    content, fragments = DAMAGED[name]
    raw = write(pytok.default_store, content)
    result = pytok.run("token", "--client-key", "aw_app")
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, str(pytok.default_store), "--move-corrupt-store", *fragments)
    assert "SECRET" not in result.stderr + result.stdout
    recovered = pytok.run("--move-corrupt-store", "token", "--client-key", "aw_app")
    assert recovered.returncode == 3, recovered.stderr  # an empty store now: not logged in
    assert "pytok: warning: moved the unreadable token file to" in recovered.stderr
    backups = list(pytok.default_store.parent.glob("tokens.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == raw
    assert not pytok.default_store.exists()


RAW_DAMAGE = {
    "a-5000-digit-number": b'{"schema_version": 1, "clients": {}, "x": ' + b"9" * 5000 + b"}",
    "nan-expires_at": json.dumps(with_token(expires_at=float("nan"))).encode(),
    "deep-nesting": b'{"schema_version": 1, "clients": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "lone-surrogate-client-key": b'{"schema_version": 1, "clients": {"\\ud800": []}}',
    "nul-bytes": b"\0" * 1000,
    "utf-16": json.dumps(document()).encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(RAW_DAMAGE))
def test_hostile_bytes_are_a_movable_token_store_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / "tokens.json"
    raw = write(path, RAW_DAMAGE[name])
    with pytest.raises(TokenStoreError) as caught:
        TokenStore(path).get("aw_app")
    assert caught.value.corrupt and str(path) in str(caught.value)
    str(caught.value).encode("utf-8")  # printable on any terminal: no lone surrogate inside
    assert path.read_bytes() == raw


# ------------------------------------------------------------------------------ size
def test_a_token_file_over_the_cap_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    write(path, b"")
    os.truncate(path, 64 * 1024 * 1024)  # sparse: 64 MiB of NUL bytes
    with pytest.raises(TokenStoreError) as caught:
        TokenStore(path).get("app")
    message = str(caught.value)
    assert str(path) in message and "4 MiB" in message and "--move-corrupt-store" in message
    assert caught.value.corrupt


def test_a_valid_file_padded_just_over_the_cap_is_refused_and_just_under_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    body = json.dumps(document()).encode()
    cap = 4 * 1024 * 1024
    write(path, body + b" " * (cap - len(body)))
    assert TokenStore(path).get("aw_app") is not None
    write(path, body + b" " * (cap - len(body) + 1))
    with pytest.raises(TokenStoreError, match="4 MiB"):
        TokenStore(path).get("aw_app")


def test_a_save_that_would_exceed_the_cap_is_refused_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.save("app", token(open_id="u0"))
    monkeypatch.setattr("pytok_sm.cli._token_file_schema.MAX_FILE_BYTES", store.path.stat().st_size + 200)
    before = store.path.read_bytes()
    with pytest.raises(TokenStoreError, match="too large") as caught:
        for n in range(1, 10):
            store.save("app", token(open_id=f"u{n}"))
    assert not caught.value.corrupt
    assert store.path.read_bytes() == before and store.accounts("app") == ["u0"]


# ------------------------------------------------------------------------------ property test
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


#: Values that pass for another type in lenient code: booleans as numbers, empty containers, ...
TYPE_CONFUSERS = st.sampled_from(
    [True, False, 0, 1, -1, 2**64, 1e308, float("inf"), float("nan"), "", "1", "u2", "-", [], {}, ["u1"], {"u1": 1}, None]
)
HOSTILE = st.one_of(TYPE_CONFUSERS, JSON_VALUES)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (dict keys and list indexes), the value itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


@st.composite
def damaged_documents(draw: st.DrawFn) -> bytes:
    """A valid token file with one to three places replaced, removed or re-keyed; or noise."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "any-json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "any-json":
        return json.dumps(draw(JSON_VALUES)).encode()
    doc: Any = document(accounts={"u1": entry(), "u2": entry("u2"), "-": entry(None)})
    doc["clients"]["other"] = copy.deepcopy(doc["clients"]["aw_app"])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths_of(doc)))
        action = draw(st.sampled_from(["replace", "replace", "delete", "rename"]))
        if not where:
            doc = draw(JSON_VALUES)
            continue
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        last = where[-1]
        if action == "replace":
            parent[last] = draw(HOSTILE)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=6))] = parent.pop(last)
    return json.dumps(doc).encode()


def is_time(value: object, *, optional: bool) -> bool:
    if value is None:
        return optional
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf")


def well_typed(document: Any) -> bool:
    """The spec, written apart from the code: what a token file that reads without error holds."""
    if not isinstance(document, dict) or type(document.get("schema_version")) is not int:
        return False
    clients = document.get("clients", {})
    if document["schema_version"] != 1 or not isinstance(clients, dict):
        return False
    for client in clients.values():
        if not isinstance(client, dict) or not isinstance(client.get("accounts"), dict):
            return False
        current = client.get("current")
        if current is not None and (not isinstance(current, str) or current not in client["accounts"]):
            return False
        for key, entry in client["accounts"].items():
            saved = entry.get("token") if isinstance(entry, dict) else None
            if not isinstance(saved, dict) or not is_time(entry.get("saved_at"), optional=True):
                return False
            if not (is_time(saved.get("expires_at"), optional=False) and is_time(saved.get("refresh_expires_at"), optional=True)):
                return False
            version = saved.get("schema_version", 1)
            if type(version) is not int or version != 1 or (saved.get("open_id") or "-") != key:
                return False
            if not isinstance(saved.get("token_type", ""), (str, type(None))):
                return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=damaged_documents())
def test_reading_any_damaged_file_raises_only_a_movable_token_store_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tokens.json"
        write(path, raw)
        store = TokenStore(path)
        try:
            store.load()
            for client_key in ("aw_app", "other", ""):
                for open_id in store.accounts(client_key):
                    store.get(client_key, open_id)
                store.get(client_key)
        except TokenStoreError as error:
            assert error.corrupt, str(error)  # --move-corrupt-store can act on it
            assert str(path) in str(error) and "SECRET" not in str(error)
        else:
            assert well_typed(json.loads(raw)), "a file with a field of the wrong type was read as tokens"
        assert path.read_bytes() == raw
