"""Fixtures of the CLI tests (helpers live in :mod:`tests.cli.helpers`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytok_sm.sandbox import Sandbox

from .helpers import Pytok


@pytest.fixture
def pytok(tmp_path: Path) -> Pytok:
    """Runs ``pytok`` in a subprocess with HOME and XDG_CONFIG_HOME under ``tmp_path``."""
    return Pytok(tmp_path)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox on 127.0.0.1, started in the test process."""
    with Sandbox() as sb:
        yield sb
