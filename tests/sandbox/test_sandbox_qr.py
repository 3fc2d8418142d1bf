"""QR-code login: get_qrcode, check_qrcode's status sequence, the phone (TIKTOK-API.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import PhoneError, Sandbox
from pytok_sm.sandbox import _messages as messages

from .helpers import AppDriver

TICKET = "ticket-0123456789abcdefABCDEF_-"


def status_of(app: AppDriver, token: str) -> dict[str, str]:
    answer = app.check_qrcode(token)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


class TestGetQrcode:
    def test_answers_a_scan_url_with_the_placeholder_ticket_and_a_polling_token(self, app: AppDriver) -> None:
        qr = app.get_qrcode("user.info.basic,video.list")
        assert set(qr) == {"scan_qrcode_url", "token"}
        url = qr["scan_qrcode_url"]
        assert url.startswith("aweme://authorize?")
        query = parse_qs(urlsplit(url).query)
        assert query["client_ticket"] == [contract.CLIENT_TICKET_PLACEHOLDER]
        assert query["client_key"] == [app.client_key]
        assert query["scope"] == ["user.info.basic,video.list"]

    def test_the_url_names_the_session_without_revealing_the_polling_token(self, app: AppDriver) -> None:
        qr = app.get_qrcode()
        (qrcode_id,) = parse_qs(urlsplit(qr["scan_qrcode_url"]).query)["qrcode_id"]
        assert qrcode_id and qrcode_id != qr["token"]
        assert qr["token"] not in qr["scan_qrcode_url"]

    def test_needs_no_secret_and_state_is_optional(self, app: AppDriver) -> None:
        answer = app.post(contract.GET_QRCODE_PATH, client_key=app.client_key, scope="user.info.basic")
        assert answer.status_code == 200 and "token" in answer.json()

    @pytest.mark.parametrize(
        ("fields", "error", "description"),
        [
            ({"client_key": "unknown", "scope": "user.info.basic"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"scope": "user.info.basic"}, "invalid_request", contract.DESC_MALFORMED),
            ({"client_key": None, "scope": "user.info.nothing"}, "invalid_scope", messages.DESC_INVALID_SCOPE),
            ({"client_key": None}, "invalid_scope", messages.DESC_INVALID_SCOPE),
        ],
    )
    def test_errors(self, app: AppDriver, fields: dict[str, str | None], error: str, description: str) -> None:
        if "client_key" in fields and fields["client_key"] is None:
            fields = {**fields, "client_key": app.client_key}
        body = app.post(contract.GET_QRCODE_PATH, **fields).json()
        assert (body["error"], body["error_description"]) == (error, description) and body["log_id"]


class TestStatusSequence:
    def test_new_scanned_confirmed_utilised(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode("user.info.basic,user.info.profile", state="qr-state-1")
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        assert status_of(app, qr["token"]) == {"client_ticket": "", "status": "new"}

        assert sandbox.phone_scan(url) == "scanned"
        assert status_of(app, qr["token"]) == {"client_ticket": TICKET, "status": "scanned"}

        assert sandbox.phone_confirm(url) == "confirmed"
        confirmed = status_of(app, qr["token"])
        assert set(confirmed) == {"client_ticket", "status", "redirect_uri"}
        assert (confirmed["client_ticket"], confirmed["status"]) == (TICKET, "confirmed")
        assert confirmed["redirect_uri"].startswith("http://127.0.0.1:3456/callback/?code=")
        callback = app.query_of(confirmed["redirect_uri"])
        assert set(callback) == {"code", "state"} and callback["state"] == "qr-state-1"
        assert "*" in callback["code"] and "%2A" in confirmed["redirect_uri"]

        exchanged = app.post(
            contract.TOKEN_PATH,
            client_key=app.client_key,
            client_secret=app.client_secret,
            code=callback["code"],
            grant_type="authorization_code",
            redirect_uri="http://127.0.0.1:3456/callback/",
        )
        assert exchanged.status_code == 200
        assert exchanged.json()["scope"] == "user.info.basic,user.info.profile"
        assert status_of(app, qr["token"]) == {"client_ticket": TICKET, "status": "utilised"}

    def test_a_qr_code_needs_neither_verifier_nor_redirect_uri_by_default(
        self, app: AppDriver, sandbox: Sandbox
    ) -> None:
        code = self._confirmed_code(app, sandbox)
        answer = app.post(
            contract.TOKEN_PATH,
            client_key=app.client_key,
            client_secret=app.client_secret,
            code=code,
            grant_type="authorization_code",
        )
        assert answer.status_code == 200

    def test_a_qr_code_requires_redirect_uri_when_the_switch_says_so(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.qr_requires_redirect_uri = True
        code = self._confirmed_code(app, sandbox)
        fields = {
            "client_key": app.client_key,
            "client_secret": app.client_secret,
            "code": code,
            "grant_type": "authorization_code",
        }
        assert app.post(contract.TOKEN_PATH, **fields).json()["error"] == "invalid_request"
        wrong = app.post(contract.TOKEN_PATH, **fields, redirect_uri="http://127.0.0.1:3456/other/").json()
        assert (wrong["error"], wrong["error_description"]) == ("invalid_grant", contract.DESC_REDIRECT_MISMATCH)
        assert (
            app.post(contract.TOKEN_PATH, **fields, redirect_uri="http://127.0.0.1:3456/callback/").status_code == 200
        )

    @staticmethod
    def _confirmed_code(app: AppDriver, sandbox: Sandbox) -> str:
        qr = app.get_qrcode()
        sandbox.phone_confirm(app.fill_ticket(qr["scan_qrcode_url"], TICKET))
        return app.query_of(status_of(app, qr["token"])["redirect_uri"])["code"]

    def test_confirm_grants_only_the_scopes_left_ticked(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode("user.info.basic,user.info.stats,video.list")
        sandbox.phone_confirm(app.fill_ticket(qr["scan_qrcode_url"], TICKET), scopes=["video.list"])
        assert sandbox.qr_sessions[-1].granted_scopes == ("user.info.basic", "video.list")

    @pytest.mark.parametrize(
        ("mode", "fields"),
        [("bare", {"code", "state"}), ("both", {"redirect_uri", "code", "state"})],
    )
    def test_confirmed_fields_switch(self, app: AppDriver, sandbox: Sandbox, mode: str, fields: set[str]) -> None:
        sandbox.switches.qr_confirmed_fields = mode
        qr = app.get_qrcode(state="st")
        sandbox.phone_confirm(app.fill_ticket(qr["scan_qrcode_url"], TICKET))
        body = status_of(app, qr["token"])
        assert set(body) == {"client_ticket", "status"} | fields
        assert body["state"] == "st" and "*" in body["code"]
        if "redirect_uri" in body:
            assert app.query_of(body["redirect_uri"])["code"] == body["code"]

    def test_without_state_the_confirmed_answer_carries_none(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode(state=None)
        sandbox.phone_confirm(app.fill_ticket(qr["scan_qrcode_url"], TICKET))
        assert "state=" not in status_of(app, qr["token"])["redirect_uri"]


class TestExpiry:
    def test_an_unscanned_qr_code_expires_after_120_seconds(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        sandbox.clock.advance(119)
        assert status_of(app, qr["token"])["status"] == "new"
        sandbox.clock.advance(1)
        assert status_of(app, qr["token"]) == {"client_ticket": "", "status": "expired"}

    def test_a_scanned_qr_code_expires_too_and_the_phone_cannot_confirm(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        sandbox.phone_scan(url)
        sandbox.clock.advance(120)
        assert status_of(app, qr["token"]) == {"client_ticket": "", "status": "expired"}
        with pytest.raises(PhoneError, match="expired"):
            sandbox.phone_confirm(url)

    def test_the_lifetime_is_a_switch(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.qr_lifetime = 300
        qr = app.get_qrcode()
        sandbox.clock.advance(299)
        assert status_of(app, qr["token"])["status"] == "new"

    def test_a_confirmed_code_left_unused_expires_with_the_code(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        sandbox.phone_confirm(app.fill_ticket(qr["scan_qrcode_url"], TICKET))
        sandbox.clock.advance(300)
        assert status_of(app, qr["token"]) == {"client_ticket": "", "status": "expired"}


class TestDeny:
    def test_deny_turns_the_session_expired_by_default(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        sandbox.phone_scan(url)
        assert sandbox.phone_deny(url) == "expired"
        assert status_of(app, qr["token"]) == {"client_ticket": "", "status": "expired"}

    def test_the_deny_status_is_a_switch(self, app: AppDriver, sandbox: Sandbox) -> None:
        sandbox.switches.qr_deny_status = "denied"
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        sandbox.phone_deny(url)
        assert status_of(app, qr["token"]) == {"client_ticket": TICKET, "status": "denied"}


class TestCheckQrcodeErrors:
    @pytest.mark.parametrize(
        ("overrides", "error", "description"),
        [
            ({"client_secret": "bad"}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"client_secret": None}, "invalid_client", messages.DESC_INVALID_CLIENT),
            ({"token": None}, "invalid_request", contract.DESC_MALFORMED),
            ({"token": "unknown"}, "invalid_request", messages.DESC_QR_TOKEN_INVALID),
        ],
    )
    def test_errors(self, app: AppDriver, overrides: dict[str, str | None], error: str, description: str) -> None:
        qr = app.get_qrcode()
        body = app.check_qrcode(qr["token"], **overrides).json()
        assert (body["error"], body["error_description"]) == (error, description) and body["log_id"]

    def test_the_token_of_another_app_is_refused(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        web = type(app)(sandbox, app.http, sandbox.web_client_key, sandbox.web_client_secret)
        assert web.check_qrcode(qr["token"]).json()["error"] == "invalid_request"


class TestPhone:
    def test_refuses_a_url_whose_ticket_was_not_filled_in(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        with pytest.raises(PhoneError, match="placeholder"):
            sandbox.phone_scan(qr["scan_qrcode_url"])
        assert status_of(app, qr["token"])["status"] == "new"

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda url: url.replace("aweme://", "https://"),
            lambda url: url.replace("qrcode_id=", "qr_id="),
            lambda url: url + "&client_ticket=second",
            lambda url: url.replace(f"client_ticket={TICKET}", "client_ticket=" + "x" * 600),
        ],
    )
    def test_refuses_malformed_urls(self, app: AppDriver, sandbox: Sandbox, mangle: Callable[[str], str]) -> None:
        qr = app.get_qrcode()
        with pytest.raises(PhoneError):
            sandbox.phone_scan(mangle(app.fill_ticket(qr["scan_qrcode_url"], TICKET)))

    def test_a_second_scan_with_another_ticket_is_refused(self, app: AppDriver, sandbox: Sandbox) -> None:
        qr = app.get_qrcode()
        sandbox.phone_scan(app.fill_ticket(qr["scan_qrcode_url"], TICKET))
        with pytest.raises(PhoneError, match="another client_ticket"):
            sandbox.phone_scan(app.fill_ticket(qr["scan_qrcode_url"], "other"))

    def test_http_endpoints_do_the_same_as_the_methods(self, app: AppDriver, http: httpx.Client) -> None:
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        assert http.post("/sandbox/phone/scan", data={"url": url}).json() == {"status": "scanned"}
        assert http.post("/sandbox/phone/confirm", data={"url": url, "scopes": ""}).json() == {"status": "confirmed"}
        assert status_of(app, qr["token"])["status"] == "confirmed"
        refused = http.post("/sandbox/phone/deny", data={"url": url})
        assert refused.status_code == 400 and "confirmed" in refused.json()["error"]

    def test_http_deny(self, app: AppDriver, http: httpx.Client) -> None:
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        assert http.post("/sandbox/phone/deny", data={"url": url}).json() == {"status": "expired"}

    def test_the_phone_page_shows_the_status_with_buttons(self, app: AppDriver, http: httpx.Client) -> None:
        qr = app.get_qrcode()
        url = app.fill_ticket(qr["scan_qrcode_url"], TICKET)
        page = http.get("/sandbox/phone", params={"url": url})
        assert page.status_code == 200 and 'id="status">new<' in page.text
        for button in ('id="scan"', 'id="confirm"', 'id="deny"'):
            assert button in page.text
        after = http.post("/sandbox/phone/scan", data={"url": url, "return_to": "page"})
        assert after.headers["content-type"].startswith("text/html") and 'id="status">scanned<' in after.text

    def test_the_phone_page_of_an_unknown_session(self, http: httpx.Client) -> None:
        page = http.get("/sandbox/phone", params={"url": "aweme://authorize?qrcode_id=nope&client_ticket=t"})
        assert page.status_code == 200 and "unknown QR code" in page.text
