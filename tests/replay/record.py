"""Record the cassettes again, from the repository root::

    python -m tests.replay.record                 # every scenario, into cassettes/
    python -m tests.replay.record qr refresh/rotation   # a flow folder or single scenarios
    python -m tests.replay.record --list          # what there is
    python -m tests.replay.record --out /tmp/c    # somewhere else
    python -m tests.replay.record --real          # against real TikTok, with a person (see below)

Each scenario runs against a fresh bundled emulator (:class:`pytok_sm.sandbox.Sandbox`, real
HTTP on 127.0.0.1, no network) with the same code the replay tests run
(:mod:`tests.replay.scenarios`, :mod:`tests.replay.posting_scenarios`), through
:func:`pytok_sm.testing.use_cassette` in record mode: secrets become placeholders (an upload
URL's ``upload_token`` too), the emulator's address becomes TikTok's, volatile values become
canonical, an upload's body is written as its length and sha256, so recording twice gives
the same bytes. A scenario whose run does not do what it says (its ``expect`` fails) writes
no cassette and stops the recorder.

``--real`` records the scenarios a person can stage (those with a ``person`` line in
``--list``) against real TikTok with the app in ``PYTOK_CLIENT_KEY`` / ``PYTOK_CLIENT_SECRET``
(its redirect URI ``http://127.0.0.1:*/callback/`` registered, scopes user.info.basic,
user.info.profile and user.info.stats granted), into ``./real-cassettes`` by default: the
person approves or denies in the browser and scans with the TikTok app as prompted. The same
scrubbing applies, and the app's client_key is written as the emulator's so that the files
replay with the same tests. Scenarios that need a log in first do it unrecorded. Answers
that differ from the emulator's (another display name, say) are reported, not refused.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> recording = record(["revoke/success"], out=out, log=lambda line: None)
    >>> sorted(recording.paths), (out / "revoke" / "success.yaml").is_file()
    (['revoke/success'], True)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import traceback
import urllib.parse
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytok_sm import LoginKit
from pytok_sm.sandbox import Sandbox, default_apps
from pytok_sm.testing import Scrubber, capture_transitions, use_cassette

from .posting_scenarios import POSTING_SCENARIOS
from .scenarios import (
    CASSETTES,
    CLIENT_KEY,
    RECORD_COMMAND,
    SCENARIOS,
    SCOPES,
    SCRUB_OPTIONS,
    STATE_LENGTH,
    TICKET_LENGTH,
    SandboxWorld,
    World,
    base64url_challenge,
    kit_settings,
    run,
    select,
)

__all__ = ["ALL_SCENARIOS", "RealWorld", "Recording", "main", "record", "record_real"]

#: Every scenario the recorder knows: the logins, then the posts.
ALL_SCENARIOS = (*SCENARIOS, *POSTING_SCENARIOS)
ENV_CLIENT_KEY = "PYTOK_CLIENT_KEY"
ENV_CLIENT_SECRET = "PYTOK_CLIENT_SECRET"
REAL_OUT = Path("real-cassettes")


@dataclass
class Recording:
    """What a recording run wrote, and every secret it used (to prove none was written).

    ``secrets`` maps a label (never printed with its value) to each secret: the client
    secret, every token, code and QR polling token the emulator issued, every PKCE verifier,
    every upload URL's token.
    ``public`` holds the values drawn from the deterministic source that travel in cassettes
    by design (QR ``state`` and ``client_ticket``): public by construction, not secrets.
    """

    paths: dict[str, Path] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    public: set[str] = field(default_factory=set)


def record(
    names: Sequence[str] | None = None,
    *,
    out: Path = CASSETTES,
    client_secret: str | None = None,
    log: Callable[[str], object] = print,
) -> Recording:
    """Record the chosen scenarios (all by default) into ``out``.

    ``client_secret`` registers the emulator's desktop app with another secret (the canary
    test gives a unique one and then looks for it in every cassette).
    """
    recording = Recording()
    for scenario in select(list(names) if names else None, ALL_SCENARIOS):
        target = out / scenario.cassette
        apps = None
        if client_secret is not None:
            desktop, web = default_apps()
            apps = [dataclasses.replace(desktop, client_secret=client_secret), web]
        with Sandbox(apps=apps) as sb, tempfile.TemporaryDirectory() as staging:
            # Written aside first: a run that does not do what the scenario says (or that
            # breaks the emulator) leaves the committed cassette untouched.
            draft = Path(staging) / target.name
            scrubber = _Watching(**SCRUB_OPTIONS)
            with use_cassette(draft, record=True, scrubber=scrubber) as cassette:
                outcome = run(scenario, SandboxWorld(sb, scrubber))
                interactions = len(cassette)
            scenario.expect(outcome)
            if sb.errors:
                raise RuntimeError(f"the emulator failed during {scenario.name}: {sb.errors}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(draft, target)
            _inventory(recording, scenario.name, sb, outcome.drawn)
            for number, token in enumerate(scrubber.upload_tokens, 1):
                recording.secrets[f"{scenario.name}: upload token #{number}"] = token
        recording.paths[scenario.name] = target
        log(f"recorded {_shown(target)} ({interactions} interaction{'s' * (interactions != 1)}): {scenario.summary}")
    return recording


class _Watching(Scrubber):
    """The recording's scrubber, noting the token of every upload URL on the wire (the
    emulator keeps them to itself), so that the inventory can prove none was written."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.upload_tokens: list[str] = []

    def request(self, request: Any) -> Any:
        # (vcrpy also hands over requests this scrubber already scrubbed: placeholders are skipped)
        for name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(request.uri).query):
            if name == "upload_token" and not value.startswith("scrubbed-") and value not in self.upload_tokens:
                self.upload_tokens.append(value)
        return super().request(request)


