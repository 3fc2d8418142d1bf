"""Strict replay: a cassette that is missing, a request without a recorded answer and a
recorded answer nobody asked for each fail the test.

The messages name the cassette and the request's method and (scrubbed) URL, never a
secret, and say how to record the cassette again. Requests the scrubber lets through
unrecorded (browser pages, the loopback callback) reach their server for real. Make them
with httpx or :class:`~pytok_sm.testing.FakeBrowser`: for urllib/http.client, vcrpy's
passthrough unpatches every library in every thread for a moment, and a kit's request in
flight then would bypass the cassette.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "login.yaml"
    >>> with use_cassette(path, record=True):  # recording; no request made: an empty cassette
    ...     pass
    >>> with use_cassette(path, record=False):  # replaying it: nothing asked, nothing left unplayed
    ...     pass
    >>> path.read_text()
    'interactions: []\\nversion: 1\\n'
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._scrub import Scrubber
from ._vcr import RECORD_ENV, make_vcr, recording_requested, require_vcr

if TYPE_CHECKING:
    from vcr.cassette import Cassette
    from vcr.request import Request as VcrRequest

__all__ = [
    "CassetteError",
    "CassetteLibrary",
    "CassetteMismatch",
    "CassetteMissing",
    "CassetteUnplayed",
    "mismatch_message",
    "raise_if_unplayed",
    "use_cassette",
    "write_empty_cassette",
]


class CassetteError(AssertionError):
    """A replay went wrong; the message names the cassette and the request, not secrets."""


class CassetteMissing(CassetteError):
    """The cassette file does not exist (and the run does not record)."""


class CassetteMismatch(CassetteError):
    """A request has no recorded answer (changed, extra or repeated request)."""


class CassetteUnplayed(CassetteError):
    """Recorded answers were never asked for (the code now makes fewer requests)."""


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path.resolve()) if relative.startswith("..") else relative


def _how_to_record(hint: str | None) -> str:
    return hint or f"re-record it: run the test with {RECORD_ENV}=1 (or pytest --pytok-record)"


def mismatch_message(path: Path, error: Exception, hint: str | None) -> str:
    """The text of :class:`CassetteMismatch` for vcrpy's ``CannotOverwriteExistingCassetteException``."""
    request = getattr(error, "failed_request", None)
    # The failed request is the live, unscrubbed one: show only its method and scrubbed URI.
    scrubbed = Scrubber().request(_copy_request(request)) if request is not None else None
    what = f"{request.method} {scrubbed.uri if scrubbed is not None else '(a browser page)'}" if request else "a request"
    reason = getattr(error, "reason", "")
    similar = getattr(error, "similar_requests", None) or []
    if reason == "already_played":
        why = "it matches a recorded request that was already answered (the code sends it more often than when recorded)"
    elif similar:
        _, _, failed = similar[0]
        details = "; ".join(f"{name}: {message}" if message else name for name, message in failed)
        why = f"the closest recorded request differs in {details}"
    else:
        why = "nothing like it was recorded"
    return (
        f"cassette {_shown(path)} has no answer for {what}: {why}. "
        f"Nothing was sent to the network (replay). If the change is intended, {_how_to_record(hint)}."
    )


def _copy_request(request: VcrRequest) -> VcrRequest:
    from vcr.request import Request

    return Request(request.method, request.uri, request.body, dict(request.headers))


def write_empty_cassette(path: str | os.PathLike[str]) -> None:
    """Write a cassette with no interaction (a flow that never reached TikTok's API).

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "empty.yaml"
        >>> write_empty_cassette(target)
        >>> target.read_text()
        'interactions: []\\nversion: 1\\n'
    """
    require_vcr()
    from vcr.serialize import serialize
    from vcr.serializers import yamlserializer

    Path(path).write_text(serialize({"requests": [], "responses": []}, yamlserializer), encoding="utf-8")


def _below_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING


@contextlib.contextmanager
def _quiet_vcr_logs() -> Iterator[None]:
    """vcrpy logs requests and raw recorded answers at INFO/DEBUG (before scrubbing them):
    keep those records out of every log while a cassette is in use."""
    import vcr.cassette  # noqa: F401 - the loggers exist once their modules are imported
    import vcr.stubs.httpx_stubs  # noqa: F401

    names = [name for name in logging.root.manager.loggerDict if name == "vcr" or name.startswith("vcr.")]
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addFilter(_below_warning)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(_below_warning)


def use_cassette(
    path: str | os.PathLike[str],
    *,
    record: bool | None = None,
    require_all_played: bool = True,
    hint: str | None = None,
    scrubber: Scrubber | None = None,
    **scrubber_options: Any,
) -> contextlib.AbstractContextManager[Cassette]:
    """Replay (or, with ``record=True`` or ``PYTOK_RECORD=1``, record) one cassette.

    Replaying is strict: a missing file raises :class:`CassetteMissing` at once, a request
    without a recorded answer :class:`CassetteMismatch`, and recorded answers left unasked
    :class:`CassetteUnplayed` at the end (unless ``require_all_played=False``). Recording
    starts the file afresh, writes it even when no request was made, and replaces the old
    one only if the block ends without an exception. ``hint`` replaces
    the "how to re-record" advice of the messages; ``scrubber`` is the one to use (to hold
    on to it, e.g. for :meth:`Scrubber.paused`), else a fresh one gets ``scrubber_options``.
    Without vcrpy, entering the block raises :func:`~._vcr.require_vcr`'s error.

    Example:
        >>> import tempfile, pathlib
        >>> missing = pathlib.Path(tempfile.mkdtemp()) / "login.yaml"
        >>> with use_cassette(missing, record=False):
        ...     pass
        Traceback (most recent call last):
        ...
        pytok_sm.testing.CassetteMissing: cassette ... does not exist; re-record it: ...
    """
    options = dict(scrubber_options, scrubber=scrubber)
    return _CassetteBlock(Path(path), record, require_all_played=require_all_played, hint=hint, options=options)


