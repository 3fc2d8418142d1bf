"""Approving a sandbox login without a browser: ``pytok login --sandbox --approve|--deny``,
``pytok sandbox approve|deny`` and the sandbox's ``/sandbox/pending`` page (real subprocesses)."""

from __future__ import annotations

import re
import threading

import httpx

from pytok_sm.cli.token_file import TokenStore
from pytok_sm.sandbox import DEFAULT_CLIENT_KEY

from .sandbox_helpers import (  # noqa: F401 - fixtures
    Background,
    ServicePytok,
    authorize_url,
    background_fixture,
    service_fixture,
    stopped_at_the_end,
)
from .test_cli_usage import assert_one_line_error


# ------------------------------------------------------------------------------ login --approve / --deny
def test_login_sandbox_approve_logs_in_by_itself(service: ServicePytok) -> None:
    result = service.run("login", "--sandbox", "--approve", "--scopes", "user.info.basic,user.info.stats")
    assert result.returncode == 0, result.stderr
    assert "Sandbox: pressed Authorize on the consent page (--approve)." in result.stderr
    assert "Open this URL" not in result.stderr
    token = TokenStore(service.sandbox_store).get(DEFAULT_CLIENT_KEY)
    assert token is not None and token.scopes == {"user.info.basic", "user.info.stats"}


def test_login_sandbox_deny_is_exit_4(service: ServicePytok) -> None:
    result = service.run("login", "--sandbox", "--deny")
    assert result.returncode == 4
    assert "Sandbox: pressed Cancel on the consent page (--deny)." in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("pytok: error: access_denied")
    assert not service.sandbox_store.exists()


def test_qr_login_sandbox_approve_confirms_on_the_sandbox_phone(service: ServicePytok, background: Background) -> None:
    result = service.run("login", "--sandbox", "--qr", "--approve")
    assert result.returncode == 0, result.stderr
    assert "Sandbox: the phone confirmed the QR code (--approve)." in result.stderr
    assert TokenStore(service.sandbox_store).get(background.client_key) is not None


def test_approve_and_deny_need_the_sandbox(service: ServicePytok) -> None:
    result = service.run("login", "--approve", env={"PYTOK_CLIENT_KEY": "aw_k", "PYTOK_CLIENT_SECRET": "s"})
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "--approve and --deny work only with --sandbox")


def test_approve_and_deny_together_is_a_usage_error(service: ServicePytok) -> None:
    result = service.run("login", "--sandbox", "--approve", "--deny")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "not allowed with argument", "(see pytok login --help)")


def test_a_refused_authorize_request_ends_an_auto_approved_login_at_once(service: ServicePytok) -> None:
    result = service.run("login", "--sandbox", "--approve", "--client-key", "no-such-app", "--client-secret", "x",
                         "--timeout", "60", timeout=30)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("pytok: error: the sandbox refused the authorization request: invalid_client"), result.stderr
    assert "client_key" in last and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------ pytok sandbox approve / deny
def test_pytok_sandbox_approve_approves_the_newest_pending_login(service: ServicePytok, background: Background) -> None:
    with stopped_at_the_end(service.start("login", "--sandbox")) as login:
        login.wait_for(r"pytok sandbox approve")
        approve = service.run("sandbox", "approve")
        assert approve.returncode == 0, approve.stderr
        assert re.fullmatch(
            r"Approved the login of pytok_sm Sandbox App \(scopes user\.info\.basic\); "
            r"the app at http://127\.0\.0\.1:\d+/callback/ answered 200\.\n", approve.stdout
        ), approve.stdout
        result = login.finish()
    assert result.returncode == 0, result.stderr
    assert "Logged in as open_id" in result.stdout


def test_pytok_sandbox_deny_makes_the_login_exit_4(service: ServicePytok, background: Background) -> None:
    with stopped_at_the_end(service.start("login", "--sandbox", "--no-browser")) as login:
        authorize_url(login)
        login.wait_for(r"pytok sandbox approve")
        deny = service.run("sandbox", "deny")
        assert deny.returncode == 0, deny.stderr
        assert deny.stdout.startswith("Denied the login of pytok_sm Sandbox App")
        result = login.finish()
    assert result.returncode == 4


def test_approve_with_nothing_pending_is_exit_1(service: ServicePytok, background: Background) -> None:
    result = service.run("sandbox", "approve")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"no login is waiting for approval in the sandbox at {background.url}")


def test_approve_wait_waits_for_a_login(service: ServicePytok, background: Background) -> None:
    with stopped_at_the_end(service.start("sandbox", "approve", "--wait", "30")) as approve:
        with stopped_at_the_end(service.start("login", "--sandbox")) as login:
            result = login.finish()
        approved = approve.finish()
    assert approved.returncode == 0, approved.stderr
    assert result.returncode == 0, result.stderr


def test_approve_with_no_sandbox_running_is_exit_1(service: ServicePytok) -> None:
    result = service.run("sandbox", "approve")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "no sandbox is running", "pytok sandbox start")


# ------------------------------------------------------------------------------ the pending page
def test_the_pending_page_lists_the_login_and_its_buttons_finish_it(service: ServicePytok, background: Background) -> None:
    with stopped_at_the_end(service.start("login", "--sandbox", "--no-browser")) as login:
        login.wait_for(rf"{re.escape(background.url)}/sandbox/pending")
        page = httpx.get(background.url + "/sandbox/pending", trust_env=False)
        assert page.status_code == 200
        assert "pytok_sm Sandbox App" in page.text and 'id="approve-1"' in page.text and 'id="deny-1"' in page.text
        consent = re.search(r'name="consent" value="([^"]+)"', page.text).group(1)
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        decided = httpx.post(background.url + action, data={"consent": consent, "decision": "approve"}, trust_env=False)
        assert decided.status_code == 302
        callback = decided.headers["location"]
        answered: list[int] = []
        threading.Thread(target=lambda: answered.append(httpx.get(callback, trust_env=False).status_code)).start()
        result = login.finish()
    assert result.returncode == 0, result.stderr
    assert "No login is waiting" in httpx.get(background.url + "/sandbox/pending", trust_env=False).text
