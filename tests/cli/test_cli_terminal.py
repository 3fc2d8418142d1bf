"""What a person sees while ``pytok login`` waits (pty), and Ctrl+C (SIGINT) cancelling cleanly."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest

from pytok_sm import cli

from .helpers import PYTOK, Pytok, free_port, port_is_free

CREDENTIALS = {"PYTOK_CLIENT_KEY": "aw_terminal_key", "PYTOK_CLIENT_SECRET": "terminal-secret-value"}
LIVE = re.compile(r"\rWaiting for you to approve in the browser, (\d:\d\d) of 0:03, Ctrl\+C to cancel")


class PtyRun:
    """``pytok`` with stderr on a pseudo-terminal (stdout stays a pipe)."""

    def __init__(self, pytok: Pytok, *args: str, columns: int = 120) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
        self.process = subprocess.Popen(
            [*PYTOK, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
            env={**pytok.env, **CREDENTIALS, "TERM": "xterm"}, cwd=pytok.tmp_path,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, pattern: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output):
            left = deadline - time.monotonic()
            assert left > 0, f"{pattern!r} never appeared in {self.output!r}"
            if not self._read(left):
                raise AssertionError(f"{pattern!r} never appeared in {self.output!r}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        code = self.process.wait(timeout)
        while self._read(0.2) and select.select([self.master], [], [], 0)[0]:
            pass
        os.close(self.master)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code, self.output.decode("utf-8", "replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


def test_the_live_line_appears_updates_and_is_cleared_on_a_terminal(pytok: Pytok) -> None:
    run = PtyRun(pytok, "login", "--no-browser", "--port", "0", "--timeout", "3")
    try:
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 5
    times = LIVE.findall(screen)
    assert len(set(times)) >= 2, screen  # it moved on: 0:00, 0:01, 0:02
    assert times == sorted(times)
    assert screen.count("\rWaiting") == len(times)  # redrawn only when the text changes
    last_live = screen.rindex("\rWaiting")
    tail = screen[last_live + 1 :]
    assert re.search(r"\r {60,}\r", tail), "the live line is cleared at the end"
    assert tail.rstrip().endswith("pytok: error: nobody completed the login in the browser within 3 s; try again")
    assert "(up to" not in screen  # the plain notice is for pipes only
    assert "terminal-secret-value" not in screen


def test_a_narrow_terminal_gets_a_truncated_line_that_never_wraps(pytok: Pytok) -> None:
    run = PtyRun(pytok, "login", "--no-browser", "--port", "0", "--timeout", "2", columns=40)
    try:
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 5
    lives = [part for part in screen.split("\r") if part.startswith("Waiting")]
    assert lives and all(len(part.rstrip()) <= 39 for part in lives)


def test_no_live_line_and_no_carriage_return_when_not_a_terminal(pytok: Pytok) -> None:
    result = pytok.run("login", "--no-browser", "--port", "0", "--timeout", "2", env=CREDENTIALS)
    assert result.returncode == 5
    assert "\r" not in result.stderr and "\r" not in result.stdout
    notices = [line for line in result.stderr.splitlines() if line.startswith("Waiting")]
    assert notices == ["Waiting for you to approve in the browser (up to 0:02); Ctrl+C to cancel"]


def test_ctrl_c_on_a_terminal_clears_the_line_and_exits_130(pytok: Pytok) -> None:
    port = free_port()
    run = PtyRun(pytok, "login", "--no-browser", "--port", str(port))
    try:
        run.read_until(rb"\rWaiting for you to approve")
        run.process.send_signal(signal.SIGINT)
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 130
    assert screen.rstrip().endswith("pytok: cancelled (Ctrl+C)")
    assert "Traceback" not in screen
    assert port_is_free(port)


def test_sigint_to_a_waiting_login_exits_130_and_frees_the_port(pytok: Pytok) -> None:
    port = free_port()
    running = pytok.start("login", "--no-browser", "--port", str(port), env=CREDENTIALS)
    try:
        running.wait_for(r"^Waiting for you to approve in the browser")
        assert not port_is_free(port)  # the loopback server is listening
        running.process.send_signal(signal.SIGINT)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 130
    assert result.stderr.strip().splitlines()[-1] == "pytok: cancelled (Ctrl+C)"
    assert "Traceback" not in result.stderr
    assert port_is_free(port)


def test_ctrl_c_releases_the_port_before_the_command_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process: the port is free while the process still lives (not just because it exited)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    port = free_port()
    for name, value in {**CREDENTIALS, "XDG_CONFIG_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DISPLAY", raising=False)
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def interrupt_when_listening() -> None:
        deadline = time.monotonic() + 20
        while port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        signal.pthread_kill(main_thread, signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_when_listening)
    interrupter.start()
    try:
        code = cli.main(["login", "--no-browser", "--port", str(port)])
    except KeyboardInterrupt:  # pragma: no cover - would mean main() let it escape
        pytest.fail("KeyboardInterrupt escaped pytok's main()")
    finally:
        interrupter.join()
    assert code == 130
    assert port_is_free(port)
    assert capsys.readouterr().err.strip().splitlines()[-1] == "pytok: cancelled (Ctrl+C)"
