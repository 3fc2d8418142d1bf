"""pytok_sm.drivers._media: the video probe, on small real files made by hand (ISO-BMFF boxes,
an EBML header), on lying headers, and on things that are not files at all."""

from __future__ import annotations

import errno
import os
import struct
import time
from pathlib import Path

import pytest

from pytok_sm import _contract as contract
from pytok_sm._posting_errors import MediaError
from pytok_sm.drivers._media import VideoFile, probe_video


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def large_box(kind: bytes, payload: bytes = b"", size: int | None = None) -> bytes:
    return struct.pack(">I4sQ", 1, kind, size if size is not None else 16 + len(payload)) + payload


def ftyp(brand: bytes = b"isom") -> bytes:
    return box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"isomiso2avc1mp41")


def mvhd(timescale: int, duration: int, version: int = 0) -> bytes:
    if version == 0:
        head = struct.pack(">B3sIIII", 0, b"\x00" * 3, 1, 2, timescale, duration)
    else:
        head = struct.pack(">B3sQQIQ", 1, b"\x00" * 3, 1, 2, timescale, duration)
    return box(b"mvhd", head + b"\x00" * 80)  # rate, volume, matrix, next track id...


def moov(*children: bytes) -> bytes:
    return box(b"moov", b"".join(children))


def write(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: object, rule: str) -> MediaError:
    with pytest.raises(MediaError) as caught:
        probe_video(path)  # type: ignore[arg-type]
    assert caught.value.rule == rule, str(caught.value)
    return caught.value


# --------------------------------------------------------------------------- MP4 and MOV


def test_an_mp4_with_mvhd_version_0(tmp_path: Path) -> None:
    data = ftyp() + moov(mvhd(1000, 12_345), box(b"trak", b"\x00" * 40)) + box(b"mdat", b"\x00" * 100)
    path = write(tmp_path, data)
    info = os.stat(path)
    assert probe_video(path) == VideoFile(str(path), len(data), info.st_mtime_ns, "video/mp4", 12.345)


def test_an_mp4_with_mvhd_version_1_after_other_boxes_in_moov(tmp_path: Path) -> None:
    data = ftyp(b"mp42") + moov(box(b"udta", b"x" * 30), mvhd(90_000, 90_000 * 61 + 45_000, version=1))
    assert probe_video(write(tmp_path, data)).duration == 61.5


def test_a_mov_by_its_brand(tmp_path: Path) -> None:
    video = probe_video(write(tmp_path, ftyp(b"qt  ") + box(b"wide") + moov(mvhd(600, 600 * 5)), "clip.mov"))
    assert (video.content_type, video.duration) == ("video/quicktime", 5.0)


def test_a_classic_quicktime_file_without_ftyp(tmp_path: Path) -> None:
    video = probe_video(write(tmp_path, box(b"wide") + box(b"mdat", b"\x00" * 64) + moov(mvhd(600, 1200))))
    assert (video.content_type, video.duration) == ("video/quicktime", 2.0)
    refused(write(tmp_path, box(b"free", b"\x00" * 64) + box(b"mdat", b"\x00" * 8), "x.mov"), "file_format")


