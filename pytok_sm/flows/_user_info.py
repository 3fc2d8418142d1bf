"""The user-info call as a small flow: GET /v2/user/info/ with retries on 429 and 5xx.

https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info. The kit wraps it with "one
refresh and one retry" on ``access_token_invalid``; ``scope_not_authorized`` never refreshes.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response
    >>> flow = UserInfoFlow(Config("aw_key", "s"), access_token="act.x", fields=["display_name"])
    >>> _ = flow.start()
    >>> flow.send(Response(200, {}, b'{"data": {"user": {"display_name": "Ann"}}, "error": {"code": "ok"}}')).result
    {'display_name': 'Ann'}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _tiktok as tiktok
from .. import logs
from .._config import Config
from .._errors import NotLoggedIn
from .._http import Request, Response
from ._base import StateSpec, t
from ._call import CallFlow

__all__ = ["UserInfoFlow"]


class UserInfoFlow(CallFlow):
    """Read the profile fields of the person the access token belongs to."""

    KIND = "user_info"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("fetching", enter="_enter_calling", handle="_on_answer", doc="GET /v2/user/info/"),
        StateSpec("fetched", enter="_enter_done", final=True, doc="the profile is here"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "fetching"),
        t("retry", "fetching", "fetching"),
        t("user_received", "fetching", "fetched"),
        t("fail", "fetching", "failed"),
        t("cancel", ("created", "fetching"), "cancelled"),
    )
    DONE = "user_received"

    __slots__ = ("access_token", "fields", "open_id")

    def __init__(
        self,
        config: Config,
        *,
        access_token: str | None,
        fields: Iterable[str] = tiktok.DEFAULT_USER_FIELDS,
        open_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        self.open_id = open_id  # the account the answer must be about
        self.fields = tuple(fields)
        logs.register_secret(access_token, owner=self)

    @property
    def user(self) -> dict[str, Any] | None:
        """The profile, once read."""
        return self.value  # type: ignore[no-any-return]

    def _check(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")

    def _request(self) -> Request:
        assert self.access_token is not None
        return tiktok.user_info_request(self.config, self.access_token, self.fields)

    def _parse(self, response: Response) -> dict[str, Any]:
        return tiktok.parse_user_info(response, open_id=self.open_id)
