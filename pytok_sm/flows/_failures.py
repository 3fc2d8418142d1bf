"""What a failed attempt becomes: the fields of its log event, and the TransportError that
says whether the request may have reached TikTok (and so whether to try again)."""

from __future__ import annotations

from typing import Any

from .._errors import TikTokError, TransportError
from .._retry import RequestKind
from ._effects import TransportFailure

__all__ = ["error_fields", "transport_error"]


def error_fields(error: TikTokError) -> dict[str, Any]:
    code = getattr(error, "error", None) or getattr(error, "code", None) or type(error).__name__
    return {
        "error": code,
        "http_status": getattr(error, "http_status", None),
        "log_id": getattr(error, "log_id", None),
    }


def transport_error(kind: RequestKind, failure: TransportFailure) -> TransportError:
    if not failure.sent:
        return TransportError(f"could not reach TikTok ({failure.reason}); check the network", sent=False)
    if kind is RequestKind.EXCHANGE_CODE:
        text = (
            f"the code exchange got no answer ({failure.reason}); it may or may not have reached TikTok "
            "and a code is single-use, so it is not retried: log in again"
        )
    elif kind is RequestKind.REFRESH:
        text = (
            f"the refresh got no answer ({failure.reason}); the stored refresh token is kept, "
            "try again later"
        )
    else:
        text = f"TikTok did not answer ({failure.reason}); try again later"
    return TransportError(text, sent=True)
