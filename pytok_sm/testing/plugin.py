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

With pytest-recording, the plugin registers the ``pytok_body`` matcher that
:func:`pytok_sm.testing.vcr_config` names, so ``vcr_config`` can return it as is.

vcrpy is imported only when a cassette fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import CassetteLibrary, FakeClock, capture_transitions, match_body
from ._vcr import recording_requested

if TYPE_CHECKING:
    from vcr.cassette import Cassette


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
    """pytest-recording's hook: make ``match_on=("...", "pytok_body")`` resolvable."""
    vcr.register_matcher("pytok_body", match_body)


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
    record = bool(request.config.getoption("--pytok-record")) or recording_requested()
    return CassetteLibrary(pytok_cassette_dir, record=record, default_name=request.node.name)


@pytest.fixture
def pytok_cassette(pytok_vcr: CassetteLibrary) -> Iterator[Cassette]:
    with pytok_vcr.use() as cassette:
        yield cassette
