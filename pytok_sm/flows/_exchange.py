"""What the two login flows share once they hold an authorization code: exchange it for
tokens (``exchanging``), end ``authorized`` with the token. A code is single-use, so the
exchange is retried only where TikTok certainly did not act on it (:mod:`pytok_sm._retry`).
"""

from __future__ import annotations

from .. import _tiktok as tiktok
from .._http import Request, Response
from .._retry import RequestKind
from .._token import Token
from ._base import RETRYING, Flow
from ._effects import Finished

__all__ = ["CodeExchange"]


class CodeExchange(Flow):
    """A login flow's last two states; subclasses say how to build the exchange request."""

    __slots__ = ("code", "token")

    def _exchange(self) -> Request:
        raise NotImplementedError

    def _seconds(self) -> float:
        """The person's time to finish the login (``timeout``, set in ``__init__`` and by resume)."""
        assert self.timeout is not None
        return self.timeout

    def _enter_exchanging(self, event: object) -> None:
        self._send(self._exchange())

    def _on_token(self, result: object) -> None:
        token = self._read(result, self._exchange, self._parse_token)
        if token is RETRYING:
            return
        self.token = token
        self._fire("token_issued")

    def _parse_token(self, response: Response) -> Token:
        return tiktok.parse_token(response, RequestKind.EXCHANGE_CODE, now=self.clock())

    def _enter_authorized(self, event: object) -> None:
        self.effect = Finished(self.token)
