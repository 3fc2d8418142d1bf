"""The revoke flow: tell TikTok to revoke the access token (and the app's authorization).

https://developers.tiktok.com/doc/oauth-user-access-token-management. Revoking a token that
is already dead counts as success (``invalid_grant`` / ``invalid_request`` on revoke end in
``revoked`` with ``already_dead=True``): the goal, a dead token, is reached.

Example:
    >>> from pytok_sm._config import Config
    >>> from pytok_sm._tiktok import Response
    >>> flow = RevokeFlow(Config("aw_key", "s"), access_token="act.x")
    >>> _ = flow.start()
    >>> flow.send(Response(200, {}, b""))
    Finished()
    >>> flow.state
    'revoked'
"""

from __future__ import annotations

from typing import Any

from .. import logs, _tiktok as tiktok
from .._config import Config
from .._errors import NotLoggedIn, OAuthError
from ._base import RETRYING, Flow, StateSpec, t
from ._effects import Finished

__all__ = ["RevokeFlow"]

#: OAuth errors of the revoke endpoint that mean "this token is dead already".
_ALREADY_DEAD = frozenset({"invalid_grant", "invalid_request", "invalid_token"})


class RevokeFlow(Flow):
    """Revoke an access token; idempotent, so it is retried on transient faults."""

    KIND = "revoke"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("revoking", enter="_enter_revoking", handle="_on_answer", doc="POST /v2/oauth/revoke/"),
        StateSpec("revoked", enter="_enter_revoked", final=True, doc="the token is dead"),
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
    RESUMABLE = ("revoking",)
    SNAPSHOT_FIELDS = ("access_token",)

    __slots__ = ("access_token", "already_dead")

    def __init__(self, config: Config, *, access_token: str | None = None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        self.already_dead = False
        logs.register_secret(access_token)

    def _init_data(self) -> None:
        self.already_dead = False

    def _begin(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")
        self.deadline = self.clock() + self.config.call_deadline * self.config.retry.max_attempts
        self._fire("start")

    def _request(self) -> tiktok.Request:
        assert self.access_token is not None
        return tiktok.revoke_request(self.config, self.access_token)

    def _enter_revoking(self, event: object) -> None:
        self._send(self._request())

    def _on_answer(self, result: object) -> None:
        try:
            answer = self._read(result, self._request, tiktok.parse_revoke)
        except OAuthError as error:
            if error.error not in _ALREADY_DEAD:
                raise
            self.already_dead = True
            self._fire("token_revoked", already_dead=True, error=error.error, log_id=error.log_id)
            return
        if answer is RETRYING:
            return
        self._fire("token_revoked")

    def _enter_revoked(self, event: object) -> None:
        self.effect = Finished(None)
