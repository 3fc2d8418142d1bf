"""Canned TikTok answers and results for stepping flows by hand (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytok_sm import _errors as errors
from pytok_sm._callback import Callback
from pytok_sm._http import Response
from pytok_sm.flows import Flow
from pytok_sm.testing import FakeClock

#: A step of a scenario: a result, "cancel", "advance:N" (move the clock), or a callable(flow) -> result.
Step = Any


@dataclass
class Scenario:
    """A flow fed canned results must end in ``final`` (with ``error`` when it failed)."""

    name: str
    make: Callable[[FakeClock], Flow]
    steps: list[Step]
    final: str
    error: type[errors.TikTokError] | None = None


def answer(body: Any, status: int = 200, **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status, {"content-type": "application/json", **headers}, raw)


def token_answer(n: int = 1, **overrides: Any) -> Response:
    body = {
        "access_token": f"act.access{n}",
        "expires_in": 7200,
        "open_id": "open-1",
        "refresh_token": f"rft.refresh{n}",
        "refresh_expires_in": 15552000,
        "scope": "user.info.basic",
        "token_type": "Bearer",
    }
    body.update(overrides)
    return answer({k: v for k, v in body.items() if v is not None})


def oauth_error(error: str, description: str = "", status: int = 200) -> Response:
    return answer({"error": error, "error_description": description, "log_id": "LOG1"}, status)


def rate_limited(retry_after: str | None = "1") -> Response:
    headers = {"retry-after": retry_after} if retry_after else {}
    return answer({"error": {"code": "rate_limit_exceeded", "message": "slow down", "log_id": "LOG2"}}, 429, **headers)


def html_error(status: int = 502) -> Response:
    return Response(status, {"content-type": "text/html"}, b"<html><body>Bad gateway</body></html>")


def qr_answer(status: str, ticket: str = "", **extra: Any) -> Response:
    return answer({"status": status, "client_ticket": ticket, **extra})


def callback(state: str | None, code: str | None = "c*de!", **extra: Any) -> Callback:
    return Callback(state=state, code=code, scopes=extra.pop("scopes", "user.info.basic"), **extra)
