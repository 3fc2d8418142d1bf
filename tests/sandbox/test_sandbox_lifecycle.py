"""Running the sandbox: start/stop, ports, threads, the request log, the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import pytok_sm.sandbox as package
from pytok_sm import _contract as contract
from pytok_sm.sandbox import DEFAULT_CLIENT_KEY, Clock, Sandbox, Switches, main

from .helpers import AppDriver

ROOT = Path(__file__).resolve().parents[2]


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class TestLifecycle:
    def test_context_manager_starts_on_an_ephemeral_loopback_port(self) -> None:
        with Sandbox() as sb:
            assert sb.running and sb.port > 0
            assert sb.base_url == f"http://127.0.0.1:{sb.port}"
            assert sb.authorization_url == sb.base_url + "/v2/auth/authorize/"
            assert sb.base_api_url == sb.base_url + "/v2/"
        assert not sb.running

    def test_credentials_and_redirect_uris(self, sandbox: Sandbox) -> None:
        assert sandbox.client_key == DEFAULT_CLIENT_KEY and sandbox.client_secret
        assert sandbox.redirect_uris == (
            "http://127.0.0.1:3456/callback/",
            "http://127.0.0.1:*/callback/",
            "http://localhost:*/callback/",
        )
        assert sandbox.app.name == "pytok_sm Sandbox App" and sandbox.app.kind == "desktop"
        assert sandbox.web_redirect_uris == ("https://app.example.test/callback/",)
        assert sandbox.web_client_key != sandbox.client_key and sandbox.web_client_secret

    def test_a_given_port(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            free = s.getsockname()[1]
        with Sandbox(port=free) as sb:
            assert sb.port == free

    def test_a_busy_port_is_a_clear_error(self, sandbox: Sandbox) -> None:
        with pytest.raises(OSError):
            Sandbox(port=sandbox.port).start()

    def test_clean_shutdown_leaves_no_thread_and_closes_the_port(self) -> None:
        before = set(threading.enumerate())
        sb = Sandbox().start()
        port = sb.port
        silent = socket.create_connection(("127.0.0.1", port))  # a pre-connection that never speaks
        busy = httpx.Client(trust_env=False)
        assert busy.get(sb.base_url + "/sandbox/phone").status_code == 200
        sb.faults.add("token", "delay", seconds=30)
        stuck = threading.Thread(
            target=lambda: pytest.raises(httpx.HTTPError, busy.post, sb.base_url + contract.TOKEN_PATH), daemon=True
        )
        stuck.start()
        time.sleep(0.1)
        started = time.monotonic()
        sb.stop()
        assert time.monotonic() - started < 2
        stuck.join(5)
        silent.close()
        busy.close()
        assert set(threading.enumerate()) == before
        assert not port_is_open(port)

    def test_stop_is_idempotent(self) -> None:
        sb = Sandbox().start()
        sb.stop()
        sb.stop()

    def test_a_silent_connection_does_not_block_others(self, app: AppDriver, sandbox: Sandbox) -> None:
        with socket.create_connection(("127.0.0.1", sandbox.port)) as silent:
            silent.sendall(b"POST /v2/oauth/token/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
            assert app.authorize().status_code == 200

    def test_silent_connections_time_out(self) -> None:
        with Sandbox(connection_timeout=0.2) as sb, socket.create_connection(("127.0.0.1", sb.port)) as silent:
            silent.settimeout(2)
            assert silent.recv(100) == b""  # closed by the server after its timeout

    @pytest.mark.parametrize(
        "raw",
        [
            b"\x00\xff garbage \r\n\r\n",
            b"GET /v2/oauth/token/\r\n\r\n",  # HTTP/0.9
            b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
            b"POST /v2/oauth/token/ HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
            b"POST /v2/oauth/token/ HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
            b"POST /v2/oauth/token/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"GET http://evil.test/v2/oauth/token/ HTTP/1.1\r\n\r\n",
        ],
    )
    def test_garbage_gets_an_answer_not_a_crash(self, sandbox: Sandbox, raw: bytes) -> None:
        with socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
            conn.settimeout(3)
            conn.sendall(raw)
            answer = conn.recv(200)
        assert answer == b"" or answer.startswith(b"HTTP/1.")
        assert httpx.get(sandbox.base_url + "/sandbox/phone", trust_env=False).status_code == 200

    def test_unknown_paths_are_404(self, http: httpx.Client) -> None:
        for path in ("/", "/favicon.ico", "/v2/oauth/token", "/v2/user/info"):
            assert http.get(path).status_code == 404


class TestInspection:
    def test_the_request_log_has_field_names_never_values(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        app.exchange(login)
        exchange = [r for r in sandbox.requests if r.endpoint == "token"][-1]
        assert exchange.method == "POST" and exchange.path == contract.TOKEN_PATH
        assert set(exchange.form_fields) == {
            "client_key",
            "client_secret",
            "code",
            "grant_type",
            "redirect_uri",
            "code_verifier",
        }
        assert exchange.content_type == contract.FORM_CONTENT_TYPE and exchange.status == 200
        authorize = next(r for r in sandbox.requests if r.endpoint == "authorize")
        assert "state" in authorize.query_fields
        text = repr(sandbox.requests)
        for secret in (login.code, login.verifier, app.client_secret, "state-123"):
            assert secret not in text

    def test_records_keep_secrets_out_of_their_repr(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        text = repr(sandbox.codes) + repr(sandbox.tokens()) + repr(sandbox.app)
        for secret in (tokens["access_token"], tokens["refresh_token"], sandbox.codes[0].code, sandbox.client_secret):
            assert secret not in text

    def test_count_per_endpoint_and_clear(self, app: AppDriver, sandbox: Sandbox) -> None:
        app.tokens()
        assert (sandbox.count("authorize"), sandbox.count("authorize_decision"), sandbox.count("token")) == (1, 1, 1)
        assert sandbox.count("user_info") == 0
        sandbox.clear_requests()
        assert sandbox.count("token") == 0 and sandbox.requests == []

    def test_tokens_filters_and_issue_tokens_shortcut(self, app: AppDriver, sandbox: Sandbox) -> None:
        issued = sandbox.issue_tokens(["user.info.stats"])
        assert issued["scope"] == "user.info.basic,user.info.stats"
        assert app.user_info(issued["access_token"], "follower_count").status_code == 200
        assert {t.kind for t in sandbox.tokens(alive=True)} == {"access", "refresh"}
        sandbox.kill_token(issued["access_token"])
        assert sandbox.tokens("access", alive=False)[0].revoked_reason == "revoked"
        assert sandbox.token("act.nope") is None

    def test_inspection_hands_out_copies(self, app: AppDriver, sandbox: Sandbox) -> None:
        tokens = app.tokens()
        copy = sandbox.token(tokens["access_token"])
        assert copy is not None
        copy.revoked = True
        assert sandbox.is_alive(tokens["access_token"])


class TestClockAndSwitches:
    def test_clock_moves_forward_only(self) -> None:
        clock = Clock()
        before = clock.now()
        clock.advance(3600)
        assert clock.now() - before >= 3600
        with pytest.raises(ValueError):
            clock.advance(-1)

    def test_an_injected_clock_is_used(self) -> None:
        clock = Clock(offset=100)
        with Sandbox(clock=clock) as sb:
            assert sb.clock is clock

    def test_switches_refuse_typos_and_bad_values(self) -> None:
        switches = Switches()
        with pytest.raises(AttributeError):
            setattr(switches, "rotate_refresh_token", False)  # noqa: B010 - a typo on purpose
        with pytest.raises(ValueError):
            switches.token_lifetimes = "2025"
        with pytest.raises(ValueError):
            Switches(code_lifetime=0)
        assert Switches(token_lifetimes="classic").access_token_lifetime == 86400


class TestPackage:
    def test_importing_adds_no_client_module_and_no_qrcode(self) -> None:
        # pytok_sm's own __init__ may load the client; the sandbox must add none of it.
        code = (
            "import sys, pytok_sm; before = set(sys.modules); import pytok_sm.sandbox; "
            "added = set(sys.modules) - before; "
            "print(sorted(m for m in added if m.startswith('pytok_sm.') and not m.startswith('pytok_sm.sandbox'))"
            " + ['qrcode'] * ('qrcode' in sys.modules))"
        )
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]"

    def test_the_sandbox_sources_import_only_the_contract_from_pytok_sm(self) -> None:
        for source in Path(package.__file__).parent.glob("*.py"):
            for line in source.read_text().splitlines():
                if line.startswith(("import pytok_sm", "from pytok_sm")) and "sandbox" not in line:
                    assert line == "from pytok_sm import _contract as contract", (source.name, line)


class TestCommandLine:
    def test_serves_prints_credentials_and_stops_cleanly_on_ctrl_c(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytok_sm.sandbox", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            lines: dict[str, list[str]] = {}
            while "client_secret" not in lines or "redirect_uri" not in lines or len(lines["redirect_uri"]) < 3:
                line = proc.stdout.readline()
                assert line, proc.stderr.read() if proc.stderr else ""
                name, _, value = line.strip().partition(": ")
                lines.setdefault(name, []).append(value)
            port = int(lines["port"][0])
            assert port > 0 and lines["client_key"] == [DEFAULT_CLIENT_KEY]
            assert "http://127.0.0.1:*/callback/" in lines["redirect_uri"]
            assert httpx.get(f"http://127.0.0.1:{port}/sandbox/phone", trust_env=False).status_code == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(10) == 0
            assert not port_is_open(port)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    def test_main_rejects_bad_arguments(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["--port", "not-a-number"])
        assert exit_info.value.code == 2

    def test_main_reports_a_busy_port(self, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["--port", str(sandbox.port)]) == 1
        assert str(sandbox.port) in capsys.readouterr().err
