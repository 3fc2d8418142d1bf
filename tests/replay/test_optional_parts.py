"""Without vcrpy (the ``test`` extra), the cassette helpers say what to install, first.

They used to fail with a bare ``No module named 'vcr'``, and the ``pytok_vcr`` fixture only
once the test was under way (after the kit was made, when it asked for the cassette). vcrpy
is hidden in a subprocess (:mod:`tests.hide_modules`), as on a machine without it.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from ..hide_modules import python_hiding

INSTALL = ("pip install vcrpy", "pip install -e '.[test]'")


def run_without_vcr(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_hiding("vcr", code=textwrap.dedent(code)), cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def test_the_helpers_name_the_install_command_and_the_rest_of_testing_still_works(tmp_path: Path) -> None:
    done = run_without_vcr(
        """
        import pytok_sm.testing as testing

        assert testing.FakeClock(5.0).advance(1) == 6.0      # what needs no vcrpy keeps working
        assert testing.vcr_config()["match_on"][-1] == "pytok_body"
        for attempt in (lambda: testing.make_vcr("cassettes"),
                        lambda: testing.use_cassette("cassettes/missing.yaml").__enter__(),
                        lambda: testing.CassetteLibrary("cassettes").use().__enter__()):
            try:
                attempt()
            except ModuleNotFoundError as error:
                assert error.name == "vcr", error.name
                print("ERROR:", error)
            else:
                raise AssertionError("no error")
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 3
    for line in errors:
        assert "vcrpy" in line and all(command in line for command in INSTALL), line
    assert not (tmp_path / "cassettes").exists()


USERS_TESTS = '''
import json
from pathlib import Path

import httpx
import pytest

from pytok_sm import LoginKit

SAVED = {"access_token": "act.a", "refresh_token": "rft.r", "expires_in": 7200, "open_id": "u1",
         "scope": "user.info.basic"}
CALLS = Path(__file__).with_name("calls.txt")


def tiktok(request):
    with CALLS.open("a") as calls:
        calls.write(f"{request.method} {request.url}\\n")
    return httpx.Response(200, json={**SAVED, "access_token": "act.b", "refresh_token": "rft.s"})


@pytest.fixture
def kit(pytok_vcr):
    with LoginKit("aw_key", "secret", token=SAVED, transport=httpx.MockTransport(tiktok),
                  random=pytok_vcr.random) as kit:
        kit.refresh_access_token()  # a request while the fixture is made
        yield kit


def test_with_the_kit_fixture(kit, pytok_cassette):
    kit.refresh_access_token()


def test_with_a_block(pytok_vcr):
    kit = LoginKit("aw_key", "secret", token=SAVED, transport=httpx.MockTransport(tiktok))
    kit.refresh_access_token()
    with pytok_vcr.use():
        kit.refresh_access_token()
'''


@pytest.mark.parametrize("mode", ["replay", "record"])
def test_the_fixtures_fail_at_setup_naming_the_install_command_before_any_request(tmp_path: Path, mode: str) -> None:
    (tmp_path / "test_users_app.py").write_text(USERS_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTOK_RECORD", "PYTEST_ADDOPTS")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no pytest-recording: it needs vcrpy too
    record = ["--pytok-record"] if mode == "record" else []
    done = subprocess.run(
        [*python_hiding("vcr", code="import sys, pytest; sys.exit(pytest.main(sys.argv[1:]))"),
         "-p", "pytok_sm.testing.plugin", "-p", "no:cacheprovider", "-q", "-rE", "--rootdir", str(tmp_path), *record],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    output = done.stdout + done.stderr
    assert "2 errors" in output, output  # at setup, not as failures of the tests' bodies
    assert output.count("pip install vcrpy") >= 2 and "pip install -e '.[test]'" in output
    assert "No module named 'vcr'\n" not in output and "Traceback" not in output and "During handling" not in output
    assert not (tmp_path / "calls.txt").exists(), "a request was made before the missing vcrpy was said"
    assert not (tmp_path / "cassettes").exists()
