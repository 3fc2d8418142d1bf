"""TikTok webhooks in a Flask app: verified, typed, each delivery passed on once.

Run it with ``TIKTOK_CLIENT_SECRET=... TOKEN_DB=/srv/myapp/tokens.db flask --app webhooks_flask run``
and register ``https://<your host>/webhooks/tiktok`` as the callback URL in TikTok's developer
portal. ``TOKEN_DB`` is the SQLite token store the app's logins write to: a removed
authorization marks its account there, and the store's file also holds the record of the
deliveries already passed on, shared by every worker process of the machine.
"""

from __future__ import annotations

import logging
import os

from flask import Flask, request

from pytok_sm.stores import SQLiteStore
from pytok_sm.webhooks import (
    AuthorizationRemoved,
    Deduplicator,
    PostPublishEvent,
    PostPublishFailed,
    SQLiteSingleUse,
    WebhookEvent,
    handle,
)

CLIENT_SECRET = os.environ["TIKTOK_CLIENT_SECRET"]
store = SQLiteStore(os.environ["TOKEN_DB"])
dedupe = Deduplicator(SQLiteSingleUse(store))      # every worker process of the machine shares it
log = logging.getLogger("myapp.tiktok")

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 64 * 1024     # TikTok's events are tiny


def on_tiktok_event(event: WebhookEvent) -> None:
    """Called once per delivery; raising makes TikTok deliver it again later."""
    if isinstance(event, AuthorizationRemoved):    # the token is already revoked
        store.mark(event.client_key, event.user_openid, "removed", event.reason_text)
    elif isinstance(event, PostPublishFailed):
        log.warning("post %s failed: %s", event.publish_id, event.reason)
    elif isinstance(event, PostPublishEvent):
        log.info("post %s: %s", event.publish_id, event.event)
    else:
        log.info("TikTok event %s for %s", event.event, event.user_openid)


@app.post("/webhooks/tiktok")
def tiktok_webhook() -> tuple[bytes, int, dict[str, str]]:
    outcome = handle(request.get_data(), request.headers, client_secret=CLIENT_SECRET,
                     on_event=on_tiktok_event, dedupe=dedupe)
    if outcome.error is not None and outcome.status == 500:
        log.error("TikTok webhook not processed (%s)", outcome.reason, exc_info=outcome.error)
    return outcome.body, outcome.status, {"Content-Type": outcome.content_type}
