"""The posting API's single calls and the status follower: the creator's settings
(``creator_info``), a post's status (followed to its end, or read once), and cancel.

https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info,
.../content-posting-api-reference-get-video-status, .../content-posting-api-media-transfer-guide
(cancel). The "cannot post now" answers of ``creator_info`` come with HTTP 200 and end the
flow ``blocked``.

Example:
    >>> from pytok_sm import Config
    >>> from pytok_sm.flows import Response
    >>> flow = PublishStatusFlow(Config("aw_key", "s"), access_token="act.x", publish_id="v_pub_file~v2-1.7")
    >>> flow.start().request
    Request(POST https://open.tiktokapis.com/v2/post/publish/status/fetch/, JSON fields: publish_id)
    >>> done = flow.send(Response(200, {}, b'{"data": {"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [42]},'
    ...                                     b' "error": {"code": "ok"}}'))
    >>> flow.state, done.result.status, done.result.post_ids
    ('published', 'PUBLISH_COMPLETE', ('42',))
"""

from __future__ import annotations

from typing import Any

from .. import _posting_wire as wire
from .. import logs
from .._errors import NotLoggedIn, TikTokError
from .._http import Request, Response
from .._posting_errors import CreatorCapReached, PostingError, PostingSpamRisk
from .._posting_values import CreatorInfo
from . import _post_snapshot as saved
from . import _snapshot as snapshots
from ._base import StateSpec, t
from ._call import CallFlow
from ._post import DEFAULT_WAIT, PostFlow, loops

__all__ = ["CancelPostFlow", "CreatorInfoFlow", "PublishStatusFlow"]


class PublishStatusFlow(PostFlow):
    """Follow a post's status until TikTok ends it (or the wait ends it ``unconfirmed``)."""

    KIND = "publish_status"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("fetching", enter="_enter_processing", handle="_on_status", doc="POST status/fetch/"),
        StateSpec("published", enter="_enter_ended", final=True, doc="PUBLISH_COMPLETE"),
        StateSpec("sent_to_inbox", enter="_enter_ended", final=True, doc="SEND_TO_USER_INBOX"),
        StateSpec("unconfirmed", enter="_enter_ended", final=True,
                  doc="the wait ended while TikTok still said processing: not a failure"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="FAILED at TikTok (fail_reason), or an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "fetching"),
        *loops("retry", "fetching"),
        *loops("renew_token", "fetching"),
        t("still_processing", "fetching", "fetching"),
        t("published", "fetching", "published"),
        t("delivered_to_inbox", "fetching", "sent_to_inbox"),
        t("unconfirmed", "fetching", "unconfirmed"),
        t("post_failed", "fetching", "failed"),
        t("fail", "fetching", "failed"),
        t("cancel", ("created", "fetching"), "cancelled"),
    )
    RESUMABLE = ("fetching",)
    TIMED = ("fetching",)
    SNAPSHOT_FIELDS = saved.STATUS_FIELDS

    def __init__(self, config: Any, *, access_token: str | None, publish_id: str,
                 processing_timeout: float = DEFAULT_WAIT, **kwargs: Any) -> None:
        super().__init__(config, access_token=access_token, processing_timeout=processing_timeout, **kwargs)
        self.publish_id = wire.check_publish_id(publish_id)

    def _begin(self) -> None:
        self._fire("start", publish_id=self.publish_id)


class CreatorInfoFlow(CallFlow):
    """Read the creator's posting settings (``privacy_level_options``, ...)."""

    KIND = "creator_info"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("querying", enter="_enter_calling", handle="_on_answer", doc="POST creator_info/query/"),
        StateSpec("received", enter="_enter_done", final=True, doc="the creator's settings are here"),
        StateSpec("blocked", final=True, doc="this creator cannot post now (caps, spam risk)"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "querying"),
        t("retry", "querying", "querying"),
        t("creator_received", "querying", "received"),
        t("block", "querying", "blocked"),
        t("fail", "querying", "failed"),
        t("cancel", ("created", "querying"), "cancelled"),
    )
    DONE = "creator_received"

    __slots__ = ("access_token",)

    def __init__(self, config: Any, *, access_token: str | None, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        logs.register_secret(access_token, owner=self)

    @property
    def creator(self) -> CreatorInfo | None:
        """The creator's settings, once read."""
        return self.value  # type: ignore[no-any-return]

    def _check(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")

    def _request(self) -> Request:
        assert self.access_token is not None
        return wire.creator_info_request(self.config, self.access_token)

    def _parse(self, response: Response) -> CreatorInfo:
        return wire.parse_creator_info(response)

    def _ended_by(self, error: TikTokError) -> bool:
        if isinstance(error, (PostingSpamRisk, CreatorCapReached)):
            self._end_with("block", error)
            return True
        return False


class CancelPostFlow(CallFlow):
    """Ask TikTok to cancel a post (best effort: a pull far along or processing cannot be)."""

    KIND = "cancel_post"
    STATES = (
        StateSpec("created", doc="nothing sent yet"),
        StateSpec("cancelling", enter="_enter_calling", handle="_on_answer", doc="POST cancel/"),
        StateSpec("withdrawn", enter="_enter_done", final=True, doc="TikTok cancelled the post"),
        StateSpec("cancelled", final=True, doc="the caller cancelled (this request)"),
        StateSpec("failed", final=True, doc="an error (publish_not_cancellable, ...), kept in flow.error"),
    )
    TRANSITIONS = (
        t("start", "created", "cancelling"),
        t("retry", "cancelling", "cancelling"),
        t("post_withdrawn", "cancelling", "withdrawn"),
        t("fail", "cancelling", "failed"),
        t("cancel", ("created", "cancelling"), "cancelled"),
    )
    DONE = "post_withdrawn"
    RESUMABLE = ("cancelling",)
    SNAPSHOT_FIELDS = {"access_token": snapshots.TOKEN, "publish_id": snapshots.text(max_len=64)}

    __slots__ = ("access_token", "publish_id")

    def __init__(self, config: Any, *, access_token: str | None, publish_id: str, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.access_token = access_token
        self.publish_id = wire.check_publish_id(publish_id)
        logs.register_secret(access_token, owner=self)

    def _check(self) -> None:
        if not self.access_token:
            raise NotLoggedIn("access token")

    def _request(self) -> Request:
        assert self.access_token is not None
        return wire.cancel_request(self.config, self.access_token, self.publish_id)

    def _parse(self, response: Response) -> None:
        wire.parse_cancel(response)

    def _ended_by(self, error: TikTokError) -> bool:
        if isinstance(error, PostingError) and error.publish_id is None:
            error.publish_id = self.publish_id
        return False
