"""QR codes for the QR login: in the terminal, as PNG, as SVG.

``qrcode`` (and Pillow, for PNG) are imported inside the functions, so ``import pytok_sm``
stays light.

**Terminal rendering and colours.** A QR scanner needs dark modules on a light ground with a
light quiet zone. A terminal draws characters in its foreground colour on its background
colour, and which of the two is dark depends on the theme. :func:`render_terminal` does:

* ``color=True`` (what ``pytok login --qr`` uses when the output is a terminal and colour is
  allowed, i.e. ``NO_COLOR`` unset and ``TERM`` not ``dumb``): explicit ANSI colours, black
  foreground on a white background, for every cell, so the code has the right polarity on a
  dark and a light theme alike; the colours are reset at the end of each line.
* ``color=False`` (no escape codes: pipes, files, ``NO_COLOR``): dark modules are left as
  spaces (the terminal's background) and light modules are drawn as blocks (its foreground).
  That is the right polarity on the common dark themes; on a light theme the code comes out
  inverted, which most phone scanners still read. ``--qr-png`` / ``--qr-svg`` are exact in
  every case.

Each character holds two modules, one above the other, with the half blocks ``▀ ▄ █`` and
the space. The quiet zone is ``border`` modules (default 2; the standard asks for 4, which
terminals can rarely spare, and scanners cope with 2).

Example:
    >>> art = render_terminal("https://example.com")
    >>> lines = art.splitlines()
    >>> len(lines) == (len(lines[0]) + 1) // 2      # square: two modules per line
    True
    >>> set(art) <= set("▀▄█ \\n")
    True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PILLOW_INSTALL", "matrix", "render_terminal", "require_png", "write_png", "write_svg"]

#: How to get what :func:`write_png` needs (``pytok login --qr-png`` says it too).
PILLOW_INSTALL = "pip install pillow (in a checkout of pytok_sm: pip install -e '.[test]')"

#: (top module dark, bottom module dark) -> character when dark modules are the background.
_PLAIN = {(False, False): "█", (True, False): "▄", (False, True): "▀", (True, True): " "}
#: The same when the foreground is black and the background white (dark modules are ink).
_INK = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
_BLACK_ON_WHITE = "\x1b[38;5;16;48;5;231m"  # 256-colour pure black on pure white
_RESET = "\x1b[0m"


def matrix(url: str, *, border: int = 2) -> list[list[bool]]:
    """The QR code of ``url`` as rows of modules (True = dark), quiet zone included.

    Error correction level L keeps the code small enough for a terminal.

    Example:
        >>> rows = matrix("hi", border=2)
        >>> len(rows), len(rows[0]), rows[0][0], rows[2][2]
        (25, 25, False, True)
    """
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    if border < 0:
        raise ValueError("border must be >= 0")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=border)
    code.add_data(url)
    code.make(fit=True)
    return [list(map(bool, row)) for row in code.get_matrix()]


def render_terminal(url: str, *, color: bool = False, border: int = 2) -> str:
    """The QR code of ``url`` as text, two modules per character (see the module docstring).

    Lines end with ``\\n``; with ``color=True`` each line is wrapped in ANSI colour codes.

    Example:
        >>> render_terminal("pytok", border=2).splitlines()[0] == "█" * 25   # quiet zone: light
        True
        >>> render_terminal("pytok", color=True).startswith("\\x1b[38;5;16;48;5;231m")
        True
    """
    rows = matrix(url, border=max(border, 2))
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # an extra quiet row to fill the last half line
    glyphs = _INK if color else _PLAIN
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        text = "".join(glyphs[(a, b)] for a, b in zip(top, bottom, strict=True))
        lines.append(f"{_BLACK_ON_WHITE}{text}{_RESET}" if color else text)
    return "\n".join(lines) + "\n"


def require_png() -> None:
    """Check that :func:`write_png` can work: call it before asking TikTok for a QR code.

    Raises :class:`~pytok_sm.ConfigurationError` naming the install command when Pillow
    (an optional dependency, in the ``test`` extra) is missing.

    Example:
        >>> require_png()  # Pillow is installed here
    """
    try:
        import PIL.Image  # noqa: F401 - what qrcode's PilImage draws with
        from qrcode.image.pil import PilImage  # noqa: F401
    except ImportError:
        from ._errors import ConfigurationError

        problem = f"writing a PNG needs Pillow, which is not installed: {PILLOW_INSTALL}"
        raise ConfigurationError("qr_png", problem) from None


def write_png(url: str, path: str | os.PathLike[str], *, box_size: int = 8, border: int = 4) -> Path:
    """Write the QR code of ``url`` as a PNG (black on white, 4-module quiet zone).

    Needs Pillow; without it, raises :class:`~pytok_sm.ConfigurationError` naming the
    install command (:func:`require_png` checks beforehand). :func:`write_svg` needs nothing.

    Example:
        >>> import tempfile, pathlib
        >>> out = write_png("https://example.com", pathlib.Path(tempfile.mkdtemp()) / "qr.png")
        >>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
    """
    import qrcode

    require_png()
    from qrcode.image.pil import PilImage

    image = qrcode.make(url, image_factory=PilImage, box_size=box_size, border=border)
    target = Path(path)
    image.save(target, format="PNG")
    return target


def write_svg(url: str, path: str | os.PathLike[str], *, box_size: int = 10, border: int = 4) -> Path:
    """Write the QR code of ``url`` as a standalone SVG (one path, no external resources).

    Example:
        >>> import tempfile, pathlib
        >>> out = write_svg("https://example.com", pathlib.Path(tempfile.mkdtemp()) / "qr.svg")
        >>> b"<svg" in out.read_bytes()
        True
    """
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(url, image_factory=SvgPathImage, box_size=box_size, border=border)
    target = Path(path)
    with open(target, "wb") as handle:
        image.save(handle)
    return target
