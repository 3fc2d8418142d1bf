"""The access token during a post, end to end: one that dies mid-post is renewed once (the
flow asks, the kit refreshes) and the post goes on; a kit backed by a token store posts too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pytok_sm
from pytok_sm.sandbox import Sandbox
from pytok_sm.stores import SQLiteStore
from pytok_sm.testing import capture_transitions

from .conftest import FAST
from .posting_support import CHUNK, SCOPES, SMALL, THREE_CHUNKS, planned, poster, sha256, video


def kill_when(state: str, sb: Sandbox, runner: Any) -> Any:
    """An ``on_progress`` that kills the kit's access token at TikTok once the post is in ``state``."""
    killed: list[str] = []

    def on_progress(progress: pytok_sm.PostProgress) -> None:
        if progress.state == state and not killed:
            killed.append(runner.kit.current_access_token)
            sb.kill_token(killed[0])

    return on_progress, killed


@pytest.mark.parametrize("state", ["processing", "uploading"])
def test_an_access_token_dying_mid_post_is_renewed_once(make_runner: Any, sandbox: Sandbox, tmp_path: Path,
                                                        state: str) -> None:
    runner = poster(make_runner, sandbox)
    path = video(tmp_path)
    on_progress, killed = kill_when(state, sandbox, runner)
    with capture_transitions(all_events=True) as events:
        result = runner("post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK, on_progress=on_progress)
    assert result.confirmed and killed and runner.kit.current_access_token != killed[0]
    assert sandbox.is_alive(runner.kit.current_access_token)
    assert sandbox.count("token") == 1  # one refresh
    (post,) = sandbox.posts
    assert (post.ranges, post.sha256) == (planned(THREE_CHUNKS, CHUNK), sha256(path))
    # Killed while uploading, the chunks still go (the upload URL is their credential); the
    # status call is the first to need a token again: it is renewed there, once.
    assert [e["dest"] for e in events if e.get("trigger") == "renew_token"] == ["processing"]
    assert [r.status for r in sandbox.requests if r.endpoint in ("publish_status", "upload")] == [
        206, 206, 201, 401, 200]


def test_a_token_that_stays_refused_after_renewal_is_an_error(make_runner: Any, sandbox: Sandbox,
                                                             tmp_path: Path) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.faults.add("publish_status", "api_error", code="access_token_invalid", status=401, times=2)
    with pytest.raises(pytok_sm.AccessTokenInvalid):
        runner("post_video", video(tmp_path, SMALL), privacy_level="SELF_ONLY")
    assert sandbox.count("token") == 1 and sandbox.count("publish_status") == 2  # renewed once, not twice


def test_a_kit_backed_by_a_store_posts(make_runner: Any, sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.switches.processing_seconds = 0
    granted = sandbox.issue_tokens(SCOPES)
    store = SQLiteStore(tmp_path / "accounts.db")
    store.put(sandbox.client_key, pytok_sm.Token.from_dict(granted))
    runner = make_runner(store=store, open_id=granted["open_id"], retry=FAST)
    path = video(tmp_path, 2 * CHUNK + 1)
    on_progress, killed = kill_when("processing", sandbox, runner)
    result = runner("post_video", path, privacy_level="SELF_ONLY", chunk_size=CHUNK, on_progress=on_progress)
    assert result.confirmed and sandbox.posts[0].sha256 == sha256(path)
    account = store.get(sandbox.client_key, granted["open_id"])
    assert account is not None and account.token.access_token != killed[0]  # the renewal went to the store
    assert sandbox.is_alive(account.token.access_token) and sandbox.count("token") == 1
    store.close()
