"""Helpers for testing apps that use pytok_sm (and pytok_sm itself).

* :func:`capture_transitions`: a list of every ``transition`` event while active.
* :class:`FakeClock`: a clock to inject (``clock=``) and advance by hand.
* :class:`FakeBrowser`: an ``open_browser=`` callable that presses Approve or Deny on the
  authorize page (the sandbox's consent form), or with ``consent=False`` plays TikTok's
  redirect straight to the app's loopback server; :class:`BrowserError` when a page is no
  consent page.
* :class:`DeterministicRandom`: a seeded ``random=`` source, so recordings replay.
* Cassettes (needs vcrpy, imported on first use; without it they raise an error naming
  ``pip install vcrpy``): :func:`use_cassette` replays one
  strictly (:class:`CassetteError` and its kinds :class:`CassetteMissing`,
  :class:`CassetteMismatch`, :class:`CassetteUnplayed`) or records it, scrubbed by a
  :class:`Scrubber`; :class:`CassetteLibrary` holds a test module's cassettes;
  :func:`vcr_config` and :func:`make_vcr` configure vcrpy yourself, with the
  :func:`match_content_range` and :func:`match_body` matchers (an upload's body is recorded
  as its length and sha256, never its bytes); :func:`find_unscrubbed` scans a cassette for
  secrets. The
  pytest plugin (:mod:`pytok_sm.testing.plugin`) adds the ``pytok_vcr`` /
  ``pytok_cassette`` fixtures and ``--pytok-record``.

The public names are those of ``__all__``; the modules whose names start with ``_`` are
private.

Example:
    >>> from pytok_sm.testing import capture_transitions, FakeClock
    >>> clock = FakeClock(1000.0)
    >>> clock.advance(5)
    1005.0
    >>> with capture_transitions() as events:
    ...     pass
    >>> events
    []
"""

from __future__ import annotations

from ._browser import BrowserError, FakeBrowser
from ._clock import FakeClock
from ._deterministic import DeterministicRandom
from ._match import match_body, match_content_range
from ._replay import (
    CassetteError,
    CassetteLibrary,
    CassetteMismatch,
    CassetteMissing,
    CassetteUnplayed,
    use_cassette,
)
from ._scan import find_unscrubbed
from ._scrub import Scrubber
from ._transitions import capture_transitions
from ._vcr import make_vcr, vcr_config

__all__ = [
    "BrowserError",
    "CassetteError",
    "CassetteLibrary",
    "CassetteMismatch",
    "CassetteMissing",
    "CassetteUnplayed",
    "DeterministicRandom",
    "FakeBrowser",
    "FakeClock",
    "Scrubber",
    "capture_transitions",
    "find_unscrubbed",
    "make_vcr",
    "match_body",
    "match_content_range",
    "use_cassette",
    "vcr_config",
]

# Show the public classes as ``pytok_sm.testing.Name`` (tracebacks, reprs), as the root does.
for _value in (
    BrowserError,
    CassetteError,
    CassetteLibrary,
    CassetteMismatch,
    CassetteMissing,
    CassetteUnplayed,
    DeterministicRandom,
    FakeBrowser,
    FakeClock,
    Scrubber,
):
    _value.__module__ = __name__
del _value
