"""Scanning (pytok_sm.testing.find_unscrubbed): what a cassette should not hold."""

from __future__ import annotations

from pytok_sm.testing import find_unscrubbed


def test_find_unscrubbed_reports_labels_never_values() -> None:
    text = "body: client_secret=abcdefgh12345678&code=c%2A1%21x\nstring: '{\"t\": \"act.Zz0123456789Zz0123\"}'\n"
    findings = find_unscrubbed(text, {"the code": "c*1!x", "absent": "nowhere-to-be-found"}, path="x.yaml")
    kinds = [(f.line, f.kind) for f in findings]
    assert (1, "secret-shaped value") in kinds and (2, "token-shaped value") in kinds and (1, "secret: the code") in kinds
    assert all("absent" not in f.kind for f in findings)
    assert "abcdefgh12345678" not in " ".join(map(str, findings))
