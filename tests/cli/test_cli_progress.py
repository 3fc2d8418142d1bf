"""The waiting display (pytok_sm.cli.progress) driven by hand, without processes."""

from __future__ import annotations

import io

from pytok_sm._config import Config
from pytok_sm.cli.progress import Terminal, WaitProgress, waiting_text
from pytok_sm.flows import BrowserFlow, QrFlow
from pytok_sm.testing import FakeClock


class TtyBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def browser_flow(clock: FakeClock, timeout: float = 300) -> BrowserFlow:
    flow = BrowserFlow(Config("aw_key", "s"), clock=clock, timeout=timeout)
    flow.state, flow.deadline = "awaiting_callback", clock() + timeout
    return flow


def test_the_live_line_is_redrawn_in_place_only_when_it_changes(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = TtyBuffer()
    clock = FakeClock(1000.0)
    progress = WaitProgress(Terminal(out))
    flow = browser_flow(clock)
    for step in (0.0, 0.25, 0.25, 0.25, 0.25):
        clock.advance(step)
        progress.on_tick(flow)
    assert out.getvalue() == (
        "\rWaiting for you to approve in the browser, 0:00 of 5:00, Ctrl+C to cancel"
        "\rWaiting for you to approve in the browser, 0:01 of 5:00, Ctrl+C to cancel"
    )
    progress.finish()
    line = "Waiting for you to approve in the browser, 0:01 of 5:00, Ctrl+C to cancel"
    assert out.getvalue().endswith("\r" + " " * len(line) + "\r")


def test_dumb_terminals_get_no_live_line(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert Terminal(TtyBuffer()).live is False


def test_other_output_clears_the_live_line_first(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = TtyBuffer()
    terminal = Terminal(out)
    terminal.show("Waiting, 0:01 of 5:00")
    terminal.write("2024-01-01 [info] transition dest=x\n")
    assert out.getvalue() == "\rWaiting, 0:01 of 5:00\r" + " " * 21 + "\r2024-01-01 [info] transition dest=x\n"
    terminal.show("Waiting, 0:02 of 5:00")  # drawn again on the next tick
    assert out.getvalue().endswith("\rWaiting, 0:02 of 5:00")


def test_a_shorter_line_erases_the_rest_of_the_longer_one(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    out = TtyBuffer()
    terminal = Terminal(out)
    terminal.show("Scanned; waiting for you to confirm")
    terminal.show("Waiting")
    assert out.getvalue().endswith("\rWaiting" + " " * 28 + "\rWaiting")


def test_qr_status_changes_are_printed_once_each() -> None:
    out = io.StringIO()
    clock = FakeClock(1000.0)
    progress = WaitProgress(Terminal(out, live=False))
    flow = QrFlow(Config("aw_key", "s"), qr_token="q", client_ticket="T" * 22, clock=clock, timeout=120)
    flow.start()
    for state in ("awaiting_scan", "awaiting_scan", "scanned", "scanned"):
        flow.state = state
        progress.on_tick(flow)
    progress.finish(confirmed=True)
    assert out.getvalue().splitlines() == [
        "QR code status: new (scan it with the TikTok app)",
        "Waiting for the QR code to be scanned in the TikTok app (up to 2:00); Ctrl+C to cancel",
        "QR code status: scanned (confirm the login in the TikTok app)",
        "Scanned; waiting for you to confirm in the TikTok app (up to 2:00); Ctrl+C to cancel",
        "QR code status: confirmed",
    ]


def test_no_line_for_states_that_do_not_wait_for_a_person() -> None:
    clock = FakeClock(1000.0)
    flow = browser_flow(clock)
    flow.state = "exchanging"  # e.g. a retry's backoff sleep
    assert waiting_text(flow) is None


def test_elapsed_time_is_clamped_to_the_timeout() -> None:
    clock = FakeClock(1000.0)
    flow = browser_flow(clock, timeout=60)
    clock.advance(90)
    assert waiting_text(flow) == "Waiting for you to approve in the browser, 1:00 of 1:00, Ctrl+C to cancel"


def test_the_waiting_lines_come_from_the_flow_tables() -> None:
    """A state where a login waits for a person carries its line in its table row; the CLI
    keys nothing on state-name strings of its own but the QR status lines, pinned here."""
    from pytok_sm.cli.progress import QR_STATUS
    from pytok_sm.flows import BrowserFlow, QrFlow

    def waiting(flow_class: type) -> dict[str, str]:
        return {spec.name: spec.waiting for spec in flow_class.STATES if spec.waiting}

    assert waiting(BrowserFlow) == {"awaiting_callback": "Waiting for you to approve in the browser"}
    assert set(waiting(QrFlow)) == {"showing_qrcode", "awaiting_scan", "scanned"}
    assert set(QR_STATUS) <= set(waiting(QrFlow))
    for flow_class in (BrowserFlow, QrFlow):  # every state whose effect waits on a person has a line
        for spec in flow_class.STATES:
            if spec.enter in ("_enter_awaiting", "_enter_showing", "_enter_polling"):
                assert spec.waiting, (flow_class.KIND, spec.name)
