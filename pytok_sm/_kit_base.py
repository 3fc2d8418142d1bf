"""What both kits share: the configuration keywords (from :class:`~pytok_sm.Config`, the only
place defaults live), the help text and signature built from them, and the held account.

Example:
    >>> kit = _Kit(None, None, Config("aw_key", "s"), None, None, None, None, None, None, {})
    >>> kit.PORT, kit.token
    (3456, None)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, TypeVar

import httpx

from ._config import Config, cached_config, keyword_docs
from ._errors import ConfigurationError
from ._pkce import RandomSource
from ._policy import OnToken, TokenPolicy
from ._retry import RetryPolicy
from ._secrets import hush
from ._token import Token
from ._web import SingleUse

__all__ = ["ConfigOptions", "_Kit", "describe_keywords", "kit_signature"]

C = TypeVar("C", httpx.Client, httpx.AsyncClient)


class ConfigOptions(TypedDict, total=False):
    """The configuration keywords of a kit: every field of :class:`~pytok_sm.Config` but the
    two credentials. Meanings and defaults: ``help(pytok_sm.Config)`` or the kit's help."""

    port: int
    scopes: str | Iterable[str]
    redirect_uri: str | None
    authorization_url: str
    base_api_url: str
    csrf_state_length: int
    code_verifier_length: int
    client_ticket_length: int
    request_header: Mapping[str, str]
    http_timeout: float
    call_deadline: float
    qr_poll_interval: float
    retry: RetryPolicy
    open_browser: bool | Callable[[str], Any]
    clock: Callable[[], float]
    random: RandomSource


_KIT_KEYWORDS = (
    ("config", None, "a ready pytok_sm.Config, instead of client_key, client_secret and the keywords above"),
    ("token", None, "a saved token to hold: a pytok_sm.Token, Token.to_dict() or the token endpoint's JSON"),
    ("on_token", None, "called with every new token (login, rotation) before it is used, and None after revoke: "
                       "save it there"),
    ("store", None, "a token store (pytok_sm.stores): the source of truth for this kit's account, shared by "
                    "processes and machines; refreshes are single-flight across all of them"),
    ("open_id", None, "the TikTok account this kit acts for: a token or an answer about another account is "
                      "refused (AccountMismatch); default: the held token's"),
    ("snapshot_key", None, "the key that seals web-login snapshots (default: derived from the client secret)"),
    ("single_use", None, "single_use(snapshot_id, seconds) -> bool, True the first time only: how web logins are "
                         "completed once across worker processes (default: this process's memory)"),
    ("http_client", None, "an httpx client of your own (proxies, limits); the kit never closes it"),
    ("transport", None, "an httpx transport for a client of the kit's own (tests: httpx.MockTransport)"),
)


def describe_keywords() -> str:
    lines = ["", "Keywords (every one is validated when the kit is made):"]
    for name, default, doc in keyword_docs():
        shown = "required" if name in ("client_key", "client_secret") else f"default {default!r}"
        if name in ("clock", "random"):
            shown = "default: the system's"
        lines.append(f"    {name}: {doc} ({shown})")
    for name, _, doc in _KIT_KEYWORDS:
        lines.append(f"    {name}: {doc}")
    return "\n".join(lines)


def kit_signature() -> inspect.Signature:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("client_key", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="str"),
        inspect.Parameter("client_secret", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="str"),
    ]
    params += [inspect.Parameter(n, kw, default=d) for n, d, _ in keyword_docs() if n not in ("client_key", "client_secret")]
    params += [inspect.Parameter(n, kw, default=d) for n, d, _ in _KIT_KEYWORDS]
    return inspect.Signature(params)


def _make_config(client_key: str | None, client_secret: str | None, config: Config | None,
                 options: Mapping[str, Any]) -> Config:
    if config is None:
        if client_key is None or client_secret is None:
            raise ConfigurationError("client_key", "is required: LoginKit(client_key, client_secret, **keywords)")
        return cached_config(client_key, client_secret, options)
    if not isinstance(config, Config):
        raise ConfigurationError("config", f"must be a pytok_sm.Config, got {type(config).__name__}")
    if client_key is not None or client_secret is not None or options:
        raise ConfigurationError("config", "give a Config or client_key/client_secret with keywords, not both")
    return config


