"""Helpers for the real-browser tests: a person's browser that LoginKit opens, a call run
in the background while the test plays the person, and a polling wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pytok_sm.sandbox import Sandbox


def kit_options(sb: Sandbox, **overrides: Any) -> dict[str, Any]:
    """LoginKit options aimed at ``sb``: any free loopback port, fast QR polling."""
    options: dict[str, Any] = {
        "authorization_url": sb.authorization_url,
        "base_api_url": sb.base_api_url,
        "port": 0,
        "redirect_uri": "http://127.0.0.1:*/callback/",
        "qr_poll_interval": 0.05,
    }
    options.update(overrides)
    return options


def query_of(url: str) -> dict[str, str]:
    """The query of ``url`` as single, percent-decoded values."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


class Background:
    """Runs ``fn(*args, **kwargs)`` in a daemon thread; :meth:`result` returns or re-raises.

    A daemon thread (not an executor) so that a failed test never keeps the interpreter
    waiting for a login that nobody will finish.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._value = fn(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            self._error = error

    def result(self, timeout: float = 20.0) -> Any:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the background call did not return within {timeout:g} s")
        if self._error is not None:
            raise self._error
        return self._value


class BrowserOpener:
    """The ``open_browser=`` callable: loads the URL in the real browser from a background
    thread (as a desktop browser opens while the app waits) and returns True at once.

    The test then plays the person: :meth:`wait_until_loaded` and click.
    """

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.urls: list[str] = []
        self._loads: list[Background] = []
        self._opened = threading.Event()

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        self._loads.append(Background(self.driver.get, url))
        self._opened.set()
        return True

    def wait_until_loaded(self, timeout: float = 20.0) -> str:
        """Wait for the kit to open the browser and for the page to load; returns the URL."""
        if not self._opened.wait(timeout):
            raise TimeoutError("the kit never opened the browser")
        self._loads[-1].result(timeout)
        return self.urls[-1]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout:g} s")
        time.sleep(0.01)
