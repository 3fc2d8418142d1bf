"""Shared fixtures of the unit tests: a valid configuration and a clean structlog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from pytok_sm._config import Config

CLIENT_KEY = "aw_unit_key"
CLIENT_SECRET = "unit-secret-value-0001"


@pytest.fixture
def config() -> Config:
    return Config(CLIENT_KEY, CLIENT_SECRET)


@pytest.fixture
def clean_structlog() -> Iterator[None]:
    """structlog as a fresh process has it (not configured), before and after the test."""
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.reset_defaults()
