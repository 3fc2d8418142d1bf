"""Checks of a package's curated public surface, for the tests that pin one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import ModuleType


def star_import(package: ModuleType) -> list[str]:
    """The names ``from package import *`` binds, sorted."""
    namespace: dict[str, object] = {}
    exec(f"from {package.__name__} import *", namespace)  # noqa: S102 - our own package
    return sorted(k for k in namespace if k != "__builtins__")


def assert_curated(package: ModuleType, public_names: Sequence[str]) -> None:
    """``__all__`` is exactly ``public_names`` (no repeats), each resolves, a star import
    gives exactly them, and each public class shows the package as its module."""
    assert sorted(package.__all__) == sorted(public_names)
    assert len(set(package.__all__)) == len(package.__all__)
    values = [getattr(package, name) for name in package.__all__]
    assert all(value is not None for value in values)
    assert star_import(package) == sorted(public_names)
    assert {v.__module__ for v in values if isinstance(v, type)} == {package.__name__}


def public_modules(package: ModuleType) -> list[str]:
    """The package's module files whose names do not start with ``_``."""
    return sorted(p.name for p in Path(str(package.__file__)).parent.glob("*.py") if not p.name.startswith("_"))
