"""The refresh flow: a new access token from the refresh token, which TikTok rotates.

https://developers.tiktok.com/doc/oauth-user-access-token-management. The answer's new
refresh token replaces the old one before the new access token is handed out (the old one
stops working at once); an answer without one keeps the old. ``invalid_grant`` ends in
``reauth_required``: the person must log in again, nothing is retried.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response
    >>> flow = RefreshFlow(Config("aw_key", "s"), refresh_token="rft.old", clock=lambda: 0.0)
    >>> flow.start()
    Send(request=Request(POST https://open.tiktokapis.com/v2/oauth/token/, form fields: client_key, client_secret, grant_type, refresh_token), timeout=10.0, deadline=30.0)
    >>> done = flow.send(Response(200, {}, b'{"access_token": "act.new", "expires_in": 7200, "refresh_token": "rft.new", "open_id": "u1"}'))
    >>> flow.state, done.result.refresh_token
    ('refreshed', 'rft.new')
"""

from __future__ import annotations

from typing import Any

from .. import _tiktok as tiktok
from .. import logs
from .._config import Config
from .._errors import NotLoggedIn, ReauthorizationRequired, TikTokError
from .._http import Request, Response
from .._retry import RequestKind
from .._token import Token
from ._base import StateSpec, t
from ._call import CallFlow

__all__ = ["RefreshFlow"]


class RefreshFlow(CallFlow):
    """Refresh a token; ``previous`` (the token held now) fills what the answer leaves out."""

    KIND = "refresh"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("refreshing", enter="_enter_calling", handle="_on_answer", doc="POST grant_type=refresh_token"),
        StateSpec("refreshed", enter="_enter_done", final=True, doc="new tokens issued"),
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
    DONE = "token_issued"

    __slots__ = ("refresh_token", "previous", "open_id")

    def __init__(
        self, config: Config, *, refresh_token: str | None = None, previous: Token | None = None,
        open_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(config, **kwargs)
        self.previous = previous
        self.open_id = open_id  # the account the answer must be about (else previous's)
        self.refresh_token = refresh_token or (previous.refresh_token if previous else None)
        logs.register_secret(self.refresh_token, owner=self)

    @property
    def token(self) -> Token | None:
        """The new token, once issued."""
        return self.value  # type: ignore[no-any-return]

    def _check(self) -> None:
        if not self.refresh_token:
            raise NotLoggedIn("refresh token")

    def _request(self) -> Request:
        assert self.refresh_token is not None
        return tiktok.refresh_request(self.config, self.refresh_token)

    def _parse(self, response: Response) -> Token:
        previous = self.previous or Token(access_token="-", expires_at=0.0, refresh_token=self.refresh_token)
        token = tiktok.parse_token(response, RequestKind.REFRESH, now=self.clock(), previous=previous,
                                   open_id=self.open_id)
        return token

    def _ended_by(self, error: TikTokError) -> bool:
        if isinstance(error, ReauthorizationRequired):
            self._end_with("refresh_rejected", error)
            return True
        return False

    def _done_fields(self, value: Token) -> dict[str, Any]:
        return {"rotated": value.refresh_token != self.refresh_token}
