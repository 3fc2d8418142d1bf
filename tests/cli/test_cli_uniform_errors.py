"""Every ``pytok`` subcommand fails the same way: ``pytok: error: <message> (see pytok <command> --help)``
on one line, exit 2 for usage, exit 1 for a failure; never another program's name."""

from __future__ import annotations

import socket

import pytest

from .sandbox_helpers import ServicePytok, service_fixture  # noqa: F401 - the service fixture
from .test_cli_usage import assert_one_line_error


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["sandbox", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok sandbox --help)"]),
        (["sandbox", "start", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok sandbox start --help)"]),
        (["sandbox", "stop", "extra"], ["unrecognized arguments: extra", "(see pytok sandbox stop --help)"]),
        (["sandbox", "approve", "--wait", "soon"], ["argument --wait", "(see pytok sandbox approve --help)"]),
        (["sandbox", "--port", "99999"], ["argument --port: must be 0..65535, got 99999", "(see pytok sandbox --help)"]),
        (["sandbox", "--port", "-1"], ["argument --port: must be 0..65535, got -1"]),
        (["sandbox", "--qr-lifetime", "0"], ["argument --qr-lifetime", "(see pytok sandbox --help)"]),
        (["sandbox", "--code-lifetime", "nan"], ["argument --code-lifetime"]),
        (["sandbox", "--token-lifetimes", "forever"], ["argument --token-lifetimes: invalid choice"]),
        (["sandbox", "reboot"], ["invalid choice: 'reboot'", "(see pytok sandbox --help)"]),
        (["login", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok login --help)"]),
        (["whoami", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok whoami --help)"]),
        (["demo", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok demo --help)"]),
        (["diagrams", "--bogus"], ["unrecognized arguments: --bogus", "(see pytok diagrams --help)"]),
        (["--bogus", "token"], ["unrecognized arguments: --bogus", "(see pytok token --help)"]),
    ],
)
def test_usage_errors_are_one_pytok_line_and_exit_2(service: ServicePytok, args: list[str], fragments: list[str]) -> None:
    result = service.run(*args)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, *fragments)
    assert "python -m" not in result.stderr and "usage:" not in result.stderr
    assert result.stdout == ""


def test_the_sandbox_help_names_pytok_sandbox_and_its_actions(service: ServicePytok) -> None:
    result = service.run("sandbox", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: pytok sandbox ")
    for action in ("start", "stop", "status", "env", "approve", "deny"):
        assert action in result.stdout
    for flag in ("--port", "--token-lifetimes", "--code-lifetime", "--qr-lifetime"):
        assert flag in result.stdout
    assert "python -m" not in result.stdout


def test_a_busy_port_for_the_sandbox_is_one_pytok_line_exit_1(service: ServicePytok) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = service.run("sandbox", "--port", str(port))
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"cannot serve on 127.0.0.1:{port}: address already in use")
