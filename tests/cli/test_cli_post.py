"""``pytok post``, ``pytok post-status`` and ``pytok creator`` against the sandbox (real
subprocesses, output piped): the lines they print, what the sandbox received, and the exit
code and one-line error of every kind of failure. The terminal (pty) and Ctrl+C are in
``test_cli_post_terminal.py``."""

from __future__ import annotations

import hashlib
import json
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from pytok_sm import (
    Config,
    CreatorCapReached,
    MediaError,
    PostFailed,
    PostingError,
    PostingSpamRisk,
    PostOutcomeUnknown,
    PostSettingsError,
    PrivacyLevelError,
)
from pytok_sm.cli.demo_post import VIDEO_SIZE, write_video
from pytok_sm.cli.exits import ExitCode, PostInterrupted, error_line, exit_code_for
from pytok_sm.cli.post_cancel import Interrupts, interrupted
from pytok_sm.flows import VideoPostFlow
from pytok_sm.sandbox import Sandbox

from .helpers import Pytok, Result, Running, sandbox_flags, seed_token

SCOPES = ("user.info.basic", "video.publish", "video.upload")
PHOTOS = ["https://media.example.com/trip/1.jpg", "https://media.example.com/trip/2.jpg"]
PREFACE = [
    "Posting to TikTok as Sandbox Creator (@sandbox.creator)",
    "Video clip.mp4: 10.6 MB, uploaded in 2 chunks",
]
MUSIC = "By posting, you agree to TikTok's Music Usage Confirmation."


@pytest.fixture(name="video", scope="module")
def video_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP4-shaped file of 10.6 MB: two chunks of 5 MiB (a sparse file, cheap to make)."""
    return write_video(tmp_path_factory.mktemp("media") / "clip.mp4", VIDEO_SIZE)


@dataclass
class Poster:
    """``pytok`` aimed at the test's sandbox, with a stored token that may post."""

    pytok: Pytok
    sandbox: Sandbox
    store: Path

    def run(self, *args: str, timeout: float = 60) -> Result:
        return self.pytok.run(*sandbox_flags(self.sandbox, self.store), *args, timeout=timeout)

    def start(self, *args: str) -> Running:
        return self.pytok.start(*sandbox_flags(self.sandbox, self.store), *args)

    def login(self, scopes: tuple[str, ...]) -> None:
        seed_token(self.sandbox, self.store, scopes)

    def only_post(self) -> SimpleNamespace:
        posts = self.sandbox.posts
        assert len(posts) == 1, posts
        return SimpleNamespace(**vars(posts[0]))


@pytest.fixture(name="poster")
def poster_fixture(pytok: Pytok, sandbox: Sandbox, tmp_path: Path) -> Poster:
    sandbox.switches.processing_seconds = 0  # TikTok ends the post at the first status poll
    made = Poster(pytok, sandbox, tmp_path / "tokens.json")
    made.login(SCOPES)
    return made


def error_of(result: Result) -> str:
    """The last stderr line, which must be the error; no traceback anywhere."""
    assert "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("pytok: error: "), result.stderr
    return last


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ posts that go through
def test_a_video_goes_up_in_two_chunks_with_a_plain_line_per_chunk_and_status(poster: Poster, video: Path) -> None:
    poster.sandbox.switches.processing_seconds = 0.5  # the first poll sees it processing, the next its end
    done = poster.run("post", str(video), "--privacy", "SELF_ONLY", "--title", "Hello #sandbox", "--allow-comment",
                      "--chunk-size", "5MiB")
    assert done.returncode == 0, done.stderr
    post = poster.only_post()
    assert (post.kind, post.mode, post.source, post.privacy_level) == ("video", "direct", "FILE_UPLOAD", "SELF_ONLY")
    assert post.title == "Hello #sandbox" and post.status == "PUBLISH_COMPLETE"
    assert post.ranges == [(0, 5 * 1024 * 1024 - 1), (5 * 1024 * 1024, VIDEO_SIZE - 1)]
    assert post.sha256 == sha256(video)
    assert done.stderr.splitlines() == [
        *PREFACE,
        "Privacy SELF_ONLY; comments on, duets off, stitches off",
        MUSIC,
        "Uploaded chunk 1/2: 5.2 of 10.6 MB (49%)",
        "Uploaded chunk 2/2: 10.6 of 10.6 MB (100%)",
        "Status: PROCESSING_UPLOAD (TikTok is processing the post; this may take a few minutes)",
        "Status: PUBLISH_COMPLETE",
    ]
    assert done.stdout.splitlines() == [
        f"publish_id:  {post.publish_id}",
        "status:      PUBLISH_COMPLETE (published)",
        "post ids:    none (TikTok gives ids of public posts only)",
    ]
    assert "\r" not in done.stderr + done.stdout


