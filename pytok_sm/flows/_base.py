"""What every flow shares: one class-level ``transitions`` machine, stepping, logs, snapshots.

A flow class declares ``STATES`` (name, the effect method run on entering, the method that
reads the driver's result, final or not) and ``TRANSITIONS`` (trigger, sources, dest). From
those two tables come its behaviour (a trigger not in the table raises), its transition
log (one ``transition`` event per change) and its diagram (:mod:`pytok_sm._diagrams`).

One ``transitions.Machine`` is built per flow *class* (``model=None``); instances hold only
their state and data in ``__slots__``, so thousands of flows cost little. The plain edges of
that machine (no conditions, only the destination's ``on_enter`` and the transition log) are
also compiled into a per-class route table that :meth:`Flow._fire` follows directly:
``transitions``' general dispatch costs about 12 us per trigger, more than the rest of a
flow's start together (benchmarks/README.md, figure 3). Every other trigger, an invalid one
included (``MachineError``), still goes through the machine.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from transitions import EventData, Machine

from .. import logs
from .._config import Config
from .._errors import FlowCancelled, FlowUsageError, TikTokError
from .._http import Request, Response
from .._pkce import RandomSource
from .._retry import Outcome, RequestKind, outcome_of
from .._secrets import hush
from . import _snapshot as snapshots
from ._effects import Effect, Failed, Send, Sleep, Slept, TransportFailure
from ._failures import error_fields, transport_error
from ._routes import plain_routes

__all__ = ["Flow", "StateSpec", "Transition"]

F = TypeVar("F", bound="Flow")
#: Snapshot fields whose values are secrets (masked in logs while the resumed flow lives).
_SECRET_FIELDS = frozenset({"csrf_state", "verifier", "code", "qr_token", "client_ticket", "access_token",
                            "upload_url"})


@dataclass(frozen=True, slots=True)
class StateSpec:
    """One row of a flow's state table.

    ``enter`` names the method that sets the state's effect; ``handle`` names the method
    that reads the driver's result in this state; ``final`` states end the flow.
    """

    name: str
    enter: str | None = None
    handle: str | None = None
    final: bool = False
    doc: str = ""
    #: What the flow waits for a person to do in this state ("Waiting for you to approve in
    #: the browser"), for progress lines; empty when it waits for nobody.
    waiting: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a flow's transition table."""

    trigger: str
    source: tuple[str, ...]
    dest: str


def t(trigger: str, source: str | tuple[str, ...], dest: str) -> Transition:
    """Shorthand for a table row: ``t("start", "created", "listening")``."""
    return Transition(trigger, (source,) if isinstance(source, str) else tuple(source), dest)


