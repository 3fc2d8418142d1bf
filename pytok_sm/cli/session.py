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
from .exits import StoredTokenMissing, UsageError
from .progress import Terminal
from .token_file import TokenStore, TokenStoreError

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
        self._store: TokenStore | None = None

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
        """``--client-key`` or ``$PYTOK_CLIENT_KEY``; a usage error when neither is set."""
        value = self._arg("client_key") or self.environ.get(ENV_CLIENT_KEY)
        if not value:
            raise UsageError(f"no client key: pass --client-key or set {ENV_CLIENT_KEY}")
        return str(value)

    def client_secret(self) -> str:
        """``--client-secret`` or ``$PYTOK_CLIENT_SECRET``; a usage error when neither is set."""
        value = self._arg("client_secret") or self.environ.get(ENV_CLIENT_SECRET)
        if not value:
            raise UsageError(
                f"no client secret: set {ENV_CLIENT_SECRET} or pass --client-secret (needed to talk to TikTok)"
            )
        return str(value)

    def _arg(self, name: str) -> Any:
        return getattr(self.args, name, None)

    # ------------------------------------------------------------------ the token file
    def store(self) -> TokenStore:
        """The token file, checked now (a corrupt one fails before any login starts).

        With ``--move-corrupt-store`` an unreadable file is moved aside, with a warning.
        """
        if self._store is None:
            store = TokenStore(self._arg("store"), warn=self.warn)
            try:
                store.load()
            except TokenStoreError as error:
                if not (error.corrupt and self._arg("move_corrupt_store")):
                    raise
                backup = store.move_aside()
                self.warn(f"moved the unreadable token file to {backup}; starting with an empty one")
            self._store = store
        return self._store

    def stored_token(self, client_key: str) -> Token:
        """The token to use: ``--open-id``'s entry, else the current one of ``client_key``."""
        store = self.store()
        open_id = self._arg("open_id")
        token = store.get(client_key, open_id)
        if token is None:
            who = f"open_id {open_id}" if open_id else f"client key {client_key}"
            raise StoredTokenMissing(f"no token is stored for {who} in {store.path}")
        return token

    # ------------------------------------------------------------------ the kit
    def kit(self, client_key: str, client_secret: str, **config: Any) -> LoginKit:
        """A :class:`LoginKit` with the hidden ``--authorization-url``/``--base-api-url`` applied."""
        for name in ("authorization_url", "base_api_url"):
            value = self._arg(name)
            if value and name not in config:
                config[name] = value
        return LoginKit(client_key, client_secret, **config)