def test_a_public_branded_post_says_the_branded_declaration_and_prints_json(poster: Poster, video: Path) -> None:
    done = poster.run("post", str(video), "--privacy", "public_to_everyone", "--branded", "--your-brand", "--json")
    assert done.returncode == 0, done.stderr
    post = poster.only_post()
    assert post.privacy_level == "PUBLIC_TO_EVERYONE" and len(post.post_ids) == 1
    assert json.loads(done.stdout) == {
        "publish_id": post.publish_id, "status": "PUBLISH_COMPLETE", "post_ids": [str(post.post_ids[0])],
        "media": "video", "mode": "direct", "confirmed": True,
    }
    lines = done.stderr.splitlines()
    branded = "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
    assert "Your video will be labeled as 'Paid partnership'." in lines and MUSIC not in lines
    # Said before anything is sent (without --chunk-size, 10.6 MB goes up whole).
    assert lines.index(PREFACE[0]) < lines.index(branded) < lines.index("Uploaded chunk 1/1: 10.6 of 10.6 MB (100%)")


def test_photos_are_pulled_by_tiktok_with_their_cover_title_and_description(poster: Poster) -> None:
    done = poster.run("post", "--photos", *PHOTOS, "--privacy", "SELF_ONLY", "--cover", "2", "--title", "Trip",
                      "--description", "Two days by the sea")
    assert done.returncode == 0, done.stderr
    post = poster.only_post()
    assert (post.kind, post.mode, post.source) == ("photo", "direct", "PULL_FROM_URL")
    assert list(post.photo_images) == PHOTOS and (post.title, post.description) == ("Trip", "Two days by the sea")
    assert done.stderr.splitlines() == [
        "Posting to TikTok as Sandbox Creator (@sandbox.creator)",
        "2 photos pulled by TikTok from their URLs",
        "Privacy SELF_ONLY; comments off",  # photo posts have no duets or stitches
        MUSIC,
        "Status: PUBLISH_COMPLETE",
    ]
    assert done.stdout.splitlines()[:2] == [f"publish_id:  {post.publish_id}", "status:      PUBLISH_COMPLETE (published)"]


def test_a_video_url_is_pulled_by_tiktok(poster: Poster) -> None:
    url = "https://media.example.com/clips/sea.mp4"
    done = poster.run("post", url, "--privacy", "MUTUAL_FOLLOW_FRIENDS")
    assert done.returncode == 0, done.stderr
    post = poster.only_post()
    assert (post.source, post.video_url, post.privacy_level) == ("PULL_FROM_URL", url, "MUTUAL_FOLLOW_FRIENDS")
    assert f"Video pulled by TikTok from {url}" in done.stderr.splitlines()
    assert "Uploaded chunk" not in done.stderr


def test_inbox_without_waiting_then_post_status_follows_it(poster: Poster, video: Path) -> None:
    poster.login(("user.info.basic", "video.upload"))  # the inbox needs video.upload only
    done = poster.run("post", str(video), "--inbox", "--no-wait")
    assert done.returncode == 0, done.stderr
    post = poster.only_post()
    assert post.mode == "inbox" and post.privacy_level is None
    assert done.stderr.splitlines()[0] == (
        f"Sending to the TikTok inbox of open_id {post.open_id}: the creator chooses privacy and settings and posts it "
        "in the TikTok app")
    assert MUSIC not in done.stderr  # TikTok's app shows it to the person who posts
    follow = f"pytok post-status {post.publish_id} --store {poster.store}"
    assert done.stdout.splitlines()[1] == (
        f"status:      PROCESSING_UPLOAD (TikTok is processing it, which may take a few minutes; follow it with "
        f"{follow} --wait)")
    status = poster.run("post-status", post.publish_id)
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[:2] == [
        f"publish_id:    {post.publish_id}",
        "status:        SEND_TO_USER_INBOX (in the creator's TikTok inbox: they finish the post in the TikTok app)",
    ]
    assert f"uploaded:      10.6 MB ({VIDEO_SIZE} bytes)" in status.stdout.splitlines()
    waited = poster.run("post-status", post.publish_id, "--wait", "--json")
    assert waited.returncode == 0, waited.stderr
    assert json.loads(waited.stdout) == {
        "publish_id": post.publish_id, "status": "SEND_TO_USER_INBOX", "fail_reason": None, "post_ids": [],
        "uploaded_bytes": VIDEO_SIZE, "downloaded_bytes": None, "terminal": True,
    }


