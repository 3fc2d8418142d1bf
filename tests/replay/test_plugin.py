"""The pytest plugin, used as an app's own test suite would: record, replay, lose a cassette.

pytester cannot be enabled from this folder's conftest (pytest refuses ``pytest_plugins``
outside the root conftest), so the user's suite runs in a pytest subprocess, with the
pytok_sm and pytest-recording plugins loaded from their entry points as in a real project.
The suite is the README's example (found by its marker in README.md, or in the section
waiting in docs-snippets/ to be merged) plus tests where TikTok is an httpx.MockTransport
that only the recording run may reach.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytok_sm.testing import find_unscrubbed

USERS_TESTS = textwrap.dedent(
    '''
    import httpx
    import pytest

    from pytok_sm import LoginKit

    CALLS = []
    SAVED = {"access_token": "act.USERS0OLD0ACCESS0TOKEN0000", "expires_in": 7200, "open_id": "u1",
             "refresh_token": "rft.USERS0OLD0REFRESH0TOKEN000", "scope": "user.info.basic"}


    def tiktok(request):
        CALLS.append(request.url.path)
        return httpx.Response(200, json={
            "access_token": "act.USERS0NEW0ACCESS0TOKEN0000", "expires_in": 7200, "open_id": "u1",
            "refresh_expires_in": 86400, "refresh_token": "rft.USERS0NEW0REFRESH0TOKEN000",
            "scope": "user.info.basic", "token_type": "Bearer"})


    def make_kit(random=None):
        kw = {} if random is None else {"random": random}
        return LoginKit("aw_key", "users-canary-secret-5c1d", transport=httpx.MockTransport(tiktok), token=SAVED, **kw)


    def test_refresh(pytok_vcr, pytok_transitions):
        with pytok_vcr.use():
            token = make_kit(pytok_vcr.random).refresh_access_token()
        assert token.refresh_token.startswith("rft.")
        assert [e["dest"] for e in pytok_transitions] == ["refreshing", "refreshed"]
        assert bool(CALLS) == pytok_vcr.record  # a replay never reaches TikTok


    def test_whole_test_cassette(pytok_cassette):
        assert make_kit().refresh_access_token().access_token.startswith("act.")


    @pytest.fixture
    def vcr_config():
        from pytok_sm.testing import vcr_config
        return vcr_config()


    @pytest.mark.vcr
    def test_with_pytest_recording():
        assert make_kit().refresh_access_token().access_token.startswith("act.")
    '''
)
SECRETS = ("users-canary-secret-5c1d", "USERS0OLD0", "USERS0NEW0")
REPO = Path(__file__).resolve().parents[2]
MARKER = "<!-- example: pytok_vcr -->"


def readme_example() -> str:
    """The example test of the README's cassette section (or of its pending snippet)."""
    for source in (REPO / "README.md", REPO / "docs-snippets" / "cassettes.md"):
        text = source.read_text(encoding="utf-8") if source.is_file() else ""
        found = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)```", text, re.DOTALL)
        if found:
            return found.group(1)
    raise AssertionError(f"no example marked {MARKER} in README.md or docs-snippets/cassettes.md")


#: A test whose cassette was never recorded (or was deleted): it must fail, clearly.
LOST_CASSETTE = textwrap.dedent(
    """
    def test_lost(pytok_vcr):
        with pytok_vcr.use():
            pass
    """
)


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTOK_RECORD", "PYTEST_ADDOPTS")}
    plain = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest"]  # hypothesis costs a second to load
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plain, "--rootdir", str(folder), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def users_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("users_app")
    (folder / "test_users_app.py").write_text(USERS_TESTS, encoding="utf-8")
    (folder / "test_readme_example.py").write_text(readme_example(), encoding="utf-8")
    (folder / "test_lost_cassette.py").write_text(LOST_CASSETTE, encoding="utf-8")
    recorded = pytest_in(folder, "--pytok-record", "--record-mode=once", "--deselect", "test_lost_cassette.py::test_lost")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    return folder


@pytest.fixture(scope="module")
def replayed(users_project: Path) -> subprocess.CompletedProcess[str]:
    """The default run: replay, with pytest-recording's network block on top."""
    return pytest_in(users_project, "--block-network")


def test_recording_writes_one_scrubbed_cassette_per_test(users_project: Path) -> None:
    cassettes = sorted(p.name for p in (users_project / "cassettes" / "test_users_app").iterdir())
    assert cassettes == ["test_refresh.yaml", "test_whole_test_cassette.yaml", "test_with_pytest_recording.yaml"]
    example = users_project / "cassettes" / "test_readme_example" / "test_profile_after_refresh.yaml"
    assert "https://open.tiktokapis.com/v2/user/info/?fields=display_name" in example.read_text(encoding="utf-8")
    assert find_unscrubbed(example.read_text(encoding="utf-8")) == []
    for path in (users_project / "cassettes").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "client_secret=scrubbed-client-secret" in text and "rft.scrubbed-" in text
        assert not [secret for secret in SECRETS if secret in text], path.name


def test_replaying_is_the_default_and_offline(replayed: subprocess.CompletedProcess[str]) -> None:
    assert "1 failed, 4 passed" in replayed.stdout, replayed.stdout + replayed.stderr
    assert "FAILED test_lost_cassette.py::test_lost" in replayed.stdout  # and nothing else failed


def test_a_lost_cassette_fails_its_test_with_a_clear_message(replayed: subprocess.CompletedProcess[str]) -> None:
    assert "CassetteMissing: cassette cassettes/test_lost_cassette/test_lost.yaml does not exist" in replayed.stdout
    assert "PYTOK_RECORD=1 (or pytest --pytok-record)" in replayed.stdout
    assert not [secret for secret in SECRETS if secret in replayed.stdout + replayed.stderr]
