"""``pytok login --qr --qr-png`` without Pillow says so before asking TikTok for a QR code.

It used to ask for the code, show it, and only then fail to write the PNG: the person was
left with a QR login that could no longer finish. Pillow is hidden in a subprocess
(:mod:`tests.hide_modules`), as on a machine without it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytok_sm.sandbox import Sandbox

from ..hide_modules import python_hiding
from .helpers import Pytok, sandbox_flags
from .test_cli_usage import assert_one_line_error

PYTOK_WITHOUT_PILLOW = python_hiding("PIL", module="pytok_sm.cli")


def test_qr_png_without_pillow_is_exit_2_before_any_qr_code(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    png = tmp_path / "qr.png"
    done = subprocess.run(
        [*PYTOK_WITHOUT_PILLOW, *sandbox_flags(sandbox, tmp_path / "t.json"), "login", "--qr", "--qr-png", str(png),
         "--timeout", "5"],
        capture_output=True, text=True, timeout=60, env=pytok.env, cwd=tmp_path,
    )
    assert sandbox.count("get_qrcode") == 0 and sandbox.requests == [], done.stdout
    assert "Scan this QR code" not in done.stdout and not png.exists()
    assert done.returncode == 2, done.stdout + done.stderr
    assert_one_line_error(done.stderr, "--qr-png needs Pillow", "pip install pillow", "--qr-svg")


def test_the_library_says_the_same_and_svg_needs_nothing_more(tmp_path: Path) -> None:
    code = (
        "from pytok_sm import qr, ConfigurationError\n"
        "print(qr.write_svg('https://example.com', 'qr.svg'))\n"
        "for attempt in (qr.require_png, lambda: qr.write_png('https://example.com', 'qr.png')):\n"
        "    try:\n"
        "        attempt()\n"
        "    except ConfigurationError as error:\n"
        "        print('ERROR:', error)\n"
    )
    done = subprocess.run(python_hiding("PIL", code=code), cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "qr.svg" and (tmp_path / "qr.svg").is_file()
    assert len(lines) == 3
    assert all(line.startswith("ERROR: qr_png: ") and "pip install pillow" in line for line in lines[1:])
    assert not (tmp_path / "qr.png").exists()