def test_still_processing_when_the_wait_ends_is_unconfirmed_exit_5(poster: Poster, video: Path) -> None:
    poster.sandbox.switches.post_outcome = "never"
    done = poster.run("post", str(video), "--privacy", "SELF_ONLY", "--timeout", "1s")
    assert done.returncode == 5, done.stderr
    post = poster.only_post()
    assert done.stdout.splitlines()[1] == (
        "status:      UNCONFIRMED (TikTok had not finished processing after 0:01: the post may still appear; check "
        f"later with pytok post-status {post.publish_id} --store {poster.store})")
    assert "pytok: error" not in done.stderr  # not a failure
    waited = poster.run("post-status", post.publish_id, "--wait", "--timeout", "1")
    assert waited.returncode == 5, waited.stderr
    assert "status:        UNCONFIRMED, still PROCESSING_UPLOAD (TikTok had not finished processing after 0:01" \
        in waited.stdout


# ------------------------------------------------------------------------------ no privacy level: the creator's options
def test_a_missing_privacy_lists_the_creators_own_options_and_posts_nothing(poster: Poster, video: Path) -> None:
    poster.sandbox.creator().private_account = True  # its options differ from the documented four
    done = poster.run("post", str(video))
    assert done.returncode == 2
    line = error_of(done)
    assert line == (
        "pytok: error: --privacy is required for a direct post, and TikTok has no default: choose one of the options "
        "of Sandbox Creator (@sandbox.creator): FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY (or --inbox, "
        "to let the creator choose in TikTok)")
    assert poster.sandbox.count("video_init") == 0 and poster.sandbox.posts == []


def test_a_missing_privacy_without_readable_options_lists_the_four_levels(poster: Poster, video: Path) -> None:
    poster.login(("user.info.basic", "video.upload"))  # creator_info needs video.publish
    done = poster.run("post", str(video))
    assert done.returncode == 2
    line = error_of(done)
    assert "choose one of PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY that the creator " \
        "may use (pytok creator lists them; they could not be read now: scope_not_authorized" in line
    assert poster.sandbox.posts == []


# ------------------------------------------------------------------------------ every kind of failure
def _fail(reason: str) -> Callable[[Poster], None]:
    def setup(poster: Poster) -> None:
        poster.sandbox.switches.post_outcome = "fail"
        poster.sandbox.switches.post_fail_reason = reason
    return setup


def _creator(**settings: bool) -> Callable[[Poster], None]:
    def setup(poster: Poster) -> None:
        for name, value in settings.items():
            setattr(poster.sandbox.creator(), name, value)
    return setup


def _nothing(poster: Poster) -> None:
    pass


FAILURES = {
    "failed, retryable": (_fail("internal"), [], 1, ["failed (internal); a passing failure at TikTok: posting again"]),
    "failed, not retryable": (_fail("spam_risk_text"), [], 1, ["failed (spam_risk_text)", "do not retry it"]),
    "failed, the media": (_fail("frame_rate_check_failed"), [], 1, ["TikTok refused the media: fix it"]),
    "blocked": (_creator(banned=True), [], 6, ["spam_risk_user_banned_from_posting", "try again in 24 hours"]),
    "privacy not offered": (_creator(private_account=True), ["--privacy", "PUBLIC_TO_EVERYONE"], 2,
                            ["--privacy PUBLIC_TO_EVERYONE is not among the options of Sandbox Creator",
                             "FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY"]),
    "branded and private": (_nothing, ["--branded"], 2, ["branded content cannot be private (SELF_ONLY)"]),
    "duets switched off": (_creator(duet_disabled=True), ["--allow-duet"], 2,
                           ["Sandbox Creator (@sandbox.creator) has switched duets off in TikTok: leave out --allow-duet"]),
    "title too long": (_nothing, ["--title", "x" * 2201], 2, ["title is 2201 UTF-16 code units long", "shorten it"]),
    "chunk too small": (_nothing, ["--chunk-size", "1MB"], 2, ["a --chunk-size of 1000000 bytes is under TikTok's"]),
    "outcome unknown": (lambda p: p.sandbox.faults.add("video_init", "connection_reset"), [], 7,
                        ["the post's init got no answer", "check the creator's profile or inbox before posting again"]),
}
#: Failures found before TikTok was asked to post anything.
BEFORE_INIT = {"blocked", "privacy not offered", "branded and private", "duets switched off", "title too long",
               "chunk too small"}


