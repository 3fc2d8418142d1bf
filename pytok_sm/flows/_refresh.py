"""The refresh flow: a new access token from the refresh token, which TikTok rotates.

https://developers.tiktok.com/doc/oauth-user-access-token-management. The answer's new
refresh token replaces the old one before the new access token is handed out (the old one
stops working at once); an answer without one keeps the old. ``invalid_grant`` ends in
``reauth_required``: the person must log in again, nothing is retried.

Example:
    >>> from pytok_sm._config import Config
    >>> from pytok_sm._tiktok import Response
    >>> flow = RefreshFlow(Config("aw_key", "s"), refresh_token="rft.old", clock=lambda: 0.0)
    >>> flow.start()
    Send(request=Request(POST https://open.tiktokapis.com/v2/oauth/token/, form fields: client_key, client_secret, grant_type, refresh_token))
    >>> done = flow.send(Response(200, {}, b'{"access_token": "act.new", "expires_in": 7200, "refresh_token": "rft.new", "open_id": "u1"}'))
    >>> flow.state, done.result.refresh_token
    ('refreshed', 'rft.new')
"""

from __future__ import annotations

from typing import Any

from .. import logs, _tiktok as tiktok
from .._config import Config
from .._errors import NotLoggedIn, ReauthorizationRequired
from .._retry import RequestKind
from .._token import Token
from ._base import RETRYING, Flow, StateSpec, t
from ._effects import Finished

__all__ = ["RefreshFlow"]


class RefreshFlow(Flow):
    """Refresh a token; ``previous`` (the token held now) fills what the answer leaves out."""

    KIND = "refresh"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("refreshing", enter="_enter_refreshing", handle="_on_answer", doc="POST grant_type=refresh_token"),
        StateSpec("refreshed", enter="_enter_refreshed", final=True, doc="new tokens issued"),
        StateSpec("reauth_required", final=True, doc="invalid_grant: log in again"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "refreshing"),
        t("retry", "refreshing", "refreshing"),
        t("token_issued", "refreshing", "refreshed"),
        t("refresh_rejected", "refreshing", "reauth_required"),
        t("fail", "refreshing", "failed"),
        t("cancel", ("created", "refreshing"), "cancelled"),
    )

    __slots__ = ("refresh_token", "previous", "token")

    def __init__(
        self, config: Config, *, refresh_token: str | None = None, previous: Token | None = None, **kwargs: Any
    ) -> None:
        super().__init__(config, **kwargs)
        self.previous = previous
        self.refresh_token = refresh_token or (previous.refresh_token if previous else None)
        self.token: Token | None = None
        logs.register_secret(self.refresh_token)

    def _begin(self) -> None:
        if not self.refresh_token:
            raise NotLoggedIn("refresh token")
        self.deadline = self.clock() + self.config.call_deadline * self.config.retry.max_attempts
        self._fire("start")

    def _request(self) -> tiktok.Request:
        assert self.refresh_token is not None
        return tiktok.refresh_request(self.config, self.refresh_token)

    def _enter_refreshing(self, event: object) -> None:
        self._send(self._request())

    def _on_answer(self, result: object) -> None:
        try:
            token = self._read(result, self._request, self._parse)
        except ReauthorizationRequired as error:
            self._end_with("refresh_rejected", error)
            return
        if token is RETRYING:
            return
        self.token = token
        logs.register_secret(token.access_token)
        logs.register_secret(token.refresh_token)
        self._fire("token_issued", rotated=token.refresh_token != self.refresh_token)

    def _parse(self, response: tiktok.Response) -> Token:
        return tiktok.parse_token(response, RequestKind.REFRESH, now=self.clock(), previous=self._previous())

    def _previous(self) -> Token:
        if self.previous is not None:
            return self.previous
        return Token(access_token="-", expires_at=0.0, refresh_token=self.refresh_token)

    def _enter_refreshed(self, event: object) -> None:
        self.effect = Finished(self.token)