def test_moov_at_the_end_after_a_big_mdat_with_a_64_bit_size(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    mdat_size = 300 * 1024 * 1024  # sparse: nothing of it is written, nor read
    with open(path, "wb") as handle:
        handle.write(ftyp() + large_box(b"mdat", size=mdat_size))
        handle.truncate(len(ftyp()) + mdat_size)
        handle.seek(0, os.SEEK_END)
        handle.write(moov(mvhd(1000, 59_000)))
    started = time.monotonic()
    video = probe_video(path)
    assert video.duration == 59.0 and video.size == len(ftyp()) + mdat_size + len(moov(mvhd(1000, 59_000)))
    assert time.monotonic() - started < 1.0


def test_a_box_of_size_0_runs_to_the_end_of_the_file(tmp_path: Path) -> None:
    data = ftyp() + moov(mvhd(1000, 2000)) + struct.pack(">I4s", 0, b"mdat") + b"\x00" * 50
    assert probe_video(write(tmp_path, data)).duration == 2.0
    last = ftyp() + struct.pack(">I4s", 0, b"moov") + mvhd(1000, 3000)  # moov itself to the end
    assert probe_video(write(tmp_path, last, "b.mp4")).duration == 3.0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(ftyp() + struct.pack(">I4s", 2**31, b"mdat") + moov(mvhd(1000, 1000)), id="size-past-the-end"),
        pytest.param(ftyp() + large_box(b"mdat", size=2**62) + moov(mvhd(1000, 1000)), id="largesize-past-the-end"),
        pytest.param(ftyp() + struct.pack(">I4s", 4, b"free") + moov(mvhd(1000, 1000)), id="size-under-the-header"),
        pytest.param(ftyp() + large_box(b"free", size=8) + moov(mvhd(1000, 1000)), id="largesize-under-the-header"),
        pytest.param(ftyp() + box(b"free") * 5000 + moov(mvhd(1000, 1000)), id="five-thousand-empty-boxes"),
        pytest.param(ftyp() + moov(struct.pack(">I4s", 3, b"mvhd") + b"\x00" * 40), id="mvhd-size-lies"),
        pytest.param(ftyp() + moov(box(b"mvhd", b"\x00" * 10)), id="mvhd-cut-short"),
        pytest.param(ftyp() + moov(box(b"mvhd", b"\x07" + b"\x00" * 40)), id="mvhd-version-7"),
        pytest.param(ftyp() + moov(mvhd(0, 1000)), id="timescale-0"),
        pytest.param(ftyp() + moov(mvhd(1000, 0xFFFFFFFF)), id="duration-unknown-v0"),
        pytest.param(ftyp() + moov(mvhd(1000, 2**64 - 1, version=1)), id="duration-unknown-v1"),
        pytest.param(ftyp() + box(b"mdat", b"\x00" * 20), id="no-moov"),
        pytest.param(ftyp() + moov(box(b"trak")), id="no-mvhd"),
        pytest.param(ftyp()[:12], id="ftyp-only-in-part"),
    ],
)
def test_a_lying_or_incomplete_header_gives_no_duration_quickly(tmp_path: Path, data: bytes) -> None:
    started = time.monotonic()
    video = probe_video(write(tmp_path, data))
    assert video.content_type == "video/mp4" and video.duration is None
    assert time.monotonic() - started < 1.0


def test_a_truncated_moov_is_still_read_up_to_the_end_of_the_file(tmp_path: Path) -> None:
    data = ftyp() + struct.pack(">I4s", 10_000, b"moov") + mvhd(1000, 4000)
    assert probe_video(write(tmp_path, data)).duration == 4.0


def test_a_long_duration_is_reported_for_the_rules_to_refuse(tmp_path: Path) -> None:
    assert probe_video(write(tmp_path, ftyp() + moov(mvhd(1, 3 * 3600)))).duration == 10_800.0


# --------------------------------------------------------------------------- WebM and other formats


def ebml(doctype: bytes) -> bytes:
    body = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body + b"\x18\x53\x80\x67" + b"\x00" * 40


def test_a_webm_by_its_ebml_magic(tmp_path: Path) -> None:
    video = probe_video(write(tmp_path, ebml(b"webm"), "clip.webm"))
    assert (video.content_type, video.duration) == ("video/webm", None)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(ebml(b"matroska"), id="matroska"),
        pytest.param(ftyp(b"heic") + box(b"meta"), id="heic-image"),
        pytest.param(ftyp(b"M4A ") + moov(mvhd(1000, 1000)), id="m4a-audio"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, id="png"),
        pytest.param(b"<html><body>not a video</body></html>", id="html"),
        pytest.param(b"GIF89a" + b"\x00" * 40, id="gif"),
        pytest.param(b"\x00\x00\x00\x20ftp" + b"\x00" * 40, id="almost-ftyp"),
        pytest.param(b"ab", id="two-bytes"),
    ],
)
def test_anything_else_is_not_a_video(tmp_path: Path, data: bytes) -> None:
    error = refused(write(tmp_path, data), "file_format")
    assert error.code == "file_format_check_failed" and ("convert" in str(error) or "post a video" in str(error))


