"""``/sandbox/pending`` (the logins waiting for Approve or Deny, as a page and as JSON) and
``/sandbox/status`` (what a client needs to know that this is a pytok_sm sandbox, and whose)."""

from __future__ import annotations

import os
import re

import httpx

from pytok_sm.sandbox import App, Sandbox
from pytok_sm.sandbox._authorize import CONSENT_LIFETIME, DECISION_PATH

from .helpers import AppDriver, query_of


def pending(http: httpx.Client) -> list[dict[str, object]]:
    answer = http.get("/sandbox/pending", params={"format": "json"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    return list(answer.json()["pending"])


def test_nothing_pending_at_first(http: httpx.Client) -> None:
    page = http.get("/sandbox/pending")
    assert page.status_code == 200
    assert "No login is waiting for approval." in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert pending(http) == []


def test_an_opened_authorize_page_is_pending_until_decided(app: AppDriver, http: httpx.Client) -> None:
    page = app.authorize(scope="user.info.basic,user.info.stats")
    (item,) = pending(http)
    assert item["app"] == "pytok_sm Sandbox App" and item["client_key"] == app.client_key
    assert item["scopes"] == ["user.info.basic", "user.info.stats"]
    assert item["redirect_uri"] == app.REDIRECT_URI
    assert item["consent"] == re.search(r'name="consent" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert 0 <= float(item["waiting"]) < 5 and float(item["expires_in"]) <= CONSENT_LIFETIME  # type: ignore[arg-type]
    listed = http.get("/sandbox/pending").text
    assert f'action="{DECISION_PATH}"' in listed and 'id="approve-1"' in listed and 'id="deny-1"' in listed
    assert 'name="scope" value="user.info.stats" checked' in listed  # optional scopes can be unticked
    app.decide(page)
    assert pending(http) == []


def test_the_pending_form_approves_like_the_consent_page(app: AppDriver, http: httpx.Client) -> None:
    app.authorize(state="s-1")
    (item,) = pending(http)
    answer = http.post(DECISION_PATH, data={"consent": item["consent"], "decision": "approve"})
    assert answer.status_code == 302
    query = query_of(answer.headers["location"])
    assert answer.headers["location"].startswith(app.REDIRECT_URI + "?")
    assert query["state"] == "s-1" and query["code"] and query["scopes"] == "user.info.basic"


def test_newest_first_and_one_entry_per_login(app: AppDriver, http: httpx.Client) -> None:
    app.authorize(state="first")
    app.authorize(state="second")
    again = app.authorize(state="second")  # the same login's page opened twice
    listed = pending(http)
    assert len(listed) == 2
    assert listed[0]["consent"] == re.search(r'name="consent" value="([^"]+)"', again.text).group(1)  # type: ignore[union-attr]
    app.decide(again)
    assert len(pending(http)) == 1  # deciding one page of a login settles its other pages


def test_expired_consents_are_not_pending(app: AppDriver, http: httpx.Client, sandbox: Sandbox) -> None:
    app.authorize()
    sandbox.clock.advance(CONSENT_LIFETIME + 1)
    assert pending(http) == []


def test_names_are_escaped_on_the_page() -> None:
    hostile = App(client_key="k-hostile", client_secret="s", name="<script>x</script>", kind="desktop",
                  redirect_uris=("http://127.0.0.1:*/callback/",))
    with Sandbox(apps=[hostile]) as sb, httpx.Client(base_url=sb.base_url, trust_env=False) as http:
        AppDriver(sb, http).authorize(redirect_uri="http://127.0.0.1:5000/callback/")
        page = http.get("/sandbox/pending").text
        assert "<script>" not in page and "&lt;script&gt;" in page


def test_status_says_what_and_whose_without_the_secret(http: httpx.Client, sandbox: Sandbox, app: AppDriver) -> None:
    app.authorize()
    status = http.get("/sandbox/status").json()
    assert status["sandbox"] == "pytok_sm" and status["pid"] == os.getpid()
    assert status["base_url"] == sandbox.base_url and status["client_key"] == sandbox.client_key
    assert status["pending"] == 1 and status["live_tokens"] == 0
    assert sandbox.client_secret not in str(status)


def test_the_new_pages_are_counted_like_every_endpoint(http: httpx.Client, sandbox: Sandbox) -> None:
    http.get("/sandbox/pending")
    http.get("/sandbox/status")
    assert sandbox.count("pending_page") == 1 and sandbox.count("sandbox_status") == 1
