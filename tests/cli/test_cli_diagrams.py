"""``pytok diagrams``: writes the flow diagrams; ``--check`` passes on the repo, fails on a stale copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from .helpers import REPO, Pytok
from .test_cli_usage import assert_one_line_error


def test_check_passes_on_the_repository_diagrams(pytok: Pytok) -> None:
    result = pytok.run("diagrams", "--check", "--dir", str(REPO / "diagrams"))
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_check_defaults_to_the_diagrams_directory_of_the_working_directory(pytok: Pytok) -> None:
    result = pytok.run("diagrams", "--check", cwd=REPO)
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_copy(pytok: Pytok, tmp_path: Path) -> None:
    copy = tmp_path / "diagrams"
    shutil.copytree(REPO / "diagrams", copy)
    stale = copy / "revoke.md"
    stale.write_text(stale.read_text().replace("revoking", "revoking_by_hand", 1))
    (copy / "qr.md").unlink()
    result = pytok.run("diagrams", "--check", "--dir", str(copy))
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "diagrams out of date", "qr.md", "revoke.md", f"pytok diagrams --dir {copy}")


def test_write_then_check(pytok: Pytok, tmp_path: Path) -> None:
    target = tmp_path / "out"
    written = pytok.run("diagrams", "--dir", str(target))
    assert written.returncode == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in (REPO / "diagrams").glob("*.md"))
    assert f"wrote {target / 'browser.md'}" in written.stdout
    assert pytok.run("diagrams", "--check", "--dir", str(target)).returncode == 0