# --------------------------------------------------------------------------- what is not a usable file


def test_a_missing_file(tmp_path: Path) -> None:
    error = refused(tmp_path / "nope.mp4", "file_missing")
    assert str(tmp_path / "nope.mp4") in str(error) and "check the path" in str(error)
    refused(tmp_path / "nope" / "deeper.mp4", "file_missing")
    refused(write(tmp_path, ftyp() + moov(mvhd(1, 1))) / "child.mp4", "file_missing")  # a file as a directory


def test_a_directory(tmp_path: Path) -> None:
    refused(tmp_path, "not_a_file")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    started = time.monotonic()
    error = refused(fifo, "not_a_file")
    assert time.monotonic() - started < 2.0 and "regular file" in str(error)


def test_a_device_is_refused() -> None:
    refused("/dev/null", "not_a_file")
    refused("/dev/zero", "not_a_file")


def test_a_symlink_to_a_regular_file_is_fine(tmp_path: Path) -> None:
    target = write(tmp_path, ftyp() + moov(mvhd(1000, 1000)))
    link = tmp_path / "link.mp4"
    link.symlink_to(target)
    video = probe_video(link)
    assert video.path == str(link) and video.duration == 1.0
    dangling = tmp_path / "dangling.mp4"
    dangling.symlink_to(tmp_path / "gone.mp4")
    refused(dangling, "file_missing")


def test_an_empty_file(tmp_path: Path) -> None:
    refused(write(tmp_path, b""), "file_empty")


def test_a_file_over_4_gib(tmp_path: Path) -> None:
    path = tmp_path / "huge.mp4"
    with open(path, "wb") as handle:
        handle.write(ftyp())
        handle.truncate(contract.VIDEO_MAX_BYTES + 1)  # sparse
    error = refused(path, "file_too_large")
    assert str(contract.VIDEO_MAX_BYTES) in str(error)
    with open(path, "r+b") as handle:
        handle.truncate(contract.VIDEO_MAX_BYTES)
    assert probe_video(path).size == contract.VIDEO_MAX_BYTES


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, ftyp() + moov(mvhd(1, 1)))
    path.chmod(0)
    try:
        refused(path, "file_unreadable")
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize(("error", "rule"), [(PermissionError(errno.EACCES, "denied"), "file_unreadable"),
                                             (OSError(errno.ELOOP, "loop"), "file_unreadable"),
                                             (IsADirectoryError(errno.EISDIR, "dir"), "not_a_file")])
def test_open_failures_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError, rule: str) -> None:
    path = write(tmp_path, ftyp() + moov(mvhd(1, 1)))

    def failing_open(*args: object, **kwargs: object) -> int:
        raise error

    monkeypatch.setattr(os, "open", failing_open)
    refused(path, rule)


def test_a_read_failure_is_named_and_closes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, ftyp() + moov(mvhd(1, 1)))
    closed: list[int] = []
    real_close = os.close

    def failing_pread(*args: object) -> bytes:
        raise OSError(errno.EIO, "I/O error")

    def tracking_close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(os, "pread", failing_pread)
    monkeypatch.setattr(os, "close", tracking_close)
    error = refused(path, "file_unreadable")
    assert "EIO" in str(error) and len(closed) == 1


def test_a_relative_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, ftyp() + moov(mvhd(1, 1)))
    monkeypatch.chdir(tmp_path)
    video = probe_video("clip.mp4")
    assert video.path == str(tmp_path / "clip.mp4") and os.path.isabs(video.path)
    assert probe_video(str(tmp_path / "clip.mp4")) == video


@pytest.mark.parametrize("bad", ["", "a\x00b"])
def test_an_unusable_path(bad: str) -> None:
    refused(bad, "file_missing")


def test_the_probe_leaves_no_descriptor_open(tmp_path: Path) -> None:
    path = write(tmp_path, ftyp() + moov(mvhd(1, 1)))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        probe_video(path)
        with pytest.raises(MediaError):
            probe_video(tmp_path)
    assert len(os.listdir("/proc/self/fd")) == before
