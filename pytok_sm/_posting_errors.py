"""The posting branch of the error tree (:class:`~pytok_sm.ApiError` ->
:class:`PostingError`), kept beside :mod:`pytok_sm._errors` to keep both short::

    ApiError
    └── PostingError            the Content Posting API refused or ended a post (.code, .publish_id)
        ├── CreatorCapReached   reached_active_user_cap: TikTok's app-wide daily creator cap
        ├── PostingSpamRisk     spam_risk_*: this creator cannot post now (daily caps, bans)
        ├── PrivacyLevelError   the privacy level is missing, not offered, or the account must be private
        ├── MediaError          the media breaks a rule (size, chunk plan, duration, format) or changed
        ├── PostSettingsError   a title, caption or interaction setting breaks a rule
        ├── PostFailed          TikTok's status ended FAILED (.fail_reason, .retryable)
        └── PostOutcomeUnknown  an init got no answer: it may have created a post

A rule the library checks before sending anything raises the same class TikTok's answer
would, with TikTok's ``code`` (``privacy_level_option_mismatch``, ``invalid_params``, ...)
and the rule's name in ``.rule``; an answer from TikTok has ``.rule = None``.

Example:
    >>> err = posting_error("spam_risk_too_many_posts", "Daily cap reached", log_id="L1", http_status=200)
    >>> type(err).__name__, err.code, err.transient
    ('PostingSpamRisk', 'spam_risk_too_many_posts', False)
    >>> str(err)
    'spam_risk_too_many_posts: Daily cap reached (log_id L1); this creator has reached a posting limit: try again in 24 hours, or post from the TikTok app'
"""

from __future__ import annotations

from typing import Any

from . import _contract as contract
from ._errors import ApiError

__all__ = [
    "CreatorCapReached",
    "MediaError",
    "PostFailed",
    "PostOutcomeUnknown",
    "PostSettingsError",
    "PostingError",
    "PostingSpamRisk",
    "PrivacyLevelError",
    "posting_error",
]


class PostingError(ApiError):
    """The Content Posting API refused or ended a post. ``code`` is TikTok's ``error.code``
    (or, for a rule checked before sending, the code TikTok would answer); ``publish_id``
    names the post when one was created; ``rule`` names a rule checked locally."""

    #: What to do, appended to the message (subclasses).
    ADVICE = ""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        publish_id: str | None = None,
        rule: str | None = None,
        log_id: str | None = None,
        http_status: int | None = None,
        **kw: str | None,
    ) -> None:
        super().__init__(code, message, log_id=log_id, http_status=http_status, **kw)
        self.publish_id = publish_id
        self.rule = rule
        if self.ADVICE:
            self.args = (f"{self.args[0]}; {self.ADVICE}",)


class CreatorCapReached(PostingError):
    """``reached_active_user_cap``: the app reached TikTok's 24-hour cap of active creators."""

    ADVICE = "TikTok's app-wide daily cap of posting creators is reached (not this library's): try again tomorrow"


class PostingSpamRisk(PostingError):
    """``spam_risk_*``: TikTok says this creator cannot post through apps now."""

    ADVICE = "this creator has reached a posting limit: try again in 24 hours, or post from the TikTok app"


class PrivacyLevelError(PostingError):
    """The privacy level is missing or not among the creator's options, branded content was
    made private, or an unaudited app posted for a public account."""


class MediaError(PostingError):
    """The media breaks one of TikTok's rules (format, size, chunk plan, duration), or the
    file changed while it was being sent."""


class PostSettingsError(PostingError):
    """A title, description, cover or interaction setting breaks one of TikTok's rules."""


