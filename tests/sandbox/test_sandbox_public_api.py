"""The public surface of ``pytok_sm.sandbox``: a pinned ``__all__``, private modules behind it."""

from __future__ import annotations

from pathlib import Path

import pytok_sm.sandbox as package

from ..surfaces import assert_curated, public_modules

PUBLIC_NAMES = [
    "App",
    "Clock",
    "DEFAULT_CLIENT_KEY",
    "PhoneError",
    "Sandbox",
    "SandboxUser",
    "Switches",
    "default_apps",
    "main",
]


def test_all_is_pinned_resolves_and_is_what_a_star_import_gives() -> None:
    assert_curated(package, PUBLIC_NAMES)


def test_every_other_module_is_private() -> None:
    assert public_modules(package) == []
    assert (Path(str(package.__file__)).parent / "__main__.py").is_file()  # python -m pytok_sm.sandbox
