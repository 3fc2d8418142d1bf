"""Creators: every sandbox account (open_id) is a TikTok creator with posting settings.

``POST /v2/post/publish/creator_info/query/`` answers from these settings
(https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info), and the
inits check against them. A test reaches the live, mutable settings of one account with
``sandbox.creator(open_id)`` (default: the sandbox's user) and changes them between requests.

``privacy_level_options`` follow the account: a public account offers
``PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY``, a private one
``FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY``. Duets and stitches read disabled
on a private account, as the page says ("account is private or ... set to No one").

Example:
    >>> creator = Creator(open_id="o1", username="maker", nickname="Maker")
    >>> creator.privacy_level_options
    ('PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY')
    >>> creator.private_account = True
    >>> creator.privacy_level_options, creator.fields("http://127.0.0.1:1")["duet_disabled"]
    (('FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'), True)
    >>> creator.max_video_post_duration_sec = 0
    Traceback (most recent call last):
    ...
    ValueError: max_video_post_duration_sec must be a positive integer, not 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from pytok_sm import _contract as contract

from ._user import SandboxUser

__all__ = ["Creator", "Creators"]

_BOOLEANS: Final = frozenset(
    {"private_account", "comment_disabled", "duet_disabled", "stitch_disabled", "banned"}
)
_TEXTS: Final = frozenset({"open_id", "username", "nickname", "avatar_url"})


@dataclass
class Creator:
    """The posting settings of one TikTok account; assign attributes to change them.

    ``avatar_url`` empty means a sandbox URL derived from the base URL. ``banned`` makes
    every post answer ``spam_risk_user_banned_from_posting``.

    Example:
        >>> Creator(open_id="o", username="u", nickname="N").max_video_post_duration_sec
        600
    """

    open_id: str
    username: str
    nickname: str
    avatar_url: str = ""
    private_account: bool = False
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = contract.VIDEO_MAX_DURATION_SEC
    banned: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _BOOLEANS and not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, not {value!r}")
        if name in _TEXTS and not isinstance(value, str):
            raise ValueError(f"{name} must be a string, not {value!r}")
        if name == "max_video_post_duration_sec" and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if name not in self.__dataclass_fields__:
            raise AttributeError(f"a creator has no setting {name!r}")
        object.__setattr__(self, name, value)

    @property
    def privacy_level_options(self) -> tuple[str, ...]:
        """What creator_info offers: depends on the account being private."""
        return contract.PRIVATE_ACCOUNT_OPTIONS if self.private_account else contract.PUBLIC_ACCOUNT_OPTIONS

    def fields(self, base_url: str) -> dict[str, object]:
        """The ``data`` of creator_info/query for this creator."""
        return {
            "creator_avatar_url": self.avatar_url or f"{base_url}/sandbox/avatar/{self.username}.jpeg",
            "creator_username": self.username,
            "creator_nickname": self.nickname,
            "privacy_level_options": list(self.privacy_level_options),
            "comment_disabled": self.comment_disabled,
            "duet_disabled": self.duet_disabled or self.private_account,
            "stitch_disabled": self.stitch_disabled or self.private_account,
            "max_video_post_duration_sec": self.max_video_post_duration_sec,
        }


class Creators:
    """Every creator the sandbox knows, made on first use (any open_id is an account).

    Example:
        >>> creators = Creators()
        >>> user = SandboxUser()
        >>> creators.get(user.open_id, user).nickname, creators.get("other", user).username
        ('Sandbox Creator', 'creator.other')
        >>> creators.get("other", user) is creators.get("other", user)
        True
    """

    def __init__(self) -> None:
        self._by_open_id: dict[str, Creator] = {}

    def get(self, open_id: str, user: SandboxUser) -> Creator:
        """The live settings of ``open_id`` (the sandbox's user gets its profile's names)."""
        creator = self._by_open_id.get(open_id)
        if creator is None:
            if open_id == user.open_id:
                creator = Creator(open_id=open_id, username=user.username, nickname=user.display_name)
            else:
                tail = "".join(ch for ch in open_id if ch.isalnum())[-12:] or "account"
                creator = Creator(open_id=open_id, username=f"creator.{tail}", nickname=f"Creator {tail}")
            self._by_open_id[open_id] = creator
        return creator

    def all(self) -> list[Creator]:
        """Every creator made so far, in order of first use."""
        return list(self._by_open_id.values())
