"""The posting rules around the flows, sans-I/O like :mod:`pytok_sm._policy`: every call
with the person's access token refreshes an expired one first, an ``access_token_invalid``
answer gets one refresh and one retry, and a long post that outlives its token asks for a
fresh one in the middle (:class:`~pytok_sm.flows.RenewToken`) without starting again.

With a post board (``events=``, :mod:`pytok_sm.webhooks`), a post in processing is not
polled on TikTok's schedule: between two polls the flow is paused at its
:class:`~pytok_sm.flows.Sleep` and the kit waits on the board (:class:`WaitPost`) until the
webhook's status is recorded, fed to the flow as a :class:`~pytok_sm.flows.PostEvent`. The
board ends the wait at once; only when no event comes for :data:`EVENT_FALLBACK` seconds
(30: TikTok's slowest polling pace) is TikTok asked again, so a lost webhook costs time, never
the post.

Example (driven by hand, as a kit does):
    >>> from pytok_sm import Config, Token
    >>> from pytok_sm._policy import TokenPolicy
    >>> policy = TokenPolicy(Config("aw_key", "s"), token=Token("act.x", 9e9, refresh_token="rft.y"))
    >>> step = creator_info(policy)
    >>> type(next(step).flow).__name__
    'CreatorInfoFlow'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import logs
from ._errors import AccessTokenInvalid, ConfigurationError, TokenStoreError
from ._policy import Exclusive, Run, Step, TokenPolicy, Wait, WaitPost
from ._posting_errors import PostFailed
from ._posting_values import CreatorInfo, PostResult, PublishStatus
from ._token import Token
from .flows._base import Flow
from .flows._effects import PostEvent, RenewToken, Sleep, Slept, TokenRenewed
from .flows._post import LAST_POLL, PostFlow
from .flows._post_calls import CancelPostFlow, CreatorInfoFlow, PublishStatusFlow

if TYPE_CHECKING:  # the webhooks package loads with the first receiver, not with the kits
    from .webhooks._board import PostBoard

__all__ = ["EVENT_FALLBACK", "WaitPost", "cancel_post", "check_events", "creator_info", "publish_status", "run_post"]

#: States where a post that the caller does not wait for is handed back.
_HANDED_BACK = frozenset({"processing"})
#: With a board, the longest wait for a post's webhook before TikTok is asked again (seconds).
EVENT_FALLBACK = LAST_POLL


def check_events(events: object) -> PostBoard | None:
    """``events=`` checked: None or a post board (``get``, ``wait``, ``wait_async``)."""
    if events is None or all(callable(getattr(events, name, None)) for name in ("get", "wait", "wait_async")):
        return events  # type: ignore[return-value]
    raise ConfigurationError("events", "must be a post board of pytok_sm.webhooks (MemoryPostBoard, SQLitePostBoard, "
                             f"RedisPostBoard) or None, not a {type(events).__name__}")


def _await_post(policy: TokenPolicy, flow: PostFlow, board: PostBoard) -> Step[None]:
    """The flow sleeps before its next status poll: wait on the board instead, and feed it the
    webhook's status (:class:`PostEvent`), or :class:`Slept` when none came (it polls)."""
    sleep = flow.effect
    assert isinstance(sleep, Sleep) and flow.publish_id is not None
    seconds = sleep.seconds
    if flow.attempt == 1:  # between polls (not a retry's backoff): wait long, the webhook ends it
        left = (flow.finish_by - flow.clock()) if flow.finish_by is not None else EVENT_FALLBACK
        seconds = max(seconds, min(EVENT_FALLBACK, left))
    try:
        status = yield WaitPost(seconds, board, policy.config.client_key, flow.publish_id)
    except TokenStoreError as error:  # the board's store failed: poll as without one
        logs.emit("post_board_unavailable", flow=flow.KIND, flow_id=flow.flow_id, error=type(error).__name__)
        yield Wait(sleep.seconds)
        status = None
    flow.send(PostEvent(status) if isinstance(status, PublishStatus) else Slept())


