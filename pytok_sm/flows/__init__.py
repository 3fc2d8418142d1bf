"""The flows, each an explicit state machine: browser, qr, refresh, revoke (and user_info).

Each module's ``STATES`` and ``TRANSITIONS`` tables are the single source of its behaviour,
its transition log and its diagram. Flows are sans-I/O: see :mod:`pytok_sm.flows._effects`
and the drivers in :mod:`pytok_sm.drivers`.
"""

from ._base import Flow, StateSpec, Transition
from ._browser import BrowserFlow, Verdict
from ._qr import QrFlow
from ._refresh import RefreshFlow
from ._revoke import RevokeFlow
from ._user_info import UserInfoFlow

__all__ = ["FLOWS", "BrowserFlow", "Flow", "QrFlow", "RefreshFlow", "RevokeFlow", "StateSpec", "Transition", "UserInfoFlow", "Verdict"]

#: Every flow class by its ``KIND``, in the order the README presents them.
FLOWS: dict[str, type[Flow]] = {cls.KIND: cls for cls in (BrowserFlow, QrFlow, RefreshFlow, RevokeFlow, UserInfoFlow)}
