"""status/fetch and cancel: a post's life on the sandbox clock, and who may ask about it."""

from __future__ import annotations

import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import Sandbox, Switches

from .test_posting_init import refused
from .test_posting_support import MB, Poster, file_source, poster_fixture, video_bytes  # noqa: F401 - fixture

URL = "https://media.example.com/v/clip.mp4"


def uploaded(poster: Poster, privacy: str = "PUBLIC_TO_EVERYONE") -> str:
    publish_id, url = poster.started(1000, privacy=privacy)
    assert poster.put(url, video_bytes(1000), 0, 1000).status_code == 201
    return publish_id


class TestLife:
    def test_a_file_upload_from_init_to_published(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id, url = poster.started(10 * MB, 5 * MB, 2, privacy="PUBLIC_TO_EVERYONE")
        data = video_bytes(10 * MB)
        assert poster.status_data(publish_id) == {
            "status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 0}
        poster.put(url, data[: 5 * MB], 0, 10 * MB)
        assert poster.status_data(publish_id)["uploaded_bytes"] == 5 * MB
        sandbox.clock.advance(3000)  # no chunk: nothing moves, however long
        assert poster.status_data(publish_id)["status"] == "PROCESSING_UPLOAD"
        poster.put(url, data[5 * MB :], 5 * MB, 10 * MB)
        sandbox.clock.advance(2.9)
        assert poster.status_data(publish_id) == {
            "status": "PROCESSING_UPLOAD", "publicaly_available_post_id": [], "uploaded_bytes": 10 * MB}
        sandbox.clock.advance(0.1)
        done = poster.status_data(publish_id)
        assert done["status"] == "PUBLISH_COMPLETE" and done["uploaded_bytes"] == 10 * MB
        (post_id,) = done["publicaly_available_post_id"]
        assert isinstance(post_id, int) and 0 < post_id < 2**63
        assert poster.status_data(publish_id)["publicaly_available_post_id"] == [post_id]  # stable
        assert sandbox.posts[-1].post_ids == [post_id]

    @pytest.mark.parametrize("privacy", ["MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"])
    def test_a_non_public_post_has_no_public_id(self, poster: Poster, sandbox: Sandbox, privacy: str) -> None:
        publish_id = uploaded(poster, privacy)
        sandbox.clock.advance(3)
        assert poster.status_data(publish_id) == {
            "status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [], "uploaded_bytes": 1000}

    def test_pull_from_url_downloads(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id = poster.direct({"source": "PULL_FROM_URL", "video_url": URL}).json()["data"]["publish_id"]
        early = poster.status_data(publish_id)
        assert early["status"] == "PROCESSING_DOWNLOAD" and "uploaded_bytes" not in early
        sandbox.clock.advance(1.5)
        middle = poster.status_data(publish_id)["downloaded_bytes"]
        assert early["downloaded_bytes"] < middle
        sandbox.clock.advance(1.5)
        done = poster.status_data(publish_id)
        assert done["status"] == "PUBLISH_COMPLETE" and done["downloaded_bytes"] > middle

    def test_an_inbox_upload_ends_in_the_inbox(self, poster: Poster, sandbox: Sandbox) -> None:
        data = poster.inbox(file_source(1000)).json()["data"]
        assert poster.put(data["upload_url"], video_bytes(1000), 0, 1000).status_code == 201
        sandbox.clock.advance(3)
        assert poster.status_data(data["publish_id"]) == {
            "status": "SEND_TO_USER_INBOX", "publicaly_available_post_id": [], "uploaded_bytes": 1000}

    def test_processing_time_is_a_switch(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.processing_seconds = 0
        assert poster.status_data(uploaded(poster))["status"] == "PUBLISH_COMPLETE"
        sandbox.switches.processing_seconds = 600
        publish_id = uploaded(poster)
        sandbox.clock.advance(599)
        assert poster.status_data(publish_id)["status"] == "PROCESSING_UPLOAD"

    @pytest.mark.parametrize("reason", ["internal", "frame_rate_check_failed", "spam_risk_text"])
    def test_a_failing_outcome(self, poster: Poster, sandbox: Sandbox, reason: str) -> None:
        sandbox.switches.post_outcome = "fail"
        sandbox.switches.post_fail_reason = reason
        publish_id = uploaded(poster)
        sandbox.clock.advance(3)
        assert poster.status_data(publish_id) == {"status": "FAILED", "fail_reason": reason,
                                                  "publicaly_available_post_id": [], "uploaded_bytes": 1000}

    def test_never_ending_processing(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.switches.post_outcome = "never"
        publish_id = uploaded(poster)
        sandbox.clock.advance(24 * 3600)
        fresh = Poster(sandbox, poster.http, sandbox.issue_tokens()["access_token"])
        assert fresh.status_data(publish_id)["status"] == "PROCESSING_UPLOAD"

    def test_outcome_switches_are_validated(self) -> None:
        with pytest.raises(ValueError):
            Switches(post_outcome="maybe")
        with pytest.raises(ValueError):
            Switches(post_fail_reason="bad_luck")
        with pytest.raises(ValueError):
            Switches(processing_seconds=-1)


class TestWhoMayAsk:
    def test_unknown_and_missing_publish_ids(self, poster: Poster) -> None:
        refused(poster.status("v_pub_file~v2-1.123"), 400, "invalid_publish_id")
        refused(poster.call(contract.STATUS_FETCH_PATH, {}), 400, "invalid_params", "The publish id is invalid")
        refused(poster.call(contract.STATUS_FETCH_PATH, {"publish_id": 5}), 400, "invalid_params")

    def test_another_apps_or_accounts_post(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id = uploaded(poster)
        web = sandbox.issue_tokens(client_key=sandbox.web_client_key)["access_token"]  # same creator, other app
        other = sandbox.issue_tokens(open_id="someone-else")["access_token"]  # same app, other creator
        for token in (web, other):
            refused(poster.status(publish_id, token=token), 400, "token_not_authorized_for_specified_publish_id")
            refused(poster.cancel(publish_id, token=token), 400, "token_not_authorized_for_specified_publish_id")
        same = sandbox.issue_tokens()["access_token"]  # another token of the same app and creator
        assert poster.status(publish_id, token=same).status_code == 200

    def test_either_posting_scope_reads_status(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id = uploaded(poster)
        upload_only = sandbox.issue_tokens(["user.info.basic", "video.upload"])["access_token"]
        assert poster.status(publish_id, token=upload_only).status_code == 200
        basic = sandbox.issue_tokens(["user.info.basic"])["access_token"]
        refused(poster.status(publish_id, token=basic), 401, "scope_not_authorized")
        sandbox.kill_token(upload_only)
        refused(poster.status(publish_id, token=upload_only), 401, "access_token_invalid")

    def test_thirty_per_minute(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id = uploaded(poster)
        assert [poster.status(publish_id).status_code for _ in range(31)] == [200] * 30 + [429]
        sandbox.switches.status_rate_limit = 40
        assert poster.status(publish_id).status_code == 200


class TestCancel:
    def test_while_uploading(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id, url = poster.started(10 * MB, 5 * MB, 2)
        poster.put(url, video_bytes(5 * MB), 0, 10 * MB)
        answer = poster.cancel(publish_id)
        assert answer.status_code == 200 and answer.json()["data"] == {}
        assert poster.status_data(publish_id) == {"status": "FAILED", "fail_reason": "publish_cancelled",
                                                  "publicaly_available_post_id": [], "uploaded_bytes": 5 * MB}
        refused(poster.cancel(publish_id), 400, "publish_not_cancellable")
        sandbox.clock.advance(3)
        assert poster.status_data(publish_id)["status"] == "FAILED"

    def test_while_downloading_but_not_after(self, poster: Poster, sandbox: Sandbox) -> None:
        first = poster.direct({"source": "PULL_FROM_URL", "video_url": URL}).json()["data"]["publish_id"]
        assert poster.cancel(first).status_code == 200
        second = poster.direct({"source": "PULL_FROM_URL", "video_url": URL}).json()["data"]["publish_id"]
        sandbox.clock.advance(3)
        refused(poster.cancel(second), 400, "publish_not_cancellable")

    def test_not_once_uploaded(self, poster: Poster) -> None:
        refused(poster.cancel(uploaded(poster)), 400, "publish_not_cancellable")

    def test_unknown(self, poster: Poster) -> None:
        refused(poster.cancel("v_pub_url~v2.1"), 400, "invalid_publish_id")
