"""What the child processes of the two-process de-duplication test run (importable: spawn)."""

from __future__ import annotations

from typing import Any

from pytok_sm.webhooks import Deduplicator, SQLiteSingleUse, WebhookEvent, handle

from .helpers import SECRET, T


def receive_all(db_path: str, deliveries: list[tuple[bytes, str]], barrier: Any, results: Any) -> None:
    """Receive every delivery (some twice) on a SQLite-backed dedupe; report what was passed on."""
    seen = SQLiteSingleUse(db_path)
    passed: list[str] = []
    statuses: list[tuple[int, str]] = []

    def on_event(event: WebhookEvent) -> None:
        passed.append(event.delivery_id)

    try:
        barrier.wait(30)
        for body, signature in deliveries:
            outcome = handle(body, {"TikTok-Signature": signature}, client_secret=SECRET, on_event=on_event,
                             dedupe=Deduplicator(seen), clock=lambda: float(T))
            statuses.append((outcome.status, outcome.reason))
        results.put(("done", passed, statuses))
    except BaseException as error:  # noqa: BLE001 - reported, so the parent fails with the reason
        results.put(("error", repr(error), []))
    finally:
        seen.close()
