"""Errors cross process boundaries: every class pickles with its exact message, type and fields.

A worker of a ``ProcessPoolExecutor`` (or multiprocessing, or a task queue) hands its
exception back pickled; one that cannot be rebuilt breaks the pool or arrives garbled.
"""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import pickle
from typing import Any

import pytest

import pytok_sm
from pytok_sm import _errors as errors
from pytok_sm import _posting_errors as posting
from pytok_sm._errors import (
    AccessTokenInvalid,
    AccountMismatch,
    ApiError,
    AuthorizationDenied,
    CallbackPortBusy,
    CallbackRejected,
    CallbackReplayed,
    ConfigurationError,
    FlowCancelled,
    FlowError,
    FlowTimeout,
    FlowUsageError,
    NotLoggedIn,
    OAuthError,
    ProtocolError,
    QrAnswerRefused,
    QrCodeError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    SnapshotRejected,
    TikTokError,
    TokenStoreError,
    TransportError,
)

# One sample per class, every optional field set to a value other than its default, and the
# fields of the root (flow, state) set wherever the class accepts them.
SAMPLES: dict[str, TikTokError] = {
    "TikTokError": TikTokError("root trouble", flow="browser", state="exchanging"),
    "ConfigurationError": ConfigurationError("port", "must be an integer 0..65535, got 70000"),
    "FlowUsageError": FlowUsageError("start the flow first", flow="qr", state="created"),
    "FlowError": FlowError("ended without a token", flow="refresh", state="failed"),
    "AuthorizationDenied": AuthorizationDenied("access_denied", "The user said no", flow="browser", state="awaiting"),
    "FlowTimeout": FlowTimeout("nobody came within 5 s", flow="browser", state="awaiting_callback"),
    "FlowCancelled": FlowCancelled("cancelled by Ctrl+C", flow="qr", state="awaiting_scan"),
    "CallbackPortBusy": CallbackPortBusy(3456, flow="browser", state="listening"),
    "CallbackRejected": CallbackRejected("state mismatch", flow="browser", state="awaiting_callback"),
    "CallbackReplayed": CallbackReplayed(flow="browser", state="exchanging"),
    "SnapshotRejected": SnapshotRejected("its seal does not match", flow="browser", state="listening"),
    "QrCodeError": QrCodeError("cannot go on", flow="qr", state="scanned"),
    "QrCodeExpired": QrCodeExpired(flow="qr", state="awaiting_scan"),
    "QrCodeUtilised": QrCodeUtilised(flow="qr", state="scanned"),
    "QrTicketMismatch": QrTicketMismatch(flow="qr", state="scanned"),
    "QrAnswerRefused": QrAnswerRefused("a foreign redirect URI", flow="qr", state="scanned"),
    "NotLoggedIn": NotLoggedIn("refresh token"),
    "TokenStoreError": TokenStoreError("the token file /x/tokens.json is corrupt", corrupt=True),
    "OAuthError": OAuthError(
        "server_error", "Something broke.", log_id="L-oauth", http_status=502, flow="refresh", state="refreshing"
    ),
    "ReauthorizationRequired": ReauthorizationRequired(
        "invalid_grant", "Refresh token is invalid.", log_id="L-reauth", http_status=400, flow="refresh", state="x"
    ),
    "ApiError": ApiError("internal_error", "try later", log_id="L-api", http_status=500, flow="user_info", state="y"),
    "AccessTokenInvalid": AccessTokenInvalid("access_token_invalid", "expired", log_id="L-ati", http_status=401),
    "ScopeError": ScopeError("scope_not_authorized", "no stats", log_id="L-scope", http_status=401),
    "RateLimited": RateLimited(retry_after=12.5, log_id="L-rate", http_status=200, code="rate_limited_custom"),
    "ProtocolError": ProtocolError("TikTok's answer is not valid JSON", http_status=503, log_id="L-proto"),
    "TransportError": TransportError("connection reset", sent=True),
    "AccountMismatch": AccountMismatch("the refresh answer"),
    # the posting branch (pytok_sm._posting_errors)
    "PostingError": posting.PostingError("invalid_params", "The chunk size is invalid", publish_id="v_pub_file~v2-1.1",
                                         rule="chunk_size_min", log_id="L-post", http_status=400, flow="post_video",
                                         state="initialising"),
    "CreatorCapReached": posting.CreatorCapReached("reached_active_user_cap", "cap", log_id="L-cap", http_status=200),
    "PostingSpamRisk": posting.PostingSpamRisk("spam_risk_too_many_posts", "15 today", http_status=403),
    "PrivacyLevelError": posting.PrivacyLevelError("privacy_level_option_mismatch", "SELF_ONLY only",
                                                   rule="privacy_level"),
    "MediaError": posting.MediaError("invalid_file_upload", "the file changed", rule="file_unchanged",
                                     publish_id="v_pub_file~v2-1.2"),
    "PostSettingsError": posting.PostSettingsError("invalid_params", "title too long", rule="title_length"),
    "PostFailed": posting.PostFailed("v_pub_file~v2-1.3", "internal", flow="post_video", state="processing"),
    "PostOutcomeUnknown": posting.PostOutcomeUnknown("read timeout", publish_id=None, flow="post_video",
                                                     state="initialising"),
}
#: Every error class: the tree of _errors and its posting branch.
NAMES = [*errors.__all__, *(name for name in posting.__all__ if name[0].isupper())]

