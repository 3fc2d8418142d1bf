"""Release readiness: ``python -m build`` makes an sdist and a wheel, and the wheel installed
into a fresh virtual environment runs ``pytok --version`` (issue 2, item 1).

The fresh environment gets the wheel itself with ``--no-deps --no-index`` (no network), and
finds the runtime dependencies through a ``.pth`` line naming this interpreter's
site-packages. A plain ``.pth`` path entry does not run the ``.pth`` files of that folder,
so the editable install of the working tree stays out: the test imports the wheel's copy.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def project_version() -> str:
    text = (ROOT / "pytok_sm" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    assert match, "pytok_sm/_version.py must define __version__"
    return match.group(1)


def run(*args: str | os.PathLike[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Isolated, as a release is built: the build backend comes from [build-system].
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out, timeout=300)
    return out


def test_build_makes_an_sdist_and_a_wheel(dist: Path) -> None:
    version = project_version()
    assert sorted(p.name for p in dist.iterdir()) == [
        f"pytok_sm-{version}-py3-none-any.whl",
        f"pytok_sm-{version}.tar.gz",
    ]


def test_wheel_contents(dist: Path) -> None:
    version = project_version()
    with zipfile.ZipFile(dist / f"pytok_sm-{version}-py3-none-any.whl") as wheel:
        names = set(wheel.namelist())
        info = f"pytok_sm-{version}.dist-info"
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    for module in ("__init__.py", "_version.py", "py.typed", "_config.py", "_tiktok.py", "_errors.py", "cli/__init__.py", "cli/__main__.py", "sandbox/__init__.py"):
        assert f"pytok_sm/{module}" in names
    assert not [n for n in names if n.startswith("tests/")]
    assert "Name: pytok-sm" in metadata
    assert f"Version: {version}" in metadata
    assert "Requires-Python: >=3.11" in metadata
    for requirement in ("transitions>=0.9.2", "httpx<1,>=0.28.1", "structlog>=25.5", "qrcode>=8.2"):
        assert f"Requires-Dist: {requirement}" in metadata
    assert re.search(r"^pytok\s*=\s*pytok_sm\.cli:main$", entry_points, re.MULTILINE)


def test_sdist_has_the_sources(dist: Path) -> None:
    version = project_version()
    with tarfile.open(dist / f"pytok_sm-{version}.tar.gz") as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "pytok_sm/__init__.py", "pytok_sm/py.typed", "PKG-INFO"} <= names


def test_wheel_installs_into_a_fresh_venv_and_runs_pytok_version(dist: Path, tmp_path: Path) -> None:
    version = project_version()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")

    wheel = dist / f"pytok_sm-{version}-py3-none-any.whl"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel,
        cwd=tmp_path)

    # Runtime dependencies: this interpreter's site-packages as plain path entries.
    site_dir = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                        cwd=tmp_path).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_dir / "_pytok_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")

    where = run(python, "-c", "import pytok_sm; print(pytok_sm.__file__)", cwd=tmp_path).stdout.strip()
    assert Path(where).resolve().is_relative_to(env_dir.resolve()), where

    done = run(bin_dir / "pytok", "--version", cwd=tmp_path)
    assert done.stdout.strip() == f"pytok {version}"
