"""The pytest plugin pytok_sm installs (entry point ``pytest11``): fixtures for users' tests.

Fixtures:
    ``pytok_transitions``: the transition events emitted during the test.
    ``pytok_clock``: a :class:`~pytok_sm.testing.FakeClock`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from . import FakeClock, capture_transitions


@pytest.fixture
def pytok_transitions() -> Iterator[list[dict[str, Any]]]:
    with capture_transitions() as events:
        yield events


@pytest.fixture
def pytok_clock() -> FakeClock:
    return FakeClock()
