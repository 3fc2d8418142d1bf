"""The documents that name tests and commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_named_in_the_robustness_table_exists() -> None:
    text = (ROOT / "tests" / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"([\w/]+\.py)::(\w+)", text))
    named |= {(f, t) for f, names in re.findall(r"`([\w/]+\.py)` \(([^)]*)\)", text)
              for t in re.findall(r"`(test_\w+)`", names)}
    assert len(named) > 40
    missing = [f"{f}::{t}" for f, t in sorted(named)
               if not re.search(rf"def {t}\b", (ROOT / "tests" / f).read_text(encoding="utf-8"))]
    assert missing == []


def test_every_row_of_robustness_md_is_in_the_table() -> None:
    text = (ROOT / "tests" / "README.md").read_text(encoding="utf-8")
    for heading in ("Loopback callback server", "Upstream faults", "Secrets", "Token storage on disk"):
        assert f"### {heading}" in text


def test_the_readme_quick_start_is_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick)
    assert commands == ["pip install -e '.[test]' && pytok demo", "pip install -e '.[test]' && pytest"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in script
    assert script.rstrip().endswith("pytest")


def python_blocks(marker: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if marker in block]


def test_the_readme_sandbox_example_runs() -> None:
    (block,) = python_blocks("with Sandbox() as sb:")
    exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own README


def test_the_readme_stepping_example_runs_and_ends_refreshed() -> None:
    import pytok_sm

    (block,) = python_blocks("RefreshFlow(kit.config")
    namespace: dict[str, object] = {"kit": pytok_sm.LoginKit("aw_key", "aw_secret")}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["flow"].state == "refreshed"  # type: ignore[attr-defined]


def test_the_docs_stand_on_the_repository_alone() -> None:
    """A person holding only the repository can follow every reference, press the buttons the
    README names and run the install command it gives."""
    docs = [ROOT / "README.md", ROOT / "tests" / "README.md", ROOT / "benchmarks" / "README.md"]
    texts = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in docs}
    for name, text in texts.items():
        assert "shared/" not in text, name  # the steering folder is not part of the repository
        for reference in re.findall(r"\bdocs/[\w./-]+\.md", text):
            assert (ROOT / reference).is_file(), (name, reference)
        assert "pip install pytok-sm" not in text, name  # not published: install from a checkout
    pages = (ROOT / "pytok_sm" / "sandbox" / "_pages.py").read_text(encoding="utf-8")
    labels = re.findall(r'id="(?:approve|deny)" name="decision" value="\w+">(\w+)</button>', pages)
    assert labels == ["Authorize", "Cancel"]  # the consent page's buttons, as a person sees them
    readme = texts["README.md"]
    assert "Authorize or Cancel" in readme and "Approve or Deny" not in readme and "presses Approve" not in readme
    for source in (ROOT / "pytok_sm").rglob("*.py"):
        assert "shared/" not in source.read_text(encoding="utf-8"), source
