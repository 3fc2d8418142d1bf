"""The sandbox a person can keep using: ``pytok sandbox start|stop|status|env`` in the
background, ``--sandbox`` (or ``$PYTOK_SANDBOX``) on every command, stale state files.

Every ``pytok`` is a real subprocess in an isolated home (:mod:`tests.cli.sandbox_helpers`).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys

import httpx

from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import DEFAULT_CLIENT_KEY

from .helpers import free_port
from .sandbox_helpers import (  # noqa: F401 - fixtures
    Background,
    ServicePytok,
    background_fixture,
    env_lines,
    kill_quietly,
    pid_alive,
    port_open,
    service_fixture,
    stopped_at_the_end,
    wait_gone,
)
from .test_cli_usage import assert_one_line_error


# ------------------------------------------------------------------------------ start, status, env, stop
def test_start_status_env_stop(service: ServicePytok) -> None:
    started = service.run("sandbox", "start")
    pid = None
    try:
        assert started.returncode == 0, started.stderr
        found = re.search(r"^Started the sandbox in the background at (http://127\.0\.0\.1:(\d+)) \(pid (\d+)\)\.$",
                          started.stdout, re.M)
        assert found, started.stdout
        url, port, pid = found.group(1), int(found.group(2)), int(found.group(3))
        assert "pytok sandbox stop" in started.stdout and "--sandbox" in started.stdout

        # The state file: URL, pid, key and secret, 0600 in a 0700 directory of the runtime dir.
        state = service.state()
        assert state["url"] == url and state["pid"] == pid and state["client_key"] == DEFAULT_CLIENT_KEY
        assert state["client_secret"]
        assert stat.S_IMODE(service.state_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(service.state_dir.stat().st_mode) == 0o700

        # A detached process, serving on 127.0.0.1 only.
        assert pid_alive(pid) and port_open(port)
        assert not port_open(port, "127.0.0.2")
        assert os.getsid(pid) == pid  # its own session: closing the terminal does not end it

        status = service.run("sandbox", "status")
        assert status.returncode == 0, status.stderr
        assert f"Sandbox running at {url} (pid {pid}" in status.stdout
        assert str(service.state_file) in status.stdout

        env = service.run("sandbox", "env")
        assert env.returncode == 0, env.stderr
        assert env_lines(env.stdout) == {
            "PYTOK_SANDBOX": url,
            "PYTOK_SANDBOX_CLIENT_KEY": DEFAULT_CLIENT_KEY,
            "PYTOK_SANDBOX_CLIENT_SECRET": state["client_secret"],
        }

        stopped = service.run("sandbox", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert stopped.stdout.strip() == f"Stopped the sandbox at {url} (pid {pid})."
        assert wait_gone(pid) and not port_open(port)
        assert not service.state_file.exists()
    finally:
        if pid is not None and pid_alive(pid):
            kill_quietly(pid)
    after = service.run("sandbox", "status")
    assert after.returncode == 1
    assert after.stdout.strip() == "No sandbox is running (start one with pytok sandbox start)."
    again = service.run("sandbox", "stop")
    assert again.returncode == 0 and again.stdout.strip() == "No sandbox is running; nothing to stop."
    no_env = service.run("sandbox", "env")
    assert no_env.returncode == 1 and no_env.stdout == ""
    assert_one_line_error(no_env.stderr, "no sandbox is running", "pytok sandbox start")


def test_start_twice_keeps_the_running_one(service: ServicePytok, background: Background) -> None:
    again = service.run("sandbox", "start")
    assert again.returncode == 0, again.stderr
    assert f"A sandbox is already running at {background.url} (pid {background.pid})." in again.stdout
    assert service.state()["pid"] == background.pid


def test_start_on_a_busy_port_is_one_line_exit_1(service: ServicePytok) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = service.run("sandbox", "start", "--port", str(port))
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"cannot serve on 127.0.0.1:{port}", "in use")
    assert not service.state_file.exists()


# ------------------------------------------------------------------------------ --sandbox on every command
def test_login_whoami_refresh_revoke_whoami_against_the_running_sandbox(service: ServicePytok, background: Background) -> None:
    login = service.run("login", "--sandbox", "--approve")
    assert login.returncode == 0, login.stderr
    assert f"Using the sandbox at {background.url} (pid {background.pid})." in login.stderr
    assert f"Saved to {service.sandbox_store}" in login.stdout
    first = TokenStore(service.sandbox_store).get(background.client_key)
    assert first is not None
    assert not service.default_store.exists()  # sandbox tokens never go to the real token file

    whoami = service.run("whoami", "--sandbox")
    assert whoami.returncode == 0, whoami.stderr
    assert re.search(r"^display_name:\s+Sandbox Creator$", whoami.stdout, re.M)

    token = service.run("--sandbox", "token")
    assert token.returncode == 0, token.stderr
    assert f"client key:     {background.client_key}" in token.stdout and str(service.sandbox_store) in token.stdout

    refresh = service.run("refresh", "--sandbox")
    assert refresh.returncode == 0, refresh.stderr
    second = TokenStore(service.sandbox_store).get(background.client_key)
    assert second is not None and second.refresh_token != first.refresh_token  # the sandbox rotated it
    # The sandbox remembers: the old refresh token is dead there.
    old = httpx.post(background.url + "/v2/oauth/token/", data={
        "client_key": background.client_key, "client_secret": background.client_secret,
        "grant_type": "refresh_token", "refresh_token": first.refresh_token,
    }, trust_env=False)
    assert old.json()["error"] == "invalid_grant"

    revoke = service.run("revoke", "--sandbox")
    assert revoke.returncode == 0, revoke.stderr
    assert "Revoked the token of open_id" in revoke.stdout

    after = service.run("whoami", "--sandbox")
    assert after.returncode == 3
    assert_one_line_error(after.stderr, "not logged in", "pytok login")


def test_a_token_revoked_at_the_sandbox_makes_whoami_exit_3(service: ServicePytok, background: Background) -> None:
    assert service.run("login", "--sandbox", "--approve").returncode == 0
    token = TokenStore(service.sandbox_store).get(background.client_key)
    assert token is not None
    answer = httpx.post(background.url + "/v2/oauth/revoke/", data={
        "client_key": background.client_key, "client_secret": background.client_secret, "token": token.access_token,
    }, trust_env=False)
    assert answer.status_code == 200
    whoami = service.run("whoami", "--sandbox")
    assert whoami.returncode == 3
    assert_one_line_error(whoami.stderr, "invalid_grant", "log in again")


def test_the_printed_environment_is_enough_for_scripts(service: ServicePytok, background: Background, tmp_path) -> None:
    exported = env_lines(service.run("sandbox", "env").stdout)
    other = ServicePytok(tmp_path / "elsewhere")  # no state file there: only the environment
    other.env.update(exported)
    login = other.run("login", "--approve")
    assert login.returncode == 0, login.stderr
    whoami = other.run("whoami")
    assert whoami.returncode == 0, whoami.stderr
    assert "Sandbox Creator" in whoami.stdout
    assert TokenStore(other.sandbox_store).get(background.client_key) is not None
    assert not other.default_store.exists()


def test_the_foreground_sandbox_is_found_too_and_stop_ends_it(service: ServicePytok) -> None:
    port = free_port()
    with stopped_at_the_end(service.start("sandbox", "--port", str(port))) as running:
        running.wait_for(rf"listening on http://127\.0\.0\.1:{port}")
        running.wait_for(r"Press Ctrl\+C to stop")
        assert service.state()["pid"] == running.process.pid
        login = service.run("login", "--sandbox", "--approve")
        assert login.returncode == 0, login.stderr
        assert f"Using the sandbox at http://127.0.0.1:{port}" in login.stderr
        stopped = service.run("sandbox", "stop")
        assert stopped.returncode == 0, stopped.stderr
        result = running.finish()
    assert result.returncode == 0
    assert "sandbox stopped" in result.stdout
    assert not service.state_file.exists()


# ------------------------------------------------------------------------------ nothing running, stale state
def test_login_sandbox_without_a_running_sandbox_runs_one_for_itself_and_says_so(service: ServicePytok) -> None:
    login = service.run("login", "--sandbox", "--approve")
    assert login.returncode == 0, login.stderr
    assert re.search(r"Sandbox running at http://127\.0\.0\.1:\d+, in this command only", login.stderr), login.stderr
    assert "pytok sandbox start" in login.stderr
    assert TokenStore(service.sandbox_store).get(DEFAULT_CLIENT_KEY) is not None
    assert not service.default_store.exists()


def test_sandbox_flag_with_no_sandbox_running_is_a_clear_error(service: ServicePytok) -> None:
    for command in ("whoami", "refresh", "revoke", "token"):
        result = service.run(command, "--sandbox")
        assert result.returncode == 1, (command, result.stderr)
        assert_one_line_error(result.stderr, "no sandbox is running", "pytok sandbox start")


def test_pytok_sandbox_pointing_nowhere_is_a_clear_error(service: ServicePytok) -> None:
    port = free_port()
    result = service.run("whoami", env={"PYTOK_SANDBOX": f"http://127.0.0.1:{port}"})
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"no sandbox answers at http://127.0.0.1:{port}", "PYTOK_SANDBOX")


def write_state(service: ServicePytok, pid: int, port: int) -> None:
    service.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    service.state_file.write_text(json.dumps({
        "schema_version": 1, "pid": pid, "url": f"http://127.0.0.1:{port}", "port": port,
        "client_key": DEFAULT_CLIENT_KEY, "client_secret": "x", "started_at": 0.0,
    }))
    service.state_file.chmod(0o600)


def test_a_state_file_of_a_dead_process_is_removed_with_a_message(service: ServicePytok) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    write_state(service, pid, free_port())
    status = service.run("sandbox", "status")
    assert status.returncode == 1
    assert f"pytok: warning: removed the stale sandbox state file {service.state_file}: pid {pid} is not running" in status.stderr
    assert not service.state_file.exists()
    write_state(service, pid, free_port())
    whoami = service.run("whoami", "--sandbox")
    assert whoami.returncode == 1
    lines = whoami.stderr.strip().splitlines()
    assert lines[0].startswith("pytok: warning: removed the stale sandbox state file")
    assert lines[-1].startswith("pytok: error: no sandbox is running")


def test_a_state_file_whose_port_is_closed_is_removed_and_the_process_left_alone(service: ServicePytok) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        port = free_port()
        write_state(service, sleeper.pid, port)
        result = service.run("sandbox", "start")
        assert result.returncode == 0, result.stderr
        assert (f"pytok: warning: removed the stale sandbox state file {service.state_file}: "
                f"nothing answers at http://127.0.0.1:{port}") in result.stderr
        assert sleeper.poll() is None  # not ours: never signalled
        assert service.state()["pid"] != sleeper.pid
    finally:
        started = service.state()["pid"] if service.state_file.exists() else None
        service.run("sandbox", "stop")
        if isinstance(started, int) and started != sleeper.pid:
            kill_quietly(started)
        sleeper.kill()
        sleeper.wait()


def test_an_unreadable_state_file_is_removed_with_a_message(service: ServicePytok) -> None:
    service.state_dir.mkdir(mode=0o700, parents=True)
    service.state_file.write_text("{not json")
    result = service.run("sandbox", "stop")
    assert result.returncode == 0
    assert f"pytok: warning: removed the stale sandbox state file {service.state_file}: it cannot be read" in result.stderr
    assert not service.state_file.exists()


# ------------------------------------------------------------------------------ one at a time, restarts, signals
def test_a_second_sandbox_in_a_terminal_is_refused_while_one_runs(service: ServicePytok, background: Background) -> None:
    result = service.run("sandbox")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"a sandbox is already running at {background.url} (pid {background.pid})",
                          "pytok sandbox stop")
    assert service.state()["pid"] == background.pid


def test_stop_then_start_on_the_same_port_at_once(service: ServicePytok) -> None:
    port = free_port()
    first = service.run("sandbox", "start", "--port", str(port))
    try:
        assert first.returncode == 0, first.stderr
        assert service.run("login", "--sandbox", "--approve").returncode == 0  # connections now in TIME_WAIT
        assert service.run("sandbox", "stop").returncode == 0
        again = service.run("sandbox", "start", "--port", str(port))
        assert again.returncode == 0, again.stderr
        assert f"at http://127.0.0.1:{port} " in again.stdout
        # A new sandbox knows none of the old one's tokens: log in again.
        whoami = service.run("whoami", "--sandbox")
        assert whoami.returncode == 3
        assert_one_line_error(whoami.stderr, "log in again")
    finally:
        pid = service.state()["pid"] if service.state_file.exists() else None
        service.run("sandbox", "stop")
        if isinstance(pid, int):
            kill_quietly(pid)


def test_a_closed_terminal_stops_the_sandbox_cleanly(service: ServicePytok) -> None:
    import signal

    with stopped_at_the_end(service.start("sandbox")) as running:
        running.wait_for(r"Press Ctrl\+C to stop")
        running.process.send_signal(signal.SIGHUP)
        result = running.finish()
    assert result.returncode == 0
    assert "sandbox stopped" in result.stdout
    assert not service.state_file.exists()


DEAF_SANDBOX = """
import http.server, json, os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
class Status(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"sandbox": "pytok_sm", "pid": os.getpid()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Status)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def test_a_sandbox_that_ignores_sigterm_is_killed_after_10_s(service: ServicePytok) -> None:
    deaf = subprocess.Popen([sys.executable, "-c", DEAF_SANDBOX], stdout=subprocess.PIPE, text=True)
    try:
        assert deaf.stdout is not None
        port = int(deaf.stdout.readline())
        write_state(service, deaf.pid, port)
        result = service.run("sandbox", "stop")
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == "pytok: warning: the sandbox did not stop within 10 s after SIGTERM; killed it"
        assert result.stdout.strip() == f"Stopped the sandbox at http://127.0.0.1:{port} (pid {deaf.pid})."
        assert deaf.wait(5) == -9
        assert not service.state_file.exists()
    finally:
        deaf.kill()
        deaf.wait()
