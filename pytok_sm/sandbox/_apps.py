"""Registered apps: client credentials, app kind, redirect URIs and allowed scopes.

TikTok matches a redirect URI exactly (the trailing slash counts). Desktop apps register
loopback URIs on ``127.0.0.1`` or ``localhost`` whose port may be the wildcard ``*``
(``http://127.0.0.1:*/callback/``); web apps register ``https`` URIs. See
https://developers.tiktok.com/doc/login-kit-desktop and .../login-kit-web.

Example:
    >>> app = default_desktop_app()
    >>> app.matches_redirect_uri("http://127.0.0.1:50123/callback/")
    True
    >>> app.matches_redirect_uri("http://127.0.0.1:50123/callback")
    False
    >>> app.verified_url("https://media.example.com/clip.mp4"), app.verified_url("https://media.example.com.evil/x")
    (True, False)
    >>> check_webhook_url("http://127.0.0.1:8000/hooks/tiktok"), check_webhook_url("https://app.example.test/hook")
    ('http://127.0.0.1:8000/hooks/tiktok', 'https://app.example.test/hook')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from pytok_sm import _contract as contract

__all__ = [
    "DEFAULT_CLIENT_KEY",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_VERIFIED_URL_PREFIXES",
    "DEFAULT_WEB_CLIENT_KEY",
    "DEFAULT_WEB_CLIENT_SECRET",
    "App",
    "AppKind",
    "check_webhook_url",
    "default_apps",
    "default_desktop_app",
    "default_web_app",
]

AppKind = Literal["desktop", "web"]

#: Fixed (not random) so that recorded cassettes replay byte for byte.
DEFAULT_CLIENT_KEY = "sbawsandbox0demo0key"
DEFAULT_CLIENT_SECRET = "sandbox-demo-secret-0123456789abcdef"
DEFAULT_WEB_CLIENT_KEY = "sbawsandbox00web0key"
DEFAULT_WEB_CLIENT_SECRET = "sandbox-web-secret-fedcba9876543210"

#: Where the sandbox's apps may PULL_FROM_URL (a verified URL prefix, in TikTok's terms).
DEFAULT_VERIFIED_URL_PREFIXES: tuple[str, ...] = ("https://media.example.com/",)
_MAX_REDIRECT_URIS = 10
_MAX_REDIRECT_URI_LENGTH = 512
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_WILDCARD_PORT = ":*"


@dataclass(frozen=True)
class App:
    """One app registered with the sandbox, validated like TikTok's developer portal.

    Example:
        >>> App(client_key="k", client_secret="s", name="Mine", kind="web",
        ...     redirect_uris=("https://example.test/cb/",)).kind
        'web'
    """

    client_key: str
    client_secret: str = field(repr=False)
    name: str
    kind: AppKind
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...] = contract.KNOWN_SCOPES
    #: May use grant_type=client_credentials (otherwise: unauthorized_client).
    allow_client_credentials: bool = True
    #: Passed TikTok's audit. Unaudited apps post only SELF_ONLY to private accounts, for at
    #: most ``switches.unaudited_user_cap`` creators per 24 h.
    audited: bool = True
    #: Creators that may post through the app per 24 h (None: no cap of its own).
    active_creator_cap: int | None = None
    #: Verified URL prefixes of PULL_FROM_URL (``https://host/`` or ``https://host/path/``).
    verified_url_prefixes: tuple[str, ...] = DEFAULT_VERIFIED_URL_PREFIXES
    #: Where the sandbox POSTs this app's webhooks (None: nothing is delivered); https, or
    #: plain http to a loopback host. ``Sandbox.set_webhook_url`` changes it on a running sandbox.
    webhook_url: str | None = None

    def __post_init__(self) -> None:
        if not self.client_key or not self.client_secret:
            raise ValueError("an app needs a client_key and a client_secret")
        if self.kind not in ("desktop", "web"):
            raise ValueError(f"unknown app kind {self.kind!r}")
        if not 1 <= len(self.redirect_uris) <= _MAX_REDIRECT_URIS:
            raise ValueError("an app registers 1 to 10 redirect URIs")
        for uri in self.redirect_uris:
            self._check_registration(uri)
        unknown = set(self.scopes) - set(contract.KNOWN_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}")
        if contract.SCOPE_USER_INFO_BASIC not in self.scopes:
            raise ValueError("user.info.basic comes with Login Kit: every app has it")
        cap = self.active_creator_cap
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise ValueError(f"active_creator_cap is None or a positive integer, not {cap!r}")
        for prefix in self.verified_url_prefixes:
            parts = urlsplit(prefix)
            shaped = parts.scheme == "https" and bool(parts.hostname) and parts.path.endswith("/")
            if not shaped or "@" in parts.netloc or parts.query or parts.fragment:
                raise ValueError(f"a verified URL prefix is https://host/ or https://host/path/, not {prefix!r}")
        if self.webhook_url is not None:
            check_webhook_url(self.webhook_url)

    def verified_url(self, url: str) -> bool:
        """True when ``url`` is an https URL under one of the verified prefixes (the host
        compared without case; no user info, no ``.``/``..`` segments to climb out)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            return False
        segments = unquote(parts.path).split("/")
        if parts.scheme.lower() != "https" or not host or "@" in parts.netloc or "\\" in url or {".", ".."} & set(segments):
            return False
        normal = f"https://{parts.netloc.lower()}{parts.path}"
        for prefix in self.verified_url_prefixes:
            registered = urlsplit(prefix)
            if normal.startswith(f"https://{registered.netloc.lower()}{registered.path}"):
                return True
        return False

    def _check_registration(self, uri: str) -> None:
        if len(uri) >= _MAX_REDIRECT_URI_LENGTH:
            raise ValueError("a redirect URI is under 512 characters")
        concrete = uri.replace(_WILDCARD_PORT, ":1", 1)
        parts = urlsplit(concrete)
        if parts.query or parts.fragment or "?" in uri or "#" in uri:
            raise ValueError(f"a redirect URI has no query or fragment: {uri!r}")
        if self.kind == "web":
            if parts.scheme != "https" or _WILDCARD_PORT in uri:
                raise ValueError(f"web apps register https URIs without wildcards: {uri!r}")
        elif parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or parts.port is None:
            raise ValueError(f"desktop apps register http://127.0.0.1|localhost:PORT URIs: {uri!r}")

    @property
    def requires_pkce(self) -> bool:
        """Desktop (and mobile) apps must send PKCE; web apps depend on a switch."""
        return self.kind == "desktop"

    def matches_redirect_uri(self, uri: str) -> bool:
        """True when ``uri`` equals a registration, a wildcard port matching any port."""
        return any(_matches(registered, uri) for registered in self.redirect_uris)

    @property
    def qr_redirect_uri(self) -> str:
        """The redirect URI a QR-code login reports: the first one without a wildcard."""
        for uri in self.redirect_uris:
            if _WILDCARD_PORT not in uri:
                return uri
        return self.redirect_uris[0].replace(_WILDCARD_PORT, "", 1)


