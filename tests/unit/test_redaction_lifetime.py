"""Redaction never forgets a secret the library still holds, in str and bytes, and its memory
follows what the program holds (bounded however many flows and refreshes go by)."""

from __future__ import annotations

import gc
import secrets

import httpx

import pytok_sm
from pytok_sm._secrets import REGISTRY
from pytok_sm.flows import BrowserFlow, RefreshFlow, Response
from pytok_sm.logs import Redactor

from ..fake_tiktok import FakeTikTok


def masked(value: str) -> bool:
    event = Redactor()(None, "info", {"event": f"saw {value} here", "raw": value.encode(), "nested": [value]})
    return value not in event["event"] and value.encode() not in event["raw"] and value not in event["nested"][0]


def fresh(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(24)}"


def refresh_answer() -> Response:
    body = f'{{"access_token": "{fresh("act")}", "expires_in": 60, "refresh_token": "{fresh("rft")}"}}'
    return Response(200, {}, body.encode())


def test_a_live_refresh_token_stays_masked_after_five_thousand_other_refreshes() -> None:
    kit = pytok_sm.LoginKit("aw_key", "aw_secret", token={"access_token": fresh("act"), "expires_in": 60,
                                                           "refresh_token": fresh("rft")})
    live = kit.token
    assert live is not None and live.refresh_token is not None
    for _ in range(5000):  # other accounts refreshing in the same process
        flow = RefreshFlow(kit.config, refresh_token=fresh("rft"))
        flow.start()
        flow.send(refresh_answer())
    assert masked(live.refresh_token) and masked(live.access_token)


def test_every_secret_the_library_holds_is_masked() -> None:
    secret = fresh("client-secret")
    kit = pytok_sm.LoginKit("aw_key", secret, transport=httpx.MockTransport(FakeTikTok()))
    loaded = kit.load_token({"access_token": fresh("act"), "expires_in": 60, "refresh_token": fresh("rft")})
    url, snapshot = pytok_sm.LoginKit("aw_key", secret, redirect_uri="https://app.example/cb").begin_browser_login()
    resumed = BrowserFlow.resume(snapshot, pytok_sm.Config("aw_key", secret, redirect_uri="https://app.example/cb"))
    assert masked(secret)  # the client secret, while a config holds it
    assert masked(loaded.access_token) and masked(loaded.refresh_token or "")  # load_token's token
    assert masked(resumed.csrf_state) and masked(resumed.verifier)  # a resumed flow's secrets
    exchanged = pytok_sm.LoginKit("aw_key", "aw_secret", transport=httpx.MockTransport(FakeTikTok()),
                                  redirect_uri="https://app.example/cb")
    url, snapshot = exchanged.begin_browser_login()
    query = f"code=c0de-{secrets.token_hex(8)}&state={snapshot['data']['csrf_state']}"
    token = exchanged.complete_browser_login(snapshot, query)  # a browser login's token
    assert masked(token.access_token) and masked(token.refresh_token or "")


def test_a_secret_inside_bytes_is_masked_and_other_bytes_pass_untouched() -> None:
    token = pytok_sm.Token(fresh("act"), 0.0)
    out = Redactor()(None, "info", {"event": "x", "body": b'{"access_token": "' + token.access_token.encode() + b'"}',
                                    "other": b"\xff\xfeplain"})
    assert token.access_token.encode() not in out["body"] and b"[redacted]" in out["body"]
    assert out["other"] == b"\xff\xfeplain"


def test_twenty_thousand_flows_and_tokens_leave_the_registry_as_it_was() -> None:
    gc.collect()
    before = len(REGISTRY)
    config = pytok_sm.Config("aw_key", "aw_secret")
    kept = []
    for n in range(20_000):
        flow = RefreshFlow(config, refresh_token=fresh("rft"))
        flow.start()
        token = flow.send(refresh_answer()).result  # type: ignore[union-attr]
        if n % 1000 == 0:
            kept.append(token)
    del flow, token
    gc.collect()
    assert len(REGISTRY) == before + 2 * len(kept)  # only what is still held
    assert all(masked(t.access_token) for t in kept)
    del kept
    gc.collect()
    assert len(REGISTRY) == before
