"""Exit codes of the ``pytok`` command, and the one-line message for each error.

Example:
    >>> from pytok_sm._errors import AuthorizationDenied, NotLoggedIn
    >>> [int(exit_code_for(e)) for e in (AuthorizationDenied(), NotLoggedIn(), KeyboardInterrupt())]
    [4, 3, 130]
    >>> from pytok_sm import PostingSpamRisk, PostOutcomeUnknown, PrivacyLevelError
    >>> [int(exit_code_for(e)) for e in (PostingSpamRisk("spam_risk_too_many_posts"), PostOutcomeUnknown("reset"),
    ...                                   PrivacyLevelError("privacy_level_option_mismatch"))]
    [6, 7, 2]
    >>> error_line(NotLoggedIn())
    'pytok: error: not logged in; run pytok login first'
    >>> error_line(StoredTokenMissing("no token is stored for client key aw_key in /x/tokens.json"))
    'pytok: error: not logged in: no token is stored for client key aw_key in /x/tokens.json; run pytok login first'
"""

from __future__ import annotations

import enum

from .._errors import (
    AuthorizationDenied,
    ConfigurationError,
    FlowCancelled,
    FlowTimeout,
    NotLoggedIn,
    QrCodeExpired,
    ReauthorizationRequired,
    TikTokError,
)
from .._posting_errors import (
    CreatorCapReached,
    MediaError,
    PostingError,
    PostingSpamRisk,
    PostOutcomeUnknown,
    PostSettingsError,
    PrivacyLevelError,
)
from .token_file import TokenStoreError

__all__ = [
    "EXIT_CODES_TABLE",
    "CheckFailed",
    "ExitCode",
    "PostInterrupted",
    "StoredTokenMissing",
    "UsageError",
    "error_line",
    "exit_code_for",
    "printable",
]


class ExitCode(enum.IntEnum):
    """What ``pytok`` returns; the table is in ``pytok --help`` and :mod:`pytok_sm.cli`."""

    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_LOGGED_IN = 3
    DENIED = 4
    TIMED_OUT = 5
    BLOCKED = 6
    OUTCOME_UNKNOWN = 7
    INTERRUPTED = 130


#: The table shown by ``pytok --help`` (and copied in the docstring of :mod:`pytok_sm.cli`).
EXIT_CODES_TABLE = """\
exit codes:
  0    success
  1    TikTok or the flow failed (the message carries TikTok's log_id), or a check failed;
       a post ended FAILED (the message says why and whether posting again may help)
  2    usage or configuration error (bad flag, missing client key, unreadable token file);
       a post TikTok's rules refuse (privacy level, media, title or interaction settings)
  3    not logged in (no stored token, or the refresh token is no longer valid)
  4    the authorization was denied
  5    timed out (nobody approved in time, or the QR code expired); a post TikTok had not
       finished processing when the wait ended (UNCONFIRMED: check later with pytok post-status)
  6    the creator cannot post now (TikTok's daily caps, spam risk, a ban): try again later
  7    a post's outcome is unknown (its init got no answer): check the creator's profile
       before posting again
  130  cancelled with Ctrl+C (a post is cancelled at TikTok where TikTok allows it)"""


class UsageError(Exception):
    """A command was used wrongly (exit code 2); the message is shown as is."""


class CheckFailed(Exception):
    """A check found a problem (exit code 1), e.g. ``pytok diagrams --check``."""


class PostInterrupted(Exception):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """Ctrl+C stopped a post (exit code 130); the message says what became of it at TikTok."""


class StoredTokenMissing(NotLoggedIn):
    """The token file has no token for this client key (and open_id): exit code 3."""

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.args = (f"not logged in: {detail}; run pytok login first",)


def exit_code_for(error: BaseException) -> ExitCode:
    """The documented exit code for an exception that ended a command."""
    if isinstance(error, (KeyboardInterrupt, FlowCancelled, PostInterrupted)):
        return ExitCode.INTERRUPTED
    if isinstance(error, PostingError):
        return _posting_exit_code(error)
    if isinstance(error, AuthorizationDenied):
        return ExitCode.DENIED
    if isinstance(error, (FlowTimeout, QrCodeExpired)):
        return ExitCode.TIMED_OUT
    if isinstance(error, (NotLoggedIn, ReauthorizationRequired)):
        return ExitCode.NOT_LOGGED_IN
    if isinstance(error, (UsageError, ConfigurationError, TokenStoreError)):
        return ExitCode.USAGE
    return ExitCode.FAILED


#: Rules of a MediaError that say something went wrong during the upload, not with the request.
_MEDIA_MISHAPS = frozenset({"file_unchanged", "reinit"})
#: Codes of TikTok's that mean the request named something wrong (a post, a URL): usage errors.
_USAGE_CODES = frozenset({
    "invalid_publish_id", "token_not_authorized_for_specified_publish_id", "url_ownership_unverified",
})


def _posting_exit_code(error: PostingError) -> ExitCode:
    """Blocked (6), outcome unknown (7), refused by a rule (2), or failed (1)."""
    if isinstance(error, (PostingSpamRisk, CreatorCapReached)):
        return ExitCode.BLOCKED
    if isinstance(error, PostOutcomeUnknown):
        return ExitCode.OUTCOME_UNKNOWN
    if isinstance(error, (PrivacyLevelError, PostSettingsError)):
        return ExitCode.USAGE
    if isinstance(error, MediaError):
        return ExitCode.FAILED if error.rule in _MEDIA_MISHAPS else ExitCode.USAGE
    if error.rule is not None or error.code in _USAGE_CODES:
        return ExitCode.USAGE
    return ExitCode.FAILED


def error_line(error: BaseException) -> str:
    """``pytok: error: <message>``, on one line, without a secret or a traceback.

    Library errors carry safe messages (with TikTok's log_id); anything else is a bug and
    is named by its type only, since its text is not known to be free of secrets.
    """
    if isinstance(error, KeyboardInterrupt):
        return "pytok: cancelled (Ctrl+C)"
    if isinstance(error, FlowCancelled):
        return f"pytok: cancelled ({error.message})"
    if isinstance(error, PostInterrupted):
        return f"pytok: cancelled (Ctrl+C): {printable(str(error))}"
    if isinstance(error, NotLoggedIn) and not isinstance(error, StoredTokenMissing):
        # The library's advice is for library users: say what to run here instead.
        missing = error.missing
        text = f"not logged in (no {missing} is held); run pytok login first" if "refresh" in missing else (
            "not logged in; run pytok login first")
    elif isinstance(error, (TikTokError, UsageError, CheckFailed)):
        text = str(error)
    elif isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        text = f"{error.strerror or type(error).__name__}{where}"
    else:
        text = f"unexpected {type(error).__name__}; run again with -v for the traceback, and please report it"
    return "pytok: error: " + printable(text)


def printable(text: str) -> str:
    """One line without control characters (TikTok's texts could carry terminal escapes).

    Example:
        >>> printable("bad\\x1b[2Jname\\n  here")
        'bad?[2Jname here'
    """
    return "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))
