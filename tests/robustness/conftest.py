"""Fixtures of the robustness tests that talk to the sandbox emulator over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytok_sm import LoginKit
from pytok_sm.sandbox import Sandbox

from .sandbox_kit import sandbox_kit


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A running sandbox (default apps and switches). The test fails if a sandbox thread or
    any other thread died, or the sandbox recorded an internal error."""
    died: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: died.append(args.exc_value)
    try:
        with Sandbox() as sandbox:
            yield sandbox
            assert sandbox.errors == [], sandbox.errors
    finally:
        threading.excepthook = previous
    assert died == []


@pytest.fixture
def make_kit(sb: Sandbox) -> Iterator[Callable[..., LoginKit]]:
    """``make_kit(**overrides)``: a LoginKit of the sandbox's desktop app, closed afterwards."""
    kits: list[LoginKit] = []

    def make(**overrides: Any) -> LoginKit:
        kit = sandbox_kit(sb, **overrides)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        kit.close()
