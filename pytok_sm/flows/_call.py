"""The shape every single-call flow shares: send one request (with the retry policy),
parse the answer, end. Refresh, revoke and user info are each their table plus a parser;
the posting calls to come are built the same way.

A subclass declares its table with one *calling* state (``enter="_enter_calling"``,
``handle="_on_answer"``) and one success state (``enter="_enter_done"``), names the trigger
between them in ``DONE``, and writes :meth:`CallFlow._request` and :meth:`CallFlow._parse`;
:meth:`CallFlow._ended_by` may turn an error into a named end (``reauth_required``, ...).

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response, UserInfoFlow
    >>> flow = UserInfoFlow(Config("aw_key", "s"), access_token="act.x", fields=["display_name"])
    >>> type(flow.start()).__name__, flow.state
    ('Send', 'fetching')
    >>> flow.send(Response(200, {}, b'{"data": {"user": {"display_name": "Ann"}}, "error": {"code": "ok"}}')).result
    {'display_name': 'Ann'}
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._errors import TikTokError
from .._http import Request, Response
from ._base import RETRYING, Flow
from ._effects import Finished

__all__ = ["CallFlow"]


class CallFlow(Flow):
    """One TikTok call as a flow: ``created -> <calling> -> <done>`` (or ``failed``)."""

    #: The trigger fired when the answer was read.
    DONE: ClassVar[str] = "done"

    __slots__ = ("value",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.value: Any = None

    # ------------------------------------------------------------------ for subclasses
    def _check(self) -> None:
        """Raise a TikTokError before anything is sent when the call cannot be made."""

    def _request(self) -> Request:
        raise NotImplementedError

    def _parse(self, response: Response) -> Any:
        raise NotImplementedError

    def _ended_by(self, error: TikTokError) -> bool:
        """Handle an error the answer carried by moving to a named end; False: fail with it."""
        return False

    def _done_fields(self, value: Any) -> dict[str, Any]:
        """Extra fields of the success transition's log event."""
        return {}

    # ------------------------------------------------------------------ the steps
    def _begin(self) -> None:
        self._check()
        self.deadline = self.clock() + self.config.call_deadline * self.config.retry.max_attempts
        self._fire("start")

    def _enter_calling(self, event: object) -> None:
        self._send(self._request())

    def _on_answer(self, result: object) -> None:
        try:
            value = self._read(result, self._request, self._parse)
        except TikTokError as error:
            if self._ended_by(error):
                return
            raise
        if value is RETRYING:
            return
        self.value = value
        self._fire(self.DONE, **self._done_fields(value))

    def _enter_done(self, event: object) -> None:
        self.effect = Finished(self.value)
