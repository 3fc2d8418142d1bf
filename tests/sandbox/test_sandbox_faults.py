"""Fault switches: every upstream failure of ROBUSTNESS.md on demand, for the next N requests."""

from __future__ import annotations

import json
import math
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox
from pytok_sm.sandbox._faults import FAULT_ENDPOINTS, FAULT_KINDS, REDIRECT_TRAP_PATH, Faults

from .helpers import AppDriver


def client_credentials(app: AppDriver) -> httpx.Response:
    return app.post(
        contract.TOKEN_PATH, client_key=app.client_key, client_secret=app.client_secret, grant_type="client_credentials"
    )


class TestRegistry:
    def test_a_fault_applies_times_then_normal_service_resumes(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "html_5xx", times=2)
        assert [client_credentials(app).status_code for _ in range(3)] == [502, 502, 200]

    def test_faults_queue_in_order_per_endpoint(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "html_5xx", status=503)
        sandbox.faults.add("token", "html_5xx", status=504)
        sandbox.faults.add("revoke", "html_5xx", status=500)
        assert [client_credentials(app).status_code for _ in range(3)] == [503, 504, 200]
        assert [f.endpoint for f in sandbox.faults.pending()] == ["revoke"]

    def test_pending_and_clear(self, sandbox: Sandbox) -> None:
        sandbox.faults.add("user_info", "delay", seconds=0.1)
        sandbox.faults.add("token", "nan_json", times=3)
        assert [(f.kind, f.remaining) for f in sandbox.faults.pending("token")] == [("nan_json", 3)]
        sandbox.faults.clear("token")
        assert [f.endpoint for f in sandbox.faults.pending()] == ["user_info"]
        sandbox.faults.clear()
        assert sandbox.faults.pending() == []

    @pytest.mark.parametrize(
        ("args", "kwargs", "error"),
        [
            (("tokens", "html_5xx"), {}, ValueError),
            (("token", "explode"), {}, ValueError),
            (("token", "html_5xx"), {"colour": "red"}, TypeError),
            (("token", "html_5xx"), {"status": 99}, ValueError),
            (("token", "html_5xx"), {"times": 0}, ValueError),
            (("token", "delay"), {"seconds": -1}, ValueError),
        ],
    )
    def test_mistakes_are_refused_at_once(
        self, args: tuple[str, str], kwargs: dict[str, Any], error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            Faults().add(*args, **kwargs)

    def test_every_endpoint_and_kind_is_accepted(self) -> None:
        faults = Faults()
        for endpoint in FAULT_ENDPOINTS:
            for kind in FAULT_KINDS:
                faults.add(endpoint, kind)
        assert len(faults.pending()) == len(FAULT_ENDPOINTS) * len(FAULT_KINDS)

    def test_is_thread_safe(self) -> None:
        faults = Faults()
        taken: list[str] = []

        def worker() -> None:
            for _ in range(200):
                faults.add("token", "html_5xx")
                fault = faults.take("token")
                if fault is not None:
                    taken.append(fault.kind)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        while faults.take("token") is not None:
            taken.append("html_5xx")
        assert len(taken) == 8 * 200

    def test_the_request_log_names_the_fault(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "truncated_json")
        client_credentials(app)
        assert sandbox.requests[-1].fault == "truncated_json"


class TestBodies:
    def test_html_5xx_is_an_html_page(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "html_5xx", status=503)
        answer = client_credentials(app)
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text.startswith("<!DOCTYPE html>")

    def test_truncated_json_does_not_parse(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "truncated_json")
        answer = client_credentials(app)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        assert answer.text.startswith("{")
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.text)

    def test_truncated_json_after_processing_cuts_the_real_answer(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "truncated_json", process=True)
        answer = app.exchange(app.login())
        assert answer.text.startswith('{"access_token": "act.')
        assert len(sandbox.tokens("access")) == 1  # the tokens were issued nevertheless

    def test_non_object_json(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "non_object_json")
        sandbox.faults.add("token", "non_object_json", body='"just a string"')
        assert client_credentials(app).json() == [1, 2]
        assert client_credentials(app).json() == "just a string"

    def test_nan_json_needs_a_lenient_parser(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "nan_json")
        text = client_credentials(app).text
        assert math.isnan(json.loads(text)["expires_in"])  # Python's default parser accepts it

        def refuse(name: str) -> None:
            raise ValueError(name)

        with pytest.raises(ValueError, match="NaN"):
            json.loads(text, parse_constant=refuse)

    @pytest.mark.parametrize("endpoint", ["user_info", "check_qrcode"])
    def test_nan_json_on_other_endpoints(self, app: AppDriver, sandbox: Sandbox, endpoint: str) -> None:
        sandbox.faults.add(endpoint, "nan_json")
        path = contract.USER_INFO_PATH if endpoint == "user_info" else contract.CHECK_QRCODE_PATH
        answer = app.http.request("GET" if endpoint == "user_info" else "POST", path)
        assert "NaN" in answer.text

    def test_deep_json_exhausts_a_recursive_parser(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "deep_json", depth=3000)
        with pytest.raises(RecursionError):
            json.loads(client_credentials(app).text)

    def test_not_json(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "not_json")
        answer = client_credentials(app)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
        with pytest.raises(json.JSONDecodeError):
            answer.json()

    def test_empty_body(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "empty_body", status=200)
        answer = client_credentials(app)
        assert (answer.status_code, answer.content) == (200, b"")

    def test_oauth_error_200_any_value(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "oauth_error_200", error="invalid_grant", description="Nope.")
        answer = client_credentials(app)
        body = answer.json()
        assert answer.status_code == 200
        assert (body["error"], body["error_description"]) == ("invalid_grant", "Nope.") and body["log_id"]

    def test_api_error_on_user_info(self, app: AppDriver, sandbox: Sandbox) -> None:
        token = app.tokens()["access_token"]
        sandbox.faults.add("user_info", "api_error")
        sandbox.faults.add("user_info", "api_error", code="access_token_invalid", message="gone")
        first, second = app.user_info(token), app.user_info(token)
        assert (first.status_code, first.json()["error"]["code"]) == (500, "internal_error")
        assert (second.status_code, second.json()["error"]["message"]) == (401, "gone")
        assert app.user_info(token).status_code == 200

    def test_odd_token_fields(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "odd_token_fields", overrides={"expires_in": "7200", "refresh_expires_in": True})
        sandbox.faults.add("token", "odd_token_fields", overrides={"expires_in": -5})
        sandbox.faults.add("token", "odd_token_fields", overrides={"expires_in": 10**30})
        sandbox.faults.add("token", "odd_fields", drop=["access_token"])
        sandbox.faults.add("token", "odd_fields", drop=["refresh_token"])
        bodies = [app.exchange(app.login()).json() for _ in range(5)]
        assert (bodies[0]["expires_in"], bodies[0]["refresh_expires_in"]) == ("7200", True)
        assert bodies[1]["expires_in"] == -5 and bodies[2]["expires_in"] == 10**30
        assert "access_token" not in bodies[3] and "refresh_token" in bodies[3]
        assert "refresh_token" not in bodies[4]
        assert len(sandbox.tokens("access")) == 5  # every exchange really happened

    def test_odd_fields_on_check_qrcode_forges_a_foreign_ticket(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        sandbox.faults.add("check_qrcode", "odd_fields", overrides={"client_ticket": "foreign", "status": "scanned"})
        assert app.check_qrcode(qr["token"]).json() == {"client_ticket": "foreign", "status": "scanned"}


class TestStatusesAndHeaders:
    def test_rate_limit_429_with_retry_after_seconds(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "rate_limit_429", retry_after=3)
        answer = client_credentials(app)
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
        assert answer.json()["error"] == "rate_limit_exceeded"

    def test_rate_limit_429_without_retry_after(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("user_info", "rate_limit_429")
        answer = app.user_info(app.tokens()["access_token"])
        assert answer.status_code == 429 and "retry-after" not in answer.headers
        assert answer.json()["error"]["code"] == "rate_limit_exceeded" and answer.json()["data"] == {}

    def test_rate_limit_429_with_an_http_date(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "rate_limit_429", retry_after=30, http_date=True)
        header = client_credentials(app).headers["retry-after"]
        delta = parsedate_to_datetime(header).timestamp() - time.time()
        assert 25 < delta <= 31

    def test_temporarily_unavailable(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "temporarily_unavailable", retry_after=1)
        answer = client_credentials(app)
        assert (answer.status_code, answer.headers["retry-after"]) == (503, "1")
        assert answer.json()["error"] == "temporarily_unavailable"

    def test_temporarily_unavailable_as_200(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "temporarily_unavailable", status=200)
        answer = client_credentials(app)
        assert (answer.status_code, answer.json()["error"]) == (200, "temporarily_unavailable")

    def test_redirect_302_points_at_a_trap_that_hands_out_a_bogus_token(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "redirect_302")
        answer = client_credentials(app)
        assert answer.status_code == 302
        assert answer.headers["location"] == sandbox.base_url + REDIRECT_TRAP_PATH
        assert sandbox.count("redirect_target") == 0
        followed = app.http.post(answer.headers["location"])
        assert followed.json()["access_token"].startswith("act.followed-a-redirect")
        assert sandbox.count("redirect_target") == 1


class TestConnection:
    def test_delay_then_normal_answer(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "delay", seconds=0.3)
        started = time.monotonic()
        answer = client_credentials(app)
        assert time.monotonic() - started >= 0.3
        assert answer.status_code == 200 and answer.json()["access_token"].startswith("clt.")

    def test_delay_beyond_the_clients_read_timeout(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "delay", seconds=0.5)
        with pytest.raises(httpx.ReadTimeout):
            app.http.post(contract.TOKEN_PATH, data={}, timeout=0.1)

    def test_slow_drip_dribbles_the_body(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("token", "slow_drip", seconds=0.5)
        started = time.monotonic()
        answer = app.http.post(
            contract.TOKEN_PATH,
            data={"client_key": app.client_key, "client_secret": app.client_secret, "grant_type": "client_credentials"},
            timeout=httpx.Timeout(5.0, read=0.2),  # each byte comes well within a per-read timeout
        )
        assert time.monotonic() - started >= 0.45
        assert answer.json()["access_token"].startswith("clt.")

    def test_connection_reset_after_processing_consumes_the_code(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        sandbox.faults.add("token", "connection_reset")
        with pytest.raises(httpx.TransportError):
            app.exchange(login)
        issued = sandbox.tokens("access")
        assert len(issued) == 1 and sandbox.codes[-1].used
        retry = app.exchange(login).json()  # the retry a client must not make
        assert retry["error"] == "invalid_grant"
        assert not sandbox.is_alive(issued[0].value)

    def test_connection_reset_without_processing_keeps_the_code(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        sandbox.faults.add("token", "connection_reset", process=False)
        with pytest.raises(httpx.TransportError):
            app.exchange(login)
        assert app.exchange(login).status_code == 200

    def test_html_5xx_does_not_run_the_endpoint_unless_asked(self, app: AppDriver, sandbox: Sandbox) -> None:
        login = app.login()
        sandbox.faults.add("token", "html_5xx")
        sandbox.faults.add("token", "html_5xx", process=True)
        app.exchange(login)
        assert not sandbox.codes[-1].used
        app.exchange(login)
        assert sandbox.codes[-1].used


class TestOnTheAuthorizePage:
    def test_html_5xx(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("authorize", "html_5xx", status=500)
        assert app.authorize().status_code == 500
        assert app.authorize().status_code == 200

    def test_connection_reset(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("authorize", "connection_reset")
        with pytest.raises(httpx.TransportError):
            app.authorize()

    def test_rate_limit_is_an_html_page_there(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.faults.add("authorize", "rate_limit_429", retry_after=1)
        answer = app.authorize()
        assert answer.status_code == 429 and answer.headers["content-type"].startswith("text/html")

    def test_decision(self, app: AppDriver, sandbox: Sandbox) -> None:
        page = app.authorize()
        sandbox.faults.add("authorize_decision", "html_5xx")
        assert app.decide(page).status_code == 502