def _call(policy: TokenPolicy, make: Callable[[Token], Flow]) -> Step[Any]:
    """Run a single-call flow with a fresh token; one refresh and one retry on access_token_invalid."""
    token = yield from policy.fresh_token()
    try:
        return (yield Run(make(token)))
    except AccessTokenInvalid:
        if token.refresh_token is None:
            raise
    token = yield Exclusive(policy._refresh_unless_replaced(token), policy._lock_key())
    return (yield Run(make(token)))


def creator_info(policy: TokenPolicy) -> Step[CreatorInfo]:
    """The creator's posting settings."""
    info: CreatorInfo = yield from _call(policy, lambda token: CreatorInfoFlow(policy.config,
                                                                               access_token=token.access_token))
    return info


def cancel_post(policy: TokenPolicy, publish_id: str) -> Step[None]:
    """Ask TikTok to cancel a post."""
    yield from _call(policy, lambda token: CancelPostFlow(policy.config, access_token=token.access_token,
                                                          publish_id=publish_id))


def run_post(policy: TokenPolicy, flow: PostFlow, *, wait: bool = True,
             events: PostBoard | None = None) -> Step[PostResult]:
    """Run a posting flow (new or resumed) to its end, or, with ``wait=False``, until TikTok
    has the media and is processing it; hand it fresh tokens when it asks. With ``events``
    (a post board) the processing ends on the post's webhook."""
    board = check_events(events)

    def pause(f: Flow) -> bool:
        return (isinstance(f.effect, RenewToken) or (not wait and f.state in _HANDED_BACK)
                or (board is not None and f.polling))  # type: ignore[attr-defined]

    if flow.effect is None and flow.access_token is None:
        token = yield from policy.fresh_token()
        flow.access_token = token.access_token
    while True:
        result = yield Run(flow, pause)
        if flow.finished:
            return result  # type: ignore[no-any-return]
        if isinstance(flow.effect, RenewToken):
            yield from _renew(policy, flow, flow.effect)
        elif board is not None and flow.polling and (wait or flow.state not in _HANDED_BACK):
            yield from _await_post(policy, flow, board)
        else:
            return flow.result_now()


def _renew(policy: TokenPolicy, flow: Flow, ask: RenewToken) -> Step[None]:
    token = yield from policy.fresh_token()
    if ask.refused is not None and token.access_token == ask.refused and token.refresh_token is not None:
        token = yield Exclusive(policy._refresh_unless_replaced(token), policy._lock_key())
    flow.send(TokenRenewed(token.access_token))


def publish_status(policy: TokenPolicy, publish_id: str, *, wait: bool = False,
                   timeout: float = 1800.0, events: PostBoard | None = None) -> Step[PublishStatus]:
    """A post's status now, or (``wait=True``) once TikTok ends it or ``timeout`` passes
    (with ``events``, a post board: once its webhook says so). A post that ended FAILED is
    a status like any other here (not an error)."""
    board = check_events(events)
    token = yield from policy.fresh_token()
    flow = PublishStatusFlow(policy.config, access_token=token.access_token, publish_id=publish_id,
                             processing_timeout=timeout)

    def pause(f: Flow) -> bool:
        return (isinstance(f.effect, RenewToken) or (not wait and f.polls >= 1)  # type: ignore[attr-defined]
                or (wait and board is not None and f.polling))  # type: ignore[attr-defined]

    while True:
        try:
            yield Run(flow, pause)
        except PostFailed:
            pass
        if isinstance(flow.effect, RenewToken) and not flow.finished:
            yield from _renew(policy, flow, flow.effect)
            continue
        if wait and board is not None and flow.polling and not flow.finished:
            yield from _await_post(policy, flow, board)
            continue
        assert flow.status is not None
        return flow.status
