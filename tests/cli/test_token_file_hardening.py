"""The token file against links, loose directories, foreign files and a newcomer's ``--store``.

An attacker who can write in the store's directory, or plant a symbolic link where pytok
keeps its files, must not get pytok to chmod, create, read or write anything through the
link; a directory others can write is refused. A ``--store`` that cannot take a token fails
before anyone approves a login (the fresh token would be lost), and a ``--store`` naming a
directory leaves that directory alone. Real files, links, FIFOs and modes; we run as root,
so "unwritable" means /proc or a file where a directory is expected.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytok_sm.cli.token_file import TokenStore, TokenStoreError
from pytok_sm.sandbox import Sandbox

from .helpers import Pytok, sandbox_flags
from .test_cli_usage import assert_one_line_error
from .test_store import mode, token

FOREIGN_UID = 4242


def raised_by(call: Callable[..., Any], *args: Any) -> BaseException | None:
    """The exception ``call(*args)`` raised, or None (so a test can check the damage first)."""
    try:
        call(*args)
    except Exception as error:  # noqa: BLE001 - the test inspects whatever came out
        return error
    return None


def assert_store_error(error: BaseException | None, *fragments: str, corrupt: bool = False) -> None:
    assert isinstance(error, TokenStoreError), f"expected a TokenStoreError, got {error!r}"
    for fragment in fragments:
        assert fragment in str(error), str(error)
    assert error.corrupt is corrupt


def saved_store(folder: Path, **kwargs: Any) -> TokenStore:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = TokenStore(folder / "tokens.json", **kwargs)
    store.save("app", token())
    return store


def victim_file(tmp_path: Path, text: str = "precious\n", file_mode: int = 0o644) -> Path:
    victim = tmp_path / "elsewhere" / "victim.conf"
    victim.parent.mkdir(exist_ok=True)
    victim.write_text(text)
    os.chmod(victim, file_mode)
    return victim


# ------------------------------------------------------------------------------ A. links
def test_a_lock_file_linked_to_another_file_is_refused_and_never_chmodded_through(tmp_path: Path) -> None:
    store = saved_store(tmp_path / "pytok")
    victim = victim_file(tmp_path)
    store.lock_path.unlink()
    store.lock_path.symlink_to(victim)
    for call, args in ((store.get, ("app",)), (store.save, ("app", token(open_id="u2"))), (store.load, ())):
        error = raised_by(call, *args)
        assert mode(victim) == 0o644, "pytok changed the mode of the file its lock link points to"
        assert_store_error(error, str(store.lock_path), "symbolic link", "rm ")
    assert victim.read_text() == "precious\n" and store.lock_path.is_symlink()


def test_a_dangling_lock_link_creates_nothing_where_it_points(tmp_path: Path) -> None:
    store = saved_store(tmp_path / "pytok")
    planted = tmp_path / "elsewhere" / "planted"
    planted.parent.mkdir()
    store.lock_path.unlink()
    store.lock_path.symlink_to(planted)
    error = raised_by(store.save, "app", token(open_id="u2"))
    assert not os.path.lexists(planted), "pytok created a file through a dangling lock link"
    assert_store_error(error, str(store.lock_path), "symbolic link")
    assert store.lock_path.is_symlink()


def test_a_linked_token_file_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    real = saved_store(tmp_path / "real")
    os.chmod(real.path, 0o644)
    before = real.path.read_bytes()
    folder = tmp_path / "pytok"
    folder.mkdir(mode=0o700)
    link = folder / "tokens.json"
    link.symlink_to(real.path)
    store = TokenStore(link)
    for call, args in ((store.get, ("app",)), (store.save, ("app", token(open_id="u2"))), (store.accounts, ("app",))):
        error = raised_by(call, *args)
        assert mode(real.path) == 0o644, "pytok chmodded the target of a linked token file"
        assert_store_error(error, str(link), "symbolic link", "--store")
    assert real.path.read_bytes() == before and link.is_symlink()


def test_a_dangling_token_file_link_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "pytok"
    folder.mkdir(mode=0o700)
    planted = tmp_path / "elsewhere" / "tokens.json"
    planted.parent.mkdir()
    link = folder / "tokens.json"
    link.symlink_to(planted)
    store = TokenStore(link)
    error = raised_by(store.get, "app")
    assert_store_error(error, str(link), "symbolic link")
    assert_store_error(raised_by(store.save, "app", token()), str(link), "symbolic link")
    assert link.is_symlink() and not os.path.lexists(planted)


def test_a_linked_default_directory_is_never_chmodded_through_the_link(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "pytok"
    target.mkdir(parents=True)
    os.chmod(target, 0o755)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "pytok").symlink_to(target)
    store = TokenStore(tmp_path / "config" / "pytok" / "tokens.json", private_dir=True)
    store.save("app", token())
    assert store.get("app") is not None
    assert mode(target) == 0o755


# ------------------------------------------------------------------------------ A. loose directories
@pytest.mark.parametrize("loose", [0o777, 0o775, 0o757, 0o730, 0o703], ids=lambda m: f"{m:04o}")
def test_a_directory_others_can_write_is_refused_and_left_as_it_is(tmp_path: Path, loose: int) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, loose)
    store = TokenStore(folder / "tokens.json")
    for call, args in ((store.save, ("app", token())), (store.get, ("app",)), (lambda: store.check_writable(), ())):
        error = raised_by(call, *args)
        assert mode(folder) == loose and list(folder.iterdir()) == []  # no lock, no file, no chmod
        assert_store_error(error, str(folder), "chmod 700", f"{loose:04o}")


def test_an_existing_file_in_a_directory_others_can_write_is_not_read(tmp_path: Path) -> None:
    store = saved_store(tmp_path / "shared")
    os.chmod(store.path.parent, 0o777)
    assert_store_error(raised_by(store.get, "app"), str(store.path.parent), "chmod 700")


def test_a_sticky_shared_directory_is_usable_only_with_our_own_files(tmp_path: Path) -> None:
    folder = tmp_path / "sticky"
    folder.mkdir()
    os.chmod(folder, 0o1777)  # like /tmp: others cannot rename or delete what we own
    store = TokenStore(folder / "tokens.json")
    store.save("app", token())
    assert store.get("app") is not None
    os.chown(store.path, FOREIGN_UID, FOREIGN_UID)  # someone else's file under our name
    assert_store_error(raised_by(store.get, "app"), str(store.path), f"uid {FOREIGN_UID}")


def test_the_default_directory_open_to_others_is_made_private_with_a_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    store = saved_store(tmp_path / "pytok", warn=warnings.append, private_dir=True)
    os.chmod(store.path.parent, 0o777)
    assert store.get("app") is not None
    assert mode(store.path.parent) == 0o700
    assert any("0777" in w and "0700" in w for w in warnings), warnings


@pytest.mark.parametrize("which", ["token file", "lock file"])
def test_a_token_or_lock_file_owned_by_someone_else_is_refused(tmp_path: Path, which: str) -> None:
    store = saved_store(tmp_path / "pytok")
    path = store.path if which == "token file" else store.lock_path
    os.chmod(path, 0o644)
    os.chown(path, FOREIGN_UID, FOREIGN_UID)
    for call, args in ((store.get, ("app",)), (store.save, ("app", token(open_id="u2")))):
        assert_store_error(raised_by(call, *args), str(path), f"uid {FOREIGN_UID}")
    assert mode(path) == 0o644 and path.stat().st_uid == FOREIGN_UID


def test_a_fifo_at_the_token_path_is_refused_without_blocking(pytok: Pytok, tmp_path: Path) -> None:
    fifo = tmp_path / "tokens.json"
    os.mkfifo(fifo, 0o600)
    result = pytok.run("--store", str(fifo), "token", "--client-key", "app", timeout=15)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, str(fifo), "not a regular file")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_device_as_store_is_refused_and_never_moved_aside(pytok: Pytok, tmp_path: Path) -> None:
    """``--store /dev/null`` read as an empty, corrupt file would let --move-corrupt-store rename it."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("cannot create a device node here")
    result = pytok.run("--move-corrupt-store", "--store", str(device), "token", "--client-key", "app")
    assert stat.S_ISCHR(device.stat().st_mode), "pytok moved a device node aside"
    assert list(tmp_path.glob("null.corrupt-*")) == []
    assert result.returncode == 2
    assert_one_line_error(result.stderr, str(device), "not a regular file")


