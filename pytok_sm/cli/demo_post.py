"""The posting step of ``pytok demo``: a small video posted SELF_ONLY against the sandbox.

The video is MP4-shaped, not a film: an ``ftyp`` header and then zeros (a sparse file, so
writing it costs nothing), a little over 10 MB so that it goes up in two chunks of 5 MiB,
TikTok's smallest. The sandbox processes it for :data:`PROCESSING_SECONDS`, so the story
shows TikTok's status while it processes, then the end and what the sandbox received.

Example:
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_video(pathlib.Path(folder) / "v.mp4", 1000)
    ...     data = path.read_bytes()
    >>> len(data), data[4:12]
    (1000, b'ftypisom')
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any, Protocol

from .._kit import LoginKit
from .post_view import PostView, creator_name, declaration, megabytes, status_meaning
from .progress import Terminal

__all__ = ["CHUNK_SIZE", "PROCESSING_SECONDS", "VIDEO_SIZE", "post_video", "write_video"]

#: TikTok's smallest chunk (5 MiB), and a video of two of them and a little more.
CHUNK_SIZE = 5 * 1024 * 1024
VIDEO_SIZE = 10_600_000
#: Sandbox seconds the post spends processing (one status poll sees it, the next its end).
PROCESSING_SECONDS = 1.0
_FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


class Story(Protocol):
    """Where the demo writes (its ``_Story``)."""

    def detail(self, text: str) -> None: ...


class _Details:
    """A text stream whose lines become the story's indented details (for :class:`PostView`)."""

    def __init__(self, story: Story) -> None:
        self.story = story

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.story.detail(line)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""


def write_video(path: Path, size: int) -> Path:
    """An MP4-shaped file of ``size`` bytes at ``path``: an ``ftyp`` box, then zeros."""
    with open(path, "wb") as out:
        out.write(_FTYP)
        out.truncate(size)
    return path


def post_video(story: Story, kit: LoginKit, sandbox: Any) -> None:
    """Show the creator, post the video SELF_ONLY in two chunks, show the progress and the end."""
    sandbox.switches.processing_seconds = PROCESSING_SECONDS
    with tempfile.TemporaryDirectory(prefix="pytok-demo-") as folder:
        path = write_video(Path(folder) / "demo.mp4", VIDEO_SIZE)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        creator = kit.creator_info()
        story.detail(f"creator          {creator_name(creator)}")
        story.detail(f"privacy options  {', '.join(creator.privacy_level_options)}")
        flow = kit.prepare_post_video(path, privacy_level="SELF_ONLY", chunk_size=CHUNK_SIZE)
        story.detail(f"video            {path.name}: {megabytes(flow.size)} MB, {flow.count} chunks of "
                     f"{megabytes(flow.chunk_size)} MB (an ftyp header, then zeros)")
        story.detail("settings         privacy SELF_ONLY (chosen: TikTok has no default); comments, duets, "
                     "stitches off")
        story.detail(declaration(branded=False))
        view = PostView(Terminal(_Details(story), live=False))  # type: ignore[arg-type]
        result = kit.run_post(flow, on_progress=view.update)
        view.finish(result)
    story.detail(f"publish_id       {result.publish_id}")
    story.detail(f"status           {result.status} ({status_meaning(result.status, follow='')})")
    post = next(p for p in sandbox.posts if p.publish_id == result.publish_id)
    same = "matches" if post.sha256 == digest else "DIFFERS FROM"
    story.detail(f"sandbox received {post.uploaded_bytes} bytes in {len(post.ranges)} chunks; sha256 {same} the file")
