"""parse_event(): every documented event typed, unknown ones kept, bounds, and delivery ids."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytok_sm.webhooks import (
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    REASONS,
    AuthorizationRemoved,
    EventMalformed,
    PostInboxDelivered,
    PostNoLongerPubliclyAvailable,
    PostPublicContent,
    PostPubliclyAvailable,
    PostPublishComplete,
    PostPublishEvent,
    PostPublishFailed,
    VideoPublishCompleted,
    VideoUploadFailed,
    WebhookEvent,
    parse_event,
)

from .helpers import DOCUMENTED

ENVELOPE = {"client_key": "bwo2m45353a6k85", "create_time": 1615338610,
            "user_openid": "act.example12345Example12345Example"}


def body(name: str, content: object = "{}", **overrides: object) -> bytes:
    return json.dumps({**ENVELOPE, "event": name, "content": content, **overrides}).encode()


def test_every_documented_event_has_its_class() -> None:
    assert set(EVENT_TYPES) == set(DOCUMENTED) == {
        "authorization.removed", "video.upload.failed", "video.publish.completed", "post.publish.failed",
        "post.publish.complete", "post.publish.inbox_delivered", "post.publish.publicly_available",
        "post.publish.no_longer_publicaly_available",
    }
    for name, cls in EVENT_TYPES.items():
        assert cls.EVENT == name and type(parse_event(DOCUMENTED[name])) is cls


def test_the_envelope_keeps_tiktoks_field_names_and_values() -> None:
    for text in DOCUMENTED.values():
        event = parse_event(text)
        raw = json.loads(text)
        assert (event.client_key, event.event, event.create_time, event.user_openid) == (
            raw["client_key"], raw["event"], raw["create_time"], raw["user_openid"])
        assert dict(event.content) == json.loads(raw["content"])


def test_authorization_removed_carries_its_reason_and_says_it() -> None:
    event = parse_event(DOCUMENTED["authorization.removed"])
    assert isinstance(event, AuthorizationRemoved)
    assert event.reason == 1 and event.reason_text == "the user disconnected the app from TikTok"
    texts = {code: parse_event(body("authorization.removed", json.dumps({"reason": code}))).reason_text  # type: ignore[attr-defined]
             for code in range(6)}
    assert texts == dict(REASONS) and len(set(texts.values())) == 6
    assert "account was banned" in texts[4] and "developer revoked" in texts[5] and "deleted" in texts[2]
    assert parse_event(body("authorization.removed", '{"reason": 9}')).reason_text == "unknown reason code 9"  # type: ignore[attr-defined]


def test_share_kit_events_carry_the_share_id() -> None:
    failed = parse_event(DOCUMENTED["video.upload.failed"])
    completed = parse_event(DOCUMENTED["video.publish.completed"])
    assert isinstance(failed, VideoUploadFailed) and failed.share_id == "video.6974245311675353080.VDCxrcMJ"
    assert isinstance(completed, VideoPublishCompleted) and completed.share_id == failed.share_id
    assert parse_event(body("video.publish.completed", "{}")).share_id is None  # type: ignore[attr-defined]


def test_content_posting_events_carry_the_publish_id_and_their_fields() -> None:
    failed = parse_event(DOCUMENTED["post.publish.failed"])
    assert isinstance(failed, PostPublishFailed)
    assert (failed.publish_id, failed.reason, failed.publish_type) == (
        "v_inbox_file~v2.123456789", "file_format_check_failed", "INBOX_SHARE")
    complete = parse_event(DOCUMENTED["post.publish.complete"])
    assert isinstance(complete, PostPublishComplete) and complete.publish_type == "DIRECT_PUBLISH"
    inbox = parse_event(DOCUMENTED["post.publish.inbox_delivered"])
    assert isinstance(inbox, PostInboxDelivered) and inbox.publish_id == "v_inbox_url~v2.123456789"
    public = parse_event(DOCUMENTED["post.publish.publicly_available"])
    assert isinstance(public, PostPubliclyAvailable) and public.post_id == "7493784938978805793"
    gone = parse_event(DOCUMENTED["post.publish.no_longer_publicaly_available"])
    assert isinstance(gone, PostNoLongerPubliclyAvailable) and gone.post_id == "7493784938978805793"  # a number, as text
    for event in (failed, complete, inbox, public, gone):
        assert isinstance(event, PostPublishEvent)
    assert isinstance(public, PostPublicContent) and isinstance(gone, PostPublicContent)
    assert not isinstance(failed, PostPublicContent)
    assert parse_event(body("post.publish.complete", '{"publish_id": "p"}')).publish_type is None  # type: ignore[attr-defined]


def test_unknown_events_are_kept_with_their_content() -> None:
    event = parse_event(body("portability.download.ready", '{"request_id": 7, "nested": {"a": [1, 2]}}'))
    assert type(event) is WebhookEvent
    assert event.event == "portability.download.ready" and event.content == {"request_id": 7, "nested": {"a": [1, 2]}}
    bare = parse_event(json.dumps({"client_key": "ck", "event": "x.y", "create_time": 5}).encode())
    assert type(bare) is WebhookEvent and bare.user_openid == "" and bare.content == {}


def test_content_may_be_an_object_inline_or_empty() -> None:
    inline = parse_event(body("authorization.removed", {"reason": 3}))
    assert isinstance(inline, AuthorizationRemoved) and inline.reason == 3
    assert inline.delivery_id == parse_event(body("authorization.removed", '{"reason":3}')).delivery_id
    assert parse_event(body("x.y", "")).content == {} and parse_event(body("x.y", None)).content == {}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "a JSON list, not an object"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"a": Infinity}', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "larger than"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested too deeply"),
        (json.dumps({"client_key": "ck", "create_time": 1}).encode(), "no event"),
        (json.dumps({"event": "x", "create_time": 1}).encode(), "no client_key"),
        (json.dumps({"client_key": "ck", "event": "x"}).encode(), "no create_time"),
        (body("x", create_time="1615338610"), "create_time is not an integer"),
        (body("x", create_time=1615338610.0), "create_time is not an integer"),
        (body("x", create_time=True), "create_time is not an integer"),
        (body("x", create_time=-1), "create_time is out of range"),
        (body("x", event=7), "event is not a string"),
        (body(""), "event name is empty"),
        (body("x", user_openid=["u"]), "user_openid is not a string"),
        (body("x", "not json"), "content is not valid JSON"),
        (body("x", "[1]"), "content is a JSON list"),
        (body("x", 5), "content is a JSON int"),
        (body("authorization.removed", "{}"), "content has no reason"),
        (body("authorization.removed", '{"reason": "1"}'), "content.reason is not an integer"),
        (body("authorization.removed", '{"reason": true}'), "content.reason is not an integer"),
        (body("post.publish.failed", '{"publish_id": "p"}'), "content has no reason"),
        (body("post.publish.complete", '{"publish_type": "INBOX_SHARE"}'), "content has no publish_id"),
        (body("post.publish.publicly_available", '{"publish_id": "p"}'), "content has no post_id"),
        (body("post.publish.publicly_available", '{"publish_id": "p", "post_id": -1}'), "post_id is not"),
        (body("video.upload.failed", '{"share_id": 5}'), "content.share_id is not a string"),
    ],
)
def test_a_malformed_body_names_the_problem_never_the_values(data: bytes, problem: str) -> None:
    with pytest.raises(EventMalformed) as caught:
        parse_event(data)
    assert problem in str(caught.value) and caught.value.status == 400 and caught.value.check == "event_malformed"
    assert "bwo2m45353a6k85" not in str(caught.value) and "act.example" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no JSONDecodeError holding the body


def test_the_size_bound_is_the_documented_one() -> None:
    padding = "x" * (MAX_EVENT_BYTES - len(body("x.y", "{}", pad="")))
    assert len(body("x.y", "{}", pad=padding)) == MAX_EVENT_BYTES
    assert parse_event(body("x.y", "{}", pad=padding)).event == "x.y"
    with pytest.raises(EventMalformed, match="larger than"):
        parse_event(body("x.y", "{}", pad=padding + "x"))


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                                       st.sampled_from(["client_key", "event", "create_time", "user_openid",
                                                        "content", "reason", "x"]), inner, max_size=5),
                                   max_leaves=12).map(lambda v: json.dumps(v).encode())))
def test_any_body_gives_an_event_or_event_malformed(data: bytes) -> None:
    try:
        event = parse_event(data)
    except EventMalformed:
        return
    assert isinstance(event, WebhookEvent) and len(event.delivery_id) == 32


def test_the_delivery_id_is_stable_and_tells_deliveries_apart() -> None:
    first = parse_event(DOCUMENTED["authorization.removed"])
    # A retry is the same delivery: the same id, whatever the JSON's spacing or key order.
    respaced = json.dumps(json.loads(DOCUMENTED["authorization.removed"]), indent=None, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(json.loads(respaced).items())))).encode()
    assert parse_event(respaced.encode()).delivery_id == first.delivery_id == parse_event(reordered).delivery_id
    ids = {first.delivery_id}
    for change in ({"create_time": 1615338611}, {"user_openid": "another"}, {"event": "authorization.removedX"},
                   {"client_key": "other"}, {"content": '{"reason": 2}'}):
        changed = parse_event(json.dumps({**json.loads(DOCUMENTED["authorization.removed"]), **change}).encode())
        ids.add(changed.delivery_id)
    assert len(ids) == 6
    assert len({parse_event(b).delivery_id for b in DOCUMENTED.values()}) == len(DOCUMENTED)


def test_events_are_frozen_hashable_comparable_and_picklable() -> None:
    for text in DOCUMENTED.values():
        event = parse_event(text)
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.event = "changed"  # type: ignore[misc]
        assert event == parse_event(text) and hash(event) == hash(parse_event(text))
        copy = pickle.loads(pickle.dumps(event))
        assert copy == event and type(copy) is type(event) and copy.delivery_id == event.delivery_id
    assert type(parse_event(DOCUMENTED["post.publish.failed"])).__module__ == "pytok_sm.webhooks"
