"""No account confusion: an answer about another TikTok account is never kept or returned."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import pytok_sm
from pytok_sm.flows import QrFlow, Response, Shown

from ..fake_tiktok import FakeTikTok

SAVED = {"access_token": "act.saved", "expires_in": 7200, "open_id": "open-1", "refresh_token": "rft.saved",
         "refresh_expires_in": 86400, "scope": "user.info.basic"}
NO_OPEN_ID = {k: v for k, v in SAVED.items() if k != "open_id"}


def answering(body: dict[str, Any], status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def refresh_body(open_id: str) -> dict[str, Any]:
    return {"access_token": "act.other", "expires_in": 7200, "refresh_token": "rft.other", "open_id": open_id}


def user_body(open_id: str) -> dict[str, Any]:
    return {"data": {"user": {"open_id": open_id, "display_name": "Someone else"}}, "error": {"code": "ok"}}


@pytest.mark.parametrize(("token", "bound"), [(SAVED, None), (NO_OPEN_ID, "open-1"), (SAVED, "open-1")])
def test_a_refresh_answer_for_another_account_is_refused_and_the_token_kept(token: dict[str, Any],
                                                                            bound: str | None) -> None:
    saved: list[object] = []
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", token=token, open_id=bound, on_token=saved.append,
                            transport=answering(refresh_body("open-2")))
    with pytest.raises(pytok_sm.AccountMismatch, match="refresh answer"):
        kit.refresh_access_token()
    assert kit.current_access_token == "act.saved" and saved == []


def test_a_token_without_open_id_learns_it_from_its_first_refresh_when_unbound() -> None:
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", token=NO_OPEN_ID, transport=answering(refresh_body("open-9")))
    assert kit.refresh_access_token().open_id == "open-9"  # nothing to compare with: documented


@pytest.mark.parametrize(("token", "bound"), [(SAVED, None), (NO_OPEN_ID, "open-1")])
def test_a_user_info_answer_for_another_account_is_refused(token: dict[str, Any], bound: str | None) -> None:
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", token=token, open_id=bound, transport=answering(user_body("open-2")))
    with pytest.raises(pytok_sm.AccountMismatch, match="user info"):
        kit.get_user_info(["open_id", "display_name"])
    fine = pytok_sm.LoginKit("aw_key", "aw_secret", token=token, open_id=bound,
                             transport=answering(user_body("open-1")))
    assert fine.get_user_info(["open_id", "display_name"])["open_id"] == "open-1"


def test_a_kit_bound_to_an_account_refuses_another_accounts_token() -> None:
    with pytest.raises(pytok_sm.AccountMismatch):
        pytok_sm.LoginKit("aw_key", "aw_secret", token=SAVED, open_id="open-2")
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", open_id="open-2")
    with pytest.raises(pytok_sm.AccountMismatch):
        kit.load_token(SAVED)
    assert kit.token is None
    with pytest.raises(pytok_sm.ConfigurationError, match="open_id"):
        pytok_sm.LoginKit("aw_key", "aw_secret", open_id="")


TICKET = "T" * 64


def confirmed(**fields: Any) -> Response:
    import json

    body = {"status": "confirmed", "client_ticket": TICKET, **fields}
    return Response(200, {}, json.dumps(body).encode())


@pytest.mark.parametrize(("redirect", "registered", "refused"), [
    ("https://app.example/cb?code=c&state=", None, False),
    ("https://evil.example/cb?code=c&state=", "https://app.example/cb", True),
    ("https://app.example/cb?code=c&state=", "https://app.example/cb", False),
    ("http://evil.example/cb?code=c&state=", None, True),
    ("http://127.0.0.1:4000/cb?code=c&state=", None, False),
    ("https://user:pw@app.example/cb?code=c&state=", None, True),
    ("javascript:alert(1)//?code=c", None, True),
    ("https://app.example/" + "x" * 600 + "?code=c", None, True),
])
def test_a_qr_confirmation_is_exchanged_only_with_this_apps_redirect(redirect: str, registered: str | None,
                                                                     refused: bool) -> None:
    config = pytok_sm.Config("aw_key", "aw_secret", **({"redirect_uri": registered} if registered else {}))
    flow = QrFlow(config, qr_token="qr1", client_ticket=TICKET, timeout=60)
    flow.start()
    effect = flow.send(confirmed(redirect_uri=redirect))
    if refused:
        assert flow.state == "refused" and isinstance(flow.error, pytok_sm.QrAnswerRefused)
    else:
        assert flow.state == "exchanging" and type(effect).__name__ == "Send"


@pytest.mark.parametrize("code", ["c" * 100_000, "a b", "a\x1bb"])
def test_a_qr_confirmation_with_an_impossible_code_is_refused(code: str) -> None:
    flow = QrFlow(pytok_sm.Config("aw_key", "aw_secret"), qr_token="qr1", client_ticket=TICKET, timeout=60)
    flow.start()
    flow.send(confirmed(code=code))
    assert flow.state == "refused" and isinstance(flow.error, pytok_sm.QrAnswerRefused)
    assert "code" in str(flow.error) and code not in str(flow.error)


def test_the_qr_path_through_a_kit_never_sends_a_refused_code() -> None:
    fake = FakeTikTok()
    sent: list[str] = []

    def tiktok(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.endswith("check_qrcode/"):
            return httpx.Response(200, json={"status": "confirmed", "client_ticket": TICKET, "code": "c" * 5000})
        return fake(request)

    kit = pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(tiktok))
    with pytest.raises(pytok_sm.QrAnswerRefused):
        kit.oauth_qrcode("qr1", TICKET, timeout=5)
    assert sent == ["/v2/oauth/check_qrcode/"]
    assert Shown  # the effect types stay importable from pytok_sm.flows
