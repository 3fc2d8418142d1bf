"""Helpers of the CLI tests: run ``pytok`` as a real subprocess in an isolated home.

Every run gets its own ``HOME`` and ``XDG_CONFIG_HOME`` (so the default token file is under
``tmp_path``), no ``PYTOK_*`` variables, no display and no ``BROWSER`` (so nothing ever opens
a browser), unless a test says otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pytok_sm._token import Token
from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import Sandbox

from ..ports import free_port, port_is_free  # noqa: F401 - re-exported for the CLI tests

PYTOK = [sys.executable, "-m", "pytok_sm.cli"]
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of one ``pytok`` run: nothing of the developer's setup leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTOK_") and k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "NO_COLOR")
    }
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONUNBUFFERED="1",
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    env.update(extra)
    return env


class Pytok:
    """Runs ``pytok`` in a subprocess with an isolated environment."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.env = isolated_env(tmp_path)

    @property
    def default_store(self) -> Path:
        return self.tmp_path / "config" / "pytok" / "tokens.json"

    def run(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        done = subprocess.run(
            [*PYTOK, *args], capture_output=True, text=True, timeout=timeout,
            env={**self.env, **(env or {})}, cwd=cwd or self.tmp_path,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, env: dict[str, str] | None = None) -> Running:
        process = subprocess.Popen(
            [*PYTOK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**self.env, **(env or {})}, cwd=self.tmp_path,
        )
        return Running(process)


class Running:
    """A running ``pytok`` whose stdout and stderr are read line by line in threads."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.out: list[str] = []
        self.err: list[str] = []
        self._seen = threading.Condition()
        self._threads = [
            threading.Thread(target=self._pump, args=(process.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(process.stderr, self.err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: object, sink: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._seen:
                sink.append(line)
                self._seen.notify_all()

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first line so far (stdout, then stderr) matching ``pattern``; waits for one."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in [*self.out, *self.err]:
                    found = re.search(pattern, line)
                    if found:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not any(t.is_alive() for t in self._threads)):
                    raise AssertionError(
                        f"no line matched {pattern!r}; stdout={''.join(self.out)!r} stderr={''.join(self.err)!r}"
                    )
                self._seen.wait(min(left, 0.2))

    def finish(self, timeout: float = 30.0) -> Result:
        code = self.process.wait(timeout)
        for thread in self._threads:
            thread.join(5)
        return Result(code, "".join(self.out), "".join(self.err))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def sandbox_flags(sb: Sandbox, store: Path) -> list[str]:
    """Global flags aiming ``pytok`` at a sandbox started by the test."""
    return [
        "--store", str(store), "--client-key", sb.client_key, "--client-secret", sb.client_secret,
        "--authorization-url", sb.authorization_url, "--base-api-url", sb.base_api_url,
    ]


def seed_token(sb: Sandbox, store: Path, scopes: tuple[str, ...] = ("user.info.basic",), **changes: object) -> Token:
    """Log the sandbox user in without HTTP and store the token as ``pytok login`` would."""
    body = {**sb.issue_tokens(list(scopes)), **changes}
    token = Token.from_dict(body)
    TokenStore(store).save(sb.client_key, token)
    return token


