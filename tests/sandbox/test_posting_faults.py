"""Faults on the Content Posting endpoints and the upload host; switch and app validation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytok_sm import _contract as contract
from pytok_sm.sandbox import App, Sandbox, Switches
from pytok_sm.sandbox._faults import FAULT_ENDPOINTS

from .test_posting_support import MB, Poster, code_of, file_source, poster_fixture, video_bytes  # noqa: F401 - fixture

POSTING = ["creator_info", "video_init", "inbox_video_init", "content_init", "publish_status", "publish_cancel"]


def call(poster: Poster, endpoint: str) -> httpx.Response:
    """One ordinary, valid request to ``endpoint``."""
    if endpoint == "creator_info":
        return poster.creator_info()
    if endpoint == "video_init":
        return poster.direct(file_source(1000))
    if endpoint == "inbox_video_init":
        return poster.inbox(file_source(1000))
    if endpoint == "content_init":
        return poster.photos(["https://media.example.com/a.jpeg"], privacy_level="SELF_ONLY")
    publish_id = poster.sb.posts[0].publish_id if poster.sb.posts else "v_pub_url~v2.1"
    return poster.status(publish_id) if endpoint == "publish_status" else poster.cancel(publish_id)


def test_every_posting_endpoint_and_the_upload_host_can_be_faulted() -> None:
    assert set(POSTING) | {"upload"} <= set(FAULT_ENDPOINTS)


class TestApiEndpoints:
    @pytest.mark.parametrize("endpoint", POSTING)
    def test_rate_limit_429_is_an_envelope(self, poster: Poster, sandbox: Sandbox, endpoint: str) -> None:
        sandbox.faults.add(endpoint, "rate_limit_429", retry_after=7)
        answer = call(poster, endpoint)
        assert (answer.status_code, code_of(answer), answer.headers["retry-after"]) == (429, "rate_limit_exceeded", "7")
        assert sandbox.count(endpoint) == 1

    @pytest.mark.parametrize("endpoint", POSTING)
    def test_api_error_and_html_5xx(self, poster: Poster, sandbox: Sandbox, endpoint: str) -> None:
        sandbox.faults.add(endpoint, "api_error")
        sandbox.faults.add(endpoint, "html_5xx", status=503)
        first, second = call(poster, endpoint), call(poster, endpoint)
        assert (first.status_code, code_of(first)) == (500, "internal_error")
        assert second.status_code == 503 and second.headers["content-type"].startswith("text/html")
        assert sandbox.posts == []  # neither ran the endpoint

    @pytest.mark.parametrize("endpoint", POSTING)
    def test_nan_and_truncated_json(self, poster: Poster, sandbox: Sandbox, endpoint: str) -> None:
        sandbox.faults.add(endpoint, "nan_json")
        sandbox.faults.add(endpoint, "truncated_json")
        nan, truncated = call(poster, endpoint), call(poster, endpoint)
        assert b"NaN" in nan.content and b'"error"' in nan.content
        with pytest.raises(ValueError):
            truncated.json()

    def test_an_init_whose_answer_is_lost_still_made_a_post(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("video_init", "connection_reset")  # process=True: TikTok did the work
        with pytest.raises(httpx.TransportError):
            poster.direct(file_source(1000))
        assert len(sandbox.posts) == 1
        sandbox.faults.add("video_init", "connection_reset", process=False)
        with pytest.raises(httpx.TransportError):
            poster.direct(file_source(1000))
        assert len(sandbox.posts) == 1

    def test_delay_then_the_real_answer(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("creator_info", "delay", seconds=0.2)
        answer = poster.creator_info()
        assert answer.status_code == 200 and answer.json()["data"]["creator_username"] == "sandbox.creator"
        assert answer.elapsed.total_seconds() >= 0.2

    def test_odd_fields_on_status(self, poster: Poster, sandbox: Sandbox) -> None:
        publish_id = poster.direct({"source": "PULL_FROM_URL", "video_url": "https://media.example.com/a.mp4"})
        sandbox.faults.add("publish_status", "odd_fields", overrides={"data": {"status": "TELEPORTED"}})
        answer = poster.status(publish_id.json()["data"]["publish_id"])
        assert answer.json()["data"] == {"status": "TELEPORTED"}


class TestUploadHost:
    def put_first(self, poster: Poster) -> tuple[str, bytes, httpx.Response]:
        _, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        return url, data, poster.put(url, data[: 5 * MB], 0, 10 * MB)

    def test_a_gateway_error_is_read_by_the_sender_and_holds_nothing(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("upload", "html_5xx")
        url, data, answer = self.put_first(poster)
        assert answer.status_code == 502 and answer.headers["content-type"].startswith("text/html")
        assert sandbox.posts[-1].uploaded_bytes == 0
        assert poster.put(url, data[: 5 * MB], 0, 10 * MB).status_code == 206  # "retry the chunk"

    def test_a_lost_206_then_resuming_from_the_416(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("upload", "connection_reset")  # the chunk is kept, its answer lost
        _, url = poster.started(10 * MB, 5 * MB, 2)
        data = video_bytes(10 * MB)
        with pytest.raises(httpx.TransportError):
            poster.put(url, data[: 5 * MB], 0, 10 * MB)
        again = poster.put(url, data[: 5 * MB], 0, 10 * MB)
        assert (again.status_code, again.headers["content-range"]) == (416, "bytes 0-4999999/10000000")
        assert poster.put(url, data[5 * MB :], 5 * MB, 10 * MB).status_code == 201
        assert sandbox.count("upload") == 3

    def test_a_reset_before_processing_holds_nothing(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("upload", "connection_reset", process=False)
        with pytest.raises(httpx.TransportError):
            self.put_first(poster)
        assert sandbox.posts[-1].uploaded_bytes == 0

    @pytest.mark.parametrize(("kind", "params"), [("rate_limit_429", {}), ("api_error", {"status": 503})])
    def test_envelope_faults(self, poster: Poster, sandbox: Sandbox, kind: str, params: dict[str, Any]) -> None:
        sandbox.faults.add("upload", kind, **params)
        _, _, answer = self.put_first(poster)
        assert answer.status_code in (429, 503) and code_of(answer) != "ok"

    def test_odd_fields_keep_the_progress_header(self, poster: Poster, sandbox: Sandbox) -> None:
        sandbox.faults.add("upload", "odd_fields", overrides={"surprise": True})
        _, _, answer = self.put_first(poster)
        assert answer.status_code == 206 and answer.json() == {"surprise": True}
        assert answer.headers["content-range"] == "bytes 0-4999999/10000000"

    def test_the_request_log_keeps_the_upload_token_out(self, poster: Poster, sandbox: Sandbox) -> None:
        _, url = poster.started(1000)
        poster.put(url, video_bytes(1000), 0, 1000)
        token = url.partition("upload_token=")[2]
        (record,) = [r for r in sandbox.requests if r.endpoint == "upload"]
        assert record.query_fields == ("upload_id", "upload_token") and record.status == 201
        assert token not in repr(sandbox.requests) and token not in repr(sandbox.posts)


class TestValidation:
    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("chunk_size_unit", "kibi"),
            ("reject_multi_chunk", 1),
            ("ceil_chunk_plans", True),
            ("max_video_bytes", 1.5),
            ("max_video_bytes", 0),
            ("daily_post_cap", 0),
            ("init_rate_limit", True),
            ("posting_rate_window", 0),
            ("invalid_param_code", "bad_param"),
            ("upload_answer_body", "json"),
            ("inbox_post_info", "accept"),
            ("unaudited_options", "none"),
            ("upload_url_lifetime", -1),
            ("check_media_format", "yes"),
        ],
    )
    def test_bad_switch_values_raise_at_once(self, name: str, value: Any) -> None:
        with pytest.raises(ValueError, match=name):
            Switches(**{name: value})
        with pytest.raises(ValueError, match=name):
            setattr(Switches(), name, value)

    def test_the_new_switches_are_listed(self) -> None:
        listed = Switches().as_dict()
        assert {"chunk_size_unit", "reject_multi_chunk", "post_outcome", "upload_answer_body"} <= set(listed)

    @pytest.mark.parametrize(
        "changes",
        [
            {"active_creator_cap": 0},
            {"active_creator_cap": True},
            {"verified_url_prefixes": ("http://media.example.com/",)},
            {"verified_url_prefixes": ("https://media.example.com",)},
            {"verified_url_prefixes": ("https://user@media.example.com/",)},
        ],
    )
    def test_bad_app_settings_raise(self, changes: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            App(client_key="k", client_secret="s", name="n", kind="web",
                redirect_uris=("https://app.example.test/cb/",), **changes)

    def test_an_app_with_its_own_verified_prefix(self) -> None:
        app = App(client_key="k", client_secret="s", name="n", kind="web", redirect_uris=("https://a.test/cb/",),
                  verified_url_prefixes=("https://cdn.mine.test/public/",))
        with Sandbox(apps=[app]) as sb, httpx.Client(base_url=sb.base_url) as http:
            poster = Poster(sb, http, sb.issue_tokens()["access_token"])
            ok = poster.direct({"source": "PULL_FROM_URL", "video_url": "https://cdn.mine.test/public/a.mp4"})
            assert ok.status_code == 200
            for url in ("https://cdn.mine.test/private/a.mp4", "https://media.example.com/a.mp4"):
                answer = poster.direct({"source": "PULL_FROM_URL", "video_url": url})
                assert code_of(answer) == "url_ownership_unverified"
            assert contract.SOURCE_PULL_FROM_URL == sb.posts[0].source
