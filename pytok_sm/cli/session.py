"""What every ``pytok`` command gets: settings, streams, the token file, a configured kit.

A command is a :class:`Command` (name, help, its arguments, its ``run``); ``pytok_sm.cli``
lists them. Adding one (``pytok demo``, say) is a module with a ``Command`` and one line in
``pytok_sm.cli.COMMANDS``.

Example:
    >>> import argparse, io
    >>> from pytok_sm.cli.progress import Terminal
    >>> args = argparse.Namespace(client_key=None, client_secret=None, store=None)
    >>> session = Session(args, out=io.StringIO(), terminal=Terminal(io.StringIO()), environ={"PYTOK_CLIENT_KEY": "aw_env"})
    >>> session.client_key()
    'aw_env'
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from .._kit import LoginKit
from .._token import Token
from . import sandbox_state
from .exits import UsageError
from .progress import Terminal
from .sandbox_state import SandboxNotRunning, SandboxTarget
from .store_choice import CliStore, open_store

__all__ = ["ENV_CLIENT_KEY", "ENV_CLIENT_SECRET", "Command", "Session"]

ENV_CLIENT_KEY = "PYTOK_CLIENT_KEY"
ENV_CLIENT_SECRET = "PYTOK_CLIENT_SECRET"


@dataclass(frozen=True)
class Command:
    """One ``pytok`` subcommand: how to parse it and how to run it (returns an exit code)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Session], int]
    description: str = ""


class Session:
    """The context of one ``pytok`` run: parsed arguments, stdout, stderr (a :class:`Terminal`)."""

    def __init__(
        self, args: argparse.Namespace, *, out: TextIO, terminal: Terminal, environ: Mapping[str, str]
    ) -> None:
        self.args = args
        self.out = out
        self.terminal = terminal
        self.environ = environ
        self._store: CliStore | None = None
        self._sandbox: SandboxTarget | None = None

    # ------------------------------------------------------------------ output
    def print(self, text: str = "") -> None:
        """One line of the command's result on stdout."""
        self.terminal.clear()
        self.out.write(text + "\n")
        self.out.flush()

    def warn(self, text: str) -> None:
        """``pytok: warning: ...`` on stderr."""
        self.terminal.say(f"pytok: warning: {text}")

    # ------------------------------------------------------------------ credentials
    def client_key(self) -> str:
        """``--client-key`` or ``$PYTOK_CLIENT_KEY``; a usage error when neither is set.
        Aimed at the sandbox, the sandbox's app (:func:`sandbox_state.credentials`)."""
        if self.sandbox_requested():
            return sandbox_state.credentials(self.sandbox(), self.args, self.environ)[0]
        value = self._arg("client_key") or self.environ.get(ENV_CLIENT_KEY)
        if not value:
            raise UsageError(f"no client key: pass --client-key or set {ENV_CLIENT_KEY}")
        return str(value)

    def client_secret(self) -> str:
        """``--client-secret`` or ``$PYTOK_CLIENT_SECRET``; a usage error when neither is set."""
        if self.sandbox_requested():
            return sandbox_state.credentials(self.sandbox(), self.args, self.environ)[1]
        value = self._arg("client_secret") or self.environ.get(ENV_CLIENT_SECRET)
        if not value:
            raise UsageError(
                f"no client secret: set {ENV_CLIENT_SECRET} or pass --client-secret (needed to talk to TikTok)"
            )
        return str(value)

    def _arg(self, name: str) -> Any:
        return getattr(self.args, name, None)

    # ------------------------------------------------------------------ the sandbox (--sandbox, $PYTOK_SANDBOX)
    def sandbox_requested(self) -> bool:
        """True with ``--sandbox`` or ``$PYTOK_SANDBOX``: this run talks to the sandbox emulator."""
        return bool(self._arg("sandbox")) or bool(self.environ.get(sandbox_state.ENV_SANDBOX))

    def find_sandbox(self) -> SandboxTarget | None:
        """The sandbox to talk to, None when none runs (a stale state file is removed, with a warning)."""
        if self._sandbox is None:
            self._sandbox = sandbox_state.find(self.environ, warn=self.warn)
        return self._sandbox

    def sandbox(self) -> SandboxTarget:
        """The sandbox to talk to; :class:`SandboxNotRunning` (exit 1) when none runs."""
        found = self.find_sandbox()
        if found is None:
            raise SandboxNotRunning(
                "no sandbox is running; start one with pytok sandbox start "
                "(pytok login --sandbox also runs one for itself while it logs in)"
            )
        return found

    def use_sandbox(self, target: SandboxTarget) -> None:
        """Talk to ``target`` (``pytok login --sandbox`` with a sandbox of its own)."""
        self._sandbox = target

    # ------------------------------------------------------------------ the token store
    def store(self) -> CliStore:
        """The token store ``--store`` names (:mod:`.store_choice`; default: the token file),
        checked now (a corrupt token file fails before any login starts).

        With ``--move-corrupt-store`` an unreadable token file is moved aside, with a warning.
        """
        if self._store is None:
            spec = self._arg("store")
            if spec is None and self.sandbox_requested():
                spec = str(sandbox_state.token_path(self.environ))  # never the real token file
            self._store = open_store(spec, explicit=self._arg("store") is not None, environ=self.environ,
                                     warn=self.warn, move_corrupt=bool(self._arg("move_corrupt_store")))
        return self._store

    def close(self) -> None:
        """Close the token store this run opened (a SQLite connection, a Redis client)."""
        if self._store is not None:
            self._store.close()

    def stored_token(self, client_key: str) -> Token:
        """The token to use: ``--open-id``'s account, else the current one of ``client_key``
        (exit 3 when there is none, or TikTok refused it)."""
        return self.store().usable(client_key, self._arg("open_id")).token

    # ------------------------------------------------------------------ the kit
    def kit(self, client_key: str, client_secret: str, **config: Any) -> LoginKit:
        """A :class:`LoginKit` with the hidden ``--authorization-url``/``--base-api-url`` applied
        (and the sandbox's addresses when aimed at it)."""
        for name in ("authorization_url", "base_api_url"):
            value = self._arg(name)
            if value and name not in config:
                config[name] = value
        if self.sandbox_requested():
            target = self.sandbox()
            config.setdefault("authorization_url", target.authorization_url)
            config.setdefault("base_api_url", target.base_api_url)
        return LoginKit(client_key, client_secret, **config)
