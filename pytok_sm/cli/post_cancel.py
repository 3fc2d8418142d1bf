"""Ctrl+C during ``pytok post``: the post is cancelled at TikTok where TikTok allows it, the
command exits 130, and its last line says what became of the post.

The kit does the cancelling: ``run_post`` answers a ``KeyboardInterrupt`` by cancelling the
flow and, when TikTok made a post already, sending ``cancel`` (TikTok accepts it while the
video uploads or while TikTok pulls the media, not once it holds the whole file). Then
:func:`interrupted` asks TikTok for the post's status once to tell the person the outcome.

:class:`Interrupts` counts the presses while a post runs: a second Ctrl+C (during the
kit's cancel, or during that status check) skips everything left and exits at once. It is
installed only in the main thread and only over Python's own SIGINT handler (a process
started with SIGINT ignored keeps ignoring it).

Example:
    >>> with Interrupts() as presses:
    ...     presses.count
    0
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from .._errors import FlowCancelled, TikTokError
from .._kit import LoginKit
from ..flows import PostFlow
from .exits import PostInterrupted

__all__ = ["Interrupts", "interrupted"]


class Interrupts:
    """Counts SIGINTs (Ctrl+C) while active; each one still raises ``KeyboardInterrupt``."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: Any = None
        self._installed = False

    def _press(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        signal.default_int_handler(signum, frame)

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._press)
            self._installed = True
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False


def interrupted(kit: LoginKit, flow: PostFlow, presses: Interrupts, follow: Callable[[str], str]) -> PostInterrupted:
    """The error that ends a post stopped by Ctrl+C, saying what became of it at TikTok.

    ``follow(publish_id)`` is the command that shows the post's status later.
    """
    error = flow.error
    state = error.state if isinstance(error, FlowCancelled) and error.state else flow.state
    publish_id = flow.publish_id
    if publish_id is None:
        if state == "initialising":
            return PostInterrupted("the post's init was on its way to TikTok, which may have created the post: "
                                   "check the creator's profile (or TikTok inbox) before posting again")
        return PostInterrupted("nothing was posted")
    unknown = f"whether TikTok cancelled the post {publish_id} is not known: check with {follow(publish_id)}"
    if presses.count >= 2:
        return PostInterrupted(unknown)
    try:
        status = kit.publish_status(publish_id)
    except (TikTokError, KeyboardInterrupt):
        return PostInterrupted(unknown)
    if status.failed and status.fail_reason == "publish_cancelled":
        return PostInterrupted(f"TikTok cancelled the post {publish_id}; nothing will be published")
    if status.terminal:
        return PostInterrupted(f"the post {publish_id} had already ended at TikTok ({status.status})")
    return PostInterrupted(
        f"TikTok already had the whole post {publish_id} ({status.status}) and would not cancel it: it may still "
        f"be published; check with {follow(publish_id)}"
    )
