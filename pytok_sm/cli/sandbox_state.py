"""Finding the running sandbox: its state file, ``$PYTOK_SANDBOX``, and stale leftovers.

A sandbox served by ``pytok sandbox`` (in a terminal, or in the background with ``pytok
sandbox start``) writes a **state file** while it runs: ``$XDG_RUNTIME_DIR/pytok/sandbox.json``
(else ``$XDG_STATE_HOME/pytok/``, else ``~/.local/state/pytok/``), mode 0600 in a 0700
directory, holding its URL, pid, client key and secret. ``pytok --sandbox <command>`` finds
it there; ``$PYTOK_SANDBOX`` (the URL ``pytok sandbox env`` prints) names one directly, for
scripts and other machines' shells. Either way the sandbox is asked
``GET /sandbox/status`` first: a state file whose process is gone, or whose port is closed
or answered by another process, is **stale** and is removed, with a warning saying why
(the process is never signalled). Tokens of ``--sandbox`` go to a token file of their own,
``sandbox-tokens.json`` beside the state file, never to the real one.

Example:
    >>> state_path({"XDG_RUNTIME_DIR": "/run/user/1000"}).as_posix()
    '/run/user/1000/pytok/sandbox.json'
    >>> token_path({"XDG_STATE_HOME": "/s", "HOME": "/home/ann"}).as_posix()
    '/s/pytok/sandbox-tokens.json'
    >>> state_path({"HOME": "/home/ann"}).as_posix()
    '/home/ann/.local/state/pytok/sandbox.json'
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import _contract as contract
from .exits import CheckFailed, UsageError

__all__ = [
    "ENV_SANDBOX",
    "ENV_SANDBOX_KEY",
    "ENV_SANDBOX_SECRET",
    "SandboxNotRunning",
    "SandboxTarget",
    "credentials",
    "find",
    "log_path",
    "pid_alive",
    "probe",
    "remove_state",
    "running",
    "state_dir",
    "state_path",
    "token_path",
    "write_state",
]

ENV_SANDBOX = "PYTOK_SANDBOX"
ENV_SANDBOX_KEY = "PYTOK_SANDBOX_CLIENT_KEY"
ENV_SANDBOX_SECRET = "PYTOK_SANDBOX_CLIENT_SECRET"
SCHEMA_VERSION = 1
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

Warn = Callable[[str], None]


class SandboxNotRunning(CheckFailed):
    """``--sandbox`` (or ``$PYTOK_SANDBOX``) found no sandbox to talk to: exit code 1."""


@dataclass(frozen=True)
class SandboxTarget:
    """A sandbox to talk to: where, with which app, and which process serves it.

    Example:
        >>> target = SandboxTarget("http://127.0.0.1:18080", "key", "secret", pid=42)
        >>> target.base_api_url, target.port
        ('http://127.0.0.1:18080/v2/', 18080)
        >>> target.exports()[0]
        'export PYTOK_SANDBOX=http://127.0.0.1:18080'
    """

    url: str
    client_key: str
    client_secret: str
    pid: int | None = None
    started_at: float | None = None

    @property
    def authorization_url(self) -> str:
        """The sandbox's authorize page."""
        return self.url + contract.AUTHORIZE_PATH

    @property
    def base_api_url(self) -> str:
        """The sandbox's API root (trailing slash)."""
        return self.url + "/v2/"

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(urlsplit(self.url).port or 80)

    def exports(self) -> list[str]:
        """The shell lines that aim scripts (and every ``pytok``) at this sandbox."""
        return [
            f"export {name}={shlex.quote(value)}"
            for name, value in (
                (ENV_SANDBOX, self.url), (ENV_SANDBOX_KEY, self.client_key), (ENV_SANDBOX_SECRET, self.client_secret)
            )
        ]


# ---------------------------------------------------------------------------- where
def state_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_RUNTIME_DIR/pytok``, else ``$XDG_STATE_HOME/pytok``, else ``~/.local/state/pytok``
    (a relative value is ignored, as the XDG spec says)."""
    for name in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME"):
        value = environ.get(name, "")
        if value and os.path.isabs(value):
            return Path(value) / "pytok"
    home = environ.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".local" / "state" / "pytok"


def state_path(environ: Mapping[str, str]) -> Path:
    """The state file of the running sandbox."""
    return state_dir(environ) / "sandbox.json"


def token_path(environ: Mapping[str, str]) -> Path:
    """The token file of ``pytok --sandbox`` (sandbox tokens never mix with real ones)."""
    return state_dir(environ) / "sandbox-tokens.json"


def log_path(environ: Mapping[str, str]) -> Path:
    """Where a sandbox started in the background writes its output."""
    return state_dir(environ) / "sandbox.log"


# ---------------------------------------------------------------------------- the state file
def make_state_dir(environ: Mapping[str, str]) -> Path:
    """The state directory, created 0700 (and set back to 0700 if it is ours and looser)."""
    directory = state_dir(environ)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        directory.chmod(0o700)
    return directory


def write_state(path: Path, target: SandboxTarget) -> None:
    """Create the state file (0600) atomically; FileExistsError when one is there already."""
    record = {
        "schema_version": SCHEMA_VERSION, "url": target.url, "port": target.port, "pid": target.pid,
        "client_key": target.client_key, "client_secret": target.client_secret, "started_at": target.started_at,
    }
    fd, temp = tempfile.mkstemp(prefix=".sandbox-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)  # complete or absent, and FileExistsError if another sandbox got there first
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: an exclusive create will do
            with open(path, "x", encoding="utf-8") as out:
                os.chmod(path, 0o600)
                json.dump(record, out, indent=2)
    finally:
        os.unlink(temp)


def read_state(path: Path) -> SandboxTarget:
    """The state file's sandbox; ValueError (or OSError) when it cannot be read."""
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError("not a sandbox state file of this version")
    url, pid, key, secret = data.get("url"), data.get("pid"), data.get("client_key"), data.get("client_secret")
    if not (isinstance(url, str) and isinstance(pid, int) and isinstance(key, str) and isinstance(secret, str)):
        raise ValueError("a field is missing or of the wrong type")
    started = data.get("started_at")
    return SandboxTarget(url, key, secret, pid=pid, started_at=float(started) if started is not None else None)


