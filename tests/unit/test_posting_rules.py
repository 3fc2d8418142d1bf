"""pytok_sm._posting_rules: the chunk plan of the media transfer guide, TikTok's UX rules for
a post's settings, and the URL rule, all checked before any byte is sent."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytok_sm import _contract as contract
from pytok_sm._posting_errors import MediaError, PostingError, PostSettingsError, PrivacyLevelError
from pytok_sm._posting_rules import (
    DEFAULT_CHUNK_SIZE,
    ChunkPlan,
    check_media_url,
    photo_post_info,
    photo_source_info,
    plan_chunks,
    url_problem,
    utf16_len,
    video_post_info,
    video_url_source_info,
)
from pytok_sm._posting_values import CreatorInfo

MIN, MAX, LAST_MAX = contract.CHUNK_MIN_BYTES, contract.CHUNK_MAX_BYTES, contract.LAST_CHUNK_MAX_BYTES
GIB = 1024**3


def creator(**changes: Any) -> CreatorInfo:
    values: dict[str, Any] = {
        "creator_avatar_url": "https://p16.example/a.jpg", "creator_username": "ann", "creator_nickname": "Ann",
        "privacy_level_options": list(contract.PUBLIC_ACCOUNT_OPTIONS), "comment_disabled": False,
        "duet_disabled": False, "stitch_disabled": False, "max_video_post_duration_sec": 300,
    }
    values.update(changes)
    return CreatorInfo.from_dict(values)


# --------------------------------------------------------------------------- the guide's worked examples


def test_the_guides_first_example_five_chunks_the_last_carrying_the_remainder() -> None:
    plan = plan_chunks(50_000_123, 10_000_000)
    assert (plan.size, plan.chunk_size, plan.count) == (50_000_123, 10_000_000, 5)
    assert [plan.content_range(i) for i in range(5)] == [
        "bytes 0-9999999/50000123",
        "bytes 10000000-19999999/50000123",
        "bytes 20000000-29999999/50000123",
        "bytes 30000000-39999999/50000123",
        "bytes 40000000-50000122/50000123",
    ]
    assert plan.length(4) == 10_000_123
    assert plan.to_source_info() == {"source": "FILE_UPLOAD", "video_size": 50_000_123, "chunk_size": 10_000_000,
                                     "total_chunk_count": 5}


@pytest.mark.parametrize("chunk_size", [None, 10_000_000, 4_194_304, 1, 64_000_000])
def test_the_guides_second_example_goes_in_one_request(chunk_size: int | None) -> None:
    plan = plan_chunks(4_194_304, chunk_size)
    assert (plan.chunk_size, plan.count) == (4_194_304, 1)
    assert plan.content_range(0) == "bytes 0-4194303/4194304"
    assert plan.to_source_info()["chunk_size"] == 4_194_304


@pytest.mark.parametrize("size", [1, MIN - 1, MIN, 30_000_000, contract.SINGLE_CHUNK_MAX_BYTES])
def test_without_a_chunk_size_a_video_up_to_64_000_000_bytes_goes_whole(size: int) -> None:
    assert plan_chunks(size) == ChunkPlan(size, size, 1)


def test_a_bigger_video_goes_in_10_000_000_byte_chunks_by_default() -> None:
    plan = plan_chunks(contract.SINGLE_CHUNK_MAX_BYTES + 1)
    assert (plan.chunk_size, plan.count) == (DEFAULT_CHUNK_SIZE, 6)
    assert plan.length(5) == 14_000_001
    biggest = plan_chunks(contract.VIDEO_MAX_BYTES)
    assert (biggest.chunk_size, biggest.count) == (DEFAULT_CHUNK_SIZE, 429)
    assert biggest.last(428) == contract.VIDEO_MAX_BYTES - 1


def test_a_chunk_size_of_at_least_the_whole_video_sends_it_whole_when_it_may() -> None:
    assert plan_chunks(30_000_000, 40_000_000) == ChunkPlan(30_000_000, 30_000_000, 1)
    assert plan_chunks(30_000_000, 30_000_000) == ChunkPlan(30_000_000, 30_000_000, 1)


def test_one_chunk_carrying_the_whole_file_says_so_in_chunk_size() -> None:
    # floor(6_000_000 / 5_500_000) = 1: a plan declaring 5.5 MB but sending 6 MB is what broke others.
    assert plan_chunks(6_000_000, 5_500_000) == ChunkPlan(6_000_000, 6_000_000, 1)


# --------------------------------------------------------------------------- rule breaches


@pytest.mark.parametrize(
    ("size", "chunk_size", "rule"),
    [
        pytest.param(100_000_000, MIN - 1, "chunk_size_min", id="under-the-minimum"),
        pytest.param(100_000_000, 1, "chunk_size_min", id="one-byte"),
        pytest.param(200_000_000, MAX + 1, "chunk_size_max", id="over-the-maximum"),
        pytest.param(100_000_000, 100_000_000, "chunk_size_max", id="whole-over-64MB"),
        pytest.param(100_000_000, 60_000_000, "single_chunk_max", id="one-chunk-over-64MB"),
        pytest.param(4 * GIB, MIN, "chunk_size_min", id="4GiB-in-5MiB-is-fine-but-5MiB-minus-one-is-not"),
        pytest.param(100_000_000, 0, "chunk_size_type", id="zero"),
        pytest.param(100_000_000, -5, "chunk_size_type", id="negative"),
        pytest.param(100_000_000, True, "chunk_size_type", id="bool"),
        pytest.param(100_000_000, 10_000_000.0, "chunk_size_type", id="float"),
        pytest.param(100_000_000, "10000000", "chunk_size_type", id="string"),
        pytest.param(0, None, "video_empty", id="empty"),
        pytest.param(-1, None, "video_empty", id="negative-size"),
        pytest.param(True, None, "video_empty", id="bool-size"),
        pytest.param(contract.VIDEO_MAX_BYTES + 1, None, "video_max_size", id="over-4GiB"),
    ],
)
def test_a_plan_that_breaks_a_rule_is_a_media_error_naming_it(size: Any, chunk_size: Any, rule: str) -> None:
    if rule == "chunk_size_min" and chunk_size == MIN:
        plan_chunks(size, chunk_size)  # the bound itself is allowed
        chunk_size -= 1
    with pytest.raises(MediaError) as caught:
        plan_chunks(size, chunk_size)
    error = caught.value
    assert (error.code, error.rule) == ("invalid_params", rule)
    assert "ask for" in str(error) or "make it" in str(error) or "a video needs" in str(error)


def test_too_many_chunks_says_the_least_chunk_size_that_works() -> None:
    # Only reachable with the 4 GiB limit through a small chunk: 4 GiB in 5 MiB chunks is 819, fine;
    # the rule is checked with the contract's own numbers so it holds if they change.
    assert plan_chunks(4 * GIB, MIN).count == 4 * GIB // MIN <= contract.MAX_CHUNKS


def test_the_chunk_bounds_satisfy_both_readings_of_mb() -> None:
    assert MIN == 5 * 1024 * 1024 >= 5_000_000
    assert MAX == 64_000_000 <= 64 * 1024 * 1024
    assert LAST_MAX == 128_000_000 <= 128 * 1024 * 1024


# --------------------------------------------------------------------------- properties


def check_plan(plan: ChunkPlan, size: int) -> None:
    assert plan.size == size and 1 <= plan.count <= contract.MAX_CHUNKS
    assert plan.count == size // plan.chunk_size  # floor, never ceil
    if plan.count == 1:
        assert plan.chunk_size == size and (size <= contract.SINGLE_CHUNK_MAX_BYTES)
    else:
        assert MIN <= plan.chunk_size <= MAX
        assert plan.chunk_size <= plan.length(plan.count - 1) <= LAST_MAX
    expected = 0
    for i in range(plan.count):
        assert plan.first(i) == expected and plan.index_at(expected) == i
        assert plan.length(i) == (plan.chunk_size if i < plan.count - 1 else size - expected)
        first, last = plan.content_range(i).removeprefix("bytes ").split("/")[0].split("-")
        assert (int(first), int(last)) == (plan.first(i), plan.last(i))
        expected = plan.last(i) + 1
    assert expected == size and plan.index_at(size) == plan.count


sizes = st.integers(1, contract.VIDEO_MAX_BYTES)
chunk_sizes = st.none() | st.integers(1, 2 * MAX) | st.integers(MIN, MAX)


@settings(max_examples=600, deadline=None)
@given(size=sizes, chunk_size=chunk_sizes)
def test_every_plan_keeps_every_rule_and_covers_the_file_exactly(size: int, chunk_size: int | None) -> None:
    try:
        plan = plan_chunks(size, chunk_size)
    except MediaError as error:
        assert chunk_size is not None and error.rule in ("chunk_size_min", "chunk_size_max", "single_chunk_max")
        return
    check_plan(plan, size)
    if chunk_size is None or size < MIN:
        return
    if plan.count > 1:
        assert plan.chunk_size == chunk_size  # the caller's size is kept, never silently changed


@settings(max_examples=300, deadline=None)
@given(size=sizes)
def test_without_a_chunk_size_every_size_gets_a_plan(size: int) -> None:
    check_plan(plan_chunks(size), size)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(MIN, contract.VIDEO_MAX_BYTES), chunk_size=st.integers(MIN, MAX))
def test_a_chunk_size_within_the_bounds_is_refused_only_for_a_rule(size: int, chunk_size: int) -> None:
    try:
        plan = plan_chunks(size, chunk_size)
    except MediaError as error:
        assert error.rule == "single_chunk_max"
        assert size // chunk_size == 1 and size > contract.SINGLE_CHUNK_MAX_BYTES
        return
    check_plan(plan, size)


@settings(max_examples=300, deadline=None)
@given(size=sizes, chunk_size=st.none() | st.integers(MIN, MAX), data=st.data())
def test_index_at_names_a_chunk_only_where_one_starts(size: int, chunk_size: int | None, data: st.DataObject) -> None:
    try:
        plan = plan_chunks(size, chunk_size)
    except MediaError:
        return
    starts = {plan.first(i): i for i in range(plan.count)} | {size: plan.count}
    near = st.integers(0, plan.count + 1).map(lambda i: i * plan.chunk_size) | st.just(size)
    offset = data.draw(st.tuples(near, st.sampled_from([-1, 0, 0, 1])).map(sum) | st.integers(-10, size + 10))
    assert plan.index_at(offset) == starts.get(offset)


def test_chunk_plan_refuses_inconsistent_values() -> None:
    for args in [(10, 3, 4), (10, 3, 2), (10, 11, 0), (0, 1, 0), (10, True, 10), (10, 20, 1)]:
        with pytest.raises(ValueError, match="ChunkPlan"):
            ChunkPlan(*args)
    plan = ChunkPlan(10, 3, 3)
    assert plan.last(2) == 9 and plan.index_at(9) is None and plan.index_at(6) == 2 and plan.index_at(-3) is None
    with pytest.raises(IndexError):
        plan.first(3)
    with pytest.raises(IndexError):
        plan.content_range(-1)


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize(("text", "units"), [("", 0), ("abc", 3), ("é", 1), ("🎬", 2), ("a🎬b👍🏽", 8), ("中文", 2)])
def test_utf16_len(text: str, units: int) -> None:
    assert utf16_len(text) == units


# --------------------------------------------------------------------------- video post_info


def test_video_post_info_switches_nothing_on_by_default() -> None:
    assert video_post_info(privacy_level="SELF_ONLY") == {
        "privacy_level": "SELF_ONLY", "disable_comment": True, "disable_duet": True, "disable_stitch": True,
        "brand_content_toggle": False, "brand_organic_toggle": False, "is_aigc": False,
    }


def test_video_post_info_with_everything() -> None:
    info = video_post_info(privacy_level="PUBLIC_TO_EVERYONE", title="Hi #tag", allow_comment=True, allow_duet=True,
                           allow_stitch=True, cover_timestamp_ms=1500, brand_content=True, brand_organic=True,
                           is_aigc=True, creator=creator(), duration=299.5)
    assert info == {
        "privacy_level": "PUBLIC_TO_EVERYONE", "title": "Hi #tag", "disable_comment": False, "disable_duet": False,
        "disable_stitch": False, "video_cover_timestamp_ms": 1500, "brand_content_toggle": True,
        "brand_organic_toggle": True, "is_aigc": True,
    }


@pytest.mark.parametrize(
    ("level", "who", "rule"),
    [
        pytest.param(None, None, "privacy_level_required", id="missing"),
        pytest.param("", None, "privacy_level_known", id="empty"),
        pytest.param("public", None, "privacy_level_known", id="lower-case"),
        pytest.param(1, None, "privacy_level_known", id="number"),
        pytest.param("FOLLOWER_OF_CREATOR", creator(), "privacy_level_option", id="not-offered-to-a-public-account"),
        pytest.param("PUBLIC_TO_EVERYONE", creator(privacy_level_options=["SELF_ONLY"]), "privacy_level_option",
                     id="not-offered-to-an-unaudited-app"),
    ],
)
def test_the_privacy_level_is_chosen_by_the_person_among_the_creators_options(level: Any, who: CreatorInfo | None,
                                                                              rule: str) -> None:
    with pytest.raises(PrivacyLevelError) as caught:
        video_post_info(privacy_level=level, creator=who)
    assert (caught.value.code, caught.value.rule) == ("privacy_level_option_mismatch", rule)
    if who is not None:
        for option in who.privacy_level_options:
            assert option in str(caught.value)


def test_branded_content_is_never_private() -> None:
    with pytest.raises(PrivacyLevelError) as caught:
        video_post_info(privacy_level="SELF_ONLY", brand_content=True)
    assert caught.value.rule == "branded_content_private" and "cannot be private" in str(caught.value)
    with pytest.raises(PrivacyLevelError):
        photo_post_info(direct=True, privacy_level="SELF_ONLY", brand_content=True)
    assert video_post_info(privacy_level="SELF_ONLY", brand_organic=True)["brand_organic_toggle"] is True


@pytest.mark.parametrize("name", ["comment", "duet", "stitch"])
def test_an_interaction_the_creator_switched_off_cannot_be_allowed(name: str) -> None:
    off = creator(**{f"{name}_disabled": True})
    allow: dict[str, Any] = {f"allow_{name}": True}
    with pytest.raises(PostSettingsError) as caught:
        video_post_info(privacy_level="SELF_ONLY", creator=off, **allow)
    assert (caught.value.code, caught.value.rule) == ("invalid_params", f"{name}_disabled")
    assert video_post_info(privacy_level="SELF_ONLY", creator=off)[f"disable_{name}"] is True


@pytest.mark.parametrize("name", ["allow_comment", "allow_duet", "allow_stitch", "brand_content", "brand_organic",
                                  "is_aigc"])
@pytest.mark.parametrize("value", ["false", "False", 0, 1, None, "yes"])
def test_settings_must_really_be_bools(name: str, value: Any) -> None:
    with pytest.raises(PostSettingsError) as caught:
        video_post_info(privacy_level="PUBLIC_TO_EVERYONE", **{name: value})
    assert caught.value.rule == "setting_type"


@pytest.mark.parametrize(
    ("title", "rule"),
    [
        ("x" * 2201, "title_length"),
        ("🎬" * 1101, "title_length"),  # 2202 UTF-16 units in 1101 characters
        ("a\x00b", "title_characters"),
        ("bell\x07", "title_characters"),
        ("\x7f", "title_characters"),
        ("lone \ud800 surrogate", "title_characters"),
        (42, "title_type"),
    ],
)
def test_video_title_rules(title: Any, rule: str) -> None:
    with pytest.raises(PostSettingsError) as caught:
        video_post_info(privacy_level="SELF_ONLY", title=title)
    assert caught.value.rule == rule


def test_a_title_at_the_limit_with_line_breaks_is_fine() -> None:
    assert video_post_info(privacy_level="SELF_ONLY", title="x" * 2200)["title"] == "x" * 2200
    assert video_post_info(privacy_level="SELF_ONLY", title="🎬" * 1100)["title"] == "🎬" * 1100
    assert video_post_info(privacy_level="SELF_ONLY", title="line\nnext\ttab")["title"] == "line\nnext\ttab"


@pytest.mark.parametrize("value", [-1, 2**31, 1.5, True, "100"])
def test_the_cover_timestamp_is_a_non_negative_int32(value: Any) -> None:
    with pytest.raises(PostSettingsError) as caught:
        video_post_info(privacy_level="SELF_ONLY", cover_timestamp_ms=value)
    assert caught.value.rule == "cover_timestamp"
    assert video_post_info(privacy_level="SELF_ONLY", cover_timestamp_ms=2**31 - 1)["video_cover_timestamp_ms"] > 0
    assert video_post_info(privacy_level="SELF_ONLY", cover_timestamp_ms=0)["video_cover_timestamp_ms"] == 0


@pytest.mark.parametrize(
    ("limit", "duration", "refused"),
    [(300, 300.0, False), (300, 300.01, True), (3600, 600.0, False), (3600, 601.0, True), (None, 600.0, False),
     (None, 600.5, True), (0, 100.0, False)],
)
def test_the_duration_is_at_most_the_creators_and_the_apis_limit(limit: int | None, duration: float,
                                                                 refused: bool) -> None:
    who = creator(max_video_post_duration_sec=limit)
    if not refused:
        video_post_info(privacy_level="SELF_ONLY", creator=who, duration=duration)
        return
    with pytest.raises(MediaError) as caught:
        video_post_info(privacy_level="SELF_ONLY", creator=who, duration=duration)
    assert (caught.value.code, caught.value.rule) == ("duration_check_failed", "max_duration")
    assert "trim" in str(caught.value)


def test_without_a_creator_the_apis_own_duration_limit_holds() -> None:
    video_post_info(privacy_level="SELF_ONLY", duration=600)
    with pytest.raises(MediaError):
        video_post_info(privacy_level="SELF_ONLY", duration=601)
    odds: list[Any] = [float("nan"), float("inf"), -1.0, True, "60"]
    for odd in odds:
        with pytest.raises(MediaError) as caught:
            video_post_info(privacy_level="SELF_ONLY", duration=odd)
        assert caught.value.rule == "duration_value"


def test_rule_errors_are_posting_errors_with_a_rule_name() -> None:
    with pytest.raises(PostingError) as caught:
        video_post_info(privacy_level="SELF_ONLY", title="x" * 3000)
    assert caught.value.rule and caught.value.http_status is None and "shorten" in str(caught.value)


# --------------------------------------------------------------------------- photo post_info


def test_photo_direct_post_info() -> None:
    info = photo_post_info(direct=True, privacy_level="MUTUAL_FOLLOW_FRIENDS", title="t", description="d",
                           allow_comment=True, auto_add_music=True, creator=creator())
    assert info == {"privacy_level": "MUTUAL_FOLLOW_FRIENDS", "title": "t", "description": "d",
                    "disable_comment": False, "auto_add_music": True, "brand_content_toggle": False,
                    "brand_organic_toggle": False}
    assert photo_post_info(direct=True, privacy_level="SELF_ONLY")["disable_comment"] is True


def test_photo_inbox_post_info_carries_only_text() -> None:
    assert photo_post_info(direct=False, privacy_level=None) == {}
    assert photo_post_info(direct=False, privacy_level=None, description="d") == {"description": "d"}
    extras: list[dict[str, Any]] = [{"privacy_level": "SELF_ONLY"}, {"allow_comment": True}, {"auto_add_music": True},
                                    {"brand_content": True}, {"brand_organic": True}]
    for extra in extras:
        settings_: dict[str, Any] = {"direct": False, "privacy_level": None, **extra}
        with pytest.raises(PostSettingsError) as caught:
            photo_post_info(**settings_)
        assert caught.value.rule == "direct_only"


def test_photo_text_limits() -> None:
    photo_post_info(direct=False, privacy_level=None, title="x" * 90, description="y" * 4000)
    with pytest.raises(PostSettingsError) as caught:
        photo_post_info(direct=False, privacy_level=None, title="x" * 91)
    assert caught.value.rule == "title_length"
    with pytest.raises(PostSettingsError) as caught:
        photo_post_info(direct=False, privacy_level=None, description="🎬" * 2001)
    assert caught.value.rule == "description_length"


def test_photo_rules_of_privacy_and_comments() -> None:
    with pytest.raises(PrivacyLevelError):
        photo_post_info(direct=True, privacy_level=None)
    with pytest.raises(PostSettingsError) as caught:
        photo_post_info(direct=True, privacy_level="SELF_ONLY", allow_comment=True,
                        creator=creator(comment_disabled=True))
    assert caught.value.rule == "comment_disabled"
    with pytest.raises(PostSettingsError):
        photo_post_info(direct="false", privacy_level="SELF_ONLY")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize("url", ["https://cdn.example/v.mp4", "https://cdn.example/v.mp4?sig=1",
                                 "http://127.0.0.1:8080/v.mp4", "http://localhost/v.mp4", "http://[::1]:9/v.mp4"])
def test_media_urls_that_are_fine(url: str) -> None:
    assert check_media_url(url) == url and url_problem(url) is None
    assert video_url_source_info(url) == {"source": "PULL_FROM_URL", "video_url": url}


@pytest.mark.parametrize("url", ["http://evil.example/v.mp4", "file:///etc/passwd", "ftp://x/v.mp4", "//x/v.mp4",
                                 "https://", "https://user:pw@x/v.mp4", "https://x/v.mp4#frag", "https://x/a b",
                                 "https://x:0/v", "https://x:99999/v", "https://[::1/v", "", None, 5,
                                 "http://127.0.0.1.evil.example/v.mp4", "http://localhost.evil/v.mp4",
                                 "javascript:alert(1)", "https://x/\x00"])
def test_media_urls_that_are_refused(url: Any) -> None:
    with pytest.raises(MediaError) as caught:
        check_media_url(url)
    assert caught.value.rule == "media_url"


def test_photo_source_info() -> None:
    urls = [f"https://cdn.example/{i}.jpg" for i in range(35)]
    info = photo_source_info(urls, cover_index=34)
    assert info == {"source": "PULL_FROM_URL", "photo_images": urls, "photo_cover_index": 34}
    assert photo_source_info(urls[:1])["photo_cover_index"] == 0


@pytest.mark.parametrize(
    ("urls", "cover", "rule"),
    [
        ([], 0, "photo_count"),
        ([f"https://x/{i}.jpg" for i in range(36)], 0, "photo_count"),
        ("https://x/1.jpg", 0, "photo_count"),
        (["https://x/1.jpg"], 1, "cover_index"),
        (["https://x/1.jpg"], -1, "cover_index"),
        (["https://x/1.jpg"], True, "cover_index"),
        (["https://x/1.jpg", "http://evil/2.jpg"], 0, "media_url"),
    ],
)
def test_photo_source_info_rules(urls: Any, cover: Any, rule: str) -> None:
    with pytest.raises(MediaError) as caught:
        photo_source_info(urls, cover)
    assert caught.value.rule == rule
