"""The public surface of ``pytok_sm.testing``: a pinned ``__all__``, private modules behind
it, and the pytest plugin where the ``pytest11`` entry point says it is."""

from __future__ import annotations

import importlib
import importlib.metadata

import pytok_sm.testing as package

from ..surfaces import assert_curated, public_modules

PUBLIC_NAMES = [
    "BrowserError",
    "CassetteError",
    "CassetteLibrary",
    "CassetteMismatch",
    "CassetteMissing",
    "CassetteUnplayed",
    "DeterministicRandom",
    "FakeBrowser",
    "FakeClock",
    "Scrubber",
    "capture_transitions",
    "find_unscrubbed",
    "make_vcr",
    "match_body",
    "match_content_range",
    "use_cassette",
    "vcr_config",
]


def test_all_is_pinned_resolves_and_is_what_a_star_import_gives() -> None:
    assert_curated(package, PUBLIC_NAMES)


def test_every_other_module_is_private_but_the_plugin() -> None:
    assert public_modules(package) == ["plugin.py"]


def test_the_pytest_entry_point_names_the_plugin() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "pytok_sm"]
    assert entry.value == "pytok_sm.testing.plugin"
    assert importlib.import_module(entry.value).pytest_addoption is not None
