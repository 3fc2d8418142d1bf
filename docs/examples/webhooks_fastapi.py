"""TikTok webhooks in a FastAPI app: verified, typed, each delivery passed on once.

Run it with ``TIKTOK_CLIENT_SECRET=... TOKEN_DB=/srv/myapp/tokens.db uvicorn webhooks_fastapi:app``
and register ``https://<your host>/webhooks/tiktok`` as the callback URL in TikTok's developer
portal. The SQLite de-duplication and a plain ``on_tiktok_event`` run in threads, off the
event loop.
"""

from __future__ import annotations

import logging
import os

from fastapi import FastAPI, Request, Response

from pytok_sm.stores import SQLiteStore
from pytok_sm.webhooks import (
    AuthorizationRemoved,
    Deduplicator,
    PostPublishFailed,
    SQLiteSingleUse,
    WebhookEvent,
    handle_async,
)

CLIENT_SECRET = os.environ["TIKTOK_CLIENT_SECRET"]
store = SQLiteStore(os.environ["TOKEN_DB"])
dedupe = Deduplicator(SQLiteSingleUse(store))      # every worker process of the machine shares it
log = logging.getLogger("myapp.tiktok")

app = FastAPI()


def on_tiktok_event(event: WebhookEvent) -> None:
    """Called once per delivery, in a thread (store.mark waits on SQLite; an ``async def``
    is awaited on the loop instead); raising makes TikTok deliver it again later."""
    if isinstance(event, AuthorizationRemoved):    # the token is already revoked
        store.mark(event.client_key, event.user_openid, "removed", event.reason_text)
    elif isinstance(event, PostPublishFailed):
        log.warning("post %s failed: %s", event.publish_id, event.reason)
    else:
        log.info("TikTok event %s for %s", event.event, event.user_openid)


@app.post("/webhooks/tiktok")
async def tiktok_webhook(request: Request) -> Response:
    outcome = await handle_async(await request.body(), request.headers, client_secret=CLIENT_SECRET,
                                 on_event=on_tiktok_event, dedupe=dedupe)
    if outcome.error is not None and outcome.status == 500:
        log.error("TikTok webhook not processed (%s)", outcome.reason, exc_info=outcome.error)
    return Response(outcome.body, outcome.status, media_type=outcome.content_type)
