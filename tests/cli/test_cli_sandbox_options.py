"""``pytok sandbox`` and ``python -m pytok_sm.sandbox`` take the same serving options.

pytok keeps its own copy (``pytok_sm.cli.sandbox_options``) so that building its parser does
not load the sandbox; this test keeps the copy true.
"""

from __future__ import annotations

import argparse

import pytest

from pytok_sm.cli import sandbox_options
from pytok_sm.sandbox import _cli as sandbox_cli
from pytok_sm.sandbox._switches import TOKEN_LIFETIME_PRESETS


def options(add: object) -> dict[str, tuple[object, object, object]]:
    parser = argparse.ArgumentParser()
    add(parser)  # type: ignore[operator]
    return {a.dest: (a.default, tuple(a.choices or ()), a.metavar) for a in parser._actions if a.dest != "help"}


def test_the_same_options_defaults_and_choices() -> None:
    assert options(sandbox_options.add_serve_arguments) == options(sandbox_cli.add_serve_arguments)
    assert sandbox_options.TOKEN_LIFETIME_CHOICES == tuple(sorted(TOKEN_LIFETIME_PRESETS))


@pytest.mark.parametrize("text", ["-1", "65536", "x", "1.5"])
def test_the_same_port_check(text: str) -> None:
    for check in (sandbox_options.port_number, sandbox_cli.port_number):
        with pytest.raises(argparse.ArgumentTypeError):
            check(text)


@pytest.mark.parametrize("text", ["0", "-5", "nan", "inf", "1e9", "soon"])
def test_the_same_lifetime_check(text: str) -> None:
    for check in (sandbox_options.positive_seconds, sandbox_cli.positive_seconds):
        with pytest.raises(argparse.ArgumentTypeError):
            check(text)
