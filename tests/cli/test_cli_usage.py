"""The ``pytok`` command's surface: version, help, exit codes, one-line errors (real subprocesses)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import pytok_sm
import pytok_sm.cli
from pytok_sm.cli.exits import EXIT_CODES_TABLE

from .helpers import Pytok


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    """Exactly one line, ``pytok: error: ...``, no traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pytok: error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version(pytok: Pytok) -> None:
    result = pytok.run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"pytok {pytok_sm.__version__}"


def test_python_dash_m_pytok_sm_is_the_same_command(pytok: Pytok) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytok_sm", "--version"], capture_output=True, text=True, env=pytok.env, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == f"pytok {pytok_sm.__version__}"


def test_the_console_script_is_installed(pytok: Pytok) -> None:
    import shutil

    script = shutil.which("pytok")
    if script is None:
        pytest.skip("the pytok console script is not on PATH (package not installed with pip)")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, env=pytok.env, timeout=60)
    assert done.stdout.strip() == f"pytok {pytok_sm.__version__}"


def test_help_lists_every_command_and_the_exit_codes(pytok: Pytok) -> None:
    result = pytok.run("--help")
    assert result.returncode == 0
    for name in ("login", "refresh", "revoke", "whoami", "token", "sandbox", "diagrams"):
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), name
    assert EXIT_CODES_TABLE in result.stdout
    for flag in ("--version", "--log-format", "--verbose", "--store", "--client-key", "--client-secret"):
        assert flag in result.stdout
    assert "--authorization-url" not in result.stdout  # hidden


def test_the_module_docstring_documents_the_same_exit_codes() -> None:
    doc = pytok_sm.cli.__doc__ or ""
    for line in EXIT_CODES_TABLE.splitlines()[1:]:
        assert line.strip() in doc


def test_subcommand_help_shows_its_flags(pytok: Pytok) -> None:
    result = pytok.run("login", "--help")
    for flag in ("--qr", "--no-browser", "--port", "--scopes", "--timeout", "--redirect-uri", "--qr-png", "--qr-svg", "--sandbox"):
        assert flag in result.stdout
    assert "130" in result.stdout


def test_no_command_is_a_usage_error(pytok: Pytok) -> None:
    result = pytok.run()
    assert result.returncode == 2
    assert "pytok: error: a command is required" in result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--bogus", "token"], "unrecognized arguments: --bogus"),
        (["login", "--timeout", "soon"], "'soon' is not a number of seconds"),
        (["login", "--timeout", "0"], "must be 1..86400 seconds"),
        (["--log-format", "xml", "token"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(pytok: Pytok, args: list[str], fragment: str) -> None:
    result = pytok.run(*args)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, fragment)


def test_global_options_work_after_the_command_too(pytok: Pytok) -> None:
    before = pytok.run("--client-key", "aw_k", "token")
    after = pytok.run("token", "--client-key", "aw_k")
    assert before.returncode == after.returncode == 3
    assert before.stderr == after.stderr


def test_missing_client_key(pytok: Pytok) -> None:
    result = pytok.run("token")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no client key", "PYTOK_CLIENT_KEY")


def test_missing_client_secret(pytok: Pytok) -> None:
    result = pytok.run("refresh", env={"PYTOK_CLIENT_KEY": "aw_k"})
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no client secret", "PYTOK_CLIENT_SECRET")


def test_bad_configuration_is_exit_2_naming_the_field(pytok: Pytok) -> None:
    result = pytok.run(
        "login", "--no-browser", "--scopes", "NOT A SCOPE", env={"PYTOK_CLIENT_KEY": "aw_k", "PYTOK_CLIENT_SECRET": "s3cr3t-value"}
    )
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "scopes:")
    assert "s3cr3t-value" not in result.stderr


def test_redirect_uri_port_mismatch_is_a_configuration_error(pytok: Pytok) -> None:
    result = pytok.run(
        "login", "--no-browser", "--port", "4000", "--redirect-uri", "http://127.0.0.1:5000/callback/",
        env={"PYTOK_CLIENT_KEY": "aw_k", "PYTOK_CLIENT_SECRET": "s"},
    )
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "redirect_uri")


def test_qr_files_need_qr(pytok: Pytok) -> None:
    result = pytok.run("login", "--qr-png", "x.png", env={"PYTOK_CLIENT_KEY": "aw_k", "PYTOK_CLIENT_SECRET": "s"})
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "--qr-png and --qr-svg go with --qr")


@pytest.mark.parametrize("command", ["token", "whoami", "refresh", "revoke"])
def test_not_logged_in_is_exit_3(pytok: Pytok, command: str) -> None:
    result = pytok.run(command, env={"PYTOK_CLIENT_KEY": "aw_k", "PYTOK_CLIENT_SECRET": "s"})
    assert result.returncode == 3
    assert_one_line_error(result.stderr, "not logged in", "aw_k", str(pytok.default_store), "pytok login")


def test_verbose_adds_the_traceback(pytok: Pytok) -> None:
    result = pytok.run("-v", "token", env={"PYTOK_CLIENT_KEY": "aw_k"})
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("pytok: error: not logged in")


def test_importing_pytok_sm_loads_neither_the_cli_nor_qrcode(pytok: Pytok) -> None:
    code = "import sys, pytok_sm; print(sorted(m for m in ('qrcode', 'PIL', 'pytok_sm.cli', 'pytok_sm.qr', 'pytok_sm.sandbox') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=pytok.env, timeout=60)
    assert done.stdout.strip() == "[]"


def test_version_does_not_import_qrcode_or_the_sandbox(pytok: Pytok) -> None:
    code = (
        "import sys\nfrom pytok_sm import cli\ntry:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('qrcode', 'pytok_sm.sandbox') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=pytok.env, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]"
