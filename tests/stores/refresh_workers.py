"""What a worker process does in the refresh-protocol tests: open the shared store, build a
store-backed kit, wait for the others at the barrier, refresh (or read user info)."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytok_sm

from .helpers import open_spec


def refresh(spec: tuple[str, ...], app: dict[str, str], open_id: str, barrier: Any, results: Any,
            call: str = "refresh") -> None:
    store = open_spec(spec)
    kit = pytok_sm.LoginKit(app["client_key"], app["client_secret"], base_api_url=app["base_api_url"],
                            authorization_url=app["authorization_url"], store=store, open_id=open_id)
    kit.get_user_info(["open_id"])  # each worker holds the saved token, as a running app does
    barrier.wait(30)
    try:
        if call == "refresh":
            token = kit.refresh_access_token()
        else:
            kit.get_user_info(["open_id"])
            token = kit.token
        results.put(("token", token.access_token, token.refresh_token))
    except pytok_sm.TikTokError as error:
        results.put(("error", type(error).__name__, error.message))
    finally:
        store.close()


def hold_the_lease_and_die(spec: tuple[str, ...], client_key: str, open_id: str, ready: Any) -> None:
    """Take the account's lease as a refresh would, then die as ``kill -9`` kills: no release."""
    store = open_spec(spec)
    assert store.acquire_lease(client_key, open_id, f"{os.getpid()}:doomed", 3.0)
    ready.set()
    os.kill(os.getpid(), signal.SIGKILL)
