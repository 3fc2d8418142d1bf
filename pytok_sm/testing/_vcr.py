"""VCR configuration: vcrpy set up to scrub with a fresh :class:`~pytok_sm.testing.Scrubber`
per cassette and to match with :data:`~._match.MATCH_ON` (its own matchers, ``pytok_range``
and ``pytok_body``, registered).

:func:`vcr_config` is for pytest-recording's ``vcr_config`` fixture (or any
``vcr.use_cassette`` call), :func:`make_vcr` for plain vcrpy. vcrpy is imported only when
one of them is called; without it they raise :func:`require_vcr`'s error, which names the
install command (vcrpy is in the ``test`` extra). ``PYTOK_RECORD=1``
(:func:`recording_requested`) asks the strict helpers (:mod:`._replay`) and the pytest
plugin to record instead of replaying.

Example:
    >>> config = vcr_config(volatile_params=["qrcode_id"])
    >>> config["match_on"][-2:], config["record_on_exception"]
    (('pytok_range', 'pytok_body'), False)
    >>> make_vcr("cassettes/mine").record_mode.value
    'none'
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final

from ._match import MATCH_ON, MATCHERS
from ._scrub import Scrubber

if TYPE_CHECKING:
    import vcr as vcr_module

__all__ = ["RECORD_ENV", "VCR_INSTALL", "make_vcr", "recording_requested", "require_vcr", "vcr_config"]

#: ``PYTOK_RECORD=1`` makes :func:`~pytok_sm.testing.use_cassette` (and the ``pytok_vcr`` fixture) record.
RECORD_ENV: Final = "PYTOK_RECORD"
#: How to get vcrpy, which the cassette helpers need.
VCR_INSTALL: Final = "pip install vcrpy (in a checkout of pytok_sm: pip install -e '.[test]')"


def require_vcr() -> None:
    """Check that vcrpy can be imported; the cassette helpers call it before anything else.

    Raises :class:`ModuleNotFoundError` (``name='vcr'``) whose message names the install
    command, instead of a bare ``No module named 'vcr'`` in the middle of a test.

    Example:
        >>> require_vcr()  # vcrpy is installed here
    """
    try:
        import vcr  # noqa: F401
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name in (None, "vcr"):
            problem = "pytok_sm's cassettes need vcrpy, which is not installed"
        else:  # vcrpy is there but broken, e.g. one of its own dependencies is missing
            problem = f"pytok_sm's cassettes need vcrpy, which cannot be imported ({error})"
        raise ModuleNotFoundError(f"{problem}: {VCR_INSTALL}", name="vcr") from None


def vcr_config(**scrubber_options: Any) -> dict[str, Any]:
    """Keyword arguments for ``vcr.use_cassette`` (e.g. pytest-recording's ``vcr_config``
    fixture), with a fresh :class:`Scrubber`: call it once per cassette.

    The ``pytok_range`` and ``pytok_body`` matchers are registered on pytest-recording's VCR
    by pytok_sm's pytest plugin; with plain vcrpy use :func:`make_vcr`, which registers them
    (or register :func:`~pytok_sm.testing.match_content_range` and
    :func:`~pytok_sm.testing.match_body` under those names yourself).

    Example:
        >>> config = vcr_config()
        >>> config["match_on"]
        ('method', 'scheme', 'host', 'port', 'path', 'query', 'pytok_range', 'pytok_body')
    """
    scrubber = Scrubber(**scrubber_options)
    return {
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "match_on": MATCH_ON,
        "decode_compressed_response": True,
        "record_on_exception": False,
    }


def make_vcr(
    cassette_dir: str | os.PathLike[str],
    record_mode: str = "none",
    *,
    scrubber: Scrubber | None = None,
    **scrubber_options: Any,
) -> vcr_module.VCR:
    """A ``vcr.VCR`` for ``cassette_dir`` that scrubs every cassette with a fresh
    :class:`Scrubber` (or with ``scrubber``, for a single cassette) and matches with
    :data:`MATCH_ON`.

    Prefer :func:`use_cassette`, which adds clear failures on top.

    Example:
        >>> my_vcr = make_vcr("cassettes/mine")
        >>> my_vcr.record_mode.value, {"pytok_range", "pytok_body"} <= set(my_vcr.matchers)
        ('none', True)
    """
    require_vcr()
    import vcr

    class _PytokVCR(vcr.VCR):  # type: ignore[misc]
        def get_merged_config(self, **kwargs: Any) -> dict[str, Any]:
            if "before_record_request" not in kwargs and "before_record_response" not in kwargs:
                scrub = scrubber or Scrubber(**scrubber_options)
                kwargs = {**kwargs, "before_record_request": scrub.request, "before_record_response": scrub.response}
            merged: dict[str, Any] = super().get_merged_config(**kwargs)
            return merged

    instance = _PytokVCR(
        cassette_library_dir=os.fspath(cassette_dir),
        record_mode=record_mode,
        match_on=MATCH_ON,
        decode_compressed_response=True,
        record_on_exception=False,
        path_transformer=vcr.VCR.ensure_suffix(".yaml"),
    )
    for name, matcher in MATCHERS.items():
        instance.register_matcher(name, matcher)
    return instance


def recording_requested() -> bool:
    """True when ``PYTOK_RECORD`` is set to ``1``/``true``/``yes``/``on``."""
    return os.environ.get(RECORD_ENV, "").strip().lower() in ("1", "true", "yes", "on")