def remove_state(path: Path, pid: int | None = None) -> None:
    """Remove the state file (only if it names ``pid``, when given)."""
    with contextlib.suppress(OSError, ValueError):
        if pid is not None and read_state(path).pid != pid:
            return
        path.unlink()


# ---------------------------------------------------------------------------- is it alive?
def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (ended, not yet reaped) counts as gone.

    Example:
        >>> pid_alive(os.getpid())
        True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


def probe(url: str, timeout: float = 3.0) -> dict[str, Any] | None:
    """The answer of ``GET <url>/sandbox/status``, None unless a pytok_sm sandbox answered."""
    import httpx

    try:
        answer = httpx.get(url + "/sandbox/status", timeout=timeout, trust_env=False)
        data = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    if answer.status_code != 200 or not isinstance(data, dict) or data.get("sandbox") != "pytok_sm":
        return None
    return data


def running(environ: Mapping[str, str], *, warn: Warn) -> SandboxTarget | None:
    """The sandbox of the state file, checked alive; a stale state file is removed (``warn``)."""
    path = state_path(environ)
    if not path.exists():
        return None
    reason = None
    try:
        target = read_state(path)
    except (OSError, ValueError):
        reason = "it cannot be read"
    else:
        assert target.pid is not None
        if not pid_alive(target.pid):
            reason = f"pid {target.pid} is not running"
        elif (status := probe(target.url)) is None:
            reason = f"nothing answers at {target.url}"
        elif status.get("pid") != target.pid:
            reason = f"the sandbox at {target.url} is pid {status.get('pid')}, not pid {target.pid}"
    if reason is None:
        return target
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    warn(f"removed the stale sandbox state file {path}: {reason}")
    return None


def _env_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or parts.port is None or parts.path not in ("", "/"):
        raise UsageError(
            f"{ENV_SANDBOX} must be the sandbox's URL, such as http://127.0.0.1:18080 "
            f"(pytok sandbox env prints it), not {value!r}"
        )
    return f"http://{parts.netloc}"


def find(environ: Mapping[str, str], *, warn: Warn) -> SandboxTarget | None:
    """The sandbox to talk to: ``$PYTOK_SANDBOX`` (which must answer), else the state file's
    (None when none runs)."""
    value = environ.get(ENV_SANDBOX, "")
    if not value:
        return running(environ, warn=warn)
    url = _env_url(value)
    status = probe(url)
    if status is None:
        raise SandboxNotRunning(
            f"no sandbox answers at {url} (${ENV_SANDBOX}); start one with pytok sandbox start, or unset {ENV_SANDBOX}"
        )
    key = str(status.get("client_key", ""))
    secret = ""
    with contextlib.suppress(OSError, ValueError):
        recorded = read_state(state_path(environ))
        if recorded.url == url and recorded.client_key == key:
            secret = recorded.client_secret
    if not secret:
        from ..sandbox._apps import DEFAULT_CLIENT_KEY, DEFAULT_CLIENT_SECRET

        secret = DEFAULT_CLIENT_SECRET if key == DEFAULT_CLIENT_KEY else ""
    pid = status.get("pid")
    return SandboxTarget(url, key, secret, pid=pid if isinstance(pid, int) else None)


def credentials(target: SandboxTarget, args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[str, str]:
    """The app to use at the sandbox: ``--client-key``/``--client-secret``, else
    ``$PYTOK_SANDBOX_CLIENT_KEY``/``_SECRET``, else the sandbox's own (the real
    ``$PYTOK_CLIENT_KEY``/``_SECRET`` never: they belong to TikTok)."""
    key = getattr(args, "client_key", None) or environ.get(ENV_SANDBOX_KEY) or target.client_key
    secret = getattr(args, "client_secret", None) or environ.get(ENV_SANDBOX_SECRET)
    if not secret and key == target.client_key:
        secret = target.client_secret
    if not secret:
        raise UsageError(f"no client secret for the app {key} of the sandbox: pass --client-secret or set {ENV_SANDBOX_SECRET}")
    return str(key), str(secret)
