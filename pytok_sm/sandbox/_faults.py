"""Fault switches: make the next N requests to one endpoint misbehave in a chosen way.

Faults queue per endpoint (first in, first out); each applies to ``times`` consecutive
requests, then the next queued fault takes over, then normal service resumes. The registry
is thread-safe, so a test may queue faults while a client is talking to the sandbox.

``process`` decides whether the real endpoint runs first (its state changes happen: a code
is consumed, tokens are issued) before the answer is replaced or lost. It models "the
server did the work but the answer never arrived", the case where a client must not retry
a code exchange (docs/ROBUSTNESS.md).

The Content Posting endpoints (``creator_info``, ``video_init``, ``inbox_video_init``,
``content_init``, ``publish_status``, ``publish_cancel``) and the upload host (``upload``)
speak the envelope, so the faults that render a body render an envelope there. A fault on
``upload`` that does not process the chunk still reads and drops its body first, so the
client, still sending, reads the fault's answer (``connection_reset``: loses the connection
once it has sent everything; with ``process``, its default, the chunk is kept first).

Example:
    >>> faults = Faults()
    >>> fault = faults.add("token", "html_5xx", times=2, status=503)
    >>> fault.params["status"], faults.take("token").kind, len(faults.pending("token"))
    (503, 'html_5xx', 1)
    >>> faults.add("token", "flood")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown fault kind 'flood'; known: ['api_error', 'connection_reset', ...]
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from typing import Any, Final

from . import _pages as pages
from ._wire import Reply, api_error, html, json_reply, new_log_id, oauth_error

__all__ = [
    "FAULT_ENDPOINTS",
    "FAULT_KINDS",
    "Drip",
    "Drop",
    "Fault",
    "Faults",
    "render_fault",
]

#: Endpoint names faults can target (``Sandbox.count`` uses the same names).
FAULT_ENDPOINTS: Final = (
    "authorize",
    "authorize_decision",
    "token",
    "revoke",
    "get_qrcode",
    "check_qrcode",
    "user_info",
    "creator_info",
    "video_init",
    "inbox_video_init",
    "content_init",
    "publish_status",
    "publish_cancel",
    "upload",
    "video_list",
    "video_query",
)
_HTML_ENDPOINTS: Final = frozenset({"authorize", "authorize_decision"})
#: What a successful answer's ``data`` looks like when the real endpoint did not run; the
#: string ``"sandbox-canned"`` is where nan_json puts its NaN.
_CANNED_DATA: Final[Mapping[str, Mapping[str, Any]]] = {
    "user_info": {"user": {"open_id": "sandbox-canned"}},
    "creator_info": {
        "creator_username": "sandbox-canned",
        "creator_nickname": "Canned Creator",
        "privacy_level_options": ["SELF_ONLY"],
        "comment_disabled": False,
        "duet_disabled": False,
        "stitch_disabled": False,
        "max_video_post_duration_sec": 600,
    },
    "video_init": {"publish_id": "sandbox-canned"},
    "inbox_video_init": {"publish_id": "sandbox-canned"},
    "content_init": {"publish_id": "sandbox-canned"},
    "publish_status": {"status": "sandbox-canned", "uploaded_bytes": 0},
    "publish_cancel": {"publish_id": "sandbox-canned"},
    "upload": {"upload_id": "sandbox-canned"},
    "video_list": {"videos": [{"id": "sandbox-canned"}], "cursor": 0, "has_more": False},
    "video_query": {"videos": [{"id": "sandbox-canned"}]},
}
_ENVELOPE_ENDPOINTS: Final = frozenset(_CANNED_DATA)

#: Every fault kind with its parameters and their defaults. ``process`` is listed where it
#: may be chosen; kinds without it always run the real endpoint (delay, slow_drip, odd_fields).
FAULT_KINDS: Final[Mapping[str, Mapping[str, Any]]] = {
    "html_5xx": {"status": 502, "process": False},
    "truncated_json": {"status": 200, "process": False},
    "non_object_json": {"body": "[1, 2]", "status": 200, "process": False},
    "nan_json": {"status": 200, "process": False},
    "deep_json": {"depth": 5000, "status": 200, "process": False},
    "not_json": {
        "body": "Service busy, please retry later.",
        "status": 200,
        "content_type": "text/plain; charset=utf-8",
        "process": False,
    },
    "empty_body": {"status": 200, "content_type": "application/json; charset=utf-8", "process": False},
    "connection_reset": {"process": True},
    "delay": {"seconds": 1.0},
    "slow_drip": {"seconds": 2.0},
    "rate_limit_429": {"retry_after": None, "http_date": False, "process": False},
    "oauth_error_200": {
        "error": "server_error",
        "description": "Internal server error, please retry.",
        "status": 200,
        "process": False,
    },
    "api_error": {
        "code": "internal_error",
        "message": "Something went wrong on TikTok's side.",
        "status": None,
        "process": False,
    },
    "temporarily_unavailable": {"status": 503, "retry_after": None, "process": False},
    "redirect_302": {"status": 302, "location": None, "process": False},
    "odd_fields": {"overrides": {}, "drop": ()},
    "odd_token_fields": {"overrides": {}, "drop": ()},  # alias of odd_fields
}
#: Where redirect_302 points by default: a trap that hands out a bogus token if followed.
REDIRECT_TRAP_PATH: Final = "/sandbox/redirected/"


@dataclass
class Fault:
    """One queued fault: which endpoint, which kind, its parameters, how many uses are left.

    Example:
        >>> fault = Faults().add("token", "connection_reset")
        >>> fault.kind, fault.process, fault.remaining
        ('connection_reset', True, 1)
    """

    endpoint: str
    kind: str
    params: dict[str, Any]
    times: int
    remaining: int
    applied: int = 0

    @property
    def process(self) -> bool:
        """Whether the real endpoint runs before the fault shapes the answer."""
        return bool(self.params.get("process", True))


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering (connection_reset)."""


