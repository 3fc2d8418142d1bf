"""``pytok post``: post a video (a file, uploaded in chunks, or a URL TikTok pulls) or photos
to TikTok with the Content Posting API, as the stored account.

TikTok's rules for posting apps are the command's defaults: there is no default privacy
level (``--privacy`` is required for a direct post; without it the usage error lists the
creator's options), interactions stay off unless asked for (``--allow-comment``,
``--allow-duet``, ``--allow-stitch``), and before anything is sent the command shows the
creator's nickname, the settings and the declaration ("By posting, you agree to TikTok's
Music Usage Confirmation", with the Branded Content Policy when ``--branded``). ``--inbox``
sends the media to the creator's TikTok inbox instead, where they choose all of that.

The progress goes to stderr (:class:`~pytok_sm.cli.post_view.PostView`: a live bar on a
terminal, plain lines on a pipe), the result to stdout. Ctrl+C cancels the post at TikTok
where TikTok allows it and exits 130 (:mod:`pytok_sm.cli.post_cancel`). ``pytok creator``
and ``pytok post-status`` live in :mod:`pytok_sm.cli.post_info`.

Example:
    >>> parser = argparse.ArgumentParser(prog="pytok post")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["clip.mp4", "--privacy", "self_only", "--allow-comment", "--timeout", "10m"])
    >>> args.video, args.privacy, args.allow_comment, args.allow_duet, args.timeout
    ('clip.mp4', 'SELF_ONLY', True, False, 600.0)
"""

from __future__ import annotations

import argparse
import json
import os

from .. import _contract as contract
from .._errors import TikTokError
from .._kit import LoginKit
from .._posting_errors import CreatorCapReached, PostingSpamRisk
from .._posting_values import UNCONFIRMED, CreatorInfo, PostResult
from ..flows import PhotoPostFlow, PostFlow, VideoPostFlow
from .exits import ExitCode, UsageError, printable
from .post_cancel import Interrupts, interrupted
from .post_info import (
    account_flags,
    add_account_options,
    add_wait_option,
    byte_size,
    follow_command,
    posting_kit,
)
from .post_view import PostView, creator_name, megabytes, preface_lines, result_lines
from .session import Command, Session

__all__ = ["POST", "add_arguments", "privacy_level", "run"]

_INTERACTIONS = ("comment", "duet", "stitch")
_PLURAL = {"comment": "comments", "duet": "duets", "stitch": "stitches"}


