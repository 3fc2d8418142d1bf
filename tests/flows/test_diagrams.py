"""diagrams/ and the README's embedded diagrams are generated from the machines and checked."""

from __future__ import annotations

import shutil
from pathlib import Path

from pytok_sm import _diagrams as diagrams
from pytok_sm.flows import FLOWS, RevokeFlow
from pytok_sm.flows._base import StateSpec, t

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_diagrams_match_the_code() -> None:
    assert diagrams.check(ROOT / "diagrams", ROOT / "README.md") == []


def test_every_flow_has_a_diagram_file() -> None:
    assert sorted(p.stem for p in (ROOT / "diagrams").glob("*.md")) == sorted(FLOWS)


def test_a_stale_diagram_is_reported(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "diagrams", tmp_path / "diagrams")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    target = tmp_path / "diagrams" / "revoke.md"
    target.write_text(target.read_text().replace("token_revoked", "renamed"))
    readme = tmp_path / "README.md"
    readme.write_text(readme.read_text().replace("revoking --> revoked", "revoking --> gone"))
    assert diagrams.check(tmp_path / "diagrams", readme) == ["revoke.md", "README.md"]
    diagrams.write(tmp_path / "diagrams", readme)
    assert diagrams.check(tmp_path / "diagrams", readme) == []


def test_the_diagram_is_drawn_from_the_machine_table() -> None:
    class Tiny(RevokeFlow):
        KIND = "tiny"
        STATES = (StateSpec("created"), StateSpec("done", final=True))
        TRANSITIONS = (t("finish", "created", "done"),)

    assert diagrams.mermaid(Tiny) == "stateDiagram-v2\n    [*] --> created\n    created --> done: finish\n    done --> [*]\n"
    assert diagrams.edges(RevokeFlow) == [
        ("created", "revoking", "start"),
        ("created", "cancelled", "cancel"),
        ("revoking", "revoking", "retry"),
        ("revoking", "revoked", "token_revoked"),
        ("revoking", "cancelled", "cancel"),
        ("revoking", "failed", "fail"),
    ]
