"""A request the cassette has no answer for, in a user's test with the ``pytok_cassette``
fixture: one :class:`~pytok_sm.testing.CassetteMismatch` with the command that records the
test again, and nothing else.

It used to be vcrpy's ``CannotOverwriteExistingCassetteException`` (advising vcrpy's
``record_mode='new_episodes'``, which the plugin does not use, and showing the request's
form in the frame's locals, client secret included), then a second error at teardown,
``CassetteUnplayed``, for the answer the failed request never got. As in test_plugin.py,
the user's suite runs in a pytest subprocess with the plugins loaded from their entry points.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USERS_TESTS = textwrap.dedent(
    '''
    import os

    import httpx
    import pytest

    from pytok_sm import LoginKit

    SAVED = {"access_token": "act.a", "refresh_token": "rft.r", "expires_in": 7200, "open_id": "u1",
             "scope": "user.info.basic"}


    def tiktok(request):
        return httpx.Response(200, json={**SAVED, "access_token": "act.b", "refresh_token": "rft.s"})


    def make_kit():
        # Replaying with CLIENT_KEY changed sends a request the cassette has no answer for.
        return LoginKit(os.environ.get("CLIENT_KEY", "aw_key"), "users-secret-9f3e", token=SAVED,
                        transport=httpx.MockTransport(tiktok))


    def test_refresh(pytok_cassette):
        make_kit().refresh_access_token()


    @pytest.fixture
    def refreshed(pytok_cassette):
        kit = make_kit()
        kit.refresh_access_token()  # while the fixture is made
        return kit


    def test_refresh_in_a_fixture(refreshed):
        assert refreshed.current_access_token


    def test_refresh_in_a_block(pytok_vcr):
        with pytok_vcr.use():
            make_kit().refresh_access_token()


    def test_fewer_requests(pytok_cassette):
        if not os.environ.get("FEWER"):
            make_kit().refresh_access_token()
    '''
)
SECRET = "users-secret-9f3e"


def pytest_in(folder: Path, *args: str, **env_changes: str) -> str:
    # CI and BUILD_NUMBER make pytest print whole messages in its summary too: the user's run
    # is an ordinary terminal run, where the message appears once.
    dropped = ("PYTOK_RECORD", "PYTEST_ADDOPTS", "CLIENT_KEY", "FEWER", "CI", "BUILD_NUMBER")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_changes)
    plain = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plain, "--rootdir", str(folder), *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def users_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("users_app")
    (folder / "test_app.py").write_text(USERS_TESTS, encoding="utf-8")
    recorded = pytest_in(folder, "--pytok-record")
    assert "4 passed" in recorded, recorded
    assert "4 passed" in pytest_in(folder), "the recording does not replay"
    return folder


@pytest.fixture(scope="module")
def mismatched(users_project: Path) -> str:
    return pytest_in(users_project, CLIENT_KEY="aw_other_key")


NODES = ["test_refresh", "test_refresh_in_a_fixture", "test_refresh_in_a_block", "test_fewer_requests"]


@pytest.mark.parametrize("node", NODES)
def test_a_mismatch_is_one_cassette_mismatch_naming_the_command_that_records_it_again(
    mismatched: str, node: str
) -> None:
    command = f"pytest --pytok-record test_app.py::{node}"
    message = (
        f"CassetteMismatch: cassette cassettes/test_app/{node}.yaml has no answer for POST "
        "https://open.tiktokapis.com/v2/oauth/token/: the closest recorded request differs in match_body: "
        "form fields differ: different values in client_key. Nothing was sent to the network (replay). "
        f"If the change is intended, re-record it: run the test with PYTOK_RECORD=1 (or pytest --pytok-record), "
        f"e.g. {command}"
    )
    assert mismatched.count(message) == 1, mismatched
    assert mismatched.count(f"{command}.") == 1  # nowhere else: not in a frame's locals either


def test_nothing_else_is_reported(mismatched: str) -> None:
    assert mismatched.strip().splitlines()[-1].startswith("3 failed, 1 error in "), mismatched  # the fixture's at setup
    assert "ERROR test_app.py::test_refresh_in_a_fixture" in mismatched
    assert "at teardown" not in mismatched and "CassetteUnplayed" not in mismatched
    assert "CannotOverwriteExistingCassetteException" not in mismatched and "new_episodes" not in mismatched
    assert SECRET not in mismatched  # vcrpy's frame locals used to show the whole request body


def test_an_answer_left_unasked_by_a_passing_test_is_still_reported(users_project: Path) -> None:
    output = pytest_in(users_project, FEWER="1")
    assert "ERROR at teardown of test_fewer_requests" in output
    unplayed = "CassetteUnplayed: cassette cassettes/test_app/test_fewer_requests.yaml: 1 recorded request(s) were never"
    assert unplayed in output
    assert output.strip().splitlines()[-1].startswith("4 passed, 1 error in "), output