def check_webhook_url(url: str) -> str:
    """``url`` if it may receive webhooks: https to any host, or http to a loopback host
    (127.0.0.1, localhost, ::1); no user info, no fragment. ValueError otherwise."""
    shaped = isinstance(url, str) and 0 < len(url) <= 2048 and url == url.strip()
    try:
        parts = urlsplit(url) if shaped else None
        if parts is not None:
            parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or "@" in parts.netloc or parts.fragment:
        raise ValueError(f"a webhook URL is http(s)://host[:port]/path, not {url!r}")
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in (*_LOOPBACK_HOSTS, "::1")):
        return url
    raise ValueError(f"a webhook URL is https (plain http only to 127.0.0.1, localhost or ::1), not {url!r}")


def _matches(registered: str, candidate: str) -> bool:
    if _WILDCARD_PORT not in registered:
        return candidate == registered
    prefix, _, suffix = registered.partition(_WILDCARD_PORT)
    prefix += ":"
    if not (candidate.startswith(prefix) and candidate.endswith(suffix)):
        return False
    port = candidate[len(prefix) : len(candidate) - len(suffix)]
    return port.isascii() and port.isdigit() and len(port) <= 5 and 1 <= int(port) <= 65535


def default_desktop_app() -> App:
    """The desktop app every sandbox registers (PKCE required, loopback redirects)."""
    return App(
        client_key=DEFAULT_CLIENT_KEY,
        client_secret=DEFAULT_CLIENT_SECRET,
        name="pytok_sm Sandbox App",
        kind="desktop",
        redirect_uris=(
            "http://127.0.0.1:3456/callback/",
            "http://127.0.0.1:*/callback/",
            "http://localhost:*/callback/",
        ),
    )


def default_web_app() -> App:
    """The web app every sandbox registers (https redirect, PKCE optional by default)."""
    return App(
        client_key=DEFAULT_WEB_CLIENT_KEY,
        client_secret=DEFAULT_WEB_CLIENT_SECRET,
        name="pytok_sm Sandbox Web App",
        kind="web",
        redirect_uris=("https://app.example.test/callback/",),
    )


def default_apps() -> tuple[App, App]:
    """The desktop app first, then the web app."""
    return (default_desktop_app(), default_web_app())
