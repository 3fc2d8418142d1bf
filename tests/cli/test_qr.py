"""pytok_sm.qr: the terminal rendering decodes to the URL (both colour modes), PNG and SVG too."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytok_sm import qr

URL = (
    "aweme://authorize?client_key=sbawsandbox0demo0key&scope=user.info.basic"
    "&client_ticket=" + "Ab3-_.~" * 9 + "&qrcode_id=0123456789abcdef01234567"
)


def decode_image(image: object) -> list[str]:
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar (and libzbar) decode the codes")
    try:
        found = pyzbar.decode(image)
    except Exception as exc:  # noqa: BLE001 - libzbar missing shows up here
        pytest.skip(f"zbar is not usable here: {exc}")
    return [item.data.decode() for item in found]


def text_to_image(text: str, *, color: bool, scale: int = 6) -> object:
    """Draw the terminal text as a screen would: blocks in the foreground colour.

    Plain mode is drawn as a dark theme (light foreground on a dark background); colour
    mode as its escape codes say (black on white), whatever the theme.
    """
    image_module = pytest.importorskip("PIL.Image")
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.splitlines()]
    foreground, background = (0, 255) if color else (255, 0)
    width = len(lines[0])
    pixels = []
    for line in lines:
        top = [foreground if ch in "▀█" else background for ch in line]
        bottom = [foreground if ch in "▄█" else background for ch in line]
        pixels += [top, bottom]
    # A margin of the terminal's own background around the code, as on a screen.
    margin = 4
    framed = [[background] * (width + 2 * margin) for _ in range(margin)]
    framed += [[background] * margin + row + [background] * margin for row in pixels]
    framed += [[background] * (width + 2 * margin) for _ in range(margin)]
    image = image_module.new("L", (len(framed[0]), len(framed)))
    image.putdata([value for row in framed for value in row])
    return image.resize((image.width * scale, image.height * scale), image_module.NEAREST)


def test_plain_rendering_uses_only_half_blocks_and_has_a_light_quiet_zone() -> None:
    art = qr.render_terminal(URL)
    lines = art.splitlines()
    assert set(art) <= set("▀▄█ \n")
    assert len({len(line) for line in lines}) == 1
    assert lines[0] == "█" * len(lines[0])  # two quiet rows: light = blocks
    assert all(line.startswith("██") and line.endswith("██") for line in lines)  # two quiet columns


def test_plain_rendering_decodes_on_a_dark_terminal() -> None:
    assert decode_image(text_to_image(qr.render_terminal(URL), color=False)) == [URL]


def test_colour_rendering_decodes_whatever_the_theme() -> None:
    art = qr.render_terminal(URL, color=True)
    assert all(line.startswith("\x1b[38;5;16;48;5;231m") and line.endswith("\x1b[0m") for line in art.splitlines())
    assert decode_image(text_to_image(art, color=True)) == [URL]


def test_a_larger_quiet_zone_on_request_and_never_less_than_two() -> None:
    assert len(qr.render_terminal(URL, border=4).splitlines()[0]) == len(qr.render_terminal(URL).splitlines()[0]) + 4
    assert qr.render_terminal(URL, border=0) == qr.render_terminal(URL, border=2)


def test_png_decodes_to_the_url(tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    path = qr.write_png(URL, tmp_path / "qr.png")
    assert decode_image(image_module.open(path)) == [URL]


def test_svg_is_well_formed_and_standalone(tmp_path: Path) -> None:
    path = qr.write_svg(URL, tmp_path / "qr.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    assert "<path" in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
