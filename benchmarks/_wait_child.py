"""One waiting scenario in a fresh process, measuring that process's CPU over the wait.

``python -m benchmarks._wait_child SCENARIO SECONDS INTERVAL SANDBOX_JSON`` prints one JSON
line: wall and CPU seconds (user + system, every thread of the process) of the wait alone,
and the times of the requests sent. Scenarios:

* ``qr``: a pytok_sm QR flow (``kit.run(QrFlow(kit.config, timeout=SECONDS))``) polling
  check_qrcode every INTERVAL until it times out (the sync driver ticks 4 times a second);
* ``browser``: ``LoginKit.oauth_server(timeout=SECONDS)`` with nobody coming back: the
  loopback server's select loop and the driver's 0.25 s queue waits;
* ``bare_poll``: get_qrcode, then check_qrcode every INTERVAL with httpx and time.sleep;
* ``bare_listen``: a stdlib ``http.server`` loopback listener in ``serve_forever`` (its
  default 0.5 s poll) while the main thread waits on a queue, as a hand-written app would.
"""

from __future__ import annotations

import json
import queue
import resource
import sys
import threading
import time
from typing import Any


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _recording_client(stamps: list[tuple[float, str]]) -> Any:
    import httpx

    def hook(request: httpx.Request) -> None:
        stamps.append((time.monotonic(), request.url.path))

    return httpx.Client(event_hooks={"request": [hook]}, follow_redirects=False)


def main(argv: list[str]) -> int:
    scenario, seconds, interval, info = argv[0], float(argv[1]), float(argv[2]), json.loads(argv[3])
    from benchmarks._common import configure_from_env

    configure_from_env()
    stamps: list[tuple[float, str]] = []
    client = _recording_client(stamps)
    outcome = "?"
    if scenario in ("qr", "browser"):
        from pytok_sm import FlowTimeout, LoginKit
        from pytok_sm.flows import QrFlow

        kit = LoginKit(
            info["client_key"],
            info["client_secret"],
            base_api_url=info["base_api_url"],
            authorization_url=info["authorization_url"],
            port=0,
            redirect_uri="http://127.0.0.1:*/callback/",
            qr_poll_interval=interval,
            open_browser=lambda url: True,
            http_client=client,
        )
        cpu0, t0 = _cpu(), time.monotonic()
        try:
            if scenario == "qr":
                kit.run(QrFlow(kit.config, timeout=seconds))
            else:
                kit.oauth_server(timeout=seconds)
        except FlowTimeout:
            outcome = "timed out as expected"
        cpu1, t1 = _cpu(), time.monotonic()
    elif scenario == "bare_poll":
        base, form = info["base_api_url"], {"client_key": info["client_key"], "scope": "user.info.basic"}
        cpu0, t0 = _cpu(), time.monotonic()
        token = client.post(base + "oauth/get_qrcode/", data=form).json()["token"]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            check = {"client_key": info["client_key"], "client_secret": info["client_secret"], "token": token}
            client.post(base + "oauth/check_qrcode/", data=check).json()
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
        outcome = "deadline reached"
        cpu1, t1 = _cpu(), time.monotonic()
    elif scenario == "bare_listen":
        from http.server import BaseHTTPRequestHandler, HTTPServer

        inbox: queue.Queue[str] = queue.Queue()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                inbox.put(self.path)

        server = HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        cpu0, t0 = _cpu(), time.monotonic()
        thread.start()
        try:
            inbox.get(timeout=seconds)
        except queue.Empty:
            outcome = "timed out as expected"
        server.shutdown()
        server.server_close()
        cpu1, t1 = _cpu(), time.monotonic()
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")
    polls = [t for t, path in stamps if path.endswith("/check_qrcode/")]
    gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
    print(
        json.dumps(
            {
                "scenario": scenario,
                "wall": t1 - t0,
                "cpu": cpu1 - cpu0,
                "requests": len(stamps),
                "polls": len(polls),
                "gaps": gaps,
                "outcome": outcome,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
