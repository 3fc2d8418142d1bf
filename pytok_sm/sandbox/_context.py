"""What every endpoint needs: state, switches, clock, registered apps, the user, the base URL,
what Content Posting remembers (creators, posts, uploads) and the webhooks on their way.

Example:
    >>> ctx = Context.default()
    >>> ctx.app("sbawsandbox0demo0key").kind
    'desktop'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ._apps import App, default_apps
from ._clock import Clock
from ._posts import PostingState
from ._state import SandboxState
from ._switches import Switches
from ._user import SandboxUser
from ._webhooks import WebhookState
from ._wire import Reply, new_log_id, oauth_error

__all__ = ["Context"]


@dataclass
class Context:
    """Shared by all endpoints of one sandbox; ``base_url`` is set once the port is known.

    Example:
        >>> ctx = Context.default()
        >>> ctx.oauth_error("invalid_client", "x").json()["error"]
        'invalid_client'
    """

    apps: dict[str, App]
    switches: Switches = field(default_factory=Switches)
    clock: Clock = field(default_factory=Clock)
    state: SandboxState = field(default_factory=SandboxState)
    user: SandboxUser = field(default_factory=SandboxUser)
    base_url: str = "http://127.0.0.1"
    #: Content Posting's memory; guarded by ``state.lock`` like the rest.
    posting: PostingState = field(default_factory=PostingState)
    #: The webhooks queued, their attempts, what posts told; guarded by ``state.lock`` too.
    webhooks: WebhookState = field(default_factory=WebhookState)

    @classmethod
    def default(cls, apps: Iterable[App] | None = None) -> Context:
        """A context with the given apps (default: the desktop and the web app)."""
        registered = list(default_apps() if apps is None else apps)
        by_key = {app.client_key: app for app in registered}
        if len(by_key) != len(registered):
            raise ValueError("two apps share a client_key")
        if not by_key:
            raise ValueError("register at least one app")
        return cls(apps=by_key)

    def app(self, client_key: str | None) -> App | None:
        """The app registered under ``client_key``, or None."""
        return None if client_key is None else self.apps.get(client_key)

    def now(self) -> float:
        """The sandbox clock's current time."""
        return self.clock.now()

    def log_id(self) -> str:
        """A fresh log id stamped with the sandbox clock."""
        return new_log_id(self.clock.now())

    def oauth_error(self, error: str, description: str) -> Reply:
        """A flat OAuth error with a fresh log_id and the status the switches choose."""
        mapped = self.switches.oauth_error_status == "mapped"
        return oauth_error(error, description, log_id=self.log_id(), mapped_status=mapped)
