"""What a person sees in a terminal (a pty): ``pytok sandbox`` serving until Ctrl+C, and a
sandbox login on a machine without a browser pointing at the ways to approve it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

from .helpers import PYTOK, free_port, port_is_free
from .sandbox_helpers import (  # noqa: F401 - fixtures
    Background,
    ServicePytok,
    background_fixture,
    service_fixture,
)


class Terminal:
    """``pytok`` in a terminal of its own: stdin, stdout and stderr on a pty that is its
    controlling terminal, so typing Ctrl+C sends SIGINT as a person's keyboard would."""

    def __init__(self, service: ServicePytok, *args: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))

        def take_terminal() -> None:  # in the child, after setsid(): the pty becomes its terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            [*PYTOK, *args], stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=take_terminal, env={**service.env, "TERM": "xterm"}, cwd=service.tmp_path,
        )
        os.close(slave)
        self.screen = b""

    def read_until(self, pattern: bytes, timeout: float = 20) -> re.Match[bytes]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.screen)
            if found:
                return found
            left = deadline - time.monotonic()
            assert left > 0 and self._read(left), f"{pattern!r} never appeared in {self.screen!r}"

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.screen += chunk
        return bool(chunk)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        code = self.process.wait(timeout)
        while select.select([self.master], [], [], 0.2)[0] and self._read(0.2):
            pass
        return code, self.screen.decode("utf-8", "replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        os.close(self.master)


def test_the_sandbox_serves_in_a_terminal_until_ctrl_c(service: ServicePytok) -> None:
    port = free_port()
    terminal = Terminal(service, "sandbox", "--port", str(port))
    try:
        terminal.read_until(rb"Press Ctrl\+C to stop")
        assert service.state_file.exists()
        before = terminal.screen.decode()
        assert f"listening on http://127.0.0.1:{port}" in before
        assert "export PYTOK_SANDBOX=http://127.0.0.1:" in before  # for scripts
        assert "pytok login --sandbox" in before  # what to do next
        assert f"http://127.0.0.1:{port}/sandbox/pending" in before
        terminal.type(b"\x03")  # Ctrl+C
        code, screen = terminal.finish()
    finally:
        terminal.close()
    assert code == 0
    assert "sandbox stopped" in screen and "Traceback" not in screen
    assert not service.state_file.exists()
    assert port_is_free(port)


def test_a_sandbox_login_without_a_browser_says_how_to_approve_it(service: ServicePytok, background: Background) -> None:
    terminal = Terminal(service, "login", "--sandbox")
    try:
        terminal.read_until(rb"pytok sandbox approve")
        screen = terminal.screen.decode()
        assert f"{background.url}/sandbox/pending" in screen
        approve = service.run("sandbox", "approve")
        assert approve.returncode == 0, approve.stderr
        code, screen = terminal.finish()
    finally:
        terminal.close()
    assert code == 0, screen
    assert "Logged in as open_id" in screen


def test_the_embedded_sandbox_tells_how_to_reach_it_from_another_terminal(service: ServicePytok) -> None:
    terminal = Terminal(service, "login", "--sandbox", "--timeout", "60")
    try:
        found = terminal.read_until(rb"PYTOK_SANDBOX=(http://127\.0\.0\.1:\d+) pytok sandbox approve")
        url = found.group(1).decode()
        approve = service.run("sandbox", "approve", env={"PYTOK_SANDBOX": url})
        assert approve.returncode == 0, approve.stderr
        code, screen = terminal.finish()
    finally:
        terminal.close()
    assert code == 0, screen
    assert "in this command only" in screen
