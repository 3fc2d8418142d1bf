"""The refresh protocol across processes and machines: one rotation per token, never lost.

TikTok rotates refresh tokens: the old one dies the moment a new one is issued. When many
workers hold the same account, one of them refreshes and the others must take its token,
not send the dead one. Under the store's **lease** (whose time to live covers the whole
refresh call, its retries included), the holder **re-reads** the store: if another holder
already rotated, it **adopts** the stored token without sending anything; else it refreshes
and writes the new token with **compare-and-set** before anyone may use it. On
``invalid_grant`` it re-reads once more and adopts a newer token if one arrived; only then
is the account marked ``reauth_required`` (the record is kept). A refresh whose outcome is
unknown (the answer was lost) is never sent again: the stored token stays as it was.

Example (one worker, a store that answers at once):
    >>> from pytok_sm import Config, Token
    >>> held = Token("act.old", 0.0, open_id="u1", refresh_token="rft.old")
    >>> flow = StoreRefreshFlow(Config("aw_key", "s"), held=held, holder="w1", clock=lambda: 100.0)
    >>> flow.start()
    StoreStep(method='acquire_lease')
    >>> flow.send(True)
    StoreStep(method='get')
"""

from __future__ import annotations

from typing import Any

from .._config import Config
from .._errors import ReauthorizationRequired, TikTokError, TokenStoreError, TransportError
from .._token import Token
from ._base import Flow, StateSpec, t
from ._effects import Finished, RunFlow, Sleep, Slept, StoreStep
from ._refresh import RefreshFlow

__all__ = ["StoreBusy", "StoreRefreshFlow", "due"]


class StoreBusy(TokenStoreError):
    """Another worker held the account's lease for longer than a refresh can take."""


