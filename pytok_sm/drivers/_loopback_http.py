"""The loopback server's HTTP: what a request head is worth, and the static pages it gets.

:func:`triage` reads a request head strictly: only an origin-form GET of the redirect path,
for the redirect URI's own host, goes on to be judged; every other request gets a fixed
answer (400, 404, 405, 414, 431) without reaching the flow. The ``Host`` check stops DNS
rebinding: a page on another origin that rebinds its name to 127.0.0.1 still sends its own
name as ``Host`` (browsers forbid scripts to set it).

Example:
    >>> hosts = expected_hosts("127.0.0.1", 3456)
    >>> triage(b"GET /callback/?code=c HTTP/1.1\\r\\nHost: 127.0.0.1:3456\\r\\n\\r\\n", "/callback/", hosts)
    'code=c'
    >>> triage(b"GET /callback/?code=c HTTP/1.1\\r\\nHost: evil.example:3456\\r\\n\\r\\n", "/callback/", hosts).status
    400
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = ["DENIED_TITLE", "SUCCESS_PAGE", "UNSETTLED_PAGE", "Refusal", "expected_hosts", "failure_page", "page",
           "render", "triage"]

MAX_HEAD_BYTES = 8192
MAX_REQUEST_LINE = 4096

_SECURITY_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Connection", "close"),
)
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
            414: "URI Too Long", 431: "Request Header Fields Too Large"}


def page(title: str, message: str) -> bytes:
    """A static, self-contained page; both strings are HTML-escaped."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    ).encode()


SUCCESS_PAGE = page("Authentication workflow completed", "You can close this window and return to the application.")
#: Sent when the application never said how the exchange ended (it stopped waiting first).
UNSETTLED_PAGE = page("Back to the application", "The login is being completed in the application; "
                      "check it there. You can close this window.")


def failure_page(message: str) -> bytes:
    """The page for a login whose code exchange failed: what went wrong, and what to do."""
    return page("The login could not be completed", f"{message}. Close this window and check the application.")
DENIED_TITLE = "Authorization declined"


def render(status: int, body: bytes, extra: tuple[tuple[str, str], ...] = (), *, head: bool = False) -> bytes:
    """The whole HTTP response: status line, security headers, ``body`` (none for HEAD)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{k}: {v}" for k, v in (*_SECURITY_HEADERS, *extra)]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + (b"" if head else body)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request that never reaches the flow: its status and what it is told. ``logged``
    refusals are bad requests (logged as rejected callbacks); 404 and 405 are not."""

    status: int
    message: str
    logged: bool = True
    title: str = "Bad request"
    extra: tuple[tuple[str, str], ...] = ()
    head: bool = False

    def response(self) -> bytes:
        return render(self.status, page(self.title, self.message), self.extra, head=self.head)


def expected_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values of a request for the redirect URI on ``host``:``port`` (the port
    may be left out: a page on another origin cannot send a loopback name at all)."""
    name = f"[{host}]" if ":" in host else host.lower()
    return frozenset({name, f"{name}:{port}"})


def _host_problem(lines: list[bytes], hosts: frozenset[str]) -> str:
    found = []
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            return "Folded header lines are not accepted."
        name, colon, value = line.partition(b":")
        if colon and name.lower() == b"host":
            found.append(value.strip().decode("latin-1").lower())
    if len(found) != 1:
        return "The request needs exactly one Host header."
    return "" if found[0] in hosts else "The request is for another host."


def triage(buffer: bytes | bytearray, path: str, hosts: frozenset[str]) -> Refusal | str | None:
    """What a (partly) received request is: None while its head is incomplete, the query
    string of a callback to judge, or a :class:`Refusal`."""
    first_end = buffer.find(b"\n")
    if first_end < 0:
        return Refusal(414, "The request line is too long.") if len(buffer) > MAX_REQUEST_LINE else None
    if first_end > MAX_REQUEST_LINE:
        return Refusal(414, "The request line is too long.")
    line = bytes(buffer[:first_end]).rstrip(b"\r")
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        return Refusal(400, "The request is not HTTP.")
    if not text.isprintable():
        return Refusal(400, "The request is not HTTP.")
    parts = text.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return Refusal(400, "The request is not HTTP/1.x.")
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        end = buffer.find(b"\n\n")
    if end < 0:
        return Refusal(431, "The request headers are too large.") if len(buffer) > MAX_HEAD_BYTES else None
    if end > MAX_HEAD_BYTES:
        return Refusal(431, "The request headers are too large.")
    method, target, _version = parts
    head = method == "HEAD"
    if not target.startswith("/"):
        return Refusal(400, "Only origin-form request targets are accepted.")
    target_path, _, query = target.partition("?")
    if target_path != path:
        return Refusal(404, "There is nothing here.", logged=False, title="Not found", head=head)
    if method != "GET":
        return Refusal(405, "Only GET is allowed here.", logged=False, title="Method not allowed",
                       extra=(("Allow", "GET"),), head=head)
    header_lines = [h.rstrip(b"\r") for h in bytes(buffer[first_end + 1 : end]).split(b"\n") if h.rstrip(b"\r")]
    problem = _host_problem(header_lines, hosts)
    return Refusal(400, problem) if problem else query
