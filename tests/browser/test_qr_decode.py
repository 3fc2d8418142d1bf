"""The QR login with a real decoder: the QR code pytok_sm draws (PNG, and the terminal
rendering) decodes with zbar to exactly the URL TikTok gave, carrying our client_ticket;
a phone that scans that decoded URL completes the login and ``oauth_qrcode`` returns the
token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import pytok_sm
from pytok_sm.qr import render_terminal, write_png
from pytok_sm.sandbox import Sandbox
from pytok_sm.testing import capture_transitions

from .helpers import Background, kit_options, query_of, wait_until

QrDecoder = Callable[[Path], list[str]]


@pytest.fixture
def kit(sandbox: Sandbox) -> Iterator[pytok_sm.LoginKit]:
    with pytok_sm.LoginKit(
        sandbox.client_key, sandbox.client_secret, **kit_options(sandbox, scopes="user.info.basic,user.info.profile")
    ) as login_kit:
        yield login_kit


@pytest.fixture
def scanned_url(kit: pytok_sm.LoginKit, qr_decoder: QrDecoder, tmp_path: Path) -> tuple[str, str, str, str]:
    """``(decoded URL, qr_url, qr_token, client_ticket)``: a fresh QR login, its PNG decoded."""
    qr_url, qr_token, client_ticket = kit.generate_qr_code()
    (decoded,) = qr_decoder(write_png(qr_url, tmp_path / "qr.png"))
    return decoded, qr_url, qr_token, client_ticket


def qr_states(events: list[dict[str, Any]]) -> list[str]:
    return [event["dest"] for event in events if event.get("flow") == "qr"]


def test_the_png_decodes_to_the_qr_url_carrying_our_client_ticket(
    kit: pytok_sm.LoginKit, qr_decoder: QrDecoder, tmp_path: Path
) -> None:
    qr_url, qr_token, client_ticket = kit.generate_qr_code()
    png = write_png(qr_url, tmp_path / "qr.png")
    assert png.stat().st_size > 0

    assert qr_decoder(png) == [qr_url]
    query = query_of(qr_url)
    assert qr_url.startswith("aweme://authorize?")
    assert query["client_ticket"] == client_ticket and client_ticket != "tobefilled"
    assert query["client_key"] == kit.config.client_key
    assert query["scope"] == "user.info.basic,user.info.profile"
    assert qr_token not in qr_url  # the polling token stays with the app


def test_a_phone_scanning_the_decoded_url_completes_the_qr_login(
    sandbox: Sandbox, kit: pytok_sm.LoginKit, scanned_url: tuple[str, str, str, str]
) -> None:
    decoded, _, qr_token, client_ticket = scanned_url
    phone = httpx.Client(base_url=sandbox.base_url, trust_env=False, timeout=5.0)
    with capture_transitions() as events, phone:
        login = Background(kit.oauth_qrcode, qr_token, client_ticket, timeout=20)
        wait_until(lambda: "awaiting_scan" in qr_states(events), what="polling the new QR code")

        assert phone.post("/sandbox/phone/scan", data={"url": decoded}).json() == {"status": "scanned"}
        wait_until(lambda: "scanned" in qr_states(events), what="the kit seeing the scan")
        assert phone.post("/sandbox/phone/confirm", data={"url": decoded}).json() == {"status": "confirmed"}

        token = login.result(20)
    assert qr_states(events)[-3:] == ["scanned", "exchanging", "authorized"]
    assert sandbox.is_alive(token.access_token)
    assert token.open_id == sandbox.user.open_id
    assert token.scopes == {"user.info.basic", "user.info.profile"}
    assert kit.current_access_token == token.access_token


def test_the_sandbox_phone_page_in_chromium_scans_and_confirms_the_decoded_url(
    sandbox: Sandbox, kit: pytok_sm.LoginKit, scanned_url: tuple[str, str, str, str], blank_chromium: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    decoded, _, qr_token, client_ticket = scanned_url
    phone = blank_chromium
    login = Background(kit.oauth_qrcode, qr_token, client_ticket, timeout=20)

    phone.get(f"{sandbox.base_url}/sandbox/phone?url={quote(decoded, safe='')}")
    assert phone.find_element(By.ID, "status").text == "new"
    for button, status in (("scan", "scanned"), ("confirm", "confirmed")):
        phone.find_element(By.ID, button).click()
        WebDriverWait(phone, 10).until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), status))

    token = login.result(20)
    assert sandbox.is_alive(token.access_token)
    assert token.scopes == {"user.info.basic", "user.info.profile"}


# ---------------------------------------------------------------- the terminal rendering
HALF_BLOCKS = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DARK_THEME = (230, 20)  # (foreground, background) grey levels of a terminal theme
LIGHT_THEME = (20, 240)


def screen_of(art: str, *, theme: tuple[int, int], explicit: tuple[int, int] | None, module_px: int = 6) -> Any:
    """Paint terminal text as a terminal would: each character cell is two modules high,
    its upper and lower halves in the foreground colour where the half block says so.
    ``explicit`` are the (foreground, background) the ANSI codes set, if any; four cells of
    the theme's background surround the art."""
    from PIL import Image

    lines = [ANSI.sub("", line) for line in art.splitlines()]
    foreground, background = explicit or theme
    width, height, margin = len(lines[0]), 2 * len(lines), 4
    image = Image.new("L", ((width + 2 * margin) * module_px, (height + 2 * margin) * module_px), theme[1])
    image.paste(
        background,
        (margin * module_px, margin * module_px, (width + margin) * module_px, (height + margin) * module_px),
    )
    for row, line in enumerate(lines):
        for column, char in enumerate(line):
            for half, lit in enumerate(HALF_BLOCKS[char]):
                if lit:
                    left, top = (column + margin) * module_px, (2 * row + half + margin) * module_px
                    image.paste(foreground, (left, top, left + module_px, top + module_px))
    return image


@pytest.mark.parametrize(
    ("color", "theme"),
    [(False, DARK_THEME), (True, DARK_THEME), (True, LIGHT_THEME)],
    ids=["plain-on-dark-theme", "colour-on-dark-theme", "colour-on-light-theme"],
)
def test_the_terminal_rendering_decodes_to_the_qr_url(
    kit: pytok_sm.LoginKit, qr_decoder: QrDecoder, tmp_path: Path, color: bool, theme: tuple[int, int]
) -> None:
    qr_url, _, _ = kit.generate_qr_code()
    art = render_terminal(qr_url, color=color)
    screen = tmp_path / "terminal.png"
    screen_of(art, theme=theme, explicit=(0, 255) if color else None).save(screen)

    assert qr_decoder(screen) == [qr_url]
