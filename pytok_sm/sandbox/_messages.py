"""Error descriptions the sandbox sends. Documented ones come from :mod:`pytok_sm._contract`;
the others are the sandbox's own wording for cases TikTok's pages do not spell out.

Example:
    >>> DESC_INVALID_CLIENT
    'Client key or secret is incorrect.'
"""

from __future__ import annotations

from typing import Final

from pytok_sm import _contract as contract

__all__ = [
    "DESC_ACCESS_DENIED",
    "DESC_CODE_EXPIRED",
    "DESC_CODE_INVALID",
    "DESC_CODE_REUSED",
    "DESC_INVALID_CLIENT",
    "DESC_INVALID_SCOPE",
    "DESC_MALFORMED",
    "DESC_NOT_FORM",
    "DESC_PKCE_INVALID",
    "DESC_QR_TOKEN_INVALID",
    "DESC_REDIRECT_MISMATCH",
    "DESC_REFRESH_INVALID",
    "DESC_TOKEN_INVALID",
    "DESC_UNAUTHORIZED_CLIENT",
    "DESC_UNSUPPORTED_GRANT",
    "MSG_FIELDS_INVALID",
    "MSG_RATE_LIMIT",
    "MSG_SCOPE_NOT_AUTHORIZED",
    "MSG_SCOPE_PERMISSION_MISSED",
]

# Documented (docs/TIKTOK-API.md section 2).
DESC_MALFORMED: Final = contract.DESC_MALFORMED
DESC_REDIRECT_MISMATCH: Final = contract.DESC_REDIRECT_MISMATCH
DESC_PKCE_INVALID: Final = contract.DESC_PKCE_INVALID
DESC_CODE_EXPIRED: Final = contract.DESC_CODE_EXPIRED

# Seen in integrators' logs.
DESC_INVALID_CLIENT: Final = "Client key or secret is incorrect."

# The sandbox's own wording.
#: A JSON (or other non-form) body: the same words as any malformed request.
DESC_NOT_FORM: Final = contract.DESC_MALFORMED
DESC_CODE_INVALID: Final = "Authorization code is invalid."
DESC_CODE_REUSED: Final = "Authorization code has already been used."
DESC_REFRESH_INVALID: Final = "Refresh token is invalid or expired."
DESC_TOKEN_INVALID: Final = "Access token is invalid or has been revoked."
DESC_UNSUPPORTED_GRANT: Final = "The grant type is not supported."
DESC_UNAUTHORIZED_CLIENT: Final = "The client is not authorized to use this grant type."
DESC_INVALID_SCOPE: Final = "The requested scope is invalid, unknown or not allowed for this app."
DESC_QR_TOKEN_INVALID: Final = "The QR code token is invalid."
DESC_ACCESS_DENIED: Final = "The user denied the authorization request."

# Data API (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling).
MSG_SCOPE_NOT_AUTHORIZED: Final = "The user did not authorize the scope required for completing this request."
MSG_SCOPE_PERMISSION_MISSED: Final = "Some requested fields need additional scopes: {scopes}."
MSG_FIELDS_INVALID: Final = "One or more fields in request is invalid: fields."
MSG_RATE_LIMIT: Final = "The API rate limit was exceeded. Please try again later."
