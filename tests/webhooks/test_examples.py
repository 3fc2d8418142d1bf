"""The README's examples, docs/examples/webhooks_flask.py and webhooks_fastapi.py, run for real:
Flask's test client and FastAPI's TestClient post TikTok's deliveries to them."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from pytok_sm import Token
from pytok_sm.stores import SQLiteStore

from .helpers import DOCUMENTED, SECRET, header

# FastAPI's TestClient still runs on httpx, which Starlette now warns about: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
REMOVED = DOCUMENTED["authorization.removed"]
OPEN_ID = "act.example12345Example12345Example"
CLIENT_KEY = "bwo2m45353a6k85"


def load(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], SQLiteStore]:
    """Run the example as its README says (environment variables), with a token store holding one account."""
    db = tmp_path / "private" / "tokens.db"
    store = SQLiteStore(db)
    store.put(CLIENT_KEY, Token(access_token="act.live", expires_at=2e9, open_id=OPEN_ID))
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("TOKEN_DB", str(db))
    return runpy.run_path(str(EXAMPLES / name)), store


def signed(body: bytes) -> dict[str, str]:
    import time

    return {"TikTok-Signature": header(body, t=int(time.time())), "Content-Type": "application/json"}


@pytest.mark.parametrize("name", ["webhooks_flask.py", "webhooks_fastapi.py"])
def test_an_example_marks_a_removed_account_once_and_refuses_forgeries(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace, store = load(name, tmp_path, monkeypatch)
    client = client_for(name, namespace["app"])
    answer = client.post("/webhooks/tiktok", content=REMOVED, headers=signed(REMOVED))
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "reason": "delivered"})
    account = store.get(CLIENT_KEY, OPEN_ID)
    assert account is not None and account.state == "removed" and account.version == 2
    assert account.reason == "the user disconnected the app from TikTok"
    # TikTok delivers again: answered 200, not passed on (the account is not written a second time).
    again = client.post("/webhooks/tiktok", content=REMOVED, headers=signed(REMOVED))
    assert again.json() == {"ok": True, "reason": "duplicate"} and store.get(CLIENT_KEY, OPEN_ID).version == 2  # type: ignore[union-attr]
    forged = client.post("/webhooks/tiktok", content=REMOVED.replace(b"1 }", b"4 }"), headers=signed(REMOVED))
    assert (forged.status_code, forged.json()["reason"]) == (401, "signature_mismatch")
    assert client.post("/webhooks/tiktok", content=REMOVED).status_code == 401
    for event in DOCUMENTED:  # every documented event is taken (the posting ones are logged)
        body = DOCUMENTED[event]
        assert client.post("/webhooks/tiktok", content=body, headers=signed(body)).status_code == 200, event
    store.close()


@pytest.mark.parametrize("name", ["webhooks_flask.py", "webhooks_fastapi.py"])
def test_an_example_answers_500_when_its_handler_fails_and_takes_the_retry(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace, store = load(name, tmp_path, monkeypatch)
    client = client_for(name, namespace["app"])
    real_mark = namespace["store"].mark
    calls: list[int] = []

    def failing_mark(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real_mark(*args, **kwargs)

    namespace["store"].mark = failing_mark
    first = client.post("/webhooks/tiktok", content=REMOVED, headers=signed(REMOVED))
    assert (first.status_code, first.json()) == (500, {"ok": False, "reason": "handler_failed"})
    assert b"disk" not in first.content
    retry = client.post("/webhooks/tiktok", content=REMOVED, headers=signed(REMOVED))
    assert (retry.status_code, retry.json()["reason"]) == (200, "delivered") and len(calls) == 2
    assert store.get(CLIENT_KEY, OPEN_ID).state == "removed"  # type: ignore[union-attr]
    store.close()


def client_for(name: str, app: Any) -> Any:
    if name == "webhooks_flask.py":
        return _FlaskClient(app.test_client())
    from fastapi.testclient import TestClient

    return TestClient(app)


class _FlaskClient:
    """Flask's test client with the call shape of FastAPI's (``content=``, ``.json()``)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def post(self, path: str, *, content: bytes, headers: dict[str, str] | None = None) -> _Answer:
        answer = self._client.post(path, data=content, headers=headers or {})
        return _Answer(answer.status_code, answer.get_data())


class _Answer:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)
