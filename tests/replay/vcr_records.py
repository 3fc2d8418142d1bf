"""vcrpy requests and recorded answers, built by hand for the scrubbing and matching tests."""

from __future__ import annotations

import json
from typing import Any

from vcr.request import Request

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN_URI = "https://open.tiktokapis.com/v2/oauth/token/"


def form_request(body: str, uri: str = TOKEN_URI) -> Request:
    return Request("POST", uri, body.encode(), dict(FORM))


def answer(payload: Any, content_type: str = "application/json; charset=UTF-8", **headers: str) -> dict[str, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"content-type": [content_type], "content-length": [str(len(body))]}
    all_headers.update({k.replace("_", "-"): [v] for k, v in headers.items()})
    return {"status": {"code": 200, "message": "OK"}, "headers": all_headers, "body": {"string": body}}
