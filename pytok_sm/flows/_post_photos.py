"""Post photos: a Direct Post or an upload to the creator's inbox (``MEDIA_UPLOAD``).

https://developers.tiktok.com/doc/content-posting-api-reference-photo-post. TikTok pulls the
images itself from 1 to 35 URLs on a domain the app verified (``PULL_FROM_URL`` only); a
Direct Post first checks the creator, then ``POST content/init/`` and the status to its end,
as :class:`~pytok_sm.flows.VideoPostFlow` does without the upload.

Example:
    >>> from pytok_sm import Config
    >>> flow = PhotoPostFlow(Config("aw_key", "s"), access_token="act.x", mode="inbox",
    ...                      urls=["https://media.example.com/1.jpg"])
    >>> flow.start().request
    Request(POST https://open.tiktokapis.com/v2/post/publish/content/init/, JSON fields: post_info, source_info, post_mode, media_type)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _posting_rules as rules
from .. import _posting_wire as wire
from .._http import Request, Response
from .._posting_values import CreatorInfo, InitAnswer
from . import _post_snapshot as saved
from ._base import RETRYING, StateSpec, t
from ._post import DEFAULT_WAIT, PostFlow, loops

__all__ = ["PhotoPostFlow"]

_LIVE = ("created", "checking_creator", "initialising", "processing")


class PhotoPostFlow(PostFlow):
    """Post photos (see the module doc)."""

    KIND = "post_photos"
    MEDIA = "photo"
    STATES = (
        StateSpec("created", doc="nothing sent yet; the rules were checked"),
        StateSpec("checking_creator", enter="_enter_checking", handle="_on_creator",
                  doc="POST creator_info/query/: may this person post now?"),
        StateSpec("initialising", enter="_enter_initialising", handle="_on_photo_init", doc="POST content/init/"),
        StateSpec("processing", enter="_enter_processing", handle="_on_status",
                  doc="POST status/fetch/ while TikTok pulls the images"),
        StateSpec("published", enter="_enter_ended", final=True, doc="PUBLISH_COMPLETE"),
        StateSpec("sent_to_inbox", enter="_enter_ended", final=True,
                  doc="SEND_TO_USER_INBOX: the person finishes it in TikTok"),
        StateSpec("unconfirmed", enter="_enter_ended", final=True,
                  doc="the wait ended while TikTok still said processing: not a failure"),
        StateSpec("blocked", final=True, doc="this creator cannot post now (caps, spam risk)"),
        StateSpec("refused", final=True, doc="a rule of TikTok's refused the post (privacy, ...)"),
        StateSpec("outcome_unknown", final=True, doc="the init got no answer: a post may exist; not resent"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="FAILED at TikTok (fail_reason), or an error, kept in flow.error"),
    )
    TRANSITIONS = (
        t("start_check", "created", "checking_creator"),
        t("start_init", "created", "initialising"),
        *loops("retry", "checking_creator", "initialising", "processing"),
        *loops("renew_token", "checking_creator", "initialising", "processing"),
        t("creator_ok", "checking_creator", "initialising"),
        t("block", ("checking_creator", "initialising"), "blocked"),
        t("refuse", ("checking_creator", "initialising"), "refused"),
        t("lose_init", "initialising", "outcome_unknown"),
        t("pulling", "initialising", "processing"),
        t("still_processing", "processing", "processing"),
        t("published", "processing", "published"),
        t("delivered_to_inbox", "processing", "sent_to_inbox"),
        t("unconfirmed", "processing", "unconfirmed"),
        t("post_failed", "processing", "failed"),
        t("fail", ("checking_creator", "initialising", "processing"), "failed"),
        t("cancel", _LIVE, "cancelled"),
    )
    RESUMABLE = ("processing",)
    TIMED = ("processing",)
    SNAPSHOT_FIELDS = saved.PHOTO_FIELDS

    __slots__ = ("post_info", "source_info", "_settings")
    post_info: dict[str, Any] | None
    source_info: dict[str, Any]
    _settings: dict[str, Any]

    def __init__(
        self,
        config: Any,
        *,
        access_token: str | None,
        urls: Iterable[str],
        cover_index: int = 0,
        privacy_level: str | None = None,
        title: str | None = None,
        description: str | None = None,
        allow_comment: bool = False,
        auto_add_music: bool = False,
        brand_content: bool = False,
        brand_organic: bool = False,
        mode: str = "direct",
        processing_timeout: float = DEFAULT_WAIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, access_token=access_token, mode=mode, processing_timeout=processing_timeout,
                         **kwargs)
        self.source_info = rules.photo_source_info(list(urls), cover_index)
        self._settings = {"privacy_level": privacy_level, "title": title, "description": description,
                          "allow_comment": allow_comment, "auto_add_music": auto_add_music,
                          "brand_content": brand_content, "brand_organic": brand_organic}
        self.post_info = rules.photo_post_info(direct=mode == "direct", creator=None, **self._settings)

    def _init_data(self) -> None:
        super()._init_data()
        self.post_info = None
        self.source_info = {}
        self._settings = {}

    def _begin(self) -> None:
        self._fire("start_check" if self.mode == "direct" else "start_init")

    def _check_with_creator(self, creator: CreatorInfo) -> None:
        self.post_info = rules.photo_post_info(direct=True, creator=creator, **self._settings)

    def _init_request(self) -> Request:
        assert self.access_token is not None
        return wire.photo_init_request(self.config, self.access_token, direct=self.mode == "direct",
                                       post_info=self.post_info, source_info=self.source_info)

    def _parse_init(self, response: Response) -> InitAnswer:
        return wire.parse_init(response, file_upload=False)

    def _on_photo_init(self, result: object) -> None:
        answer = self._on_init(result)
        if answer is None or answer is RETRYING:
            return
        self._fire("pulling", publish_id=self.publish_id, images=len(self.source_info.get("photo_images", ())))
