"""Every cassette replayed offline: the flow's outcome and its transition events.

The expectations live with the scenarios (:mod:`tests.replay.scenarios`): the recorder
checked them against the emulator when it wrote the cassette, these tests check them
again with nothing but the cassette answering.
"""

from __future__ import annotations

import asyncio

import pytest

from pytok_sm import AsyncLoginKit, Token
from pytok_sm.testing import DeterministicRandom, capture_transitions, use_cassette

from .scenarios import (
    CASSETTES,
    CLIENT_KEY,
    SCENARIOS,
    SCRUB_OPTIONS,
    SEED,
    ReplayWorld,
    Scenario,
    kit_settings,
    replay,
)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay(scenario: Scenario) -> None:
    outcome = replay(scenario)
    scenario.expect(outcome)
    token = outcome.kit.token if outcome.kit else None
    if token is not None and token.access_token != ReplayWorld().tokens()["access_token"]:
        # Whatever the kit holds now came out of the cassette: a placeholder, never a secret.
        assert token.access_token.startswith("act.scrubbed-"), token
        assert (token.refresh_token or "").startswith("rft.scrubbed-"), token


def test_replayed_events_carry_the_recorded_log_ids() -> None:
    outcome = replay(next(s for s in SCENARIOS if s.name == "user_info/token_invalid"))
    failed = outcome.event("fail", "user_info")
    assert failed["log_id"] == "2026010100000000000000000000000001"


def test_the_async_kit_replays_the_same_cassette() -> None:
    """vcrpy serves httpx.AsyncClient from the same cassette as the sync kit."""
    world = ReplayWorld()

    async def main() -> list[Token]:
        settings = kit_settings(random=DeterministicRandom(SEED))
        async with AsyncLoginKit(CLIENT_KEY, "another-secret", token=world.tokens(), **settings) as kit:
            return [await kit.refresh_access_token(), await kit.refresh_access_token()]

    with capture_transitions() as events, use_cassette(CASSETTES / "refresh/rotation.yaml", record=False, **SCRUB_OPTIONS):
        first, second = asyncio.run(main())
    assert (first.refresh_token, second.refresh_token) == ("rft.scrubbed-2", "rft.scrubbed-4")
    assert [e["dest"] for e in events] == ["refreshing", "refreshed"] * 2