class PostFailed(PostingError):
    """TikTok's status ended ``FAILED``. ``fail_reason`` is TikTok's; ``retryable`` (also
    ``transient``) says whether posting again may succeed (``internal``, a pull that failed)."""

    def __init__(self, publish_id: str, fail_reason: str, **kw: Any) -> None:
        reason = fail_reason or "unknown"
        retryable = reason in contract.FAIL_REASONS_RETRYABLE
        if reason in contract.FAIL_REASONS_MEDIA:
            advice = "TikTok refused the media: fix it (format, frame rate, size, duration) and post again"
        elif reason == "publish_cancelled":
            advice = "the post was cancelled"
        elif reason == "auth_removed":
            advice = "the person removed the app's access during the post: log in again"
        elif retryable:
            advice = "a passing failure at TikTok: posting again may succeed"
        else:
            advice = "TikTok will not publish this post: do not retry it"
        super().__init__(contract.STATUS_FAILED, f"the post {publish_id} failed ({reason}); {advice}",
                         publish_id=publish_id, **kw)
        self.fail_reason = reason
        self.retryable = retryable
        self.transient = retryable


class PostOutcomeUnknown(PostingError):
    """The init request got no answer: TikTok may have created the post. It is never resent
    by itself, since a duplicate post is worse than an error."""

    def __init__(self, reason: str, **kw: Any) -> None:
        super().__init__(
            "outcome_unknown",
            f"the post's init got no answer ({reason}); it may have created a post: check the creator's "
            "profile or inbox before posting again",
            **kw,
        )


_CLASSES: dict[str, type[PostingError]] = {
    contract.API_REACHED_ACTIVE_USER_CAP: CreatorCapReached,
    contract.API_SPAM_RISK_TOO_MANY_POSTS: PostingSpamRisk,
    contract.API_SPAM_RISK_USER_BANNED: PostingSpamRisk,
    contract.API_TOO_MANY_PENDING_SHARE: PostingSpamRisk,
    contract.API_PRIVACY_LEVEL_MISMATCH: PrivacyLevelError,
    contract.API_UNAUDITED_PRIVATE_ONLY: PrivacyLevelError,
    contract.API_INVALID_FILE_UPLOAD: MediaError,
}
_ADVICE: dict[str, str] = {
    contract.API_UNAUDITED_PRIVATE_ONLY: "an unaudited app may only post SELF_ONLY for accounts set to private: "
                                         "make the TikTok account private, or have the app audited",
    contract.API_PRIVACY_LEVEL_MISMATCH: "choose one of the creator's privacy_level_options (creator_info())",
    contract.API_TOO_MANY_PENDING_SHARE: "at most 5 uploads may wait in a creator's inbox per 24 hours",
    contract.API_URL_OWNERSHIP_UNVERIFIED: "verify the URL's domain or prefix in the developer portal, "
                                           "or upload the file instead",
    contract.API_APP_VERSION_CHECK_FAILED: "the person must update the TikTok app to post photos to the inbox",
    contract.API_INVALID_PUBLISH_ID: "no such post: check the publish_id",
    contract.API_TOKEN_NOT_AUTHORIZED_FOR_PUBLISH_ID: "this post belongs to another account or app",
    contract.API_PUBLISH_NOT_CANCELLABLE: "the post is too far along to cancel",
}
#: Every code that belongs to the posting branch.
POSTING_CODES = frozenset({*_CLASSES, *_ADVICE, contract.API_INVALID_PARAM})


def posting_error(code: str, message: str = "", **kw: str | int | None) -> PostingError:
    """The posting error for TikTok's ``code`` (any code: unknown ones are a plain
    :class:`PostingError`), with what to do appended for the codes that need it."""
    cls = _CLASSES.get(code, PostingError)
    error = cls(code, message, **kw)  # type: ignore[arg-type]
    advice = _ADVICE.get(code)
    if advice:  # the code's own advice wins over its class's (5 pending shares is not the daily cap)
        said = str(error.args[0])
        if cls.ADVICE:
            said = said.removesuffix(f"; {cls.ADVICE}")
        error.args = (f"{said}; {advice}",)
    return error
