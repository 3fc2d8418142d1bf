"""Fixtures for the real-browser tests: headless Chromium driven by Selenium, a QR decoder
(zbar), a running sandbox.

What the tests need from the machine: Debian's ``chromium`` and ``chromium-driver``
(``/usr/bin/chromium``, ``/usr/bin/chromedriver``; ``PYTOK_CHROMIUM`` and
``PYTOK_CHROMEDRIVER`` point elsewhere), the ``selenium`` package, and zbar: ``pyzbar`` with
``libzbar0``, or the ``zbarimg`` command of ``zbar-tools``. Missing locally, the tests skip
and say what to install; missing under ``CI=true``, they fail, because CI (``.ci/run``)
installs all of it.

Chromium runs as the machine notes ask: headless, no sandbox (we may be root), no GPU, no
QUIC, and none of the background connections a closed network would refuse, with a new
empty profile. Selenium is given the chromedriver path, so Selenium Manager never runs
(and ``SE_OFFLINE=1`` forbids it to download anything anyway).
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from pytok_sm.sandbox import Sandbox

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PAGE_LOAD_TIMEOUT = 20.0
INSTALL_BROWSER = "apt-get install chromium chromium-driver && pip install selenium"
INSTALL_ZBAR = "apt-get install libzbar0 zbar-tools && pip install pyzbar pillow"


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail under CI=true, where .ci/run installs everything these tests need."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install it)", pytrace=False)
    pytest.skip(reason)


def _executable(variable: str, *names: str) -> str | None:
    configured = os.environ.get(variable)
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (a Selenium WebDriver) for the whole run; tests reset it with
    :func:`blank_chromium`."""
    try:
        webdriver = importlib.import_module("selenium.webdriver")
        service_module = importlib.import_module("selenium.webdriver.chrome.service")
    except ImportError:
        unavailable(f"the selenium package is not installed ({INSTALL_BROWSER})")
    binary = _executable("PYTOK_CHROMIUM", "chromium", "chromium-browser")
    if binary is None:
        unavailable(f"no Chromium executable (chromium) on this machine ({INSTALL_BROWSER})")
    chromedriver = _executable("PYTOK_CHROMEDRIVER", "chromedriver")
    if chromedriver is None:
        unavailable(f"no chromedriver on this machine ({INSTALL_BROWSER})")

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1024,768")

    offline = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "1"  # Selenium Manager may never download a driver or a browser
    try:
        driver = webdriver.Chrome(service=service_module.Service(chromedriver), options=options)
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        if offline is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = offline


@pytest.fixture
def blank_chromium(chromium: Any) -> Any:
    """The shared Chromium on a blank page with no cookies (each test starts clean)."""
    chromium.get("about:blank")
    chromium.delete_all_cookies()
    return chromium


QrDecoder = Callable[[Path], list[str]]


def _pyzbar_decoder() -> QrDecoder | None:
    try:
        pyzbar = importlib.import_module("pyzbar.pyzbar")  # ImportError too when libzbar0 is missing
        image_module = importlib.import_module("PIL.Image")
    except ImportError:
        return None

    def decode(path: Path) -> list[str]:
        with image_module.open(path) as image:
            return [symbol.data.decode() for symbol in pyzbar.decode(image) if symbol.type == "QRCODE"]

    return decode


def _zbarimg_decoder() -> QrDecoder | None:
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        return None

    def decode(path: Path) -> list[str]:
        done = subprocess.run(
            [zbarimg, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if done.returncode not in (0, 4):  # 4: no symbol found
            raise RuntimeError(f"zbarimg failed with exit code {done.returncode}: {done.stderr.strip()}")
        return done.stdout.splitlines()

    return decode


@pytest.fixture(scope="session")
def qr_decoder() -> QrDecoder:
    """A real QR decoder, zbar: ``decode(png_path) -> [text of each QR code found]``.

    pyzbar (with libzbar0) when it loads, else the ``zbarimg`` command.
    """
    decoder = _pyzbar_decoder() or _zbarimg_decoder()
    if decoder is None:
        unavailable(f"no QR decoder: neither pyzbar with libzbar0 nor zbarimg is installed ({INSTALL_ZBAR})")
    return decoder


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox with the default apps; fails the test if the sandbox itself broke."""
    with Sandbox() as sb:
        yield sb
        assert sb.errors == [], sb.errors