def privacy_level(text: str) -> str:
    """argparse type: one of TikTok's four privacy levels (any case).

    Example:
        >>> privacy_level("public_to_everyone")
        'PUBLIC_TO_EVERYONE'
    """
    level = text.strip().upper()
    if level not in contract.PRIVACY_LEVELS:
        raise argparse.ArgumentTypeError(
            f"{printable(text)!r} is not a TikTok privacy level: choose one of {', '.join(contract.PRIVACY_LEVELS)} "
            "that the creator may use (pytok creator lists them)")
    return level


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``pytok post``."""
    parser.add_argument("video", nargs="?", metavar="VIDEO",
                        help="a video file to upload (MP4, MOV or WebM), or an https URL TikTok pulls the video from "
                        "(on a domain verified for the app)")
    parser.add_argument("--photos", nargs="+", metavar="URL",
                        help="post photos instead: 1 to 35 https URLs of JPEG or WebP images TikTok pulls")
    parser.add_argument("--privacy", type=privacy_level, metavar="LEVEL",
                        help="who may see the post, one of the creator's options (pytok creator lists them): "
                        "PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR or SELF_ONLY; required for "
                        "a direct post, with no default")
    parser.add_argument("--title", metavar="TEXT", help="the title (video: up to 2200 characters; photos: 90)")
    parser.add_argument("--description", metavar="TEXT", help="photos: the description (up to 4000 characters)")
    parser.add_argument("--cover", type=int, metavar="N", help="photos: which photo is the cover, from 1 (default 1)")
    parser.add_argument("--cover-ms", type=int, metavar="MS", help="video: the cover frame, milliseconds in")
    for name in _INTERACTIONS:
        parser.add_argument(f"--allow-{name}", action="store_true",
                            help=f"allow {_PLURAL[name]} (off unless given{'' if name == 'comment' else '; video only'})")
    parser.add_argument("--auto-add-music", action="store_true", help="photos: let TikTok add music")
    parser.add_argument("--your-brand", "--brand-organic", dest="brand_organic", action="store_true",
                        help="the post promotes your own brand (labeled 'Promotional content')")
    parser.add_argument("--branded", "--brand-content", dest="brand_content", action="store_true",
                        help="the post is a paid partnership with a third party (labeled 'Paid partnership'; "
                        "never SELF_ONLY)")
    parser.add_argument("--ai-generated", action="store_true", help="video: label it as AI-generated content")
    parser.add_argument("--inbox", action="store_true",
                        help="send it to the creator's TikTok inbox; they choose privacy and settings and post it "
                        "in the app (needs the scope video.upload instead of video.publish)")
    parser.add_argument("--no-wait", action="store_true",
                        help="return once TikTok has the media and is processing it (follow it with pytok "
                        "post-status)")
    add_wait_option(parser, "TikTok's processing")
    parser.add_argument("--chunk-size", type=byte_size, metavar="SIZE",
                        help="video file: the upload's chunk size (bytes, 10MB, 5MiB; 5 MiB to 64 MB; default: "
                        "the whole file up to 64 MB, else 10 MB)")
    add_account_options(parser)


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return [f"--{name.replace('_', '-')}" for name in names if getattr(args, name) not in (None, False)]


def check_arguments(args: argparse.Namespace) -> None:
    """The usage errors found without asking TikTok."""
    if (args.video is None) == (args.photos is None):
        raise UsageError("give a VIDEO (a file or an https URL) or --photos URL ..., not both"
                         if args.video is not None else "nothing to post: give a VIDEO file or URL, or --photos URL ...")
    if args.photos is not None:
        wrong = _given(args, ("allow_duet", "allow_stitch", "ai_generated", "chunk_size", "cover_ms"))
        if wrong:
            raise UsageError(f"a photo post takes no {', '.join(wrong)} (those are for videos)")
        if args.cover is not None and not 1 <= args.cover <= len(args.photos):
            raise UsageError(f"--cover {args.cover}: give the number of one of the {len(args.photos)} photos, "
                             f"1..{len(args.photos)}")
    else:
        wrong = _given(args, ("description", "cover", "auto_add_music"))
        if wrong:
            raise UsageError(f"a video post takes no {', '.join(wrong)} (those are for --photos)")
    if args.inbox:
        names = ("privacy", "allow_comment", "allow_duet", "allow_stitch", "brand_organic", "brand_content",
                 "ai_generated", "cover_ms", "auto_add_music", *(("title",) if args.photos is None else ()))
        wrong = _given(args, names)
        if wrong:
            raise UsageError(f"--inbox sends the post to the creator's TikTok inbox, where they choose the rest: "
                             f"leave out {', '.join(wrong)}")


def _privacy_missing(kit: LoginKit) -> UsageError:
    """The usage error of a direct post without ``--privacy``, with the creator's options."""
    start = "--privacy is required for a direct post, and TikTok has no default"
    try:
        creator = kit.creator_info()
    except (PostingSpamRisk, CreatorCapReached):
        raise  # this creator cannot post now anyway: say that instead
    except TikTokError as error:
        return UsageError(f"{start}: choose one of {', '.join(contract.PRIVACY_LEVELS)} that the creator may use "
                          f"(pytok creator lists them; they could not be read now: {error})")
    options = ", ".join(creator.privacy_level_options)
    return UsageError(f"{start}: choose one of the options of {creator_name(creator)}: {options} "
                      "(or --inbox, to let the creator choose in TikTok)")


def _check_creator(creator: CreatorInfo, args: argparse.Namespace) -> None:
    """The settings against what this creator may do, said in the command's words."""
    name = creator_name(creator)
    if args.privacy not in creator.privacy_level_options:
        raise UsageError(f"--privacy {args.privacy} is not among the options of {name}: choose one of "
                         f"{', '.join(creator.privacy_level_options)}")
    for interaction in _INTERACTIONS:
        if getattr(args, f"allow_{interaction}", False) and getattr(creator, f"{interaction}_disabled"):
            raise UsageError(f"{name} has switched {_PLURAL[interaction]} off in TikTok: leave out "
                             f"--allow-{interaction}")


