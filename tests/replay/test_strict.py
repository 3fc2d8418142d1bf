"""Replay is strict, and says why without printing a secret.

Each case damages a copy of the committed cassettes and replays a scenario against it:
a deleted cassette, a request the recording does not have (a changed value, a forgotten
field), a request sent more often than recorded, a recorded answer nobody asked for.
"""

from __future__ import annotations

import shutil
import urllib.parse
from pathlib import Path

import pytest

from pytok_sm.testing import CassetteMismatch, CassetteMissing, CassetteUnplayed

from .scenarios import CASSETTES, RECORD_COMMAND, ReplayWorld, by_name, replay

#: Everything secret the replaying kit holds: none of it may appear in a message.
LIVE_SECRETS = (
    ReplayWorld.CLIENT_SECRET,
    ReplayWorld().tokens()["access_token"],
    ReplayWorld().tokens()["refresh_token"],
    "replayed*code!",
    urllib.parse.quote("replayed*code!", safe=""),
)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "cassettes"
    shutil.copytree(CASSETTES, target)
    return target


def assert_no_secret(message: str) -> None:
    for secret in LIVE_SECRETS:
        assert secret not in message


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


@pytest.mark.parametrize("name", ["browser/deny", "refresh/rotation", "qr/confirmed"])
def test_a_deleted_cassette_fails_its_test_naming_the_cassette_and_the_command(copy: Path, name: str) -> None:
    (copy / f"{name}.yaml").unlink()
    with pytest.raises(CassetteMissing) as failure:
        replay(by_name(name), copy)
    message = str(failure.value)
    assert f"{name}.yaml does not exist" in message
    assert f"{RECORD_COMMAND} {name}" in message
    assert_no_secret(message)


def test_a_changed_value_fails_naming_method_path_and_field(copy: Path) -> None:
    # The recording says the second refresh sent rft.scrubbed-2 (the rotated token); make it
    # expect another one, as if the client had sent something else.
    edit(copy / "refresh/rotation.yaml", "refresh_token=rft.scrubbed-2", "refresh_token=rft.scrubbed-9")
    with pytest.raises(CassetteMismatch) as failure:
        replay(by_name("refresh/rotation"), copy)
    message = str(failure.value)
    assert "refresh/rotation.yaml has no answer for POST https://open.tiktokapis.com/v2/oauth/token/" in message
    assert "different values in refresh_token" in message
    assert "Nothing was sent to the network" in message
    assert_no_secret(message)


def test_a_forgotten_field_fails_to_match(copy: Path) -> None:
    """Placeholders, not removal: a request without a recorded field is a different request."""
    edit(copy / "browser/success.yaml", "&code_verifier=scrubbed-code-verifier", "&code_verifier=scrubbed-code-verifier&device_id=d1")
    with pytest.raises(CassetteMismatch) as failure:
        replay(by_name("browser/success"), copy)
    assert "form fields differ: missing device_id" in str(failure.value)
    assert_no_secret(str(failure.value))


def test_a_request_sent_more_often_than_recorded_fails(copy: Path) -> None:
    path = copy / "user_info/rate_limited.yaml"
    text = path.read_text(encoding="utf-8")
    second = text.index("- request:", text.index("- request:") + 1)
    end = text.index("version:")
    path.write_text(text[:second] + text[end:], encoding="utf-8")  # keep the 429 only: the retry has no answer
    with pytest.raises(CassetteMismatch) as failure:
        replay(by_name("user_info/rate_limited"), copy)
    message = str(failure.value)
    assert "GET https://open.tiktokapis.com/v2/user/info/?fields=" in message
    assert "already answered" in message
    assert_no_secret(message)


def test_a_recorded_answer_nobody_asked_for_fails(copy: Path) -> None:
    path = copy / "revoke/success.yaml"
    text = path.read_text(encoding="utf-8")
    head, interactions = text.split("interactions:\n", 1)
    body, version = interactions.rsplit("version:", 1)
    path.write_text(f"{head}interactions:\n{body}{body}version:{version}", encoding="utf-8")
    with pytest.raises(CassetteUnplayed) as failure:
        replay(by_name("revoke/success"), copy)
    assert "1 recorded request(s) were never made: POST https://open.tiktokapis.com/v2/oauth/revoke/" in str(failure.value)


def test_an_empty_cassette_means_no_request_at_all(copy: Path) -> None:
    """browser/deny holds no interaction: a denial must not reach TikTok's API."""
    assert "interactions: []" in (copy / "browser/deny.yaml").read_text(encoding="utf-8")
    shutil.copy(copy / "browser/deny.yaml", copy / "browser/success.yaml")
    with pytest.raises(CassetteMismatch) as failure:
        replay(by_name("browser/success"), copy)
    assert "POST https://open.tiktokapis.com/v2/oauth/token/" in str(failure.value)
    assert "nothing like it was recorded" in str(failure.value)
    assert_no_secret(str(failure.value))


def test_the_committed_cassettes_are_untouched_by_these_tests() -> None:
    assert ReplayWorld.CLIENT_SECRET not in "".join(p.read_text() for p in CASSETTES.rglob("*.yaml"))