class _Kit:
    """What both kits share: configuration, the held token, the PyTok attribute names."""

    __slots__ = ("_policy", "_client", "_owns_client")

    def __init__(self, client_key: str | None, client_secret: str | None, config: Config | None,
                 token: Token | Mapping[str, Any] | None, on_token: OnToken | None, store: Any,
                 open_id: str | None, snapshot_key: bytes | str | None, single_use: SingleUse | None,
                 options: Mapping[str, Any]) -> None:
        self._policy = TokenPolicy(_make_config(client_key, client_secret, config, options), on_token=on_token,
                                   snapshot_key=snapshot_key, single_use=single_use, open_id=open_id, store=store)
        if token is not None:
            self._policy.load(token, notify=False)

    def _own_client(self, client_class: type[C], client: object, transport_class: type, transport: object) -> C | None:
        """The client given, or one of the kit's own around ``transport``, or None (the shared pool)."""
        if client is not None and not isinstance(client, client_class):
            raise ConfigurationError("http_client", f"must be an httpx.{client_class.__name__} for this kit")
        if transport is not None and not isinstance(transport, transport_class):
            raise ConfigurationError("transport", f"must be an httpx.{transport_class.__name__} for this kit")
        self._owns_client = client is None and transport is not None
        if self._owns_client:
            return client_class(transport=transport)  # type: ignore[arg-type]
        return client

    def __repr__(self) -> str:
        policy = getattr(self, "_policy", None)  # a kit whose __init__ failed is still shown in tracebacks
        if policy is None:
            return f"<{type(self).__name__} (not configured)>"
        token = policy.token
        who = f"open_id={token.open_id!r}" if token is not None else "not logged in"
        return f"<{type(self).__name__} client_key={policy.config.client_key!r} {who}>"

    # ------------------------------------------------------------------ configuration
    @property
    def config(self) -> Config:
        """The validated configuration (immutable; :meth:`update_scopes` swaps it)."""
        return self._policy.config

    BASE_API_URL = property(lambda self: self.config.base_api_url, doc="TikTok's API base URL.")
    AUTHORIZATION_URL = property(lambda self: self.config.authorization_url, doc="The authorize page.")
    REDIRECT_URI = property(lambda self: self.config.redirect_uri, doc="The registered redirect URI.")
    PORT = property(lambda self: self.config.port, doc="The loopback port (0: any).")
    SCOPES = property(lambda self: self.config.scopes, doc="Scopes asked for, in order.")
    CSRF_STATE_LENGTH = property(lambda self: self.config.csrf_state_length, doc="Length of ``state``.")
    CODE_VERIFIER_LENGTH = property(lambda self: self.config.code_verifier_length, doc="PKCE verifier length.")
    CLIENT_TICKET_LENGTH = property(lambda self: self.config.client_ticket_length, doc="QR ticket length.")
    REQUEST_HEADER = property(lambda self: dict(self.config.request_header), doc="Headers of OAuth requests.")

    def update_scopes(self, scopes: str | Iterable[str]) -> tuple[str, ...]:
        """Ask for these scopes in later logins; the current token keeps its granted set.

        Example:
            >>> from pytok_sm import LoginKit
            >>> kit = LoginKit("aw_key", "s")
            >>> kit.update_scopes("user.info.basic,video.list")
            ('user.info.basic', 'video.list')
        """
        self._policy.config = self.config.replace(scopes=scopes)
        return tuple(self.config.scopes)

    # ------------------------------------------------------------------ the token
    @property
    def token(self) -> Token | None:
        """The token held now (None before login and after revoke)."""
        return self._policy.token

    @property
    def current_access_token(self) -> str | None:
        """The access token string held now, or None."""
        token = self._policy.token
        return token.access_token if token else None

    @property
    def granted_scopes(self) -> frozenset[str]:
        """The scopes the person actually granted (may be fewer than asked)."""
        token = self._policy.token
        return token.scopes if token else frozenset()

    @hush
    def load_token(self, data: Token | Mapping[str, Any], *, notify: bool = True) -> Token:
        """Restore a saved token: a :class:`Token`, ``Token.to_dict()`` or the endpoint's JSON.

        ``notify=False`` skips the ``on_token`` callback (the token came from storage).
        """
        return self._policy.load(data, notify=notify)

    def begin_browser_login(self, *, timeout: float = 600.0) -> tuple[str, dict[str, Any]]:
        """For web apps: the authorize URL to redirect the person to, and a snapshot to keep.

        The snapshot holds the CSRF state and PKCE verifier: keep it server-side like a
        password, and pass it to ``complete_browser_login`` with the callback's query.
        """
        return self._policy.begin_browser_login(timeout)