@pytest.mark.parametrize("case", list(FAILURES))
def test_each_failure_has_its_exit_code_and_one_error_line(poster: Poster, video: Path, case: str) -> None:
    setup, extra, code, fragments = FAILURES[case]
    setup(poster)
    args = ["--privacy", "SELF_ONLY"] if "--privacy" not in extra else []
    done = poster.run("post", str(video), *args, *extra)
    assert done.returncode == code, done.stderr
    line = error_of(done)
    for fragment in fragments:
        assert fragment in line
    assert done.stdout == ""
    if case in BEFORE_INIT:
        assert poster.sandbox.count("video_init") == 0 and poster.sandbox.count("upload") == 0
    if case == "outcome unknown":
        assert len(poster.sandbox.posts) == 1 and poster.sandbox.count("video_init") == 1  # never sent twice


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda path: path.write_text("not a video"), "is not an MP4, MOV or WebM video"),
    (lambda path: None, "there is no file"),
])
def test_a_file_that_is_no_video_is_a_usage_error_before_any_request(
    poster: Poster, tmp_path: Path, make: Callable[[Path], object], fragment: str
) -> None:
    path = tmp_path / "notes.mp4"
    make(path)
    done = poster.run("post", str(path), "--privacy", "SELF_ONLY")
    assert done.returncode == 2
    assert fragment in error_of(done)
    assert poster.sandbox.requests == []


def test_a_login_without_the_posting_scope_says_which_login_to_run(poster: Poster, video: Path) -> None:
    poster.login(("user.info.basic",))
    done = poster.run("post", str(video), "--privacy", "SELF_ONLY")
    assert done.returncode == 1
    assert error_of(done).endswith(
        "posting needs the scope video.publish: log in again with pytok login --scopes user.info.basic,video.publish")


def test_not_logged_in_is_exit_3(pytok: Pytok, sandbox: Sandbox, tmp_path: Path, video: Path) -> None:
    done = pytok.run(*sandbox_flags(sandbox, tmp_path / "none.json"), "post", str(video), "--privacy", "SELF_ONLY")
    assert done.returncode == 3
    assert "not logged in" in error_of(done)


@pytest.mark.parametrize(("args", "fragment"), [
    ([], "nothing to post: give a VIDEO file or URL, or --photos URL ..."),
    (["VIDEO", "--photos", PHOTOS[0]], "give a VIDEO (a file or an https URL) or --photos URL ..., not both"),
    (["VIDEO", "--inbox", "--privacy", "SELF_ONLY", "--allow-comment"], "TikTok inbox, where they choose the rest: "
                                                                         "leave out --privacy, --allow-comment"),
    (["--photos", PHOTOS[0], "--cover", "2"], "--cover 2: give the number of one of the 1 photos, 1..1"),
    (["--photos", PHOTOS[0], "--allow-duet"], "a photo post takes no --allow-duet"),
    (["VIDEO", "--description", "x"], "a video post takes no --description"),
    (["VIDEO", "--privacy", "EVERYONE"], "argument --privacy: 'EVERYONE' is not a TikTok privacy level"),
    (["VIDEO", "--chunk-size", "lots"], "argument --chunk-size: invalid size 'lots'"),
    (["VIDEO", "--timeout", "8d"], "argument --timeout: invalid duration '8d': at most 7d"),
])
def test_usage_errors_are_one_line_exit_2_and_send_nothing(
    poster: Poster, video: Path, args: list[str], fragment: str
) -> None:
    done = poster.run("post", *[str(video) if arg == "VIDEO" else arg for arg in args])
    assert done.returncode == 2, done.stderr
    line = error_of(done)
    assert done.stderr.count("\n") == 1 and fragment in line
    if fragment.startswith("argument"):
        assert line.endswith("(see pytok post --help)")
    assert poster.sandbox.requests == []


