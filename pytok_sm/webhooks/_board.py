"""A post board: where TikTok's posting events land, and where a caller waiting on a post looks.

TikTok tells the end of a post twice: ``status/fetch`` when asked, and a ``post.publish.*``
webhook unasked. A board keeps, per ``(client_key, publish_id)``, the latest status the
webhooks told (a :class:`~pytok_sm.PublishStatus`), so that a kit following a post
(``kit.post_video(..., events=board)``) ends on the webhook instead of polling.

Deliveries repeat and arrive out of order, so :meth:`record` *merges* (:func:`merge`): a
final status is never replaced by a processing one, ``SEND_TO_USER_INBOX`` gives way to
``PUBLISH_COMPLETE`` or ``FAILED`` (the person finished or lost the post in TikTok), the
first of two final statuses stays, post ids only accumulate, and the post's public
visibility (:attr:`PostEntry.public`) follows the latest event that spoke of it.

Three backings share the logic here: :class:`MemoryPostBoard` (this process: a waiter wakes
the moment a status is recorded), :class:`~pytok_sm.webhooks.SQLitePostBoard` (a table in a
SQLite token store's file, for the processes of one machine) and
:class:`~pytok_sm.webhooks.RedisPostBoard` (many machines); the last two are polled by
waiters every :attr:`poll_interval` seconds (0.2), and wake at once for a status recorded
in their own process.

Example:
    >>> from pytok_sm import PublishStatus
    >>> board = MemoryPostBoard()
    >>> board.wait("aw_key", "v_pub_url~v2.1", 0.01) is None
    True
    >>> _ = board.record("aw_key", "v_pub_url~v2.1", PublishStatus("v_pub_url~v2.1", "PUBLISH_COMPLETE"))
    >>> _ = board.record("aw_key", "v_pub_url~v2.1", PublishStatus("v_pub_url~v2.1", "PROCESSING_DOWNLOAD"))
    >>> board.wait("aw_key", "v_pub_url~v2.1", 5.0).status     # a late "processing" changes nothing
    'PUBLISH_COMPLETE'
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .. import _contract as contract
from .._errors import ConfigurationError
from .._posting_values import PublishStatus

__all__ = ["BOARD_TTL", "MemoryPostBoard", "PostBoard", "PostBoardBase", "PostEntry", "board_key", "entry_of", "merge"]

#: How long a post's status is kept on a board: a post is followed for at most 7 days.
BOARD_TTL = 7 * 86400.0
_MAX_WAIT = 7 * 86400.0
_MAX_IDS = 64

#: How far a status has come: a higher rank replaces a lower one; at the same rank the first stays.
_RANK = {
    contract.STATUS_PROCESSING_UPLOAD: 0,
    contract.STATUS_PROCESSING_DOWNLOAD: 0,
    contract.STATUS_SEND_TO_USER_INBOX: 1,
    contract.STATUS_PUBLISH_COMPLETE: 2,
    contract.STATUS_FAILED: 2,
}


@dataclass(frozen=True, slots=True)
class PostEntry:
    """What a board holds of one post: the merged ``status``, whether the post is public as
    the latest event about it said (``True`` after ``publicly_available``, ``False`` after
    ``no_longer_publicaly_available``, None when no event said), and ``updated_at`` (unix s).

    Example:
        >>> from pytok_sm import PublishStatus
        >>> PostEntry(PublishStatus("p1", "PUBLISH_COMPLETE", post_ids=("42",)), public=False).status.post_ids
        ('42',)
    """

    status: PublishStatus
    public: bool | None = None
    updated_at: float = 0.0


@runtime_checkable
class PostBoard(Protocol):
    """What a kit needs of a board to wait on a post (``events=``): the three boards here
    follow it, and so may your own."""

    def get(self, client_key: str, publish_id: str) -> PublishStatus | None:
        """The post's recorded status, or None."""

    def wait(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        """The post's status once recorded, or None after ``seconds``."""

    async def wait_async(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        """:meth:`wait` for asyncio."""


def board_key(client_key: object, publish_id: object) -> tuple[str, str]:
    """``(client_key, publish_id)`` checked: non-empty printable strings of at most 256 characters."""
    for name, value in (("client_key", client_key), ("publish_id", publish_id)):
        if not isinstance(value, str) or not value or len(value) > 256 or not value.isprintable():
            raise ConfigurationError(name, "must be a non-empty printable string of at most 256 characters")
    return client_key, publish_id  # type: ignore[return-value]


def check_seconds(seconds: object) -> float:
    """A wait in seconds: a finite number from 0 to 7 days."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        raise ConfigurationError("seconds", f"must be a finite number of seconds, not {seconds!r}")
    if not 0 <= seconds <= _MAX_WAIT:
        raise ConfigurationError("seconds", f"must be from 0 to {_MAX_WAIT:g} seconds, not {seconds!r}")
    return float(seconds)


def _ids(*groups: Any) -> list[str]:
    found: list[str] = []
    for group in groups:
        for value in group or ():
            if isinstance(value, str) and value not in found and len(found) < _MAX_IDS:
                found.append(value)
    return found


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def merge(old: Mapping[str, Any] | None, status: PublishStatus, *, public: bool | None = None,
          at: float | None = None, now: float = 0.0) -> dict[str, Any]:
    """The stored record of a post after ``status`` arrived (``old``: the record before, or None).

    Example:
        >>> first = merge(None, PublishStatus("p", "SEND_TO_USER_INBOX"))
        >>> later = merge(first, PublishStatus("p", "PUBLISH_COMPLETE", post_ids=("7",)), public=True, at=5)
        >>> late = merge(later, PublishStatus("p", "SEND_TO_USER_INBOX"))
        >>> late["status"], late["post_ids"], late["public"]
        ('PUBLISH_COMPLETE', ['7'], True)
    """
    record = dict(old) if isinstance(old, Mapping) and old.get("status") in _RANK else {}
    before = _RANK.get(record.get("status", ""), -1)
    if _RANK.get(status.status, 0) > before:
        record["status"], record["fail_reason"] = status.status, status.fail_reason
    record["post_ids"] = _ids(record.get("post_ids"), status.post_ids)
    for name in ("uploaded_bytes", "downloaded_bytes"):
        value = getattr(status, name)
        if value is not None:
            record[name] = value
    if public is not None:
        moment = float(at) if at is not None else now
        seen = record.get("public_at")
        if not isinstance(seen, (int, float)) or moment >= seen:
            record["public"], record["public_at"] = public, moment
    record["updated_at"] = now
    return record


def entry_of(publish_id: str, record: object) -> PostEntry | None:
    """The :class:`PostEntry` of a stored record (None for none, or one that cannot be read)."""
    if not isinstance(record, Mapping) or record.get("status") not in _RANK:
        return None
    reason = record.get("fail_reason")
    public = record.get("public")
    updated = record.get("updated_at")
    status = PublishStatus(publish_id, record["status"], reason if isinstance(reason, str) else None,
                           tuple(_ids(record.get("post_ids") if isinstance(record.get("post_ids"), list) else ())),
                           _count(record.get("uploaded_bytes")), _count(record.get("downloaded_bytes")))
    return PostEntry(status, public if isinstance(public, bool) else None,
                     float(updated) if isinstance(updated, (int, float)) else 0.0)


class _Signal:
    """Wakes this process's waiters (threads and event loops) when a status is recorded here."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.version = 0
        self._loops: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    def notify(self) -> None:
        with self.condition:
            self.version += 1
            self.condition.notify_all()
            waiting = list(self._loops)
        for loop, future in waiting:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that loop is closed: nobody waits there any more
                pass

    def add(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        with self.condition:
            self._loops.add((loop, future))

    def discard(self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
        with self.condition:
            self._loops.discard((loop, future))


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class PostBoardBase:
    """What every board does around its storage: checks, merging, waiting (sync and async).

    A backing brings ``_read(key) -> record | None`` and ``_update(key, change) -> record``
    (one atomic read-merge-write), sets :attr:`poll_interval` (None: only this process
    records, a waiter needs no polling) and :attr:`blocking` (whether calls may wait on I/O:
    an asyncio caller then runs them in a thread).
    """

    #: Seconds between two looks of a waiter at a shared board (None: it waits for the signal).
    poll_interval: float | None = None
    #: Whether calls may wait on I/O.
    blocking = True
    #: Where the board keeps its posts, for people (never a password).
    where = "post board"

    def __init__(self, *, ttl: float = BOARD_TTL, clock: Callable[[], float] = time.time) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= 30 * 86400:
            raise ConfigurationError("ttl", f"must be more than 0 and at most 30 days in seconds, not {ttl!r}")
        self.ttl = float(ttl)
        self._clock = clock
        self._signal = _Signal()

    def _read(self, key: tuple[str, str]) -> Any:
        raise NotImplementedError

    def _update(self, key: tuple[str, str], change: Callable[[Any], dict[str, Any]]) -> Any:
        raise NotImplementedError

    def record(self, client_key: str, publish_id: str, status: PublishStatus, *, public: bool | None = None,
               at: float | None = None) -> PostEntry:
        """Merge ``status`` into the post's entry (see :func:`merge`; ``public`` and ``at``, the
        event's ``create_time``, for the visibility events) and wake its waiters."""
        key = board_key(client_key, publish_id)
        if not isinstance(status, PublishStatus):
            raise ConfigurationError("status", f"must be a pytok_sm.PublishStatus, not a {type(status).__name__}")
        if public is not None and not isinstance(public, bool):
            raise ConfigurationError("public", "must be True, False or None")
        now = self._clock()
        record = self._update(key, lambda old: merge(old, status, public=public, at=at, now=now))
        self._signal.notify()
        entry = entry_of(publish_id, record)
        assert entry is not None
        return entry

    def entry(self, client_key: str, publish_id: str) -> PostEntry | None:
        """The post's entry, or None when no event about it was recorded (or it expired)."""
        key = board_key(client_key, publish_id)
        return entry_of(publish_id, self._read(key))

    def get(self, client_key: str, publish_id: str) -> PublishStatus | None:
        """The post's recorded status, or None."""
        found = self.entry(client_key, publish_id)
        return None if found is None else found.status

    def wait(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        """The post's status as soon as one is recorded (at once if it is there already), or
        None when ``seconds`` pass first."""
        key, left = board_key(client_key, publish_id), check_seconds(seconds)
        end = time.monotonic() + left
        signal = self._signal
        while True:
            with signal.condition:
                seen = signal.version
            found = self.get(*key)
            left = end - time.monotonic()
            if found is not None or left <= 0:
                return found
            with signal.condition:
                if signal.version == seen:
                    signal.condition.wait(left if self.poll_interval is None else min(left, self.poll_interval))

    async def wait_async(self, client_key: str, publish_id: str, seconds: float) -> PublishStatus | None:
        """:meth:`wait` for asyncio: the event loop keeps running (a shared board is read in a
        thread)."""
        key, left = board_key(client_key, publish_id), check_seconds(seconds)
        loop = asyncio.get_running_loop()
        end = loop.time() + left
        while True:
            woken: asyncio.Future[None] = loop.create_future()
            self._signal.add(loop, woken)  # before reading: a status recorded meanwhile is not missed
            try:
                found = await asyncio.to_thread(self.get, *key) if self.blocking else self.get(*key)
                left = end - loop.time()
                if found is not None or left <= 0:
                    return found
                await asyncio.wait({woken}, timeout=left if self.poll_interval is None else min(left, self.poll_interval))
            finally:
                self._signal.discard(loop, woken)
                woken.cancel()

    def close(self) -> None:
        """Release what the board opened itself (nothing for this one)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.where}>"


class MemoryPostBoard(PostBoardBase):
    """A board in this process's memory (its threads and event loops share it): a waiter
    wakes the moment a status is recorded. Bounded: past ``limit`` posts, expired ones are
    dropped, then the oldest. Pair it with a receiver in the same process (a
    :class:`~pytok_sm.webhooks.WebhookApp` mounted in the web app that posts).

    Example:
        >>> import threading
        >>> from pytok_sm import PublishStatus
        >>> board = MemoryPostBoard()
        >>> done = PublishStatus("p_pub_url~v2.5", "FAILED", fail_reason="picture_size_check_failed")
        >>> threading.Timer(0.05, board.record, ("aw_key", "p_pub_url~v2.5", done)).start()
        >>> board.wait("aw_key", "p_pub_url~v2.5", 10).fail_reason       # wakes at once, not after 10 s
        'picture_size_check_failed'
    """

    blocking = False
    where = "memory"

    def __init__(self, limit: int = 100_000, *, ttl: float = BOARD_TTL, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl=ttl, clock=clock)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigurationError("limit", f"must be a positive integer, not {limit!r}")
        self.limit = limit
        self._posts: dict[tuple[str, str], tuple[dict[str, Any], float]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._posts)

    def _read(self, key: tuple[str, str]) -> Any:
        with self._lock:
            found = self._posts.get(key)
            return None if found is None or found[1] <= self._clock() else found[0]

    def _update(self, key: tuple[str, str], change: Callable[[Any], dict[str, Any]]) -> Any:
        with self._lock:
            now = self._clock()
            found = self._posts.pop(key, None)  # re-inserted last: the dict stays ordered oldest first
            record = change(found[0] if found is not None and found[1] > now else None)
            if len(self._posts) >= self.limit:
                for old in [k for k, (_, until) in self._posts.items() if until <= now]:
                    del self._posts[old]
                while len(self._posts) >= self.limit:
                    del self._posts[next(iter(self._posts))]
            self._posts[key] = (record, now + self.ttl)
            return record