@dataclass(frozen=True)
class Drip:
    """Send ``reply`` with its body dribbled one byte at a time over ``seconds``."""

    reply: Reply
    seconds: float


@dataclass
class Faults:
    """The thread-safe fault queue of one sandbox (``sandbox.faults``).

    Example:
        >>> faults = Faults()
        >>> _ = faults.add("user_info", "rate_limit_429", retry_after=2)
        >>> [f.kind for f in faults.pending()]
        ['rate_limit_429']
        >>> faults.clear()
        >>> faults.pending()
        []
    """

    _queues: dict[str, deque[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, kind: str, *, times: int = 1, **params: Any) -> Fault:
        """Queue ``kind`` for the next ``times`` requests to ``endpoint``; returns a snapshot.

        Raises ValueError for an unknown endpoint, kind or status, TypeError for an unknown
        parameter.
        """
        if endpoint not in FAULT_ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {list(FAULT_ENDPOINTS)}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive integer")
        defaults = FAULT_KINDS[kind]
        unknown = set(params) - set(defaults)
        if unknown:
            raise TypeError(f"fault {kind!r} takes {sorted(defaults)}, not {sorted(unknown)}")
        merged = {**copy.deepcopy(dict(defaults)), **params}
        status = merged.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError(f"status must be an HTTP status code, not {status!r}")
        for name in ("seconds", "retry_after"):
            value = merged.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise ValueError(f"{name} must be a non-negative number, not {value!r}")
        fault = Fault(endpoint=endpoint, kind=kind, params=merged, times=times, remaining=times)
        with self._lock:
            self._queues.setdefault(endpoint, deque()).append(fault)
            return replace(fault, params=dict(fault.params))

    def take(self, endpoint: str) -> Fault | None:
        """Use up one application of the first fault queued for ``endpoint`` (or None)."""
        with self._lock:
            queue = self._queues.get(endpoint)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            fault.applied += 1
            if fault.remaining == 0:
                queue.popleft()
            return replace(fault, params=dict(fault.params))

    def pending(self, endpoint: str | None = None) -> list[Fault]:
        """Snapshots of the faults still queued (for one endpoint or all)."""
        with self._lock:
            queues = [self._queues.get(endpoint, deque())] if endpoint else list(self._queues.values())
            return [replace(f, params=dict(f.params)) for q in queues for f in q]

    def clear(self, endpoint: str | None = None) -> None:
        """Drop queued faults (for one endpoint or all)."""
        with self._lock:
            if endpoint is None:
                self._queues.clear()
            else:
                self._queues.pop(endpoint, None)


# --- rendering ------------------------------------------------------------------------
def _canned_body(endpoint: str, log_id: str) -> dict[str, Any]:
    """A plausible success body, used when the real endpoint did not run."""
    if endpoint in _ENVELOPE_ENDPOINTS:
        return {
            "data": copy.deepcopy(dict(_CANNED_DATA[endpoint])),
            "error": {"code": "ok", "message": "", "log_id": log_id},
        }
    if endpoint == "check_qrcode":
        return {"client_ticket": "", "status": "new"}
    return {
        "access_token": "act.canned-fault-token",
        "expires_in": 7200,
        "open_id": "sandbox-canned",
        "refresh_expires_in": 15552000,
        "refresh_token": "rft.canned-fault-token",
        "scope": "user.info.basic",
        "token_type": "Bearer",
    }


def _retry_after(value: float | None, http_date: bool) -> str | None:
    if value is None:
        return None
    if http_date:
        # Real time: the client compares the date with its own clock, not the sandbox's.
        return formatdate(time.time() + value, usegmt=True)
    return str(int(value)) if float(value).is_integer() else str(value)


def _raw(status: int, content_type: str, body: bytes) -> Reply:
    return Reply(status, [("Content-Type", content_type), ("Cache-Control", "no-store")], body)


def render_fault(
    fault: Fault,
    real: Reply | None,
    *,
    base_url: str,
    now: float,
) -> Reply | Drop | Drip:
    """Shape the answer of one faulted request; ``real`` is the endpoint's own answer
    when the fault let it run (``fault.process``), else None."""
    p = fault.params
    endpoint = fault.endpoint
    log_id = new_log_id(now)
    json_type = "application/json; charset=utf-8"
    kind = fault.kind

    if kind == "connection_reset":
        return Drop()
    if kind == "delay":
        assert real is not None
        return real
    if kind == "slow_drip":
        assert real is not None
        return Drip(real, float(p["seconds"]))
    if kind == "html_5xx":
        return html(pages.gateway_error_page(p["status"]), p["status"])
    if kind == "truncated_json":
        full = real.body if real is not None and real.body else json.dumps(_canned_body(endpoint, log_id)).encode()
        return _raw(p["status"], json_type, full[: max(1, len(full) // 2)])
    if kind == "non_object_json":
        return _raw(p["status"], json_type, str(p["body"]).encode())
    if kind == "nan_json":
        body = json.dumps(_canned_body(endpoint, log_id))
        if endpoint in _ENVELOPE_ENDPOINTS:
            body = body.replace('"sandbox-canned"', "NaN")
        elif endpoint == "check_qrcode":
            body = body.replace('"new"', "NaN")
        else:
            body = body.replace("7200", "NaN").replace("15552000", "Infinity")
        return _raw(p["status"], json_type, body.encode())
    if kind == "deep_json":
        depth = int(p["depth"])
        return _raw(p["status"], json_type, ('{"a":' * depth + "1" + "}" * depth).encode())
    if kind == "not_json":
        return _raw(p["status"], str(p["content_type"]), str(p["body"]).encode())
    if kind == "empty_body":
        return _raw(p["status"], str(p["content_type"]), b"")
    if kind == "rate_limit_429":
        message = "The API rate limit was exceeded. Please try again later."
        reply = _error_shape(endpoint, "rate_limit_exceeded", message, 429, log_id)
        header = _retry_after(p["retry_after"], bool(p["http_date"]))
        if header is not None:
            reply.set_header("Retry-After", header)
        return reply
    if kind == "temporarily_unavailable":
        reply = _error_shape(
            endpoint, "temporarily_unavailable", "The service is temporarily unavailable.", p["status"], log_id
        )
        header = _retry_after(p["retry_after"], False)
        if header is not None:
            reply.set_header("Retry-After", header)
        return reply
    if kind == "oauth_error_200":
        return oauth_error(
            str(p["error"]), str(p["description"]), log_id=log_id, mapped_status=False, status=p["status"]
        )
    if kind == "api_error":
        return api_error(str(p["code"]), str(p["message"]), log_id=log_id, status=p["status"])
    if kind == "redirect_302":
        location = p["location"] or base_url + REDIRECT_TRAP_PATH
        return Reply(p["status"], [("Location", str(location)), ("Content-Type", json_type)], b"")
    if kind in ("odd_fields", "odd_token_fields"):
        assert real is not None
        try:
            payload = json.loads(real.body) if real.body else {}
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        for name in p["drop"]:
            payload.pop(name, None)
        payload.update(p["overrides"])
        reply = json_reply(payload, real.status)
        content_range = real.header("Content-Range")  # an upload's progress stays readable
        if content_range is not None:
            reply.set_header("Content-Range", content_range)
        return reply
    raise AssertionError(f"unhandled fault kind {kind!r}")  # pragma: no cover


def _error_shape(endpoint: str, error: str, message: str, status: int, log_id: str) -> Reply:
    """The error in the shape the endpoint normally speaks: HTML, envelope or flat."""
    if endpoint in _HTML_ENDPOINTS:
        return html(pages.simple_page(f"{status} {error}", message, "error"), status)
    if endpoint in _ENVELOPE_ENDPOINTS:
        code = "rate_limit_exceeded" if status == 429 else "internal_error"
        return api_error(code, message, log_id=log_id, status=status)
    return oauth_error(error, message, log_id=log_id, mapped_status=False, status=status)