def make_flow(kit: LoginKit, args: argparse.Namespace) -> PostFlow:
    """The post's flow, checked against TikTok's rules (no request sent yet)."""
    mode = "inbox" if args.inbox else "direct"
    if args.photos is not None:
        return PhotoPostFlow(
            kit.config, access_token=None, urls=args.photos, cover_index=(args.cover or 1) - 1,
            privacy_level=args.privacy, title=args.title, description=args.description,
            allow_comment=args.allow_comment, auto_add_music=args.auto_add_music, brand_content=args.brand_content,
            brand_organic=args.brand_organic, mode=mode, processing_timeout=args.timeout)
    return kit.prepare_post_video(
        args.video, privacy_level=args.privacy, title=args.title, allow_comment=args.allow_comment,
        allow_duet=args.allow_duet, allow_stitch=args.allow_stitch, cover_timestamp_ms=args.cover_ms,
        brand_content=args.brand_content, brand_organic=args.brand_organic, is_aigc=args.ai_generated, mode=mode,
        chunk_size=args.chunk_size, timeout=args.timeout)


def media_line(flow: PostFlow) -> str:
    """What is posted: the file and its chunks, the URL, or the photos."""
    if isinstance(flow, VideoPostFlow) and flow.path is not None:
        chunks = f"{flow.count} chunk{'s' if flow.count > 1 else ''}"
        return f"Video {printable(os.path.basename(flow.path))}: {megabytes(flow.size)} MB, uploaded in {chunks}"
    if isinstance(flow, VideoPostFlow):
        return f"Video pulled by TikTok from {printable(flow.video_url or '')}"
    count = len(flow.source_info.get("photo_images", ())) if isinstance(flow, PhotoPostFlow) else 0
    return f"{count} photo{'s' if count != 1 else ''} pulled by TikTok from their URLs"


def run(args: argparse.Namespace, session: Session) -> int:
    """Post, show the progress and the result; returns the exit code (errors are raised)."""
    check_arguments(args)
    flags = account_flags(args)
    scope = contract.SCOPE_VIDEO_UPLOAD if args.inbox else contract.SCOPE_VIDEO_PUBLISH
    say = session.terminal.say
    with posting_kit(session, args.open_id, scope=scope) as (kit, account):
        if not args.inbox and args.privacy is None:
            raise _privacy_missing(kit)
        flow = make_flow(kit, args)
        if args.inbox:
            say(f"Sending to the TikTok inbox of open_id {account.open_id}: the creator chooses privacy and settings "
                "and posts it in the TikTok app")
            say(media_line(flow))
        else:
            creator = kit.creator_info()
            _check_creator(creator, args)
            allowed = {name: bool(getattr(args, f"allow_{name}", False))
                       for name in (_INTERACTIONS if args.photos is None else ("comment",))}
            lines = list(preface_lines(creator, media="video" if args.photos is None else "photo",
                                       privacy=args.privacy, allowed=allowed, branded=args.brand_content,
                                       your_brand=args.brand_organic, aigc=args.ai_generated))
            for line in [lines[0], media_line(flow), *lines[1:]]:
                say(line)
        view = PostView(session.terminal)
        view.begin("Starting the post")
        with Interrupts() as presses:
            try:
                result = kit.run_post(flow, wait=not args.no_wait, on_progress=view.update)
            except KeyboardInterrupt:
                session.terminal.clear()
                raise interrupted(kit, flow, presses, lambda pid: follow_command(pid, flags)) from None
        view.finish(result)
    _report(session, result, args, follow_command(result.publish_id, flags))
    return ExitCode.TIMED_OUT if result.status == UNCONFIRMED else ExitCode.OK


def _report(session: Session, result: PostResult, args: argparse.Namespace, follow: str) -> None:
    if args.json:
        session.print(json.dumps({"publish_id": result.publish_id, "status": result.status,
                                  "post_ids": list(result.post_ids), "media": result.media, "mode": result.mode,
                                  "confirmed": result.confirmed}, indent=2, sort_keys=True))
        return
    for line in result_lines(result, follow=follow, waited=args.timeout):
        session.print(line)


POST = Command(
    name="post",
    help="post a video (file or URL) or --photos to TikTok as the logged-in creator",
    description="Post a video file (uploaded in chunks), a video URL or --photos URLs with the Content Posting "
    "API. A direct post needs --privacy (no default: the usage error lists the creator's options); comments, "
    "duets and stitches stay off unless allowed; the creator's nickname and TikTok's declaration are shown "
    "before anything is sent. --inbox sends it to the creator's TikTok inbox instead. The progress goes to "
    "stderr, the publish_id and status to stdout; Ctrl+C cancels the post at TikTok where TikTok allows it. "
    "Exit 5: TikTok had not finished when --timeout ended (UNCONFIRMED); 6: the creator cannot post now; "
    "7: the outcome is unknown (check the profile before posting again).",
    add_arguments=add_arguments,
    run=run,
)