#: Fields a class sets (beyond flow and state) and what the test expects them to be.
FIELDS = (
    "error", "description", "log_id", "http_status", "code", "api_message", "retry_after", "sent", "field",
    "port", "reason", "missing", "what", "corrupt", "flow", "state", "transient", "publish_id", "rule",
    "fail_reason", "retryable",
)


def _fields(error: BaseException) -> dict[str, Any]:
    """Every attribute that tells the error apart: instance dict, listed fields, message."""
    seen = {name: getattr(error, name) for name in FIELDS if hasattr(error, name)}
    return {**vars(error), **seen, "args": error.args, "str": str(error), "repr": repr(error)}


def _set_in_sample(name: str) -> set[str]:
    return {field for field in FIELDS if hasattr(SAMPLES[name], field)}


@pytest.mark.parametrize("name", NAMES)
def test_every_error_class_has_a_pickle_sample(name: str) -> None:
    assert name in SAMPLES, f"{name} has no sample in SAMPLES: add one with every field set"
    assert type(SAMPLES[name]) is (getattr(errors, name, None) or getattr(posting, name))


def test_the_samples_set_every_non_default_field() -> None:
    # Guard against a sample that only exercises defaults (which a rebuild from __init__ would fake).
    assert SAMPLES["RateLimited"].retry_after == 12.5  # type: ignore[attr-defined]
    assert SAMPLES["TransportError"].sent is True  # type: ignore[attr-defined]
    assert SAMPLES["TokenStoreError"].corrupt is True  # type: ignore[attr-defined]
    assert SAMPLES["NotLoggedIn"].missing == "refresh token"  # type: ignore[attr-defined]
    assert SAMPLES["OAuthError"].transient is True
    assert all(SAMPLES[n].flow for n in ("TikTokError", "CallbackReplayed", "QrCodeExpired", "OAuthError"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("name", NAMES)
def test_every_error_round_trips_through_pickle(name: str, protocol: int) -> None:
    original = SAMPLES[name]
    data = pickle.dumps(original, protocol=protocol)
    copy_ = pickle.loads(data)
    assert type(copy_) is type(original)
    assert str(copy_) == str(original)
    assert copy_.message == original.message
    assert _fields(copy_) == _fields(original)
    for field in _set_in_sample(name):
        assert getattr(copy_, field) == getattr(original, field), field


@pytest.mark.parametrize("name", NAMES)
def test_every_error_survives_copy_and_deepcopy(name: str) -> None:
    original = SAMPLES[name]
    for duplicate in (copy.copy(original), copy.deepcopy(original)):
        assert type(duplicate) is type(original)
        assert _fields(duplicate) == _fields(original)


def test_notes_and_attributes_set_after_raising_travel_too() -> None:
    error = RateLimited(retry_after=3.0)
    error.flow, error.state = "user_info", "fetching"  # as Flow._end_with does
    error.add_note("while fetching the profile of account 7")
    copy_ = pickle.loads(pickle.dumps(error))
    assert (copy_.flow, copy_.state) == ("user_info", "fetching")
    assert copy_.__notes__ == ["while fetching the profile of account 7"]


def test_a_subclass_defined_by_a_user_round_trips_without_its_own_pickle_code() -> None:
    copy_ = pickle.loads(pickle.dumps(_AppRateLimited(retry_after=7.0, tenant="acme")))
    assert type(copy_) is _AppRateLimited
    assert (copy_.retry_after, copy_.tenant) == (7.0, "acme")
    assert "wait 7 s" in str(copy_)


def test_pickles_reference_the_public_names() -> None:
    for name in NAMES:
        assert getattr(pytok_sm, name).__module__ == "pytok_sm"
    assert b"pytok_sm._errors" not in pickle.dumps(SAMPLES["RateLimited"], protocol=pickle.HIGHEST_PROTOCOL)
    assert b"pytok_sm._posting_errors" not in pickle.dumps(SAMPLES["PostFailed"], protocol=pickle.HIGHEST_PROTOCOL)


# --------------------------------------------------------------------------- a real process pool


class _AppRateLimited(RateLimited):
    def __init__(self, *, retry_after: float, tenant: str) -> None:
        super().__init__(retry_after=retry_after)
        self.tenant = tenant


def _raise_rate_limited(retry_after: float) -> None:
    raise RateLimited(retry_after=retry_after, log_id="L-worker")


def _raise_sample(name: str) -> None:
    raise SAMPLES[name]


def _square(x: int) -> int:
    return x * x


@pytest.mark.timeout(60)
def test_a_worker_raising_rate_limited_reaches_the_parent_and_the_pool_keeps_working() -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared but the pickle
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(_raise_rate_limited, 42.5)
        with pytest.raises(RateLimited) as caught:
            future.result(timeout=30)
        error = caught.value
        assert type(error) is pytok_sm.RateLimited
        assert error.retry_after == 42.5
        assert error.log_id == "L-worker"
        assert error.transient
        assert str(error) == "rate_limit_exceeded: TikTok's rate limit was hit; wait 42.5 s and try again (log_id L-worker)"
        # The pool is not broken: the same worker runs more tasks, and other errors come back too.
        assert pool.submit(_square, 7).result(timeout=30) == 49
        with pytest.raises(TransportError) as transport:
            pool.submit(_raise_sample, "TransportError").result(timeout=30)
        assert transport.value.sent is True
        assert list(pool.map(_square, range(4), timeout=30)) == [0, 1, 4, 9]