def _inventory(recording: Recording, name: str, sb: Sandbox, drawn: list[str]) -> None:
    recording.secrets[f"{name}: client_secret"] = sb.client_secret
    for number, token in enumerate(sb.tokens(), 1):
        recording.secrets[f"{name}: {token.kind} token #{number}"] = token.value
    for number, code in enumerate(sb.codes, 1):
        recording.secrets[f"{name}: authorization code #{number}"] = code.code
    for number, session in enumerate(sb.qr_sessions, 1):
        recording.secrets[f"{name}: QR polling token #{number}"] = session.token
    for number, value in enumerate(drawn, 1):
        if len(value) in (STATE_LENGTH, TICKET_LENGTH):
            recording.public.add(value)
        else:
            recording.secrets[f"{name}: PKCE verifier #{number}"] = value


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


class RealWorld(World):
    """Recording against real TikTok: the person's browser and phone, nothing staged."""

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        scrubber: Scrubber,
        say: Callable[[str], object],
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.client_key, self.client_secret = client_key, client_secret
        self.scrubber = scrubber
        self.say = say
        #: Extra kit keywords (e.g. another host than TikTok's, for testing this world).
        self.settings = dict(settings or {})

    def kit(self, **overrides: Any) -> LoginKit:
        settings = kit_settings(random=self.random, open_browser=True, **self.settings)
        settings.update(overrides)
        kit = LoginKit(self.client_key, self.client_secret, **settings)
        self.kits.append(kit)
        return kit

    def tokens(self, scopes: Sequence[str] = SCOPES) -> dict[str, Any]:
        self.say("   first log in once in the browser: press Authorize (this login is not recorded)")
        settings = kit_settings(open_browser=True, scopes=tuple(scopes), **self.settings)
        with self.scrubber.paused(), LoginKit(self.client_key, self.client_secret, **settings) as kit:
            with capture_transitions() as login:
                token = kit.oauth_server(timeout=300)
        self.hidden_flows.update(event["flow_id"] for event in login)  # not part of the scenario
        return token.to_dict()

    def _staged(self, what: str) -> None:
        raise RuntimeError(f"{what} cannot be staged against real TikTok; record this scenario with the emulator")

    def kill(self, token: str) -> None:
        self._staged("a token dying behind the client's back")

    def fault(self, endpoint: str, kind: str, **params: Any) -> None:
        self._staged(f"a {kind} fault")

    def switch(self, name: str, value: Any) -> None:
        self._staged(f"the {name} reading")

    def advance(self, seconds: float) -> None:
        self._staged("time passing at TikTok")

    def unrecorded(self, act: Callable[[World], Any]) -> None:
        self._staged("what happened before the scenario")

    def browser(self, decision: str = "approve", *, challenge: str = "hex", expire_code: bool = False) -> Any:
        if expire_code:
            self._staged("an expired code")

        def open_page(url: str) -> bool:
            if challenge == "base64url":
                url = base64url_challenge(url)
            self.say(f"   in the browser: press {'Authorize' if decision == 'approve' else 'Cancel'}")
            return bool(webbrowser.open(url))

        return open_page

    def phone(self, script: Mapping[int, str]) -> dict[str, Any]:
        from pytok_sm.qr import render_terminal

        steps = {"scan": "scan the code", "confirm": "confirm in the app", "expire": "leave it unscanned until it expires"}
        todo = " then ".join(steps.get(action, action) for action in dict.fromkeys(script.values()))

        def show(url: str) -> None:
            self.say(render_terminal(url))
            self.say(f"   with the TikTok app: {todo}")

        return {"show_qr": show}


