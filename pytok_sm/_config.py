"""The validated, frozen configuration of a TikTok app (the original PyTok keywords).

Every value is checked when the object is made; a wrong one raises
:class:`~pytok_sm.ConfigurationError` naming the field and the allowed range.

Example:
    >>> cfg = Config("aw_key", "secret", scopes="user.info.basic,user.info.stats")
    >>> cfg.scopes
    ('user.info.basic', 'user.info.stats')
    >>> cfg.redirect_uri
    'http://127.0.0.1:3456/callback/'
    >>> Config("aw_key", "secret", port=70000)
    Traceback (most recent call last):
    ...
    pytok_sm.ConfigurationError: port: must be an integer 0..65535, got 70000
    >>> Config("aw_key", "secret", port=0, redirect_uri="http://127.0.0.1:*/callback/").wildcard_port
    True
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _contract as contract
from ._errors import ConfigurationError
from ._pkce import RandomSource, system_random
from ._retry import RetryPolicy
from ._scopes import check_scopes, normalize_scopes
from ._secrets import hush, register_secret

__all__ = ["Config", "DEFAULT_REQUEST_HEADER", "LOOPBACK_HOSTS", "cached_config", "check_scopes", "check_timeout",
           "keyword_docs", "normalize_scopes"]

DEFAULT_REQUEST_HEADER: Mapping[str, str] = {"Content-Type": contract.FORM_CONTENT_TYPE}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_RE = re.compile(r"([!-~]([\t -~]*[!-~])?)?")  # what h11 frames: no controls, no edge blanks
#: Headers the HTTP client writes itself: they frame, route or hold the connection (RFC 9110 7.6.1).
_CLIENT_HEADERS = frozenset("content-length host transfer-encoding connection keep-alive proxy-connection te trailer "
                            "upgrade".split())
_WILDCARD = "*"


def _check_int(name: str, value: object, low: int, high: int, why: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(name, f"must be an integer {low}..{high}, got {value!r}{why}")
    return value


def _check_seconds(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(name, f"must be a number of seconds {low:g}..{high:g}, got {value!r}")
    if not low <= value <= high:
        raise ConfigurationError(name, f"must be a number of seconds {low:g}..{high:g}, got {value!r}")
    return float(value)


def check_timeout(value: object, name: str = "timeout") -> float:
    """A per-call timeout (the login flows, ``oauth_server``...) as a float, 0.1..86400 seconds.

    Example:
        >>> check_timeout(float("nan"))
        Traceback (most recent call last):
        ...
        pytok_sm.ConfigurationError: timeout: must be a number of seconds 0.1..86400, got nan
    """
    return _check_seconds(name, value, 0.1, 86400)


def _check_url(name: str, value: object, *, loopback_http: bool = True) -> urllib.parse.SplitResult:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(name, "must be an absolute http(s) URL")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigurationError(name, "must not contain spaces or control characters")
    try:  # ValueError: an unclosed [IPv6 bracket, a port that is no number 0..65535, or is 0
        parts = urllib.parse.urlsplit(value)
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise ConfigurationError(name, "has an invalid host or port (a port is a number 1..65535)") from None
    if "@" in parts.netloc:  # checked first: the message never echoes the credentials
        raise ConfigurationError(name, "must not carry credentials (user:password@); TikTok's URLs take none")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(name, f"must be an absolute http(s) URL, got {value!r}")
    if "#" in value:
        raise ConfigurationError(name, "must not have a #fragment")
    if parts.scheme == "http" and loopback_http and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            name, f"plain http is allowed only for loopback hosts (127.0.0.1, localhost), got {parts.hostname!r}"
        )
    return parts


def _header_value_problem(value: object) -> str:
    """What keeps httpx (ASCII only) or h11 from sending a header value, "" if nothing."""
    if not isinstance(value, str) or not value.isascii():
        return "must be an ASCII string (httpx sends header values as ASCII)"
    if not _HEADER_VALUE_RE.fullmatch(value):
        return "must not contain line breaks or control characters, nor start or end with spaces or tabs"
    return ""


def _default_redirect(port: int) -> str:
    """The redirect URI used when none is given: loopback, with a wildcard for ``port=0``."""
    return f"http://127.0.0.1:{_WILDCARD if port == 0 else port}/callback/"


def _redirect_port(value: str) -> str | None:
    """The port text of a redirect URI (``'*'`` for a wildcard), None when it has none."""
    netloc = value.split("/", 3)[2] if value.count("/") >= 2 else ""
    host_port = netloc.rsplit("@", 1)[-1]
    if host_port.startswith("["):
        rest = host_port.partition("]")[2]
        return rest[1:] if rest.startswith(":") else None
    return host_port.rpartition(":")[2] if ":" in host_port else None


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Config:
    """Everything a flow needs to know about the app; immutable once made.

    ``client_secret`` never appears in ``repr``. Use :meth:`replace` to derive a changed copy
    (it is validated again).
    """

    client_key: str = field(metadata={"doc": "your app's client key, from the TikTok developer portal (required)"})
    client_secret: str = field(repr=False, metadata={"doc": "your app's client secret (required; never logged or shown)"})
    port: int = field(default=3456, metadata={"doc": "loopback port of the browser login, 0..65535 (0: any free port)"})
    scopes: tuple[str, ...] | str | Iterable[str] = field(
        default=(contract.SCOPE_USER_INFO_BASIC,),
        metadata={"doc": "scopes to ask for: a comma-separated string or a list, e.g. 'user.info.basic,video.list'; "
                          "TikTok's documented ones are checked (did you mean ...?), '+name' passes one they do not list"},
    )
    redirect_uri: str | None = field(
        default=None,
        metadata={"doc": "the registered redirect URI (default http://127.0.0.1:PORT/callback/; "
                  "http://127.0.0.1:*/callback/ with port=0 for any port; https for web apps)"},
    )
    authorization_url: str = field(
        default=contract.AUTHORIZATION_URL, metadata={"doc": "TikTok's authorize page (the sandbox's in tests)"}
    )
    base_api_url: str = field(
        default=contract.BASE_API_URL, metadata={"doc": "TikTok's API base URL, ending in /v2/ (the sandbox's in tests)"}
    )
    csrf_state_length: int = field(default=32, metadata={"doc": "length of the CSRF state, 22..512 characters"})
    code_verifier_length: int = field(default=64, metadata={"doc": "length of the PKCE verifier, 43..128 (RFC 7636)"})
    client_ticket_length: int = field(default=64, metadata={"doc": "length of the QR client_ticket, 22..510"})
    request_header: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_REQUEST_HEADER),
        metadata={"doc": "extra headers of the OAuth requests (name -> value)"},
    )
    http_timeout: float = field(default=10.0, metadata={"doc": "seconds to wait for each connect or read, 0.1..600"})
    call_deadline: float = field(
        default=30.0, metadata={"doc": "seconds one HTTP call may take in all, 0.1..3600 (slow drips end here)"}
    )
    qr_poll_interval: float = field(default=1.0, metadata={"doc": "seconds between QR status polls, 0.05..60"})
    retry: RetryPolicy = field(
        default_factory=RetryPolicy, metadata={"doc": "a pytok_sm.RetryPolicy: attempts and backoff of retried calls"}
    )
    open_browser: bool | Callable[[str], Any] = field(
        default=True,
        repr=False,
        metadata={"doc": "how the browser login shows the authorize page: True (the system browser), "
                  "False (print the URL), or a callable taking the URL and returning whether it opened it"},
    )
    clock: Callable[[], float] = field(
        default=time.time, repr=False, metadata={"doc": "the wall clock, epoch seconds (tests inject a fake one)"}
    )
    random: RandomSource = field(
        default=system_random,
        repr=False,
        metadata={"doc": "random(alphabet, length) -> str for state, verifier and ticket (tests inject a seeded one)"},
    )

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("client_key", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(name, "is required: copy it from your app in the TikTok developer portal")
            if any(not ch.isprintable() or ch.isspace() for ch in value) or len(value) > 256:
                raise ConfigurationError(name, "must be up to 256 printable characters without spaces")
        register_secret(self.client_secret, owner=self)  # masked in logs while this config lives
        _check_int("port", self.port, 0, 65535)
        put(self, "scopes", check_scopes(normalize_scopes(self.scopes)))
        if self.redirect_uri is None:
            put(self, "redirect_uri", _default_redirect(self.port))
        self._check_redirect_uri()
        _check_url("authorization_url", self.authorization_url)
        base = self.base_api_url
        _check_url("base_api_url", base)
        if "?" in base:
            raise ConfigurationError("base_api_url", "must not have a query string: the API paths are appended to it")
        if not base.endswith("/"):
            put(self, "base_api_url", base + "/")
        _check_int(
            "csrf_state_length", self.csrf_state_length, 22, 512,
            " (RFC 6749 section 10.10 asks for at least 128 bits: 22 random characters)",
        )
        _check_int("code_verifier_length", self.code_verifier_length, 43, 128, " (RFC 7636 section 4.1)")
        _check_int(
            "client_ticket_length", self.client_ticket_length, 22, contract.CLIENT_TICKET_MAX_ENCODED - 1,
            " (at least 128 bits, and under 512 characters URL-encoded)",
        )
        put(self, "request_header", self._checked_headers(self.request_header))
        put(self, "http_timeout", _check_seconds("http_timeout", self.http_timeout, 0.1, 600))
        put(self, "call_deadline", _check_seconds("call_deadline", self.call_deadline, 0.1, 3600))
        put(self, "qr_poll_interval", _check_seconds("qr_poll_interval", self.qr_poll_interval, 0.05, 60))
        if not isinstance(self.retry, RetryPolicy):
            raise ConfigurationError("retry", "must be a pytok_sm.RetryPolicy")
        if not isinstance(self.open_browser, bool) and not callable(self.open_browser):
            raise ConfigurationError(
                "open_browser", f"must be True, False or a callable taking the URL, got {self.open_browser!r}"
            )
        for name in ("clock", "random"):
            if not callable(getattr(self, name)):
                raise ConfigurationError(name, f"must be a callable, got {type(getattr(self, name)).__name__}")

    def _check_redirect_uri(self) -> None:
        uri = self.redirect_uri
        assert uri is not None
        if not isinstance(uri, str) or len(uri) >= 512:
            raise ConfigurationError("redirect_uri", "must be a URL under 512 characters")
        port_text = _redirect_port(uri)
        parts = _check_url("redirect_uri", uri.replace(":*/", ":1/", 1) if port_text == _WILDCARD else uri)  # any port
        if "?" in uri:
            raise ConfigurationError("redirect_uri", "must not have a query string (TikTok refuses it)")
        if not parts.path:
            raise ConfigurationError("redirect_uri", "needs a path, e.g. http://127.0.0.1:3456/callback/")
        if parts.scheme == "https":
            if port_text == _WILDCARD:
                raise ConfigurationError("redirect_uri", "a wildcard port is allowed only for loopback http redirects")
            return
        # Loopback http: the port of the redirect must be the port we listen on.
        if port_text == _WILDCARD:
            return
        if port_text is None or not port_text.isdigit():
            raise ConfigurationError("redirect_uri", "a loopback redirect needs a port number or '*', e.g. :3456")
        if int(port_text) != self.port:
            raise ConfigurationError(
                "redirect_uri",
                f"its port {port_text} differs from port={self.port}; make them equal, "
                "or register http://127.0.0.1:*/callback/ and use port=0",
            )

    @staticmethod
    def _checked_headers(headers: object) -> Mapping[str, str]:
        if not isinstance(headers, Mapping):
            raise ConfigurationError("request_header", "must be a mapping of header name to value")
        clean: dict[str, str] = {}
        for name, value in headers.items():
            if not isinstance(name, str) or not _HEADER_NAME_RE.fullmatch(name):
                raise ConfigurationError("request_header", f"{name!r} is not a valid header name")
            if name.lower() in _CLIENT_HEADERS:
                raise ConfigurationError("request_header", f"{name} is set by the HTTP client (it frames the request)")
            if name.lower() in map(str.lower, clean):
                raise ConfigurationError("request_header", f"{name} is given twice (names are case-insensitive)")
            if problem := _header_value_problem(value):  # the value itself is never shown: it may be a secret
                raise ConfigurationError("request_header", f"the value of {name} {problem}")
            clean[name] = value
        return _FrozenHeaders(clean)

    @property
    def wildcard_port(self) -> bool:
        """True when the redirect URI registers any port (``http://127.0.0.1:*/...``)."""
        return _redirect_port(self.redirect_uri or "") == _WILDCARD

    @property
    def is_loopback(self) -> bool:
        """True when the redirect goes to this machine (the browser flow serves it)."""
        host = urllib.parse.urlsplit((self.redirect_uri or "").replace(":*/", ":0/", 1)).hostname
        return host in LOOPBACK_HOSTS

    @property
    def redirect_path(self) -> str:
        """The path of the redirect URI, which the loopback server serves (``/callback/``)."""
        uri = (self.redirect_uri or "").replace(":*/", ":0/", 1)
        return urllib.parse.urlsplit(uri).path or "/"

    def redirect_for_port(self, port: int) -> str:
        """The redirect URI to send for a server listening on ``port`` (fills a wildcard)."""
        uri = self.redirect_uri or ""
        return uri.replace(":*/", f":{port}/", 1) if self.wildcard_port else uri

    def endpoint(self, path: str) -> str:
        """The absolute URL of an API path such as ``contract.TOKEN_PATH``."""
        relative = path.removeprefix("/v2/")
        return self.base_api_url + relative

    def replace(self, **changes: Any) -> Config:
        """A validated copy with some fields changed."""
        # The default loopback redirect follows the port; a wildcard redirect or one the caller
        # chose (https, another host) is never rewritten.
        if (
            "port" in changes
            and "redirect_uri" not in changes
            and not self.wildcard_port
            and self.redirect_uri == _default_redirect(self.port)
        ):
            changes["redirect_uri"] = None
        return dataclasses.replace(self, **changes)


class _FrozenHeaders(dict[str, str]):
    """A read-only dict (keeps ``Config`` immutable, still JSON- and httpx-friendly)."""

    def _readonly(self, *_: object, **__: object) -> None:
        raise TypeError("request_header is read-only; use Config.replace(request_header=...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items())))



# The client secret is an argument of __init__: a ConfigurationError must not carry its frame.
Config.__init__ = hush(Config.__init__)  # type: ignore[method-assign]

def keyword_docs() -> list[tuple[str, object, str]]:
    """Every configuration keyword as ``(name, default, meaning)``, in declaration order.

    The kits build their signature and ``help()`` text from this, so defaults live here only.

    Example:
        >>> [name for name, _, _ in keyword_docs()][:3]
        ['client_key', 'client_secret', 'port']
    """
    rows = []
    for item in dataclasses.fields(Config):
        if item.default is not dataclasses.MISSING:
            default: object = item.default
        elif item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        else:
            default = dataclasses.MISSING
        rows.append((item.name, default, str(item.metadata.get("doc", ""))))
    return rows


_CACHE: dict[object, Config] = {}
_CACHE_SIZE = 64


def _frozen(value: object) -> object:
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("sequence", tuple(_frozen(v) for v in value))
    hash(value)  # anything else must be hashable as it is (else: TypeError, not cached)
    return (type(value), value)


def cached_config(client_key: str, client_secret: str, options: Mapping[str, Any]) -> Config:
    """``Config(client_key, client_secret, **options)``, validated once per distinct set of values.

    A program making one kit per account with the same app settings pays for validation
    once (about 50 us), not per kit. A Config is immutable, so sharing it is safe.

    Example:
        >>> cached_config("aw_key", "s", {"port": 0}) is cached_config("aw_key", "s", {"port": 0})
        True
    """
    try:
        key: object = (client_key, client_secret, tuple(sorted((k, _frozen(v)) for k, v in options.items())))
        hash(key)
    except TypeError:
        return Config(client_key, client_secret, **options)
    config = _CACHE.get(key)
    if config is None:
        config = Config(client_key, client_secret, **options)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = config
    return config
