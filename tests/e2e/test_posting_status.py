"""Following a post's status end to end: polls spaced within TikTok's per-token rate, every
documented fail_reason read as retryable or terminal, a post that never ends is unconfirmed."""

from __future__ import annotations

import time
from typing import Any

import pytest

import pytok_sm
from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox

from .posting_support import URL, poster

#: TikTok allows 30 status calls a minute per access token.
SPACING = 60 / contract.STATUS_RATE_LIMIT_PER_MINUTE


def status_times(sb: Sandbox) -> list[float]:
    return [r.at for r in sb.requests if r.endpoint == "publish_status"]


def test_status_polls_keep_to_the_per_token_rate(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox, processing=2.2)
    result = runner("post_video", URL, privacy_level="SELF_ONLY")
    assert result.status == "PUBLISH_COMPLETE"
    times = status_times(sandbox)
    assert len(times) == 2 and all(b - a >= SPACING for a, b in zip(times, times[1:], strict=False))
    assert all(r.status == 200 for r in sandbox.requests if r.endpoint == "publish_status")  # no 429


def test_every_fail_reason_is_retryable_or_terminal(make_runner: Any, sandbox: Sandbox) -> None:
    runner = poster(make_runner, sandbox)
    sandbox.switches.posting_rate_limits = False  # 13 posts in a second: beyond TikTok's 6 inits a minute
    sandbox.switches.daily_post_cap = 1000
    sandbox.switches.post_outcome = "fail"
    reasons = sorted(contract.FAIL_REASONS_RETRYABLE | contract.FAIL_REASONS_TERMINAL)
    assert len(reasons) == 13
    for reason in reasons:
        sandbox.switches.post_fail_reason = reason
        with pytest.raises(pytok_sm.PostFailed) as failed:
            runner("post_video", URL, privacy_level="SELF_ONLY")
        error = failed.value
        assert (error.fail_reason, error.code, error.publish_id) == (reason, "FAILED", sandbox.posts[-1].publish_id)
        assert error.retryable is error.transient is (reason in ("internal", "video_pull_failed",
                                                                 "photo_pull_failed")), reason
        assert reason in str(error)
    assert [p.fail_reason for p in sandbox.posts] == reasons


def test_a_post_that_never_ends_is_unconfirmed_not_an_error(make_runner: Any, sandbox: Sandbox) -> None:
    """The wait ends when the next poll would come after it: at once here (a poll every 2.5 s)."""
    runner = poster(make_runner, sandbox)
    sandbox.switches.post_outcome = "never"
    began = time.monotonic()
    result = runner("post_video", URL, privacy_level="SELF_ONLY", timeout=1)
    assert (result.status, result.confirmed) == (pytok_sm.UNCONFIRMED, False)
    assert result.publish_id == sandbox.posts[0].publish_id and sandbox.posts[0].status == "PROCESSING_DOWNLOAD"
    status = runner("publish_status", result.publish_id, wait=True, timeout=1)
    assert (status.status, status.terminal) == ("PROCESSING_DOWNLOAD", False)
    assert time.monotonic() - began < 1 and len(status_times(sandbox)) == 2


def test_a_status_poll_refused_429_is_retried_no_sooner_than_the_rate_allows(make_runner: Any,
                                                                             sandbox: Sandbox) -> None:
    """TikTok says "too many" without a Retry-After: the next status call still keeps 2 s away
    (the kit's retry policy here backs off 10 to 50 ms)."""
    runner = poster(make_runner, sandbox)
    sandbox.faults.add("publish_status", "rate_limit_429")
    assert runner("post_video", URL, privacy_level="SELF_ONLY").confirmed
    times = status_times(sandbox)
    assert [r.status for r in sandbox.requests if r.endpoint == "publish_status"] == [429, 200]
    assert times[1] - times[0] >= SPACING