class Flow:
    """Base of the four flows. Subclasses fill ``KIND``, ``STATES``, ``TRANSITIONS``.

    Drive it with :meth:`start` and :meth:`send`, or hand it to a driver
    (:func:`pytok_sm.drivers.run` / :func:`pytok_sm.drivers.arun`).
    """

    KIND: ClassVar[str] = "flow"
    STATES: ClassVar[tuple[StateSpec, ...]] = ()
    TRANSITIONS: ClassVar[tuple[Transition, ...]] = ()
    INITIAL: ClassVar[str] = "created"
    #: Data slots saved by :meth:`snapshot` (beyond state, flow_id, deadline, attempt), each
    #: with the check its value must pass on resume.
    SNAPSHOT_FIELDS: ClassVar[dict[str, snapshots.Check]] = {}
    #: Resumable states that need a deadline (a wait that must end).
    TIMED: ClassVar[tuple[str, ...]] = ()
    #: States a snapshot may be resumed in: only those whose pending effect is safe to issue
    #: twice (never a code exchange or a refresh that may already have been sent).
    RESUMABLE: ClassVar[tuple[str, ...]] = ()

    machine: ClassVar[Machine]
    _specs: ClassVar[dict[str, StateSpec]]
    _finals: ClassVar[frozenset[str]]
    #: (trigger, source) -> (dest, on_enter method names), compiled from ``machine``.
    _routes: ClassVar[dict[tuple[str, str], tuple[str, tuple[str, ...]]]]

    __slots__ = ("state", "flow_id", "config", "clock", "random", "effect", "error", "attempt", "deadline", "timeout",
                 "__weakref__")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.STATES:
            return
        cls._specs = {spec.name: spec for spec in cls.STATES}
        cls._finals = frozenset(s.name for s in cls.STATES if s.final)
        cls.machine = Machine(
            model=None,
            states=[
                {"name": s.name, "final": s.final, **({"on_enter": [s.enter]} if s.enter else {})}
                for s in cls.STATES
            ],
            transitions=[
                {"trigger": row.trigger, "source": list(row.source), "dest": row.dest} for row in cls.TRANSITIONS
            ],
            initial=cls.INITIAL,
            auto_transitions=False,
            send_event=True,
            after_state_change="_log_transition",
            name=cls.KIND,
        )
        cls._routes = plain_routes(cls.machine)

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] | None = None,
        random: RandomSource | None = None,
        flow_id: str | None = None,
    ) -> None:
        self.state = self.INITIAL
        # 12 hex characters, 48 random bits, as uuid4().hex[:12] gave, at a third of its cost.
        self.flow_id = flow_id or secrets.token_hex(6)
        self.config = config
        self.clock = clock or config.clock
        self.random = random or config.random
        self.effect: Effect | None = None
        self.error: TikTokError | None = None
        self.attempt = 1
        self.deadline: float | None = None
        #: Seconds a person has to finish (browser and QR logins), else None.
        self.timeout: float | None = None

    # ------------------------------------------------------------------ stepping
    @property
    def waiting_for(self) -> str | None:
        """What the flow waits for a person to do now (its state's ``waiting`` text), or None."""
        return self._specs[self.state].waiting or None

    @property
    def finished(self) -> bool:
        """True once the flow is in a final state."""
        return self.state in self._finals

    def start(self) -> Effect:
        """Begin the flow; returns its first effect."""
        if self.state != self.INITIAL:
            raise FlowUsageError(f"{self.KIND} flow {self.flow_id} already started (state {self.state})")
        self._guard(self._begin)
        assert self.effect is not None
        return self.effect

    def send(self, result: object) -> Effect:
        """Feed the result of the last effect; returns the next effect.

        A finished flow returns its final effect again; a result of the wrong kind raises
        :class:`~pytok_sm.FlowUsageError` and changes nothing.
        """
        if self.effect is None:
            raise FlowUsageError(f"{self.KIND} flow {self.flow_id} has not started; call start() first")
        if self.finished:
            return self.effect
        handler = self._specs[self.state].handle
        if handler is None:
            raise FlowUsageError(f"{self.KIND} flow {self.flow_id} expects no result in state {self.state}")
        method = getattr(self, handler)
        self._guard(lambda: method(result))
        return self.effect

    def cancel(self) -> Effect:
        """Stop the flow where it is; it ends in ``cancelled`` (a finished flow is left alone)."""
        if not self.finished:
            self.error = FlowCancelled(f"the {self.KIND} flow was cancelled", flow=self.KIND, state=self.state)
            self._fire("cancel")
            self.effect = Failed(self.error)
        assert self.effect is not None
        return self.effect

    def _begin(self) -> None:
        raise NotImplementedError

    def _guard(self, step: Callable[[], None]) -> None:
        """Run a step; a TikTokError it raises ends the flow in ``failed``."""
        try:
            step()
        except FlowUsageError:
            raise
        except TikTokError as error:
            self._fail(error)

    def _fire(self, trigger: str, **fields: Any) -> None:
        if trigger != "retry":
            self.attempt = 1
        source = self.state
        route = self._routes.get((trigger, source))
        if route is None:  # not a plain edge, or no edge at all: the machine decides (and raises)
            self.machine.events[trigger].trigger(self, **fields)
            return
        # What the machine would do for a plain edge, in its order: change state, the
        # destination's on_enter (given None: enter methods never read the event), the log.
        dest, enter = route
        self.state = dest
        for name in enter:
            getattr(self, name)(None)
        self._emit_transition(trigger, source, dest, fields)

    def _fail(self, error: TikTokError, trigger: str = "fail", **extra: Any) -> None:
        if error.flow is None:
            error.flow, error.state = self.KIND, self.state
        self.error = error
        self._fire(trigger, **error_fields(error), **extra)
        self.effect = Failed(error)

    def _end_with(self, trigger: str, error: TikTokError, **extra: Any) -> None:
        """Move to a named final state (denied, expired, ...) carrying ``error`` (``extra``: more
        fields of the transition's log event)."""
        self._fail(error, trigger, **extra)

    def _expect(self, result: object, *kinds: type) -> None:
        if not isinstance(result, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise FlowUsageError(
                f"{self.KIND} flow {self.flow_id} in state {self.state} expects {names}, got {type(result).__name__}"
            )

    def _log_transition(self, event: EventData) -> None:
        self._emit_transition(
            event.event.name if event.event else None,
            event.transition.source if event.transition else None,
            event.transition.dest if event.transition else self.state,
            event.kwargs,
        )

    def _emit_transition(
        self, trigger: str | None, source: str | None, dest: str | None, extra: dict[str, Any]
    ) -> None:
        fields: dict[str, Any] = {
            "flow": self.KIND,
            "flow_id": self.flow_id,
            "trigger": trigger,
            "source": source,
            "dest": dest,
        }
        fields.update({k: v for k, v in extra.items() if v is not None})
        logs.emit("transition", **fields)

    # ------------------------------------------------------------------ HTTP with retries
    def _send(self, request: Request) -> None:
        self.effect = Send(request, self.config.http_timeout, self.config.call_deadline)

    def _read(self, result: object, request: Callable[[], Request], parse: Callable[[Response], Any]) -> Any:
        """Parse an HTTP result, or schedule a retry (returns :data:`RETRYING`), or raise.

        A :class:`Slept` result re-sends the request after a backoff.
        """
        if isinstance(result, Slept):
            self._send(request())
            return RETRYING
        self._expect(result, Response, TransportFailure)
        kind = self.effect.request.kind if isinstance(self.effect, Send) else RequestKind.USER_INFO
        if isinstance(result, Response):
            try:
                return parse(result)
            except TikTokError as error:
                failure: TikTokError = error
                outcome = outcome_of(result.status, error)
                status: int | None = result.status
        else:
            assert isinstance(result, TransportFailure)
            outcome = Outcome.UNKNOWN if result.sent else Outcome.NOT_SENT
            failure = transport_error(kind, result)
            status = None
        if outcome is not None:
            delay = self.config.retry.delay(
                outcome, kind, attempt=self.attempt, retry_after=getattr(failure, "retry_after", None)
            )
            if delay is not None and (self.deadline is None or self.clock() + delay < self.deadline):
                fields = error_fields(failure)
                fields["http_status"] = status
                self._fire("retry", attempt=self.attempt + 1, **fields)
                self.attempt += 1
                self.effect = Sleep(delay)
                return RETRYING
        raise failure

    # ------------------------------------------------------------------ snapshots
    def snapshot(self, *, key: bytes | str | None = None) -> dict[str, Any]:
        """A sealed, JSON-safe picture of the flow, to :meth:`resume` it later (in another process).

        It holds the flow's secrets (CSRF state, PKCE verifier, QR token, ticket): keep it
        like a password, e.g. in a server-side session, never in a cookie or URL. ``key``
        seals it (default: derived from the client secret); resume with the same key.
        """
        if self.effect is None:
            raise FlowUsageError("start the flow before taking a snapshot")
        body = {
            "flow": self.KIND,
            "version": snapshots.VERSION,
            "client_key": self.config.client_key,
            "flow_id": self.flow_id,
            "state": self.state,
            "attempt": self.attempt,
            "deadline": self.deadline,
            "data": {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS},
        }
        return snapshots.seal(body, snapshots.seal_key(self.config, key))

    @classmethod
    @hush
    def resume(
        cls: type[F],
        snapshot: dict[str, Any],
        config: Config,
        *,
        key: bytes | str | None = None,
        clock: Callable[[], float] | None = None,
        random: RandomSource | None = None,
    ) -> F:
        """Rebuild a flow from :meth:`snapshot`; its pending effect is issued again.

        The seal is checked first, then every field; a damaged, forged, foreign or outdated
        snapshot raises :class:`~pytok_sm.SnapshotRejected` and nothing is sent.

        Example:
            >>> from pytok_sm.flows import RevokeFlow
            >>> from pytok_sm import Config
            >>> cfg = Config("aw_key", "s")
            >>> flow = RevokeFlow(cfg, access_token="act.x")
            >>> _ = flow.start()
            >>> RevokeFlow.resume(flow.snapshot(), cfg).state
            'revoking'
        """
        body = snapshots.open_sealed(snapshot, snapshots.seal_key(config, key))
        checked = snapshots.check_envelope(body, kind=cls.KIND, config=config, resumable=cls.RESUMABLE,
                                           fields=cls.SNAPSHOT_FIELDS, timed=cls.TIMED)
        flow = cls.__new__(cls)
        Flow.__init__(flow, config, clock=clock, random=random, flow_id=checked["flow_id"])
        for name in cls.SNAPSHOT_FIELDS:
            setattr(flow, name, None)
        flow._init_data()
        for name, value in checked["data"].items():
            setattr(flow, name, value)
            if name in _SECRET_FIELDS:
                logs.register_secret(value, owner=flow)
        flow.attempt, flow.deadline, flow.state = checked["attempt"], checked["deadline"], checked["state"]
        flow._reenter()
        return flow

    def _init_data(self) -> None:
        """Set data slots to their empty values (subclasses)."""

    def _reenter(self) -> None:
        """Re-issue the effect of the current state after :meth:`resume`."""
        spec = self._specs[self.state]
        if spec.enter:
            getattr(self, spec.enter)(None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.flow_id} state={self.state}>"


class _Retrying:
    def __repr__(self) -> str:
        return "RETRYING"


#: Returned by :meth:`Flow._read` when a retry was scheduled instead of a value.
RETRYING: Any = _Retrying()
