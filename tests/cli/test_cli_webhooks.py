"""``pytok webhooks listen`` receives signed deliveries in its own process and applies them to
the token store (a token file, a SQLite file with its post board); ``pytok webhooks verify``
checks saved deliveries: genuine, tampered, stale; both fail the ``pytok`` way."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pytok_sm import Token
from pytok_sm.cli import main
from pytok_sm.cli._token_file_io import TokenFile
from pytok_sm.cli.file_store import FileStore
from pytok_sm.cli.token_file import TokenStore
from pytok_sm.webhooks import SQLitePostBoard, sign

from .helpers import Pytok, Result, Running
from .test_cli_usage import assert_one_line_error

KEY, SECRET, OPEN_ID = "aw_key", "whsec-cli-test-secret", "u1"
CREDENTIALS = ["--client-key", KEY, "--client-secret", SECRET]


def body(event: str, content: dict[str, object], create_time: int | None = None) -> bytes:
    return json.dumps({"client_key": KEY, "event": event, "create_time": create_time or int(time.time()),
                       "user_openid": OPEN_ID, "content": json.dumps(content)}).encode()


def removed() -> bytes:
    """An ``authorization.removed`` made now (one made at import time would be older than the
    account a test writes later: a removal older than the account's last write is left alone)."""
    return body("authorization.removed", {"reason": 1})


#: A saved delivery for ``webhooks verify`` (its age does not matter there).
REMOVED = removed()


def post(url: str, data: bytes, signature: str | None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"TikTok-Signature": signature} if signature else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def listen(pytok: Pytok, store: Path) -> tuple[Running, str]:
    running = pytok.start("webhooks", "listen", "--port", "0", "--store", str(store), *CREDENTIALS)
    found = running.wait_for(r"listening on (http://127\.0\.0\.1:\d+/webhooks/tiktok)")
    return running, found.group(1)


def test_listen_verifies_prints_applies_and_deduplicates_then_ctrl_c_exits_130(pytok: Pytok, tmp_path: Path) -> None:
    store = tmp_path / "tokens.json"
    TokenStore(store).save(KEY, Token(access_token="act.x", expires_at=time.time() + 3600, open_id=OPEN_ID,
                                      refresh_token="rft.x"))
    running, url = listen(pytok, store)
    delivery = removed()
    try:
        assert post(url, delivery, sign(delivery, SECRET)) == (200, {"ok": True, "reason": "delivered"})
        running.wait_for(r"^authorization\.removed open_id=u1 reason=1 \(the user disconnected the app from TikTok\) "
                         r"-> account removed")
        account = FileStore(TokenFile(store)).get(KEY, OPEN_ID)
        assert account is not None and account.state == "removed" and "reason 1" in (account.reason or "")
        assert post(url, delivery, sign(delivery, SECRET))[1]["reason"] == "duplicate"
        running.wait_for(r"pytok: duplicate delivery \(applied before\): authorization\.removed open_id=u1")
        assert post(url, delivery + b" ", sign(delivery, SECRET)) == (401, {"ok": False, "reason": "signature_mismatch"})
        running.wait_for(r"pytok: refused a delivery: 401 signature_mismatch")
        assert post(url.replace("/webhooks/tiktok", "/other"), delivery, sign(delivery, SECRET))[0] == 404
        complete = body("post.publish.complete", {"publish_id": "v_pub_url~v2.1"})
        assert post(url, complete, sign(complete, SECRET))[0] == 200
        running.wait_for(r"^post\.publish\.complete publish_id=v_pub_url~v2\.1 open_id=u1 -> not recorded: a token file")
        running.process.send_signal(signal.SIGINT)
        result = running.finish()
    finally:
        running.kill()
    assert result.returncode == 130, result.stderr
    assert "pytok: stopped listening" in result.stderr and "Traceback" not in result.stderr
    events = [line.split()[0] for line in result.stdout.splitlines()]
    assert events == ["authorization.removed", "post.publish.complete"]  # each once, the first sent twice
    whoami = pytok.run("whoami", "--store", str(store), *CREDENTIALS)
    assert whoami.returncode == 3
    assert_one_line_error(whoami.stderr, "the account u1 was removed", "the user disconnected the app from TikTok")


def test_listen_records_posting_events_on_a_sqlite_stores_post_board(pytok: Pytok, tmp_path: Path) -> None:
    store = tmp_path / "tokens.db"
    running, url = listen(pytok, store)
    complete = body("post.publish.failed", {"publish_id": "v_pub_url~v2.1", "reason": "internal"})
    try:
        assert post(url, complete, sign(complete, SECRET))[0] == 200
        running.wait_for(r"^post\.publish\.failed publish_id=v_pub_url~v2\.1 reason=internal open_id=u1 -> post FAILED")
        unknown = body("authorization.removed", {"reason": 2})
        assert post(url, unknown, sign(unknown, SECRET))[0] == 200
        running.wait_for(r"authorization\.removed open_id=u1 .* -> no such account in the store")
    finally:
        running.process.send_signal(signal.SIGTERM)
        result = running.finish()
        running.kill()
    assert result.returncode == 0 and "webhook_posts" in result.stderr  # told where posts go
    board = SQLitePostBoard(store)
    found = board.get(KEY, "v_pub_url~v2.1")
    assert found is not None and (found.status, found.fail_reason) == ("FAILED", "internal")
    board.close()


def test_a_busy_port_is_one_line_exit_1(pytok: Pytok, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pytok.run("webhooks", "listen", "--port", str(port), "--store", str(tmp_path / "t.json"), *CREDENTIALS)
    assert result.returncode == 1
    assert_one_line_error(result.stderr, f"cannot listen on 127.0.0.1:{port}: address already in use")


# ---------------------------------------------------------------- verify (in this process: no store, no network)
@pytest.fixture
def pytok_here(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> Result:
        try:
            code = main(list(args))
        except SystemExit as stop:
            code = int(stop.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "delivery.json"
    path.write_bytes(REMOVED)
    return path


def test_verify_a_genuine_delivery_prints_it(pytok_here: Any, saved: Path) -> None:
    result = pytok_here("webhooks", "verify", str(saved), "--header", f"TikTok-Signature: {sign(REMOVED, SECRET)}",
                       *CREDENTIALS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("signature: valid (signed at ") and lines[0].endswith(" s ago)")
    assert lines[1] == "event: authorization.removed open_id=u1 reason=1 (the user disconnected the app from TikTok)"
    assert lines[2].startswith("delivery_id: ") and len(lines[2]) == len("delivery_id: ") + 32


@pytest.mark.parametrize(("change", "extra", "fragments"), [
    (lambda b: b + b" ", [], ["signature_mismatch:", "does not match the body"]),
    (lambda b: b, ["--client-secret", "not-the-secret"], ["signature_mismatch:"]),
    (lambda b: b, ["--tolerance", "5"], ["timestamp_out_of_range:", "stale"]),
])
def test_verify_names_the_failed_check_exit_1(pytok_here: Any, saved: Path, change: object, extra: list[str],
                                              fragments: list[str]) -> None:
    saved.write_bytes(change(REMOVED))  # type: ignore[operator]
    old = sign(REMOVED, SECRET, timestamp=int(time.time()) - 60)
    result = pytok_here("webhooks", "verify", str(saved), "--signature", old, *CREDENTIALS, *extra)
    assert result.returncode == 1 and result.stdout == ""
    assert_one_line_error(result.stderr, *fragments)


def test_verify_an_old_delivery_without_the_time_check(pytok_here: Any, saved: Path) -> None:
    old = sign(REMOVED, SECRET, timestamp=1_600_000_000)
    assert pytok_here("webhooks", "verify", str(saved), "--signature", old, *CREDENTIALS).returncode == 1
    result = pytok_here("webhooks", "verify", str(saved), "--signature", old, "--no-time-check", *CREDENTIALS)
    assert result.returncode == 0 and "time not checked" in result.stdout


@pytest.mark.parametrize(("args", "fragments"), [
    (["webhooks"], ["required: ACTION", "(see pytok webhooks --help)"]),
    (["webhooks", "verify", "x.json"], ["--header --signature is required", "(see pytok webhooks verify --help)"]),
    (["webhooks", "verify", "x.json", "--signature", "t=1,s=a", "--tolerance", "1", "--no-time-check"],
     ["not allowed with argument --tolerance"]),
    (["webhooks", "listen", "--port", "99999"], ["argument --port: must be 0..65535", "(see pytok webhooks listen --help)"]),
    (["webhooks", "listen", "--path", "hooks"], ["argument --path"]),
    (["webhooks", "verify", "missing.json", "--signature", "t=1,s=a"], ["cannot read missing.json"]),
    (["webhooks", "verify", "-", "--header", "Authorization: t=1,s=a"], ["--header names 'Authorization'"]),
])
def test_usage_errors_are_one_pytok_line_exit_2(pytok_here: Any, args: list[str], fragments: list[str]) -> None:
    result = pytok_here(*args, *CREDENTIALS)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result.stderr, *fragments)
