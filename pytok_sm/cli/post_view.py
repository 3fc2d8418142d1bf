"""What ``pytok post``, ``post-status`` and ``creator`` show: the progress of a post, the
creator, TikTok's declarations, and what a status means.

:class:`PostView` is the kit's ``on_progress(PostProgress)`` hook. On a terminal it keeps
one live line (:class:`~pytok_sm.cli.progress.Terminal`), redrawn in place: the upload's
bar, percentage, megabytes and chunk, then ``Processing… (12s)`` with TikTok's status. On a
pipe it prints plain lines instead, one per chunk TikTok acknowledged and one per status
change, and never a ``\\r``.

TikTok's UX rules for posting apps (docs/TIKTOK-API.md section 8) ask an app to show the
creator's nickname and, before posting, the declaration ("By posting, you agree to TikTok's
Music Usage Confirmation", with the Branded Content Policy for branded content): see
:func:`declaration` and :func:`preface_lines`.

Example:
    >>> import io
    >>> from pytok_sm.cli.progress import Terminal
    >>> from pytok_sm import PostProgress
    >>> out = io.StringIO()
    >>> view = PostView(Terminal(out, live=False))
    >>> view.update(PostProgress("uploading", "p1", 5_242_880, 10_600_000, 1, 2, None))
    >>> view.update(PostProgress("processing", "p1", 10_600_000, 10_600_000, 2, 2, "PROCESSING_UPLOAD"))
    >>> print(out.getvalue(), end="")
    Uploaded chunk 1/2: 5.2 of 10.6 MB (49%)
    Uploaded chunk 2/2: 10.6 of 10.6 MB (100%)
    Status: PROCESSING_UPLOAD (TikTok is processing the post; this may take a few minutes)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

from .. import _contract as contract
from .._posting_values import UNCONFIRMED, CreatorInfo, PostProgress, PostResult, PublishStatus
from .exits import printable
from .progress import Terminal, clock_text

__all__ = [
    "BRANDED_CONTENT_POLICY_URL",
    "MUSIC_USAGE_URL",
    "PostView",
    "cli_words",
    "creator_lines",
    "creator_name",
    "declaration",
    "megabytes",
    "preface_lines",
    "result_lines",
    "status_lines",
    "status_meaning",
]

MUSIC_USAGE_URL = "https://www.tiktok.com/legal/page/global/music-usage-confirmation/en"
BRANDED_CONTENT_POLICY_URL = "https://www.tiktok.com/legal/page/global/bc-policy/en"
_BAR = 20
_INTERACTIONS = ("comment", "duet", "stitch")
_PLURAL = {"comment": "comments", "duet": "duets", "stitch": "stitches"}


def megabytes(size: int) -> str:
    """A byte count in decimal megabytes with one decimal.

    Example:
        >>> megabytes(10_600_000), megabytes(0)
        ('10.6', '0.0')
    """
    return f"{size / 1_000_000:.1f}"


def declaration(*, branded: bool) -> str:
    """The sentence TikTok requires before posting (Music Usage; Branded Content Policy too
    when the post is branded content).

    Example:
        >>> declaration(branded=False)
        "By posting, you agree to TikTok's Music Usage Confirmation."
        >>> declaration(branded=True)
        "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
    """
    if branded:
        return "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
    return "By posting, you agree to TikTok's Music Usage Confirmation."


def creator_name(creator: CreatorInfo) -> str:
    """``Nickname (@username)`` as TikTok's rules ask an app to show it.

    Example:
        >>> creator_name(CreatorInfo(None, "ann", "Ann", (), False, False, False, None))
        'Ann (@ann)'
    """
    nickname = printable(creator.creator_nickname or "") or "(no nickname)"
    return f"{nickname} (@{printable(creator.creator_username)})" if creator.creator_username else nickname


def _disabled(creator: CreatorInfo) -> list[str]:
    return [name for name in _INTERACTIONS if getattr(creator, f"{name}_disabled")]


def creator_lines(creator: CreatorInfo) -> Iterator[str]:
    """The lines of ``pytok creator``.

    Example:
        >>> for line in creator_lines(CreatorInfo(None, "ann", "Ann", ("SELF_ONLY",), False, True, True, 300)):
        ...     print(line)
        nickname:          Ann
        username:          ann
        privacy options:   SELF_ONLY
        interactions off:  duet, stitch (pytok post refuses --allow-duet, --allow-stitch)
        max duration:      300 s (5:00)
    """
    yield f"nickname:          {printable(creator.creator_nickname or '-')}"
    yield f"username:          {printable(creator.creator_username or '-')}"
    yield f"privacy options:   {', '.join(creator.privacy_level_options) or '(none: this creator cannot post now)'}"
    off = _disabled(creator)
    flags = ", ".join(f"--allow-{name}" for name in off)
    yield f"interactions off:  {', '.join(off)} (pytok post refuses {flags})" if off else "interactions off:  none"
    limit = creator.max_video_post_duration_sec
    yield f"max duration:      {limit} s ({clock_text(limit)})" if limit else "max duration:      not said"
    if creator.creator_avatar_url:
        yield f"avatar:            {printable(creator.creator_avatar_url)}"


def preface_lines(creator: CreatorInfo, *, media: str, privacy: str, allowed: dict[str, bool],
                  branded: bool, your_brand: bool, aigc: bool) -> Iterator[str]:
    """What ``pytok post`` says before it sends anything for a Direct Post: who posts, the
    settings chosen (``allowed``: the interactions this kind of post has, off unless asked for), the labels, the declaration.

    Example:
        >>> creator = CreatorInfo(None, "ann", "Ann", ("SELF_ONLY",), False, False, False, 600)
        >>> for line in preface_lines(creator, media="video", privacy="SELF_ONLY",
        ...                           allowed={"comment": True, "duet": False, "stitch": False}, branded=False, your_brand=True, aigc=False):
        ...     print(line)
        Posting to TikTok as Ann (@ann)
        Privacy SELF_ONLY; comments on, duets off, stitches off
        Your video will be labeled as 'Promotional content'.
        By posting, you agree to TikTok's Music Usage Confirmation.
    """
    yield f"Posting to TikTok as {creator_name(creator)}"
    names = [name for name in _INTERACTIONS if name in allowed]
    switches = ", ".join(f"{_PLURAL[name]} {'on' if allowed[name] else 'off'}" for name in names)
    yield f"Privacy {privacy}; {switches}"
    if branded:
        yield f"Your {media} will be labeled as 'Paid partnership'."
    elif your_brand:
        yield f"Your {media} will be labeled as 'Promotional content'."
    if aigc:
        yield f"Your {media} will be labeled as AI-generated content."
    yield declaration(branded=branded)


def status_meaning(status: str, *, follow: str, waited: float | None = None) -> str:
    """What a post's status means for the person, in a few words.

    Example:
        >>> status_meaning("UNCONFIRMED", follow="pytok post-status P", waited=60)
        'TikTok had not finished processing after 1:00: the post may still appear; check later with pytok post-status P'
    """
    if status == contract.STATUS_PUBLISH_COMPLETE:
        return "published"
    if status == contract.STATUS_SEND_TO_USER_INBOX:
        return "in the creator's TikTok inbox: they finish the post in the TikTok app"
    if status == contract.STATUS_FAILED:
        return "TikTok will not publish it"
    if status == UNCONFIRMED:
        after = f" after {clock_text(waited)}" if waited is not None else ""
        return f"TikTok had not finished processing{after}: the post may still appear; check later with {follow}"
    if status in (contract.STATUS_PROCESSING_UPLOAD, contract.STATUS_PROCESSING_DOWNLOAD):
        return f"TikTok is processing it, which may take a few minutes; follow it with {follow} --wait"
    return f"a status pytok does not know; check later with {follow}"


def _ids(post_ids: tuple[str, ...], status: str) -> str:
    if post_ids:
        return ", ".join(post_ids)
    if status == contract.STATUS_PUBLISH_COMPLETE:
        return "none (TikTok gives ids of public posts only)"
    return "none yet"


def result_lines(result: PostResult, *, follow: str, waited: float) -> Iterator[str]:
    """The end of ``pytok post``: the publish_id, the status and what it means, the post ids.

    Example:
        >>> for line in result_lines(PostResult("p1", "PUBLISH_COMPLETE", ("7301",)), follow="x", waited=1):
        ...     print(line)
        publish_id:  p1
        status:      PUBLISH_COMPLETE (published)
        post ids:    7301
    """
    yield f"publish_id:  {result.publish_id}"
    yield f"status:      {result.status} ({status_meaning(result.status, follow=follow, waited=waited)})"
    yield f"post ids:    {_ids(result.post_ids, result.status)}"


def status_lines(status: PublishStatus, *, follow: str, waited: float | None = None) -> Iterator[str]:
    """The lines of ``pytok post-status``; ``waited`` (with ``--wait``) turns a status still
    processing into UNCONFIRMED.

    Example:
        >>> for line in status_lines(PublishStatus("p1", "FAILED", "internal"), follow="x"):
        ...     print(line)
        publish_id:    p1
        status:        FAILED (TikTok will not publish it)
        fail_reason:   internal
        post ids:      none yet
    """
    name = status.status
    if waited is not None and not status.terminal:
        name = f"{UNCONFIRMED}, still {status.status}"
        meaning = status_meaning(UNCONFIRMED, follow=follow, waited=waited)
    else:
        meaning = status_meaning(name, follow=follow)
    yield f"publish_id:    {status.publish_id}"
    yield f"status:        {printable(name)} ({meaning})"
    if status.fail_reason:
        yield f"fail_reason:   {printable(status.fail_reason)}"
    yield f"post ids:      {_ids(status.post_ids, status.status)}"
    if status.uploaded_bytes is not None:
        yield f"uploaded:      {megabytes(status.uploaded_bytes)} MB ({status.uploaded_bytes} bytes)"
    if status.downloaded_bytes is not None:
        yield f"downloaded:    {megabytes(status.downloaded_bytes)} MB ({status.downloaded_bytes} bytes)"


#: The library's words for the kit's parameters, and the flags of ``pytok post`` instead.
_WORDS: tuple[tuple[str, str], ...] = (
    (r"privacy_level_options \(creator_info\(\)\)", "privacy options (pytok creator lists them)"),
    (r"\bprivacy_level_options\b", "privacy options"),
    (r"\ballow_(comment|duet|stitch) must be False \(show it greyed out\)", r"leave out --allow-\1"),
    (r"\bprivacy_level\b", "--privacy"),
    (r"\bchunk_size\b", "--chunk-size"),
    (r"\bcover_timestamp_ms\b", "--cover-ms"),
    (r"\bprocessing_timeout\b", "--timeout"),
    (r"use mode='direct' to set them here", "leave out --inbox to set them here"),
    (r"\bcreator_info\(\)", "pytok creator"),
)


def cli_words(text: str) -> str:
    """A library message with the kit's parameter names replaced by ``pytok post``'s flags.

    Example:
        >>> cli_words("the creator has switched duets off (duet_disabled): allow_duet must be False (show it greyed out)")
        'the creator has switched duets off (duet_disabled): leave out --allow-duet'
    """
    for pattern, replacement in _WORDS:
        text = re.sub(pattern, replacement, text)
    return text


class PostView:
    """The ``on_progress`` hook of ``pytok post`` (see the module doc)."""

    def __init__(self, terminal: Terminal, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.terminal = terminal
        self.clock = clock
        self._chunk = 0
        self._status: str | None = None
        self._since: float | None = None

    @property
    def processing_seconds(self) -> float:
        """Seconds since TikTok began processing (0 before)."""
        return 0.0 if self._since is None else self.clock() - self._since

    def begin(self, text: str) -> None:
        """Say what happens before the first progress arrives (the creator check, the init)."""
        self.terminal.show(f"{text}, Ctrl+C to cancel")

    def update(self, progress: PostProgress) -> None:
        """Called by the kit as the post goes on."""
        if progress.chunks and progress.chunk > self._chunk:
            self._chunk = progress.chunk
            if not self.terminal.live:
                sent, total = progress.bytes_sent, progress.bytes_total
                self.terminal.say(f"Uploaded chunk {progress.chunk}/{progress.chunks}: {megabytes(sent)} of "
                                  f"{megabytes(total)} MB ({_percent(sent, total)}%)")
        if progress.state == "processing" and self._since is None:
            self._since = self.clock()
        if progress.status is not None and progress.status != self._status:
            self._status = progress.status
            if not self.terminal.live:
                self.terminal.say(f"Status: {progress.status} (TikTok is processing the post; this may take a "
                                  "few minutes)")
        if self.terminal.live:
            self.terminal.show(self.live_text(progress))

    def live_text(self, progress: PostProgress) -> str:
        """The live line for ``progress``.

        Example:
            >>> import io
            >>> view = PostView(Terminal(io.StringIO(), live=True), clock=lambda: 100.0)
            >>> view.live_text(PostProgress("uploading", "p", 5_242_880, 10_600_000, 1, 2, None))
            'Uploading [#########...........]  49%  5.2 of 10.6 MB, chunk 2/2, Ctrl+C to cancel'
        """
        if progress.state == "uploading" and progress.chunks:
            total = progress.bytes_total
            percent = _percent(progress.bytes_sent, total)
            filled = _BAR * progress.bytes_sent // total if total else 0
            bar = "#" * filled + "." * (_BAR - filled)
            chunk = min(progress.chunk + 1, progress.chunks)
            return (f"Uploading [{bar}] {percent:3d}%  {megabytes(progress.bytes_sent)} of {megabytes(total)} MB, "
                    f"chunk {chunk}/{progress.chunks}, Ctrl+C to cancel")
        status = progress.status or "waiting for TikTok's first status"
        # TikTok cancels a post while it uploads or pulls its media, not once it holds the whole file.
        hint = "Ctrl+C to stop waiting" if progress.chunks else "Ctrl+C to cancel"
        return f"Processing… ({int(self.processing_seconds)}s) {status}, {hint}"

    def finish(self, result: PostResult) -> None:
        """The post is over: clear the live line; on a pipe, the last status change."""
        self.terminal.clear()
        if not self.terminal.live and result.status != self._status:
            self.terminal.say(f"Status: {result.status}")
        self._status = result.status


def _percent(part: int, whole: int) -> int:
    return 100 if whole <= 0 else min(100, part * 100 // whole)
