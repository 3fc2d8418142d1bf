"""What the posting end-to-end tests share: a kit with posting scopes against the sandbox
(sync or async, through ``make_runner``), video files made on the spot, and readings of what
the sandbox saw (chunks, hashes, requests)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytok_sm.sandbox import App, Sandbox, default_apps

SCOPES = ["user.info.basic", "video.publish", "video.upload"]
#: A 24-byte ISO-BMFF ``ftyp`` box: enough for the probe (MP4) and the sandbox's format check.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 12
#: The smallest chunk both readings of TikTok's "MB" allow; three of them plus a remainder.
CHUNK = 5 * 1024 * 1024
THREE_CHUNKS = 3 * CHUNK + 123
#: A video that goes in one request (under the smallest chunk), where the bytes do not matter.
SMALL = 64 * 1024
URL = "https://media.example.com/clip.mp4"
PHOTOS = ["https://media.example.com/1.jpg", "https://media.example.com/2.jpg"]


def poster(make_runner: Any, sb: Sandbox, *, processing: float = 0.0, **overrides: Any) -> Any:
    """A runner (sync or async kit) holding a fresh token with the posting scopes; the
    sandbox processes posts in ``processing`` seconds."""
    sb.switches.processing_seconds = processing
    return make_runner(token=sb.issue_tokens(SCOPES), **overrides)


_RANDOM: list[bytes] = []


def video(tmp_path: Path, size: int = THREE_CHUNKS, name: str = "clip.mp4") -> Path:
    """An MP4-looking file of ``size`` random bytes (random: a chunk out of place shows; the
    bytes are drawn once per process, so that each test writes its file fast)."""
    if not _RANDOM:
        _RANDOM.append(os.urandom(4 * CHUNK))
    noise = _RANDOM[0]
    path = tmp_path / name
    with open(path, "wb") as f:
        f.write(MP4_HEAD)
        left = size - len(MP4_HEAD)
        while left:
            piece = noise[: min(left, len(noise))]
            f.write(piece)
            left -= len(piece)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while piece := f.read(1 << 22):
            digest.update(piece)
    return digest.hexdigest()


def planned(size: int, chunk: int) -> list[tuple[int, int]]:
    """The ``(first, last)`` byte of every chunk of a floor plan (the remainder joins the last)."""
    count = size // chunk
    return [(i * chunk, size - 1 if i == count - 1 else (i + 1) * chunk - 1) for i in range(count)]


def uploads(sb: Sandbox) -> list[int | None]:
    """The HTTP status of every PUT the upload host answered, in order."""
    return [r.status for r in sb.requests if r.endpoint == "upload"]


def endpoints(sb: Sandbox) -> list[str]:
    """Every posting endpoint the sandbox was asked, in order."""
    skip = {"token", "revoke", "user_info"}
    return [r.endpoint for r in sb.requests if r.endpoint not in skip]


@contextmanager
def own_sandbox(request: Any, *, apps: Any = None, processing: float = 0.0,
                **overrides: Any) -> Iterator[tuple[Sandbox, Any]]:
    """A sandbox of the test's own (other apps) and a runner of the kind ``make_runner`` was
    parametrised with (the test asks for ``make_runner`` to be parametrised)."""
    cls = request.node.callspec.params["make_runner"]
    with Sandbox(apps=apps) as sb:
        sb.switches.processing_seconds = processing
        runner = cls(sb, token=sb.issue_tokens(SCOPES), **overrides)
        try:
            yield sb, runner
        finally:
            runner.close()
        assert sb.errors == [], sb.errors


def desktop_app(**changes: Any) -> list[App]:
    """The sandbox's default apps, the desktop one changed (``audited=False``, a creator cap)."""
    return [dataclasses.replace(app, **changes) if app.kind == "desktop" else app for app in default_apps()]


CHILD = Path(__file__).with_name("posting_child.py")


def child_job(sb: Sandbox, kind: str, mode: str, path: Path, **more: Any) -> list[str]:
    """The command line of :mod:`posting_child` doing ``mode`` with a ``kind`` ("sync"/"async") kit."""
    job = {"mode": mode, "kit": kind, "client_key": sb.client_key, "client_secret": sb.client_secret,
           "base_api_url": sb.base_api_url, "token": sb.issue_tokens(SCOPES), "path": str(path), **more}
    return [sys.executable, str(CHILD), json.dumps(job)]
