"""The public surface of ``pytok_sm``: a pinned ``__all__``, typing marker, a light import."""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
import sys
from pathlib import Path

import pytok_sm

PUBLIC_NAMES = [
    "AccessTokenInvalid",
    "AccountMismatch",
    "ApiError",
    "AsyncLoginKit",
    "AsyncTikTokApp",
    "AuthorizationDenied",
    "CallbackPortBusy",
    "CallbackRejected",
    "CallbackReplayed",
    "Config",
    "ConfigurationError",
    "CreatorCapReached",
    "CreatorInfo",
    "FlowCancelled",
    "FlowError",
    "FlowTimeout",
    "FlowUsageError",
    "LoginKit",
    "MediaError",
    "NotLoggedIn",
    "OAuthError",
    "PostFailed",
    "PostOutcomeUnknown",
    "PostProgress",
    "PostResult",
    "PostSettingsError",
    "PostingError",
    "PostingSpamRisk",
    "PrivacyLevelError",
    "ProtocolError",
    "PublishStatus",
    "QrAnswerRefused",
    "QrCodeError",
    "QrCodeExpired",
    "QrCodeUtilised",
    "QrTicketMismatch",
    "RateLimited",
    "ReauthorizationRequired",
    "RetryPolicy",
    "ScopeError",
    "SnapshotRejected",
    "TikTokApp",
    "TikTokError",
    "Token",
    "TokenStoreError",
    "TransportError",
    "UNCONFIRMED",
    "__version__",
]


def test_all_is_pinned() -> None:
    assert sorted(pytok_sm.__all__) == PUBLIC_NAMES
    assert len(set(pytok_sm.__all__)) == len(pytok_sm.__all__)


def test_every_public_name_resolves() -> None:
    for name in pytok_sm.__all__:
        assert getattr(pytok_sm, name) is not None, name


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from pytok_sm import *", namespace)  # noqa: S102
    assert sorted(k for k in namespace if k != "__builtins__") == PUBLIC_NAMES


def test_public_classes_come_from_their_modules() -> None:
    from pytok_sm import _config as config
    from pytok_sm import _errors as errors
    from pytok_sm import _retry as retry
    from pytok_sm import _token as token

    assert pytok_sm.Config is config.Config
    assert pytok_sm.Token is token.Token
    assert pytok_sm.RetryPolicy is retry.RetryPolicy
    assert pytok_sm.TikTokError is errors.TikTokError


def test_version_is_the_one_in_version_py() -> None:
    text = (Path(pytok_sm.__file__).parent / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    assert match
    assert pytok_sm.__version__ == match.group(1)
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc)?\d*", pytok_sm.__version__)


def test_py_typed_ships() -> None:
    marker = importlib.resources.files("pytok_sm") / "py.typed"
    assert marker.is_file()


def test_import_is_light() -> None:
    code = (
        "import json, sys\n"
        "import pytok_sm\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(run.stdout))
    assert "pytok_sm" in loaded
    for heavy in ("qrcode", "PIL", "pytok_sm.sandbox", "pytok_sm.cli", "pytok_sm.qr", "pytok_sm.testing"):
        assert heavy not in loaded, heavy
    assert not [m for m in loaded if m.startswith(("pytok_sm.sandbox.", "qrcode."))]
    assert run.stderr == ""


def test_a_kit_that_never_posts_never_loads_the_posting_or_video_machinery() -> None:
    code = (
        "import json, sys\n"
        "import pytok_sm\n"
        "kit = pytok_sm.LoginKit('aw_key', 's', token={'access_token': 'act.x', 'expires_in': 60})\n"
        "kit.get_user_info  # a login-only kit, used as one\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(run.stdout))
    assert "pytok_sm._kit" in loaded
    later = ("pytok_sm._post_policy", "pytok_sm._posting_wire", "pytok_sm._posting_rules", "pytok_sm._posting_values",
             "pytok_sm.flows._post", "pytok_sm.flows._post_video", "pytok_sm.drivers._media", "pytok_sm._video_policy",
             "pytok_sm.flows._videos", "pytok_sm.webhooks")
    assert [name for name in later if name in loaded] == []


def test_the_names_loaded_on_first_use_are_the_same_objects_as_their_modules() -> None:
    from pytok_sm import _posting_values, drivers, flows
    from pytok_sm.drivers import _media
    from pytok_sm.flows import _post_video, _videos

    assert pytok_sm.PostResult is _posting_values.PostResult and pytok_sm.PostResult.__module__ == "pytok_sm"
    assert pytok_sm.UNCONFIRMED == _posting_values.UNCONFIRMED
    assert flows.VideoPostFlow is _post_video.VideoPostFlow and flows.VideoListFlow is _videos.VideoListFlow
    assert drivers.probe_video is _media.probe_video
    assert set(flows.FLOWS) >= {"browser", "post_video", "list_videos"} and all(
        getattr(flows, name) is not None for name in flows.__all__)
