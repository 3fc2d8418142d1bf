"""A sandbox child that keeps connections alive and counts them (figure 7's "one pool").

Run by :class:`benchmarks.accounts_pool.PoolSandbox`; not meant to be started by hand. It
speaks the protocol of ``_sandbox_child.py`` (one JSON line each way: ``issue``, ``count``,
``errors``, ``stop``) plus ``connections`` and ``reset_connections``.

The sandbox answers ``Connection: close`` on purpose (the other figures measure the
connection-per-request floor). Against such a server every client opens one connection per
request, shared pool or not, so pooling could not be seen. TikTok's front end keeps
connections alive, and so does this child: it patches the stdlib classes the sandbox is
built on, in this process only, and pytok_sm's code is untouched:

* ``socketserver.TCPServer.get_request`` (the ``accept()``) counts accepted connections
  and sets ``TCP_NODELAY`` on them, as production servers do: the handler writes the
  headers and the body of an answer separately, and on a kept-alive connection Nagle's
  algorithm would hold the body until the client's delayed ACK, 40 ms later;
* ``StreamRequestHandler.setup`` numbers each connection, and
  ``BaseHTTPRequestHandler.send_response`` records which connection carried each answer:
  ``used`` is the number of distinct connections that carried a phase's requests. This
  counts a kept-alive connection that an earlier phase opened, and it cannot be fooled by
  the OS reusing a client port;
* ``BaseHTTPRequestHandler.send_header`` turns ``Connection: close`` into ``keep-alive``
  when the answer is below 400 (the body was read in full), the request is HTTP/1.1 and
  the client did not ask to close;
* the listen backlog goes from socketserver's 5 to 1,024, as in ``_sandbox_child.py``.
"""

from __future__ import annotations

import itertools
import json
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any


class Counts:
    """Connections seen since the last reset (the handler threads write, the main loop reads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted = 0
        self.used: set[int] = set()
        self.requests = 0

    def reset(self) -> None:
        with self.lock:
            self.accepted, self.requests = 0, 0
            self.used.clear()

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"accepted": self.accepted, "used": len(self.used), "requests": self.requests}


def install(counts: Counts, *, keep_alive: bool, backlog: int) -> None:
    numbers = itertools.count(1)
    get_request = socketserver.TCPServer.get_request
    setup = socketserver.StreamRequestHandler.setup
    send_response = BaseHTTPRequestHandler.send_response
    send_header = BaseHTTPRequestHandler.send_header

    def counting_get_request(self: socketserver.TCPServer) -> Any:
        accepted = get_request(self)
        accepted[0].setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with counts.lock:
            counts.accepted += 1
        return accepted

    def numbering_setup(self: socketserver.StreamRequestHandler) -> None:
        setup(self)
        self._bench_connection = next(numbers)  # type: ignore[attr-defined]

    def recording_send_response(self: BaseHTTPRequestHandler, code: int, message: str | None = None) -> None:
        self._bench_status = code  # type: ignore[attr-defined]
        with counts.lock:
            counts.used.add(getattr(self, "_bench_connection", 0))
            counts.requests += 1
        send_response(self, code, message)

    def keep_alive_send_header(self: BaseHTTPRequestHandler, keyword: str, value: str) -> None:
        if (
            keep_alive
            and keyword.lower() == "connection"
            and value.lower() == "close"
            and getattr(self, "_bench_status", 500) < 400
            and self.request_version == "HTTP/1.1"
            and getattr(self, "headers", None) is not None
            and self.headers.get("Connection", "").lower() != "close"
        ):
            value = "keep-alive"  # send_header then sets close_connection = False
        send_header(self, keyword, value)

    socketserver.TCPServer.get_request = counting_get_request  # type: ignore[method-assign]
    socketserver.StreamRequestHandler.setup = numbering_setup  # type: ignore[method-assign,assignment]
    BaseHTTPRequestHandler.send_response = recording_send_response  # type: ignore[method-assign]
    BaseHTTPRequestHandler.send_header = keep_alive_send_header  # type: ignore[method-assign]
    socketserver.TCPServer.request_queue_size = backlog


def main() -> int:
    options: dict[str, Any] = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    counts = Counts()
    install(counts, keep_alive=bool(options.pop("keep_alive", True)), backlog=int(options.pop("backlog", 1024)))
    # Idle kept-alive connections wait for the next request this long (the sandbox's 10 s
    # default could close one between two phases and race a reuse).
    timeout = float(options.pop("connection_timeout", 120.0))
    from pytok_sm.sandbox import Sandbox, Switches

    out = sys.stdout
    with Sandbox(switches=Switches(**options), connection_timeout=timeout) as sb:
        hello = {
            "base_url": sb.base_url,
            "base_api_url": sb.base_api_url,
            "authorization_url": sb.authorization_url,
            "client_key": sb.client_key,
            "client_secret": sb.client_secret,
            "redirect_uris": list(sb.redirect_uris),
        }
        out.write(json.dumps(hello) + "\n")
        out.flush()
        for line in sys.stdin:
            command = json.loads(line)
            name = command.get("cmd")
            reply: object
            if name == "issue":
                open_ids = command.get("open_ids") or [None] * int(command.get("n", 1))  # None: the sandbox's user
                reply = [sb.issue_tokens(open_id=open_id) for open_id in open_ids]
            elif name == "count":
                reply = sb.count(command["endpoint"])
            elif name == "errors":
                reply = sb.errors
            elif name == "connections":
                reply = counts.snapshot()
            elif name == "reset_connections":
                counts.reset()
                reply = None
            elif name == "stop":
                out.write(json.dumps(None) + "\n")
                out.flush()
                break
            else:
                reply = {"unknown command": name}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
