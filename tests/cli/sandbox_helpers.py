"""Helpers of the tests of the sandbox as a service: ``pytok sandbox start|stop|status|env``,
``--sandbox`` on every command, and approving logins without a browser.

Every ``pytok`` runs in an isolated home whose state directories (``XDG_RUNTIME_DIR``,
``XDG_STATE_HOME``) are under ``tmp_path`` too, so the state file of a sandbox started by a
test is never the developer's. A background sandbox started by a test is stopped by the
fixture that started it, whatever the test did (``pytok sandbox stop``, then a kill of the
pid it recorded if that did not do it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import Pytok, Running

URL = re.compile(r"http://127\.0\.0\.1:(\d+)")


class ServicePytok(Pytok):
    """``pytok`` with HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR and XDG_STATE_HOME under ``tmp_path``."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.env.update(XDG_RUNTIME_DIR=str(runtime), XDG_STATE_HOME=str(tmp_path / "state"))
        self.env.pop("PYTHONWARNINGS", None)

    @property
    def state_dir(self) -> Path:
        return Path(self.env["XDG_RUNTIME_DIR"]) / "pytok"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "sandbox.json"

    @property
    def sandbox_store(self) -> Path:
        """The token file of ``--sandbox`` (never the real one)."""
        return self.state_dir / "sandbox-tokens.json"

    def state(self) -> dict[str, object]:
        return dict(json.loads(self.state_file.read_text(encoding="utf-8")))


@dataclass
class Background:
    """A sandbox started with ``pytok sandbox start`` for one test."""

    url: str
    port: int
    pid: int
    client_key: str
    client_secret: str


def pid_alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie, dead but not reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def kill_quietly(pid: int) -> None:
    """The safety net of the fixtures: a sandbox the test started must not outlive it."""
    if pid_alive(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 5)


@pytest.fixture(name="service")
def service_fixture(tmp_path: Path) -> ServicePytok:
    """``pytok`` in an isolated home, state directories included."""
    return ServicePytok(tmp_path)


@pytest.fixture(name="background")
def background_fixture(service: ServicePytok) -> Iterator[Background]:
    """``pytok sandbox start``; stopped (and killed if need be) when the test ends."""
    started = service.run("sandbox", "start")
    pid = None
    try:
        assert started.returncode == 0, started.stderr
        state = service.state()
        pid = int(str(state["pid"]))
        url = str(state["url"])
        port = int(URL.fullmatch(url).group(1))  # type: ignore[union-attr]
        yield Background(url, port, pid, str(state["client_key"]), str(state["client_secret"]))
    finally:
        with contextlib.suppress(Exception):
            service.run("sandbox", "stop", timeout=30)
        if pid is None and service.state_file.exists():
            with contextlib.suppress(Exception):
                pid = int(str(service.state()["pid"]))
        if pid is not None:
            kill_quietly(pid)


@contextlib.contextmanager
def stopped_at_the_end(running: Running) -> Iterator[Running]:
    """A ``pytok`` started by a test, killed if the test did not see it end."""
    try:
        yield running
    finally:
        running.kill()


def authorize_url(running: Running) -> str:
    running.wait_for(r"^Open this URL in your browser to log in:")
    return running.wait_for(r"^\s+(http\S+)").group(1)


def env_lines(stdout: str) -> dict[str, str]:
    """The ``export NAME=value`` lines of ``pytok sandbox env`` as a mapping."""
    import shlex

    found = {}
    for line in stdout.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            name, _, value = words[1].partition("=")
            found[name] = value
    return found
