"""The committed cassettes themselves: one per scenario, nothing secret, nothing local."""

from __future__ import annotations

import re

import pytest
import yaml

from pytok_sm.flows import QrFlow
from pytok_sm.testing import find_unscrubbed
from pytok_sm.testing._rewrite import API_ORIGIN
from pytok_sm.testing._scan import SECRET_SHAPED_RE

from .record import ALL_SCENARIOS
from .scenarios import CASSETTES, ReplayWorld

FILES = sorted(CASSETTES.rglob("*.yaml"))
#: Where requests go: TikTok's API, and (posting) the upload host of an init's upload_url.
API_PATHS = (API_ORIGIN + "/v2/", API_ORIGIN + "/upload/video/?")


def test_every_scenario_has_its_cassette_and_every_cassette_a_scenario() -> None:
    expected = {CASSETTES / s.cassette for s in ALL_SCENARIOS}
    assert set(FILES) == expected
    assert {p.parent.name for p in FILES} == {"browser", "qr", "refresh", "revoke", "user_info", "post_video"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_no_token_shaped_or_secret_looking_value(path: object) -> None:
    text = CASSETTES.joinpath(str(path)).read_text(encoding="utf-8")
    assert find_unscrubbed(text, path=str(path)) == []


def test_the_secret_shaped_pattern_finds_nothing() -> None:
    """The pattern over every committed cassette, as a scanner of the repository would run
    it, ignoring hits that say 'scrubbed' (or the like)."""
    hits = [
        m.group(0)[:10]
        for path in FILES
        for m in SECRET_SHAPED_RE.finditer(path.read_text(encoding="utf-8"))
        if not re.search(r"redacted|placeholder|<|scrubbed|filtered", m.group(0), re.IGNORECASE)
    ]
    assert hits == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_requests_go_to_tiktok_and_loopback_ports_are_canonical(path: object) -> None:
    text = CASSETTES.joinpath(str(path)).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        assert interaction["request"]["uri"].startswith(API_PATHS)
        assert "user-agent" not in interaction["request"]["headers"]
    # The emulator's port never shows: only the app's registered fixed redirect (3456, in a
    # QR confirmation) or the canonical loopback port of a wildcard redirect.
    assert set(re.findall(r"127\.0\.0\.1(?::|%3A)(\w+)", text)) <= {"3456", "PORT"}


def test_qr_state_and_ticket_in_cassettes_come_from_the_public_seed() -> None:
    """The QR state and client_ticket travel in cassettes by design: they are drawn from
    DeterministicRandom(SEED) (public, predictable), never from a real random source."""
    kit = ReplayWorld().kit()
    flow = QrFlow(kit.config)  # the values are drawn when the flow is made; nothing is sent
    kit.close()
    text = (CASSETTES / "qr/confirmed.yaml").read_text(encoding="utf-8")
    assert f"state={flow.csrf_state}" in text
    assert f'"client_ticket": "{flow.client_ticket}"' in text
