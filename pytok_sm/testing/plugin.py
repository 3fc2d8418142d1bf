"""The pytest plugin pytok_sm installs (entry point ``pytest11``): fixtures for users' tests.

Fixtures:
    ``pytok_transitions``: the transition events emitted during the test.
    ``pytok_clock``: a :class:`~pytok_sm.testing.FakeClock`.
    ``pytok_vcr``: a :class:`~pytok_sm.testing.CassetteLibrary` for the test's module:
    ``with pytok_vcr.use():`` replays ``cassettes/<module>/<test>.yaml`` (strictly, offline);
    with ``pytest --pytok-record`` or ``PYTOK_RECORD=1`` it records it instead.
    ``pytok_vcr.random`` is the deterministic ``random=`` source to give the kit.
    ``pytok_cassette``: the same cassette, active for the whole test.
    ``pytok_cassette_dir``: where the module's cassettes live (override it to move them).

Failures say what to do. Without vcrpy, ``pytok_vcr`` and ``pytok_cassette`` fail when they
are set up, before any other fixture of the test, naming the install command. A request
that the ``pytok_cassette`` cassette has no answer for fails the test (or the fixture that
made it) with one :class:`~pytok_sm.testing.CassetteMismatch` naming the command that
records the test again, in place of vcrpy's error; answers left unasked are reported
(:class:`~pytok_sm.testing.CassetteUnplayed`, at teardown) only after a test that passed.

With pytest-recording, the plugin registers the ``pytok_range`` and ``pytok_body`` matchers
that :func:`pytok_sm.testing.vcr_config` names, so ``vcr_config`` can return it as is.

vcrpy is imported only when a cassette fixture is used.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest

from . import CassetteLibrary, CassetteMismatch, FakeClock, capture_transitions
from ._match import MATCHERS
from ._replay import mismatch_message, raise_if_unplayed
from ._vcr import RECORD_ENV, recording_requested, require_vcr

if TYPE_CHECKING:
    from vcr.cassette import Cassette


@dataclass(frozen=True)
class _Active:
    """The ``pytok_cassette`` cassette of the test under way."""

    cassette: Cassette
    path: Path
    hint: str | None


_ACTIVE = pytest.StashKey[_Active]()
#: Whether the test's setup or call failed (then unplayed answers are no news).
_FAILED = pytest.StashKey[bool]()
#: Frames of these packages are cut from a mismatch's traceback: the test's own frames stay.
_LIBRARIES = ("pytok_sm", "httpx", "httpcore", "vcr")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pytok_sm")
    group.addoption(
        "--pytok-record",
        action="store_true",
        default=False,
        help="pytok_vcr/pytok_cassette: record the cassettes against the live server instead of "
        "replaying them (also: PYTOK_RECORD=1).",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording's hook: make ``match_on=("...", "pytok_range", "pytok_body")`` resolvable."""
    for name, matcher in MATCHERS.items():
        vcr.register_matcher(name, matcher)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _reporting_mismatches(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _reporting_mismatches(item))


def _reporting_mismatches(item: pytest.Item) -> Generator[None, None, None]:
    """Note a failed phase; turn vcrpy's error about the ``pytok_cassette`` cassette into ours."""
    item.stash[_FAILED] = False
    try:
        yield
    except BaseException as error:
        item.stash[_FAILED] = True
        mismatch = _as_mismatch(item, error)
        if mismatch is None:
            raise
        raise mismatch from None


def _as_mismatch(item: pytest.Item, error: BaseException) -> CassetteMismatch | None:
    active = item.stash.get(_ACTIVE, None)
    errors = sys.modules.get("vcr.errors")
    if active is None or errors is None:
        return None
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:  # the code under test may have wrapped it
        seen.add(id(cause))
        if isinstance(cause, errors.CannotOverwriteExistingCassetteException) and cause.cassette is active.cassette:
            message = mismatch_message(active.path, cause, active.hint)
            return CassetteMismatch(message).with_traceback(_users_frames(error.__traceback__))
        cause = cause.__cause__ or cause.__context__
    return None


def _users_frames(traceback: TracebackType | None) -> TracebackType | None:
    """``traceback`` up to the last frame outside pytok_sm, httpx and vcrpy: where the test
    made the request, without vcrpy's frames (their locals hold the request, secrets and all)."""
    folders = tuple(
        str(Path(module.__file__).parent)
        for name in _LIBRARIES
        if (module := sys.modules.get(name)) is not None and module.__file__
    )
    last_own = None
    entry = traceback
    while entry is not None:
        if not entry.tb_frame.f_code.co_filename.startswith(folders):
            last_own = entry
        entry = entry.tb_next
    if last_own is not None:
        last_own.tb_next = None
    return traceback


@pytest.fixture
def pytok_transitions() -> Iterator[list[dict[str, Any]]]:
    with capture_transitions() as events:
        yield events


@pytest.fixture
def pytok_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pytok_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """``<test file's folder>/cassettes/<test module name>``."""
    test_file = Path(str(request.node.path))
    return test_file.parent / "cassettes" / test_file.stem


@pytest.fixture
def pytok_vcr(request: pytest.FixtureRequest, pytok_cassette_dir: Path) -> CassetteLibrary:
    missing = None
    try:
        require_vcr()
    except ModuleNotFoundError as error:
        missing = str(error)
    if missing:  # said before any other fixture of the test runs (and maybe sends a request)
        pytest.fail(f"pytok_vcr: {missing}", pytrace=False)
    record = bool(request.config.getoption("--pytok-record")) or recording_requested()
    command = f"pytest --pytok-record {shlex.quote(request.node.nodeid)}"
    hint = f"re-record it: run the test with {RECORD_ENV}=1 (or pytest --pytok-record), e.g. {command}"
    return CassetteLibrary(pytok_cassette_dir, record=record, default_name=request.node.name, hint=hint)


@pytest.fixture
def pytok_cassette(request: pytest.FixtureRequest, pytok_vcr: CassetteLibrary) -> Iterator[Cassette]:
    path = pytok_vcr.path()
    with pytok_vcr.use(require_all_played=False) as cassette:
        request.node.stash[_ACTIVE] = _Active(cassette, path, pytok_vcr.hint)
        try:
            yield cassette
        finally:
            del request.node.stash[_ACTIVE]
    if not pytok_vcr.record and not request.node.stash.get(_FAILED, False):
        raise_if_unplayed(cassette, path, pytok_vcr.hint)