class StoreRefreshFlow(Flow):
    """Refresh one stored account as one of many workers (see the module doc)."""

    KIND = "store_refresh"
    STATES = (
        StateSpec("created", doc="nothing done yet"),
        StateSpec("leasing", enter="_enter_leasing", handle="_on_lease", doc="take the account's lease"),
        StateSpec("waiting", enter="_enter_waiting", handle="_on_waited", doc="another worker holds it"),
        StateSpec("reading", enter="_enter_reading", handle="_on_read", doc="re-read the account"),
        StateSpec("refreshing", enter="_enter_refreshing", handle="_on_refreshed", doc="one refresh at TikTok"),
        StateSpec("writing", enter="_enter_writing", handle="_on_written", doc="compare-and-set the new token"),
        StateSpec("rechecking", enter="_enter_reading", handle="_on_recheck", doc="invalid_grant: newer token?"),
        StateSpec("marking", enter="_enter_marking", handle="_on_marked", doc="keep the record, reauth_required"),
        StateSpec("releasing", enter="_enter_releasing", handle="_on_released", doc="give the lease back"),
        StateSpec("done", enter="_enter_done", final=True, doc="a token: refreshed, or adopted"),
        StateSpec("reauth_required", final=True, doc="the person must log in again"),
        StateSpec("cancelled", final=True, doc="the caller cancelled"),
        StateSpec("failed", final=True, doc="an error; the stored token is as it was"),
    )
    _LEASED = ("reading", "refreshing", "writing", "rechecking")
    TRANSITIONS = (
        t("start", "created", "leasing"),
        t("lease_busy", "leasing", "waiting"),
        t("wait_over", "waiting", "leasing"),
        t("leased", "leasing", "reading"),
        t("adopt", ("reading", "rechecking"), "releasing"),
        t("refresh", "reading", "refreshing"),
        t("token_issued", "refreshing", "writing"),
        t("refresh_rejected", "refreshing", "rechecking"),
        t("written", "writing", "releasing"),
        t("no_newer_token", "rechecking", "marking"),
        t("marked", "marking", "releasing"),
        t("give_up", (*_LEASED,), "releasing"),
        t("released", "releasing", "done"),
        t("end_reauth", "releasing", "reauth_required"),
        t("end_failed", "releasing", "failed"),
        t("fail", "leasing", "failed"),
        t("cancel", ("created", "leasing", "waiting"), "cancelled"),
    )

    __slots__ = ("held", "holder", "client_key", "open_id", "ttl", "account", "token", "outcome", "adopted",
                 "since", "due_within")

    def __init__(self, config: Config, *, held: Token, holder: str, open_id: str | None = None,
                 ttl: float | None = None, since: float | None = None, due_within: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.held = held
        #: Refresh only if the stored token still expires within this many seconds (a keeper's
        #: "refresh what is due": another keeper may have done it while this one waited).
        self.due_within = due_within
        #: A token another worker wrote at or after this time also satisfies this refresh (the
        #: caller asked "refresh now" at ``since``: concurrent askers share one rotation).
        self.since = since
        self.holder = holder
        self.client_key = config.client_key
        self.open_id = open_id or held.open_id or ""
        #: The lease covers the whole refresh call, every retry included, plus a margin.
        self.ttl = ttl if ttl is not None else config.call_deadline * config.retry.max_attempts + 15.0
        self.account: Any = None
        self.token: Token | None = None
        #: What ends the flow once the lease is given back: None (a token), or the error.
        self.outcome: TikTokError | None = None
        #: True when the token is one another worker rotated (nothing was sent to TikTok).
        self.adopted = False

    # ------------------------------------------------------------------ the lease
    def _begin(self) -> None:
        self.deadline = self.clock() + self.ttl + 5.0
        self._fire("start")

    def _key(self) -> tuple[str, str]:
        return (self.client_key, self.open_id)

    def _enter_leasing(self, event: object) -> None:
        self.effect = StoreStep("acquire_lease", (*self._key(), self.holder, self.ttl))

    def _on_lease(self, result: object) -> None:
        if isinstance(result, TikTokError):
            raise result
        if result is True:
            self._fire("leased")
        elif self.deadline is not None and self.clock() >= self.deadline:
            raise StoreBusy(f"another worker held the lease of account {self.open_id} for longer than a refresh "
                            "takes; try again (a worker that died frees it when its lease expires)")
        else:
            self.attempt += 1
            self._fire("lease_busy")

    def _enter_waiting(self, event: object) -> None:
        self.effect = Sleep(min(0.05 * 2 ** min(self.attempt, 4), 0.5))

    def _on_waited(self, result: object) -> None:
        self._expect(result, Slept)
        self._fire("wait_over")

    # ------------------------------------------------------------------ under the lease
    def _enter_reading(self, event: object) -> None:
        self.effect = StoreStep("get", self._key())

    def _newer(self, result: object) -> Token | None:
        """The stored token when another worker has rotated since ``held`` was read."""
        if isinstance(result, TikTokError):
            raise result
        self.account = result
        token = getattr(result, "token", None)
        if not isinstance(token, Token):
            return None
        fresh = self.since is not None and getattr(result, "updated_at", 0.0) >= self.since
        not_due = self.due_within is not None and not due(token, self.clock(), self.due_within)
        return token if token.refresh_token != self.held.refresh_token or fresh or not_due else None

    def _on_read(self, result: object) -> None:
        try:
            newer = self._newer(result)
        except TikTokError as error:
            self._give_up(error)
            return
        if self.account is None:
            self._give_up(TokenStoreError(f"account {self.open_id} is not in the store (removed?); log in again"))
        elif newer is not None:
            self.token, self.adopted = newer, True
            self._fire("adopt", version=self.account.version)
        elif self.account.state != "active":
            self._give_up(ReauthorizationRequired(description=self.account.reason or self.account.state))
        else:
            self._fire("refresh", version=self.account.version)

    def _enter_refreshing(self, event: object) -> None:
        self.effect = RunFlow(RefreshFlow(self.config, previous=self.account.token, open_id=self.open_id,
                                          clock=self.clock))

    def _on_refreshed(self, result: object) -> None:
        if isinstance(result, ReauthorizationRequired):
            self.outcome = result
            self._fire("refresh_rejected", error=result.error, log_id=result.log_id)
        elif isinstance(result, TikTokError):
            # A refresh whose answer was lost is never resent: the stored token stays as it was.
            self._give_up(result, unknown=isinstance(result, TransportError) and result.sent)
        else:
            self._expect(result, Token)
            assert isinstance(result, Token)
            self.token = result
            self._fire("token_issued")

    def _enter_writing(self, event: object) -> None:
        self.effect = StoreStep("compare_and_set", (*self._key(), self.account.version, self.token))

    def _on_written(self, result: object) -> None:
        if isinstance(result, TikTokError):
            self._give_up(_not_saved(result, self.token))
        elif result is None:  # someone wrote past an expired lease: ours is the live grant, keep it
            self.effect = StoreStep("put", (self.client_key, self.token))
            self.account = None
        else:
            self._fire("written", version=getattr(result, "version", None))

    def _on_recheck(self, result: object) -> None:
        try:
            newer = self._newer(result)
        except TikTokError as error:
            self._give_up(error)
            return
        if newer is not None:  # another worker rotated first: its token is the live one
            self.token, self.outcome, self.adopted = newer, None, True
            self._fire("adopt", version=self.account.version)
        else:
            self._fire("no_newer_token")

    def _enter_marking(self, event: object) -> None:
        reason = self.outcome.message if self.outcome is not None else "invalid_grant"
        self.effect = StoreStep("mark", (*self._key(), "reauth_required", reason))

    def _on_marked(self, result: object) -> None:
        if isinstance(result, TikTokError):
            self.outcome = result
        self._fire("marked")

    def _give_up(self, error: TikTokError, *, unknown: bool = False) -> None:
        self.outcome = error
        self._fire("give_up", error=type(error).__name__, outcome_unknown=unknown or None)

    # ------------------------------------------------------------------ the end
    def _enter_releasing(self, event: object) -> None:
        self.effect = StoreStep("release_lease", (*self._key(), self.holder))

    def _on_released(self, result: object) -> None:
        outcome = self.outcome
        if outcome is None:
            self._fire("released")
        elif isinstance(outcome, ReauthorizationRequired) and self.token is None:
            self._end_with("end_reauth", outcome)
        else:
            self._end_with("end_failed", outcome)

    def _enter_done(self, event: object) -> None:
        self.effect = Finished(self.token)


def due(token: Token, now: float, within: float) -> bool:
    """Whether ``token`` (its access token, or its refresh token) expires within ``within`` seconds."""
    ends = [token.expires_at] + ([token.refresh_expires_at] if token.refresh_expires_at is not None else [])
    return min(ends) - now <= within


def _not_saved(error: TikTokError, token: Token | None) -> TokenStoreError:
    """The rotated token could not be written: it must not be lost. It rides on the error
    (``.token``, masked in every repr) and the message says how to keep it."""
    failure = TokenStoreError(
        f"TikTok rotated the token but the store could not save it ({error.message}); the new token is in "
        "this error's .token and was handed to on_token: save it (store.put) before it is needed, "
        "or the person must log in again"
    )
    failure.token = token  # type: ignore[attr-defined]
    return failure
