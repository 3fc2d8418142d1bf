"""What web apps need around a browser login: the single-use record of completed snapshots
(so a code is exchanged once), and the callback's query in whatever form a framework gives it.

Example:
    >>> used = UsedSnapshots()
    >>> used("snapshot-1", 60), used("snapshot-1", 60)
    (True, False)
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import CallbackRejected

__all__ = ["SINGLE_USE", "Query", "SingleUse", "UsedSnapshots", "query_text"]

#: ``single_use(snapshot_id, seconds) -> bool``: record that a web login's snapshot is being
#: completed, for ``seconds``; False when it was recorded already (atomically: Redis SET NX EX).
SingleUse = Callable[[str, float], bool]
Query = str | bytes | Mapping[str, Any]


class UsedSnapshots:
    """The default ``single_use``: this process's memory of web logins being completed.

    Bounded: entries live until their snapshot's deadline, and past ``limit`` live entries
    the oldest is forgotten. Several worker processes need a shared ``single_use`` instead.

    Example:
        >>> used = UsedSnapshots()
        >>> used("s1", 60), used("s1", 60), used("s2", 60)
        (True, False, True)
    """

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, snapshot_id: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            until = self._until.get(snapshot_id)
            if until is not None and until > now:
                return False
            if len(self._until) >= self.limit:
                for key in [k for k, end in self._until.items() if end <= now]:
                    del self._until[key]
                while len(self._until) >= self.limit:
                    del self._until[next(iter(self._until))]
            self._until[snapshot_id] = now + seconds
            return True


#: The process-wide default of every kit.
SINGLE_USE = UsedSnapshots()


def query_text(query: Query) -> str:
    """A callback's query as text, from what web frameworks hand out: ``str``, ``bytes``
    (Flask's ``request.query_string``) or a mapping (``request.args``; list values kept).

    Example:
        >>> query_text(b"code=c&state=s"), query_text({"code": "c", "state": ["s", "t"]})
        ('code=c&state=s', 'code=c&state=s&state=t')
    """
    if isinstance(query, bytes):
        try:
            return query.decode("ascii")
        except UnicodeDecodeError:
            raise CallbackRejected("the query is not URL-encoded ASCII") from None
    if isinstance(query, str):
        return query.lstrip("?")
    if isinstance(query, Mapping):
        pairs = [(str(k), str(item)) for k, v in query.items() for item in (v if isinstance(v, (list, tuple)) else [v])]
        return urllib.parse.urlencode(pairs)
    raise CallbackRejected(f"the query is a {type(query).__name__}, not text, bytes or a mapping")