# ------------------------------------------------------------------------------ C. --store before the login
UNWRITABLE = {
    "proc": lambda tmp: Path("/proc/tokens.json"),
    "proc-subdir": lambda tmp: Path("/proc/pytok-no-such-dir/tokens.json"),
    "file-as-directory": lambda tmp: tmp / "notes.txt" / "tokens.json",
}


def _unwritable(tmp_path: Path, kind: str) -> Path:
    (tmp_path / "notes.txt").write_text("a file, not a directory\n")
    return UNWRITABLE[kind](tmp_path)


@pytest.mark.parametrize("kind", sorted(UNWRITABLE))
def test_login_to_an_unwritable_store_fails_before_the_authorize_step(pytok: Pytok, tmp_path: Path, kind: str) -> None:
    store = _unwritable(tmp_path, kind)
    result = pytok.run("--store", str(store), "login", "--sandbox", "--no-browser", "--timeout", "3", timeout=30)
    assert "Open this URL" not in result.stderr, "the login started although the token could not be saved"
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, str(store.parent), "--store")
    assert not os.path.lexists(store)


def test_qr_login_to_an_unwritable_store_fails_before_any_qr_code(pytok: Pytok, sandbox: Sandbox) -> None:
    store = Path("/proc/tokens.json")
    result = pytok.run(*sandbox_flags(sandbox, store), "login", "--qr", "--timeout", "3", timeout=30)
    assert "Scan this QR code" not in result.stdout
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, "/proc", "--store")


def test_login_with_a_directory_as_store_leaves_the_directory_alone(pytok: Pytok, tmp_path: Path) -> None:
    folder = tmp_path / "my-tokens"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "keep.txt").write_text("mine\n")
    result = pytok.run("--store", str(folder), "login", "--sandbox", "--no-browser", "--timeout", "3", timeout=30)
    assert mode(folder) == 0o755, "pytok changed the mode of a directory given as --store"
    assert "Open this URL" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, str(folder), "is a directory", "tokens.json")
    assert "had mode" not in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    assert not os.path.lexists(tmp_path / "my-tokens.lock")


def test_the_write_probe_leaves_an_existing_store_byte_for_byte(tmp_path: Path) -> None:
    store = saved_store(tmp_path / "pytok")
    before = store.path.read_bytes()
    TokenStore(store.path).check_writable()
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["tokens.json", "tokens.json.lock"]
    data = json.loads(before)
    assert list(data["clients"]["app"]["accounts"]) == ["u1"]
