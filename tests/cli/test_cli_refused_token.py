"""A token TikTok refuses (revoked elsewhere) is marked in the token file, and a missing
scope comes with the command that fixes it: what a person sees on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import Sandbox

from .helpers import Pytok, sandbox_flags, seed_token
from .test_cli_terminal import PtyRun


def test_a_token_revoked_elsewhere_is_marked_and_the_next_command_says_log_in_again(
    pytok: Pytok, sandbox: Sandbox, tmp_path: Path
) -> None:
    store = tmp_path / "tokens.json"
    token = seed_token(sandbox, store)
    sandbox.kill_token(token.access_token)  # revoked from TikTok's side (another app, the user)
    sandbox.kill_token(token.refresh_token or "")
    first = pytok.run(*sandbox_flags(sandbox, store), "whoami")
    assert first.returncode == 3, first.stderr
    entry = json.loads(store.read_text())["clients"][sandbox.client_key]["accounts"][token.open_id]
    assert entry["refused"]["reason"] in ("invalid_grant", "access_token_invalid")
    requests_before = sandbox.count("token") + sandbox.count("user_info")
    run = PtyRun(pytok, *sandbox_flags(sandbox, store), "whoami")  # a person at a terminal
    try:
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 3
    assert "TikTok refused the stored token" in screen and "pytok login" in screen
    assert sandbox.count("token") + sandbox.count("user_info") == requests_before  # TikTok not asked again
    assert TokenStore(store).get(sandbox.client_key) == token  # kept, marked, until a login replaces it


def test_a_new_login_clears_the_mark(sandbox: Sandbox, tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    token = seed_token(sandbox, store.path)
    store.mark_refused(sandbox.client_key, token.open_id, "invalid_grant")
    assert store.refusal(sandbox.client_key) is not None
    store.save(sandbox.client_key, token)
    assert store.refusal(sandbox.client_key) is None


def test_a_missing_scope_names_the_login_that_grants_it(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    seed_token(sandbox, store)
    run = PtyRun(pytok, *sandbox_flags(sandbox, store), "whoami", "--fields", "display_name,follower_count")
    try:
        code, screen = run.finish()
    finally:
        run.kill()
    assert code == 1
    assert "scope_permission_missed" in screen or "scope_not_authorized" in screen
    assert "pytok login --scopes user.info.basic,user.info.stats" in " ".join(screen.split())
