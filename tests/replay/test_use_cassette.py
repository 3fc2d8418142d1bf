"""Recording and strict replay with the helpers pytok_sm.testing gives users: use_cassette,
vcr_config, make_vcr, CassetteLibrary and its DeterministicRandom.

The HTTP side is an httpx.MockTransport standing in for TikTok (vcrpy intercepts it like
any transport), so these tests need no emulator and no network.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr

from pytok_sm import LoginKit
from pytok_sm.testing import (
    CassetteLibrary,
    CassetteMismatch,
    DeterministicRandom,
    find_unscrubbed,
    make_vcr,
    match_body,
    match_content_range,
    use_cassette,
    vcr_config,
)

SAVED: dict[str, Any] = {
    "access_token": "act.saved0access0token0AAAAAAAA",
    "expires_in": 7200,
    "open_id": "u1",
    "refresh_expires_in": 86400,
    "refresh_token": "rft.saved0refresh0token0BBBBBBB",
    "scope": "user.info.basic",
}


def tiktok_stand_in(calls: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={
            "access_token": "act.issued0by0the0stand0in0001",
            "expires_in": 7200,
            "open_id": "u1",
            "refresh_expires_in": 86400,
            "refresh_token": "rft.issued0by0the0stand0in0002",
            "scope": "user.info.basic",
            "token_type": "Bearer",
        }, headers={"Content-Type": "application/json; charset=UTF-8"})

    return httpx.MockTransport(handle)


def test_use_cassette_records_scrubbed_then_replays_without_the_transport(tmp_path: Path) -> None:
    path = tmp_path / "refresh.yaml"
    calls: list[str] = []
    with use_cassette(path, record=True):
        with LoginKit("aw_key", "canary-secret-4d2f", transport=tiktok_stand_in(calls), token=SAVED) as kit:
            recorded = kit.refresh_access_token()
    text = path.read_text(encoding="utf-8")
    assert calls == ["/v2/oauth/token/"]
    for secret in ("canary-secret-4d2f", str(SAVED["refresh_token"]), str(recorded.refresh_token), recorded.access_token):
        assert secret not in text
    assert find_unscrubbed(text) == []

    other = {**SAVED, "refresh_token": "rft.any0other0saved0token00"}
    with use_cassette(path, record=False):
        with LoginKit("aw_key", "another-secret", transport=tiktok_stand_in(calls), token=other) as kit:
            replayed = kit.refresh_access_token()
    assert calls == ["/v2/oauth/token/"], "replay never reached the transport"
    assert (replayed.access_token, replayed.refresh_token) == ("act.scrubbed-1", "rft.scrubbed-2")


def test_an_unmatched_request_names_cassette_and_request_but_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "refresh.yaml"
    with use_cassette(path, record=True), LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED) as kit:
        kit.refresh_access_token()
    with pytest.raises(CassetteMismatch) as failure, use_cassette(path, record=False):
        with LoginKit("other_key", "canary-secret-9e1b", transport=tiktok_stand_in([]), token=SAVED) as kit:
            kit.refresh_access_token()
    message = str(failure.value)
    assert message.startswith(f"cassette {path} has no answer for POST https://open.tiktokapis.com/v2/oauth/token/")
    assert "different values in client_key" in message and "pytok-record" in message
    assert "canary-secret-9e1b" not in message and str(SAVED["refresh_token"]) not in message


def test_record_mode_follows_pytok_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTOK_RECORD", "1")
    path = tmp_path / "nothing.yaml"
    with use_cassette(path):
        pass
    assert path.read_text() == "interactions: []\nversion: 1\n"


def test_vcr_config_works_with_plain_vcrpy(tmp_path: Path) -> None:
    recorder = vcr.VCR(cassette_library_dir=str(tmp_path))
    recorder.register_matcher("pytok_range", match_content_range)
    recorder.register_matcher("pytok_body", match_body)
    with recorder.use_cassette("plain.yaml", record_mode="all", **vcr_config()):
        LoginKit("aw_key", "canary-secret-77", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    text = (tmp_path / "plain.yaml").read_text()
    assert "canary-secret-77" not in text and "client_secret=scrubbed-client-secret" in text
    with recorder.use_cassette("plain.yaml", record_mode="none", **vcr_config()):
        token = LoginKit("aw_key", "x", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    assert token.refresh_token == "rft.scrubbed-2"


def test_make_vcr_gives_each_cassette_a_fresh_scrubber(tmp_path: Path) -> None:
    recorder = make_vcr(tmp_path, record_mode="all")
    for name in ("one", "two"):
        with recorder.use_cassette(name):
            LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    for name in ("one", "two"):
        assert "refresh_token=rft.scrubbed-given-1" in (tmp_path / f"{name}.yaml").read_text()


def test_cassette_library_names_and_seeds_by_test(tmp_path: Path) -> None:
    library = CassetteLibrary(tmp_path, default_name="test_login[approve]")
    assert library.path() == tmp_path / "test_login_approve.yaml"
    assert library.random("abc", 12) == DeterministicRandom("test_login[approve]")("abc", 12)


def test_deterministic_random_is_repeatable_and_thread_safe() -> None:
    source = DeterministicRandom(42)
    values: list[str] = []
    threads = [threading.Thread(target=lambda: values.append(source("ab", 200))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    replayed = DeterministicRandom(42)
    assert sorted(values) == sorted(replayed("ab", 200) for _ in range(8))
    with pytest.raises(ValueError):
        source("", 3)


def test_nothing_secret_reaches_the_logs_while_recording(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """vcrpy logs raw answers at INFO before scrubbing them; use_cassette keeps them out."""
    caplog.set_level("DEBUG")
    with use_cassette(tmp_path / "logged.yaml", record=True):
        LoginKit("aw_key", "canary-secret-0b8e", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    logged = caplog.text
    for secret in ("canary-secret-0b8e", "act.issued0by0the0stand0in0001", "rft.issued0by0the0stand0in0002", SAVED["refresh_token"]):
        assert secret not in logged


def test_a_failed_rerecording_keeps_the_old_cassette(tmp_path: Path) -> None:
    path = tmp_path / "kept.yaml"
    with use_cassette(path, record=True):
        LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="the test broke"), use_cassette(path, record=True):
        LoginKit("aw_key", "s", transport=tiktok_stand_in([]), token=SAVED).refresh_access_token()
        raise RuntimeError("the test broke")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.yaml"]
