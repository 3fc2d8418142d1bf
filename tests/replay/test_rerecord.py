"""Recording again reproduces the committed cassettes byte for byte, with no secret inside.

One recording run (every scenario, a fresh emulator each, the app registered with a canary
client secret) serves both checks: the canary and every token, code, QR polling token and
PKCE verifier the run used must be absent from what it wrote, and what it wrote must be
the committed files exactly (so the canary secret made no difference either).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytok_sm.testing import find_unscrubbed

from .record import ALL_SCENARIOS, Recording, record
from .scenarios import CASSETTES

CANARY_SECRET = "canary-client-secret-7f3a9c2e5b"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recording]:
    out = tmp_path_factory.mktemp("cassettes")
    return out, record(out=out, client_secret=CANARY_SECRET, log=lambda line: None)


def test_rerecording_reproduces_the_committed_cassettes(recording: tuple[Path, Recording]) -> None:
    out, _ = recording
    written = sorted(p.relative_to(out) for p in out.rglob("*.yaml"))
    assert written == sorted(p.relative_to(CASSETTES) for p in CASSETTES.rglob("*.yaml"))
    different = [str(p) for p in written if (out / p).read_bytes() != (CASSETTES / p).read_bytes()]
    assert different == [], f"re-recorded cassettes differ from the committed ones: {different}"


def test_no_secret_used_while_recording_is_in_any_cassette(recording: tuple[Path, Recording]) -> None:
    out, result = recording
    assert len(result.secrets) > 40  # the inventory is real: client secret, tokens, codes, verifiers
    assert any(label.endswith("client_secret") for label in result.secrets)
    assert any("verifier" in label for label in result.secrets)
    assert any("QR polling token" in label for label in result.secrets)
    assert sum("upload token" in label for label in result.secrets) >= 6  # one per init of a file upload
    findings = [
        str(finding)
        for path in sorted(out.rglob("*.yaml"))
        for finding in find_unscrubbed(path.read_text(encoding="utf-8"), result.secrets, path=str(path.relative_to(out)))
    ]
    assert findings == []


def test_the_inventory_covers_every_scenario(recording: tuple[Path, Recording]) -> None:
    _, result = recording
    assert sorted(result.paths) == sorted(s.name for s in ALL_SCENARIOS)
    assert all(any(label.startswith(f"{s.name}: ") for label in result.secrets) for s in ALL_SCENARIOS)


def test_the_scan_would_catch_an_unscrubbed_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: with placeholders switched off, the same scan reports the leak
    (by label and a few characters, never the whole value)."""
    from pytok_sm.testing import Scrubber

    monkeypatch.setattr(Scrubber, "placeholder", lambda self, value, name, given=False: value)
    result = record(["refresh/rotation"], out=tmp_path, client_secret=CANARY_SECRET, log=lambda line: None)
    text = (tmp_path / "refresh" / "rotation.yaml").read_text(encoding="utf-8")
    findings = find_unscrubbed(text, result.secrets)
    kinds = {finding.kind for finding in findings}
    assert "refresh/rotation: client_secret" in {k.removeprefix("secret: ") for k in kinds}
    assert {"secret-shaped value", "token-shaped value"} <= kinds
    assert CANARY_SECRET not in " ".join(str(f) for f in findings)


def test_the_real_tiktok_recorder_writes_the_same_cassettes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--real`` aimed at the emulator, with a scripted person at the browser: an app with
    another client_key, logins done unrecorded first, the same files as the emulator's."""
    from pytok_sm.sandbox import App, Sandbox, default_apps
    from pytok_sm.testing import FakeBrowser

    from .record import record_real

    monkeypatch.setattr("webbrowser.open", lambda url: FakeBrowser()(url))
    app = App("realapp0key0of0a0person", CANARY_SECRET, "Someone's app", "desktop", default_apps()[0].redirect_uris)
    said: list[str] = []
    names = ["browser/success", "browser/pkce_mismatch", "refresh/rotation", "revoke/success", "user_info/success"]
    with Sandbox(apps=[app]) as sb:
        record_real(
            names,
            out=tmp_path,
            environ={"PYTOK_CLIENT_KEY": app.client_key, "PYTOK_CLIENT_SECRET": app.client_secret},
            say=said.append,
            settings={"authorization_url": sb.authorization_url, "base_api_url": sb.base_api_url},
        )
    assert not [line for line in said if "differs" in line], said
    for name in names:
        assert (tmp_path / f"{name}.yaml").read_bytes() == (CASSETTES / f"{name}.yaml").read_bytes(), name


def test_the_real_recorder_prompts_the_person_and_refuses_what_it_cannot_stage() -> None:
    from pytok_sm.testing import Scrubber

    from .record import RealWorld

    said: list[str] = []
    world = RealWorld("realapp0key", "s", Scrubber(), said.append)
    world.phone({1: "scan", 2: "confirm"})["show_qr"]("aweme://authorize?client_ticket=T")
    assert said[-1] == "   with the TikTok app: scan the code then confirm in the app"
    assert set(said[0]) <= set("▀▄█ \n")  # the QR code itself
    with pytest.raises(RuntimeError, match="cannot be staged against real TikTok"):
        world.fault("token", "html_5xx")
