"""The revoke flow: tell TikTok to revoke the access token (and the app's authorization).

https://developers.tiktok.com/doc/oauth-user-access-token-management. Revoking a token that
is already dead counts as success (``invalid_grant`` / ``invalid_request`` on revoke end in
``revoked`` with ``already_dead=True``): the goal, a dead token, is reached.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response
    >>> flow = RevokeFlow(Config("aw_key", "s"), access_token="act.x")
    >>> _ = flow.start()
    >>> flow.send(Response(200, {}, b""))
    Finished()
    >>> flow.state
    'revoked'
"""

from __future__ import annotations

from typing import Any

from .. import _tiktok as tiktok
from .. import logs
from .._config import Config
from .._errors import NotLoggedIn, OAuthError, TikTokError
from .._http import Request
from . import _snapshot as snapshots
from ._base import StateSpec, t
from ._call import CallFlow

__all__ = ["RevokeFlow"]

#: OAuth errors of the revoke endpoint that mean "this token is dead already".
_ALREADY_DEAD = frozenset({"invalid_grant", "invalid_request", "invalid_token"})


class RevokeFlow(CallFlow):
    """Revoke an access token; idempotent, so it is retried on transient faults."""

    KIND = "revoke"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("revoking", enter="_enter_calling", handle="_on_answer", doc="POST /v2/oauth/revoke/"),
        StateSpec("revoked", enter="_enter_done", final=True, doc="the token is dead"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "revoking"),
        t("retry", "revoking", "revoking"),
        t("token_revoked", "revoking", "revoked"),
        t("fail", "revoking", "failed"),
        t("cancel", ("created", "revoking"), "cancelled"),
    )
    DONE = "token_revoked"
    RESUMABLE = ("revoking",)
    SNAPSHOT_FIELDS = {"access_token": snapshots.TOKEN}

    __slots__ = ("access_token", "already_dead")

    def __init__(self, config: Config, *, access_token: str | None = None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        self.already_dead = False
        logs.register_secret(access_token, owner=self)

    def _init_data(self) -> None:
        self.already_dead = False
        self.value = None

    def _check(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")

    def _request(self) -> Request:
        assert self.access_token is not None
        return tiktok.revoke_request(self.config, self.access_token)

    _parse = staticmethod(tiktok.parse_revoke)

    def _ended_by(self, error: TikTokError) -> bool:
        if isinstance(error, OAuthError) and error.error in _ALREADY_DEAD:
            self.already_dead = True
            self._fire(self.DONE, already_dead=True, error=error.error, log_id=error.log_id)
            return True
        return False