def record_real(
    names: Sequence[str] | None = None,
    *,
    out: Path = REAL_OUT,
    environ: Mapping[str, str] = os.environ,
    say: Callable[[str], object] = print,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Record the scenarios a person can stage against real TikTok (see the module docs).

    ``settings`` are extra kit keywords (the tests aim this at the emulator).
    """
    client_key, client_secret = environ.get(ENV_CLIENT_KEY, ""), environ.get(ENV_CLIENT_SECRET, "")
    if not client_key or not client_secret:
        raise SystemExit(f"--real needs the app's credentials in {ENV_CLIENT_KEY} and {ENV_CLIENT_SECRET}")
    chosen = select(list(names), ALL_SCENARIOS) if names else [s for s in ALL_SCENARIOS if s.person]
    staged = [s.name for s in chosen if s.person is None]
    if staged:
        raise SystemExit(f"only the emulator can stage {', '.join(staged)}; see --list")
    written: dict[str, Path] = {}
    for scenario in chosen:
        say(f"== {scenario.name}: {scenario.summary}\n   you: {scenario.person}")
        scrubber = Scrubber(aliases={client_key: CLIENT_KEY}, **SCRUB_OPTIONS)
        target = out / scenario.cassette
        with use_cassette(target, record=True, scrubber=scrubber):
            outcome = run(scenario, RealWorld(client_key, client_secret, scrubber, say, settings))
        try:
            scenario.expect(outcome)
        except AssertionError as difference:
            where = traceback.extract_tb(difference.__traceback__)[-1]
            say(f"   note: this differs from the emulator's recording: {difference or where.line} ({where.name}:{where.lineno})")
        written[scenario.name] = target
        say(f"   recorded {_shown(target)}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=RECORD_COMMAND,
        description="Record pytok_sm's cassettes against the bundled TikTok emulator (no network needed).",
    )
    parser.add_argument("names", nargs="*", help="scenarios (e.g. refresh/rotation) or flow folders (e.g. qr); default: all")
    parser.add_argument("--out", type=Path, help=f"where to write (default: {_shown(CASSETTES)}; --real: {REAL_OUT})")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--real",
        action="store_true",
        help=f"record against real TikTok with a person at the browser and phone ({ENV_CLIENT_KEY}, {ENV_CLIENT_SECRET})",
    )
    args = parser.parse_args(argv)
    if args.list:
        width = max(len(scenario.name) for scenario in ALL_SCENARIOS)
        for scenario in ALL_SCENARIOS:
            print(f"{scenario.name:{width}} {scenario.summary}")
            print(f"{'':{width}} person (--real): {scenario.person or '- (emulator only)'}")
        return 0
    try:
        if args.real:
            record_real(args.names, out=args.out or REAL_OUT)
        else:
            record(args.names, out=args.out or CASSETTES)
    except KeyError as unknown:
        parser.error(str(unknown.args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
