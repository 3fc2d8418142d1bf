"""A :class:`~pytok_sm.sandbox.Sandbox` in a child process, with the handful of calls the
benchmarks need (credentials, ``issue_tokens``, request counts, errors)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

_CHILD = Path(__file__).with_name("_sandbox_child.py")


class SandboxProcess:
    """``with SandboxProcess(qr_lifetime=600) as sb:`` -- keyword arguments are sandbox switches."""

    def __init__(self, **switches: Any) -> None:
        self._options = switches
        self._proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> SandboxProcess:
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(_CHILD), json.dumps(self._options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.info = self._read()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                self._call("stop")
            proc.wait(timeout=10)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        finally:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
            self._proc = None

    # ------------------------------------------------------------------ the protocol
    def _read(self) -> Any:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox process ended unexpectedly")
        return json.loads(line)

    def _call(self, cmd: str, **args: Any) -> Any:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self._proc.stdin.flush()
        return self._read()

    # ------------------------------------------------------------------ what benchmarks use
    @property
    def base_api_url(self) -> str:
        return str(self.info["base_api_url"])

    @property
    def authorization_url(self) -> str:
        return str(self.info["authorization_url"])

    @property
    def client_key(self) -> str:
        return str(self.info["client_key"])

    @property
    def client_secret(self) -> str:
        return str(self.info["client_secret"])

    @property
    def token_url(self) -> str:
        return self.base_api_url + "oauth/token/"

    def issue_tokens(self, n: int = 1, *, open_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """``n`` fresh grants (the token endpoint's answer), made without HTTP; with ``open_ids``,
        one grant for each of those accounts instead (``Sandbox.issue_tokens(open_id=...)``)."""
        if open_ids is not None:
            return list(self._call("issue", open_ids=open_ids))
        return list(self._call("issue", n=n))

    def count(self, endpoint: str) -> int:
        return int(self._call("count", endpoint=endpoint))

    def errors(self) -> list[str]:
        return list(self._call("errors"))
