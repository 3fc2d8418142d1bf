"""The sandbox served from its own process, driven over stdin/stdout (one JSON line each way).

Run by :class:`benchmarks._sandbox.SandboxProcess`; not meant to be started by hand. The
sandbox's accept loop (it polls every 20 ms) and its request handling then use another
interpreter's CPU and GIL, so they do not blur what the benchmarks measure on the client.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from pytok_sm.sandbox import Sandbox, Switches
    from pytok_sm.sandbox import _server as sandbox_server

    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    # socketserver's default listen backlog is 5: a fan-out of hundreds of simultaneous
    # connects would overflow it and stall on SYN retransmits (1 s, 3 s, ...). TikTok's
    # front end has no such queue, so the emulator gets a realistic one (this process only).
    sandbox_server.Server.request_queue_size = int(options.pop("backlog", 1024))
    switches = Switches(**options)
    out = sys.stdout
    with Sandbox(switches=switches) as sb:
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
            if name == "issue":
                open_ids = command.get("open_ids") or [None] * int(command.get("n", 1))  # None: the sandbox's user
                reply: object = [sb.issue_tokens(open_id=open_id) for open_id in open_ids]
            elif name == "count":
                reply = sb.count(command["endpoint"])
            elif name == "errors":
                reply = sb.errors
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
