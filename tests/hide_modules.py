"""Run Python as on a machine where some installed packages are missing.

The optional parts of pytok_sm (vcrpy for cassettes, Pillow for ``--qr-png``) must say what
to install, before doing anything else, when their package is absent. The tests cannot
uninstall them, so they start a Python whose first act is to put a finder in front of
``sys.meta_path`` that answers ``No module named 'vcr'`` for the hidden packages and their
submodules, exactly as a missing package does.

Example:
    >>> import subprocess
    >>> done = subprocess.run(python_hiding("json", code="import json"), capture_output=True, text=True)
    >>> done.returncode, done.stderr.strip().splitlines()[-1]
    (1, "ModuleNotFoundError: No module named 'json'")
"""

from __future__ import annotations

import sys

__all__ = ["python_hiding"]

_PRELUDE = """\
import importlib.abc, sys
class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Missing())
del _Missing
"""


def python_hiding(*modules: str, code: str | None = None, module: str | None = None) -> list[str]:
    """The argv of a Python without ``modules`` that runs ``code``, or ``module`` as ``-m`` would.

    Append the program's own arguments to the list.
    """
    if (code is None) == (module is None):
        raise ValueError("give code or module")
    run = f"import runpy; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    body = code if code is not None else run
    return [sys.executable, "-c", _PRELUDE.format(hidden=frozenset(modules)) + body]
