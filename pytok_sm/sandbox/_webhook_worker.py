"""The thread that delivers the sandbox's webhooks, as TikTok does: at least once, retrying.

Started with the sandbox and stopped (joined) by ``Sandbox.stop()``, it loops: move the posts
of apps with a webhook URL on the sandbox clock (:func:`~._webhooks.scan`), take every
delivery that is due, and POST each to its app's *current* webhook URL (dropped if the app has
none any more), signed as :func:`~._webhooks.signed` says. A 200 ends a delivery (then
``switches.webhook_duplicates`` copies follow, each ``webhook_retry_base`` after the last);
anything else (another status, a refused connection, a timeout) is retried after
``webhook_retry_base * 2 ** (attempt - 1)`` real seconds, until ``webhook_max_attempts``
sends or ``webhook_retry_horizon`` seconds since the first. ``webhook_order = "shuffled"``
sends each batch of due deliveries out of their queued order. Every attempt is recorded
(:class:`~._webhooks.WebhookDelivery`). The queue outlives a stop: a restarted sandbox goes on.

``stop()`` wakes the loop at once, even in a backoff wait, and shuts the socket of a POST in
flight (a receiver that never answers does not hold it up).

Example:
    >>> from pytok_sm.sandbox._context import Context
    >>> worker = WebhookWorker(Context.default(), on_error=print)
    >>> worker.start(); worker.running
    True
    >>> worker.stop(); worker.running
    True
    False
"""

from __future__ import annotations

import hashlib
import http.client
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from ._webhooks import Pending, WebhookDelivery, scan, signed

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["DELIVERY_TIMEOUT", "TICK", "WebhookWorker"]

#: Real seconds between two looks at the posts (and the longest wait for anything).
TICK: Final = 0.05
#: Real seconds a receiver has to answer one POST.
DELIVERY_TIMEOUT: Final = 10.0
_MAX_ANSWER: Final = 64 * 1024
_USER_AGENT: Final = "pytok-sm-sandbox-webhooks/1"


class WebhookWorker:
    """The delivery loop of one sandbox; ``on_error`` hears of any bug in it (never raised).

    Example:
        >>> from pytok_sm.sandbox._context import Context
        >>> WebhookWorker(Context.default(), on_error=print).running
        False
    """

    def __init__(self, ctx: Context, on_error: Callable[[BaseException], None]) -> None:
        self._ctx = ctx
        self._on_error = on_error
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._connection: http.client.HTTPConnection | None = None
        self._random = random.Random()

    @property
    def running(self) -> bool:
        """True while the thread lives."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pytok-sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop and join the thread; True when it ended within ``timeout``."""
        self._stopping.set()
        self._ctx.webhooks.wake.set()
        with self._lock:
            connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    # --- the loop ---------------------------------------------------------------------
    def _run(self) -> None:
        wake = self._ctx.webhooks.wake
        while not self._stopping.is_set():
            wake.clear()
            try:
                scan(self._ctx)
                for item in self._batch():
                    if self._stopping.is_set():
                        self._requeue(item)
                    else:
                        self._attempt(item)
            except Exception as exc:  # noqa: BLE001 - a sandbox bug: recorded for tests, the loop goes on
                self._on_error(exc)
            wake.wait(self._pause())

    def _pause(self) -> float:
        with self._ctx.state.lock:
            dues = [item.due for item in self._ctx.webhooks.pending]
        return max(0.0, min([TICK, *(due - time.monotonic() for due in dues)]))

    def _batch(self) -> list[Pending]:
        """The due deliveries, out of the queue, in the order they go out."""
        with self._ctx.state.lock:
            now = time.monotonic()
            pending = self._ctx.webhooks.pending
            due = sorted((item for item in pending if item.due <= now), key=lambda item: (item.delivery, item.attempts))
            pending[:] = [item for item in pending if item.due > now]
            order = self._ctx.switches.webhook_order
        if order == "shuffled" and len(due) > 1:
            queued = list(due)
            self._random.shuffle(due)
            if due == queued:
                due = due[1:] + due[:1]
        return due

    def _requeue(self, item: Pending) -> None:
        with self._ctx.state.lock:
            self._ctx.webhooks.pending.append(item)

    def _attempt(self, item: Pending) -> None:
        ctx = self._ctx
        with ctx.state.lock:
            app = ctx.apps.get(item.client_key)
            url = None if app is None else app.webhook_url
            secret = "" if app is None else app.client_secret
            switches = ctx.switches
            sent, headers, moment = signed(item.body, secret, switches, now=time.time())
            mode = switches.webhook_signature
        if url is None:
            return  # the app has no webhook URL any more: nowhere to deliver
        item.attempts += 1
        if item.first is None:
            item.first = time.monotonic()
        status, error = self._post(url, sent, headers)
        with ctx.state.lock:
            next_in = self._follow_up(item, status)
            ctx.webhooks.records.append(
                WebhookDelivery(
                    delivery=item.delivery, event=item.event, client_key=item.client_key,
                    user_openid=item.user_openid, url=url, attempt=item.attempts, duplicate=item.duplicate,
                    status=status, error=error, at=ctx.now(), signed_at=moment, signature=mode,
                    body_sha256=hashlib.sha256(sent).hexdigest(), next_in=next_in,
                )
            )

    def _follow_up(self, item: Pending, status: int | None) -> float | None:
        """Queue what comes after this attempt (a retry, or the duplicates); the delay of the
        next send of this delivery, None when none follows. Under the state lock."""
        switches = self._ctx.switches
        pending = self._ctx.webhooks.pending
        now = time.monotonic()
        base = switches.webhook_retry_base
        if item.duplicate:
            return None  # a deliberate copy is sent once
        if status == 200:
            copies = switches.webhook_duplicates
            for number in range(1, copies + 1):
                pending.append(Pending(item.delivery, item.client_key, item.event, item.user_openid, item.body,
                                       due=now + base * number, attempts=item.attempts + number - 1,
                                       first=item.first, duplicate=True))
            return base if copies else None
        delay = base * float(2 ** (item.attempts - 1))
        started = item.first if item.first is not None else now
        if item.attempts >= switches.webhook_max_attempts or now + delay - started > switches.webhook_retry_horizon:
            return None  # given up, as TikTok does after 72 hours
        item.due = now + delay
        pending.append(item)
        return delay

    def _post(self, url: str, body: bytes, signature: dict[str, str]) -> tuple[int | None, str | None]:
        """POST ``body``: (the status, None) or (None, why no answer came)."""
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=DELIVERY_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=DELIVERY_TIMEOUT)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "User-Agent": _USER_AGENT, **signature}
        with self._lock:
            if self._stopping.is_set():
                return None, "the sandbox stopped"
            self._connection = connection
        try:
            connection.connect()
            with self._lock:  # stop() may have come while connecting, before there was a socket to shut
                if self._stopping.is_set():
                    return None, "the sandbox stopped"
            connection.request("POST", target, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read(_MAX_ANSWER)
            return answer.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            with self._lock:
                self._connection = None
            connection.close()
