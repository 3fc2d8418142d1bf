"""What the posting flows share: calls with the person's access token (renewed once when
TikTok refuses it mid-flow), the creator check, the init that is never resent blindly, and
following the post's status to its end.

The tables stay in the flows (:class:`~pytok_sm.flows.VideoPostFlow`,
:class:`~pytok_sm.flows.PhotoPostFlow`, :class:`~pytok_sm.flows.PublishStatusFlow`); this
base holds the handlers their states name. The status is polled no faster than TikTok's
per-token limit allows (30 a minute), starting at :data:`FIRST_POLL` seconds and slowing to
:data:`LAST_POLL`; when ``timeout`` seconds pass while TikTok still says "processing", the
flow ends ``unconfirmed``: not a failure, the post may still appear (docs/TIKTOK-API.md
section 8: posts have been seen processing for 30 minutes and more). Between two polls a kit
may answer the :class:`~pytok_sm.flows.Sleep` with a :class:`PostEvent` instead of
:class:`Slept`: the status a webhook told, taken as a status answer (its transition says ``via="webhook"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _contract as contract
from .. import _posting_wire as wire
from .. import logs
from .._errors import AccessTokenInvalid, TikTokError, TransportError
from .._http import Request, Response
from .._posting_errors import (
    CreatorCapReached,
    PostFailed,
    PostingError,
    PostingSpamRisk,
    PostOutcomeUnknown,
    PrivacyLevelError,
)
from .._posting_values import UNCONFIRMED, CreatorInfo, PostResult, PublishStatus
from ._base import RETRYING, Flow, Transition, t
from ._effects import Finished, PostEvent, RenewToken, Send, Sleep, TokenRenewed

__all__ = ["FIRST_POLL", "LAST_POLL", "PostFlow", "loops"]

#: Seconds before the first status poll, and the longest wait between two. TikTok allows
#: 30 status calls a minute per token: never closer than 2 s.
FIRST_POLL = 2.5
LAST_POLL = 30.0
_POLL_GROWTH = 1.5
#: Default seconds to follow a post's processing before it ends unconfirmed.
DEFAULT_WAIT = 1800.0

#: Errors that mean "this creator cannot post now": the flow ends ``blocked``.
_BLOCKING = (PostingSpamRisk, CreatorCapReached)


def loops(trigger: str, *states: str) -> tuple[Transition, ...]:
    """Table rows for a trigger that leaves each of ``states`` where it is (retry, renew_token)."""
    return tuple(t(trigger, state, state) for state in states)


def poll_delay(polls: int) -> float:
    """Seconds to wait after the ``polls``-th status answer (1-based).

    Example:
        >>> [round(poll_delay(n), 2) for n in (1, 2, 3, 10)]
        [2.5, 3.75, 5.62, 30.0]
    """
    return min(LAST_POLL, FIRST_POLL * _POLL_GROWTH ** max(0, polls - 1))


class PostFlow(Flow):
    """Base of the posting flows (see the module doc); subclasses bring the table."""

    #: "video" or "photo" (what :class:`PostResult` reports).
    MEDIA = "video"

    __slots__ = ("access_token", "mode", "publish_id", "status", "finish_by", "polls", "processing_timeout", "renewed",
                 "creator", "value")
    access_token: str | None
    publish_id: str | None
    status: PublishStatus | None
    finish_by: float | None
    creator: CreatorInfo | None
    value: Any

    def __init__(self, config: Any, *, access_token: str | None, mode: str = "direct", processing_timeout: float = DEFAULT_WAIT,
                 **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        if mode not in ("direct", "inbox"):
            raise PostingError("invalid_params", f"mode must be 'direct' or 'inbox', not {mode!r}", rule="mode")
        if (isinstance(processing_timeout, bool) or not isinstance(processing_timeout, (int, float))
                or not 0 <= processing_timeout <= 7 * 86_400):
            raise PostingError("invalid_params", f"processing_timeout must be 0..604800 seconds, not "
                               f"{processing_timeout!r}", rule="processing_timeout")
        self._init_data()
        self.access_token = access_token
        self.mode = mode
        self.processing_timeout = float(processing_timeout)
        logs.register_secret(access_token, owner=self)

    def _init_data(self) -> None:
        self.access_token = None
        self.mode = "direct"
        self.processing_timeout = DEFAULT_WAIT
        self.publish_id = None
        self.status = None
        self.finish_by = None
        self.polls = 0
        self.renewed = False
        self.creator = None
        self.value = None

    # ------------------------------------------------------------------ calls with the access token
    def _send_call(self, build: Callable[[], Request]) -> None:
        """Send a call that needs the access token (ask the kit for one if this flow has none:
        a flow resumed from a snapshot carries no token)."""
        if self.access_token is None:
            self.effect = RenewToken()
        else:
            self._send(build())

    def _call(self, result: object, build: Callable[[], Request], parse: Callable[[Response], Any]) -> Any:
        """:meth:`Flow._read` plus one token renewal: an ``access_token_invalid`` answer asks the
        kit for a fresh token (``renew_token``) and the call is sent again with it, once."""
        if isinstance(result, TokenRenewed):
            self.access_token = result.access_token
            logs.register_secret(self.access_token, owner=self)
            self._send(build())
            return RETRYING
        try:
            value = self._read(result, build, parse)
        except AccessTokenInvalid:
            if self.renewed:
                raise
            self.renewed = True
            refused = self.access_token
            self._fire("renew_token")
            self.effect = RenewToken(refused)
            return RETRYING
        if value is not RETRYING:
            self.renewed = False
        return value

    # ------------------------------------------------------------------ the creator check (direct posts)
    def _enter_checking(self, event: object) -> None:
        self._send_call(self._creator_request)

    def _creator_request(self) -> Request:
        assert self.access_token is not None
        return wire.creator_info_request(self.config, self.access_token)

    def _on_creator(self, result: object) -> None:
        try:
            creator = self._call(result, self._creator_request, wire.parse_creator_info)
        except _BLOCKING as error:
            self._end_with("block", error)
            return
        if creator is RETRYING:
            return
        self.creator = creator
        try:
            self._check_with_creator(creator)
        except PostingError as error:
            self._end_with("refuse", error)
            return
        self._fire("creator_ok", nickname=creator.creator_nickname)

    def _check_with_creator(self, creator: CreatorInfo) -> None:
        """Check the post against what the creator may do (subclasses)."""

    # ------------------------------------------------------------------ init (never resent blindly)
    def _init_request(self) -> Request:
        raise NotImplementedError

    def _enter_initialising(self, event: object) -> None:
        self.publish_id = None
        self._send_call(self._init_request)

    def _on_init(self, result: object) -> Any:
        """The init's answer, RETRYING, or None when the flow ended (blocked, refused, unknown)."""
        try:
            answer = self._call(result, self._init_request, self._parse_init)
        except _BLOCKING as error:
            self._end_with("block", error)
            return None
        except PrivacyLevelError as error:
            self._end_with("refuse", error)
            return None
        except TransportError as error:
            if not error.sent:
                raise
            self._end_with("lose_init", PostOutcomeUnknown("no answer"))
            return None
        except TikTokError as error:
            if (getattr(error, "http_status", None) or 0) >= 500 and not isinstance(error, PostingError):
                # A 5xx may come after TikTok acted: the post may exist. Never resent.
                self._end_with("lose_init", PostOutcomeUnknown(f"HTTP {error.http_status}"))  # type: ignore[attr-defined]
                return None
            raise
        if answer is RETRYING:
            return RETRYING
        self.publish_id = answer.publish_id
        return answer

    def _parse_init(self, response: Response) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ following the status
    def _status_request(self) -> Request:
        assert self.access_token is not None and self.publish_id is not None
        return wire.status_request(self.config, self.access_token, self.publish_id)

    def _parse_status(self, response: Response) -> PublishStatus:
        assert self.publish_id is not None
        return wire.parse_status(response, self.publish_id)

    def _enter_processing(self, event: object) -> None:
        if self.finish_by is None:
            self.finish_by = self.clock() + self.processing_timeout
        self.deadline = self.finish_by
        self._send_call(self._status_request)

    @property
    def polling(self) -> bool:
        """True while the flow waits before its next status poll (a webhook may end the wait)."""
        return isinstance(self.effect, Sleep) and self._specs[self.state].handle == "_on_status"

    def _on_status(self, result: object) -> None:
        via = None
        if isinstance(result, PostEvent) and isinstance(self.effect, Sleep):
            status, via = result.status, "webhook"  # told by TikTok's webhook: no poll sent
        else:
            status = self._call(result, self._status_request, self._parse_status)
            if status is RETRYING:
                if isinstance(self.effect, Sleep) and self.effect.seconds < FIRST_POLL:
                    self.effect = Sleep(FIRST_POLL)  # a retried poll keeps to the 30 a minute too (429, 5xx)
                return
            self.polls += 1
        self.status = status
        fields = {"status": status.status, "uploaded_bytes": status.uploaded_bytes,
                  "downloaded_bytes": status.downloaded_bytes, "via": via}
        if status.status == contract.STATUS_PUBLISH_COMPLETE:
            self.value = self.result_now()
            self._fire("published", post_ids=",".join(status.post_ids) or None, via=via)
        elif status.status == contract.STATUS_SEND_TO_USER_INBOX:
            self.value = self.result_now()
            self._fire("delivered_to_inbox", via=via)
        elif status.status == contract.STATUS_FAILED:
            assert self.publish_id is not None
            self._end_with("post_failed", PostFailed(self.publish_id, status.fail_reason or ""), via=via)
        else:
            delay = poll_delay(self.polls)
            assert self.finish_by is not None
            if self.clock() + delay >= self.finish_by:
                self.value = self.result_now(unconfirmed=True)
                self._fire("unconfirmed", **fields)
            else:
                self._fire("still_processing", **fields)
                self.effect = Sleep(delay)

    def _enter_ended(self, event: object) -> None:
        self.effect = Finished(self.value)

    # ------------------------------------------------------------------ what the caller sees
    def result_now(self, *, unconfirmed: bool = False) -> PostResult:
        """The post as far as it got: TikTok's last status (or UNCONFIRMED), the post ids."""
        assert self.publish_id is not None
        status = self.status
        if unconfirmed:
            name = UNCONFIRMED
        elif status is not None:
            name = status.status
        else:
            name = contract.STATUS_PROCESSING_DOWNLOAD if self._pulls() else contract.STATUS_PROCESSING_UPLOAD
        return PostResult(self.publish_id, name, status.post_ids if status is not None else (), media=self.MEDIA,
                          mode=self.mode)

    def _pulls(self) -> bool:
        """True when TikTok downloads the media (PULL_FROM_URL)."""
        return True

    def _send_timed(self, request: Request, deadline: float, progress: Callable[[int], None] | None = None) -> None:
        self.effect = Send(request, self.config.http_timeout, deadline, progress)