class _CassetteBlock:
    """The context manager of :func:`use_cassette`. A class, not a generator, so that pytest
    can hide its frames (``__tracebackhide__``): a failure shows the test's line and the
    message, not this code nor vcrpy's error in contextlib's locals."""

    def __init__(
        self, target: Path, record: bool | None, *, require_all_played: bool, hint: str | None, options: dict[str, Any]
    ) -> None:
        self._target, self._record, self._hint = target, record, hint
        self._require_all_played, self._options = require_all_played, options
        self._recording = False
        self._work = target
        self._stack: contextlib.ExitStack | None = None
        self._cassette: Cassette | None = None

    def __enter__(self) -> Cassette:
        __tracebackhide__ = True
        require_vcr()  # before anything else: a missing vcrpy is said as such, with the install command
        target = self._target
        self._recording = recording = recording_requested() if self._record is None else self._record
        # A recording goes to a side file and replaces the cassette only when the block ends
        # without an exception: a failed re-recording leaves the old cassette as it was.
        self._work = work = target.with_name(f"{target.stem}.recording{target.suffix}") if recording else target
        if recording:
            target.parent.mkdir(parents=True, exist_ok=True)
            work.unlink(missing_ok=True)
        elif not target.is_file():
            raise CassetteMissing(f"cassette {_shown(target)} does not exist; {_how_to_record(self._hint)}")
        recorder = make_vcr(target.parent, "all" if recording else "none", **self._options)
        with contextlib.ExitStack() as stack:  # undone at once if entering fails
            stack.enter_context(_quiet_vcr_logs())
            cassette: Cassette = stack.enter_context(recorder.use_cassette(work.name))
            self._stack, self._cassette = stack.pop_all(), cassette
        return cassette

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        __tracebackhide__ = True
        from vcr.errors import CannotOverwriteExistingCassetteException

        stack, cassette, self._stack = self._stack, self._cassette, None
        assert stack is not None and cassette is not None, "use_cassette() blocks are entered once"
        stack.__exit__(kind, error, tb)
        if isinstance(error, CannotOverwriteExistingCassetteException):
            raise CassetteMismatch(mismatch_message(self._target, error, self._hint)) from None
        if error is not None:
            return
        if self._recording:
            if self._work.exists():
                os.replace(self._work, self._target)
            else:
                write_empty_cassette(self._target)
        elif self._require_all_played:
            raise_if_unplayed(cassette, self._target, self._hint)


def raise_if_unplayed(cassette: Cassette, path: Path, hint: str | None = None) -> None:
    """Raise :class:`CassetteUnplayed` if some recorded answers of ``cassette`` were never asked for.

    What :func:`use_cassette` checks at the end of a replay; the ``pytok_cassette`` fixture
    calls it itself, and only after a test that passed.
    """
    if cassette.all_played:
        return
    left = [
        f"{request.method} {request.uri}"
        for index, (request, _) in enumerate(cassette.data)
        if not cassette.play_counts[index]
    ]
    raise CassetteUnplayed(
        f"cassette {_shown(path)}: {len(left)} recorded request(s) were never made: {'; '.join(left)}. "
        f"If the change is intended, {_how_to_record(hint)}."
    )


class CassetteLibrary:
    """The cassettes of one test module: ``directory/<name>.yaml``, recorded or replayed.

    What the ``pytok_vcr`` fixture of pytok_sm's pytest plugin hands to a test. ``random``
    is a :class:`~pytok_sm.testing.DeterministicRandom` seeded with ``seed``: pass it to the
    kit (``random=``) so that recording and replaying draw the same state and tickets.

    Example:
        >>> import tempfile
        >>> library = CassetteLibrary(tempfile.mkdtemp(), default_name="test_login")
        >>> library.path().name, library.path("other").name, library.record
        ('test_login.yaml', 'other.yaml', False)
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        record: bool = False,
        default_name: str = "cassette",
        seed: int | str | None = None,
        hint: str | None = None,
        **scrubber_options: Any,
    ) -> None:
        from ._deterministic import DeterministicRandom

        self.directory = Path(directory)
        self.record = record
        self.default_name = default_name
        self.hint = hint
        self.random = DeterministicRandom(default_name if seed is None else seed)
        self._options = scrubber_options

    def path(self, name: str | None = None) -> Path:
        """Where the cassette ``name`` (default: the test's name) lives."""
        stem = _safe_name(name or self.default_name)
        return self.directory / (stem if stem.endswith(".yaml") else f"{stem}.yaml")

    def use(self, name: str | None = None, **options: Any) -> contextlib.AbstractContextManager[Cassette]:
        """:func:`use_cassette` for ``name`` with this library's mode and options."""
        merged = {**self._options, **options}
        merged.setdefault("hint", self.hint)
        return use_cassette(self.path(name), record=self.record, **merged)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "cassette"
