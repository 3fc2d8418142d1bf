"""A scripted stand-in for TikTok behind ``httpx.MockTransport`` (for unit tests of the kit).

End-to-end behaviour is tested against the real sandbox server; this fake exists to count
requests exactly and to inject one answer at a time.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeTikTok:
    """Answers token/revoke/user-info requests; ``queue(path, answer)`` scripts the next ones."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[httpx.Request] = []
        self.scripted: dict[str, list[Answer]] = {}
        self._serial = itertools.count(2)
        self._lock = threading.Lock()

    def queue(self, endpoint: str, *answers: Answer) -> None:
        self.scripted.setdefault(endpoint, []).extend(answers)

    def count(self, endpoint: str) -> int:
        return sum(1 for r in self.requests if r.url.path.rstrip("/").endswith(endpoint))

    def form(self, request: httpx.Request) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(request.content.decode()))

    def token_body(self) -> dict[str, Any]:
        n = next(self._serial)
        return {"access_token": f"act.access{n}", "expires_in": 7200, "open_id": "open-1",
                "refresh_token": f"rft.refresh{n}", "refresh_expires_in": 15552000, "scope": "user.info.basic",
                "token_type": "Bearer"}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        endpoint = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            script = self.scripted.get(endpoint)
            answer = script.pop(0) if script else None
        if answer is not None:
            return answer(request) if callable(answer) else answer
        if endpoint == "token":
            return httpx.Response(200, json=self.token_body())
        if endpoint == "revoke":
            return httpx.Response(200, content=b"")
        if endpoint == "info":
            return httpx.Response(200, json={"data": {"user": {"open_id": "open-1", "display_name": "Ann"}},
                                             "error": {"code": "ok", "message": "", "log_id": "L0"}})
        return httpx.Response(404, content=b"not found")

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        """The async transport: waits like a network would (other tasks run meanwhile)."""
        import asyncio

        delay, self.delay = self.delay, 0.0
        try:
            await asyncio.sleep(delay)
            return self(request)
        finally:
            self.delay = delay


def envelope_error(code: str, status: int) -> httpx.Response:
    return httpx.Response(status, json={"data": {}, "error": {"code": code, "message": code, "log_id": "LE"}})


def oauth_error(error: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps({"error": error, "error_description": "d", "log_id": "LO"}))