# ------------------------------------------------------------------------------ post-status
def test_post_status_of_an_unknown_id_is_a_usage_error(poster: Poster) -> None:
    done = poster.run("post-status", "v_pub_file~v2-1.7000000000000000001")
    assert done.returncode == 2
    line = error_of(done)
    assert "invalid_publish_id" in line and line.endswith("no such post: check the publish_id")
    assert re.search(r"\(log_id \w+\)", line)
    malformed = poster.run("post-status", "not an id")
    assert malformed.returncode == 2 and "a publish_id is 1..64 printable ASCII characters" in error_of(malformed)
    missing = poster.run("post-status")
    assert missing.returncode == 2
    assert error_of(missing).endswith("the following arguments are required: PUBLISH_ID (see pytok post-status --help)")


def test_post_status_of_a_failed_post_shows_the_reason_and_exits_1(poster: Poster, video: Path) -> None:
    _fail("internal")(poster)
    assert poster.run("post", str(video), "--privacy", "SELF_ONLY").returncode == 1
    post = poster.only_post()
    done = poster.run("post-status", post.publish_id)
    assert done.returncode == 1
    assert done.stdout.splitlines()[1:3] == ["status:        FAILED (TikTok will not publish it)",
                                             "fail_reason:   internal"]
    assert "posting again may succeed" in error_of(done)


# ------------------------------------------------------------------------------ creator
def test_creator_shows_what_tiktok_says_of_the_creator(poster: Poster) -> None:
    _creator(duet_disabled=True, private_account=False)(poster)
    poster.sandbox.creator().max_video_post_duration_sec = 180
    done = poster.run("creator")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:5] == [
        "nickname:          Sandbox Creator",
        "username:          sandbox.creator",
        "privacy options:   PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY",
        "interactions off:  duet (pytok post refuses --allow-duet)",
        "max duration:      180 s (3:00)",
    ]
    as_json = json.loads(poster.run("creator", "--json").stdout)
    assert as_json["duet_disabled"] is True and as_json["max_video_post_duration_sec"] == 180
    poster.sandbox.creator().banned = True
    blocked = poster.run("creator")
    assert blocked.returncode == 6 and "spam_risk_user_banned_from_posting" in error_of(blocked)


# ------------------------------------------------------------------------------ in-process: codes, lines, Ctrl+C's words
@pytest.mark.parametrize(("error", "code"), [
    (PostFailed("p1", "internal"), ExitCode.FAILED),
    (PostingSpamRisk("spam_risk_too_many_posts"), ExitCode.BLOCKED),
    (CreatorCapReached("reached_active_user_cap"), ExitCode.BLOCKED),
    (PostOutcomeUnknown("no answer"), ExitCode.OUTCOME_UNKNOWN),
    (PrivacyLevelError("privacy_level_option_mismatch"), ExitCode.USAGE),
    (PostSettingsError("invalid_params", rule="title_length"), ExitCode.USAGE),
    (MediaError("invalid_file_upload", rule="file_format"), ExitCode.USAGE),
    (MediaError("invalid_file_upload", rule="file_unchanged"), ExitCode.FAILED),
    (PostingError("invalid_publish_id"), ExitCode.USAGE),
    (PostingError("publish_not_cancellable"), ExitCode.FAILED),
    (PostInterrupted("nothing was posted"), ExitCode.INTERRUPTED),
])
def test_every_posting_error_has_its_exit_code(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) == code


def test_ctrl_c_words_before_tiktok_made_a_post() -> None:
    video = SimpleNamespace(path="/v.mp4", size=10_600_000, mtime_ns=1, content_type="video/mp4", duration=None)
    said = {}
    for state in ("checking_creator", "initialising"):
        flow = VideoPostFlow(Config("aw_key", "s"), access_token="act.x", video=video, privacy_level="SELF_ONLY")
        flow.state = state
        flow.cancel()
        said[state] = error_line(interrupted(None, flow, Interrupts(), str))  # type: ignore[arg-type]
    assert said["checking_creator"] == "pytok: cancelled (Ctrl+C): nothing was posted"
    assert said["initialising"].startswith("pytok: cancelled (Ctrl+C): the post's init was on its way to TikTok")
    assert "before posting again" in said["initialising"]


def test_interrupts_count_presses_and_give_the_handler_back() -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's own handler here")
    with Interrupts() as presses:
        for _ in range(2):
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
    assert presses.count == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
