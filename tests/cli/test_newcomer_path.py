"""The README's path, walked as a newcomer on a fresh machine would: a new virtualenv, the
package installed from a fresh copy of the sources, then the console script ``pytok``.

``python -m venv --system-site-packages`` + ``pip install -e '.[test]' --no-deps`` (the
dependencies are already there) takes about 6 to 18 s on the 2-core CI machine, so it runs
every time. Then: ``pytok demo``, ``pytok sandbox start`` (background), ``pytok login
--sandbox --approve``, ``pytok whoami --sandbox``, ``pytok refresh --sandbox``, ``pytok revoke
--sandbox``, ``pytok whoami --sandbox`` (exit 3: not logged in any more), ``pytok sandbox stop``,
each checked for its output and exit code. HOME and the XDG directories are temporary; the
background sandbox is stopped by the fixture whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import REPO, Result, isolated_env
from .sandbox_helpers import kill_quietly, pid_alive, port_open, wait_gone


@dataclass
class Machine:
    """A fresh venv with pytok installed, and a home of its own."""

    root: Path
    bin: Path
    env: dict[str, str]

    @property
    def state_file(self) -> Path:
        return Path(self.env["XDG_RUNTIME_DIR"]) / "pytok" / "sandbox.json"

    def pytok(self, *args: str, timeout: float = 60) -> Result:
        done = subprocess.run([str(self.bin / "pytok"), *args], capture_output=True, text=True,
                              env=self.env, cwd=self.root, timeout=timeout)
        return Result(done.returncode, done.stdout, done.stderr)


def _install(root: Path) -> Path:
    """A copy of the sources (as a fresh clone would be), a venv, an editable install."""
    source = root / "pytok-sm"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "pytok_sm", source / "pytok_sm", ignore=shutil.ignore_patterns("__pycache__"))
    venv = root / "venv"
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", ".[test]", "--no-deps"],
        cwd=source, capture_output=True, text=True, timeout=180,
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"venv + pip install -e . --no-deps: {time.monotonic() - began:.1f} s")  # shown with -s
    return venv / "bin"


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    bin_dir = _install(tmp_path)
    env = isolated_env(tmp_path)
    env.pop("PYTHONPATH", None)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env.update(XDG_RUNTIME_DIR=str(runtime), XDG_STATE_HOME=str(tmp_path / "state"),
               PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(bin_dir.parent))
    box = Machine(tmp_path, bin_dir, env)
    try:
        yield box
    finally:
        pid = None
        with contextlib.suppress(Exception):
            pid = int(json.loads(box.state_file.read_text())["pid"])
        with contextlib.suppress(Exception):
            box.pytok("sandbox", "stop", timeout=30)
        if pid is not None:
            kill_quietly(pid)


@pytest.mark.timeout(400)
def test_the_readme_path_on_a_fresh_machine(machine: Machine) -> None:
    where = subprocess.run([str(machine.bin / "python"), "-c", "import pytok_sm; print(pytok_sm.__file__)"],
                           capture_output=True, text=True, env=machine.env, cwd=machine.root, check=True)
    assert where.stdout.startswith(str(machine.root / "pytok-sm")), where.stdout  # the fresh copy, not the repo

    demo = machine.pytok("demo")
    assert demo.returncode == 0, demo.stderr
    assert "Done: logged in, read the profile, refreshed, posted a video and revoked, all against the sandbox." in demo.stdout

    start = machine.pytok("sandbox", "start")
    assert start.returncode == 0, start.stderr
    found = re.search(r"in the background at (http://127\.0\.0\.1:(\d+)) \(pid (\d+)\)", start.stdout)
    assert found, start.stdout
    url, port, pid = found.group(1), int(found.group(2)), int(found.group(3))
    assert pid_alive(pid) and port_open(port)

    login = machine.pytok("login", "--sandbox", "--approve")
    assert login.returncode == 0, login.stderr
    assert f"Using the sandbox at {url} (pid {pid})." in login.stderr
    assert re.search(r"^Logged in as open_id \S+\.$", login.stdout, re.M)
    assert "This is a sandbox token" in login.stdout

    whoami = machine.pytok("whoami", "--sandbox")
    assert whoami.returncode == 0, whoami.stderr
    assert re.search(r"^display_name:\s+Sandbox Creator$", whoami.stdout, re.M)

    refresh = machine.pytok("refresh", "--sandbox")
    assert refresh.returncode == 0, refresh.stderr
    assert refresh.stdout.startswith("Refreshed the token of open_id ")

    revoke = machine.pytok("revoke", "--sandbox")
    assert revoke.returncode == 0, revoke.stderr
    assert revoke.stdout.startswith("Revoked the token of open_id ")

    gone = machine.pytok("whoami", "--sandbox")
    assert gone.returncode == 3
    assert gone.stderr.strip().startswith("pytok: error: not logged in")

    stop = machine.pytok("sandbox", "stop")
    assert stop.returncode == 0, stop.stderr
    assert stop.stdout.strip() == f"Stopped the sandbox at {url} (pid {pid})."
    assert wait_gone(pid) and not port_open(port) and not machine.state_file.exists()
