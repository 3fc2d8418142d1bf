"""The error tree (issue 2, item 5): one root, attributes a person can act on, no secrets."""

from __future__ import annotations

import re

import pytest

import pytok_sm
from pytok_sm import _errors as errors
from pytok_sm._errors import (
    AccessTokenInvalid,
    AccountMismatch,
    ApiError,
    AuthorizationDenied,
    CallbackPortBusy,
    CallbackRejected,
    CallbackReplayed,
    ConfigurationError,
    FlowCancelled,
    FlowError,
    FlowTimeout,
    FlowUsageError,
    NotLoggedIn,
    OAuthError,
    ProtocolError,
    QrAnswerRefused,
    QrCodeError,
    QrCodeExpired,
    QrCodeUtilised,
    QrTicketMismatch,
    RateLimited,
    ReauthorizationRequired,
    ScopeError,
    SnapshotRejected,
    TikTokError,
    TokenStoreError,
    TransportError,
)
from pytok_sm._posting_errors import PostingError  # noqa: E402 - the posting branch is drawn in its own module
from pytok_sm.flows import StoreBusy  # noqa: E402 - the tree's leaves outside _errors
from pytok_sm.stores import CorruptRecord, DecryptionFailed, EncryptionUnavailable, StoreUnavailable  # noqa: E402

# The tree as drawn in the module docstring: class -> its direct parent.
TREE: dict[type[TikTokError], type[Exception]] = {
    ConfigurationError: TikTokError,
    FlowUsageError: TikTokError,
    FlowError: TikTokError,
    AuthorizationDenied: FlowError,
    FlowTimeout: FlowError,
    FlowCancelled: FlowError,
    CallbackPortBusy: FlowError,
    CallbackRejected: FlowError,
    CallbackReplayed: CallbackRejected,
    SnapshotRejected: FlowError,
    QrAnswerRefused: QrCodeError,
    AccountMismatch: ProtocolError,
    QrCodeError: FlowError,
    QrCodeExpired: QrCodeError,
    QrCodeUtilised: QrCodeError,
    QrTicketMismatch: QrCodeError,
    NotLoggedIn: TikTokError,
    TokenStoreError: TikTokError,
    OAuthError: TikTokError,
    ReauthorizationRequired: OAuthError,
    ApiError: TikTokError,
    AccessTokenInvalid: ApiError,
    ScopeError: ApiError,
    RateLimited: TikTokError,
    ProtocolError: TikTokError,
    TransportError: TikTokError,
}


#: Leaves of the tree defined beside the error module (the stores, the refresh protocol);
#: drawn in the same picture, exported from their own packages.
BESIDE: dict[type[TikTokError], type[Exception]] = {
    StoreUnavailable: TokenStoreError,
    CorruptRecord: TokenStoreError,
    DecryptionFailed: TokenStoreError,
    EncryptionUnavailable: TokenStoreError,
    StoreBusy: TokenStoreError,
    PostingError: ApiError,
}


def drawn_tree() -> dict[str, str]:
    """Parse the docstring drawing into {class name: parent name}."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^ {4}[│ ]*(?:[├└]── )?([A-Z]\w+)(\s|$)", line)  # the indented drawing only
        if not match:
            continue
        name = match.group(1)
        depth = line.index(name)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_docstring_drawing_lists_every_error_with_its_parent() -> None:
    assert drawn_tree() == {cls.__name__: parent.__name__ for cls, parent in {**TREE, **BESIDE}.items()}


@pytest.mark.parametrize(("cls", "parent"), {**TREE, **BESIDE}.items(), ids=lambda c: getattr(c, "__name__", ""))
def test_tree(cls: type[TikTokError], parent: type[Exception]) -> None:
    assert issubclass(cls, parent)
    assert issubclass(cls, TikTokError)
    assert cls.__bases__[0] is parent


def test_every_public_error_is_in_the_tree() -> None:
    public = {getattr(errors, name) for name in errors.__all__} - {TikTokError}
    assert public == set(TREE)


def test_every_error_class_is_exported_from_the_package() -> None:
    for cls in [TikTokError, *TREE]:
        assert getattr(pytok_sm, cls.__name__) is cls


def test_configuration_and_usage_errors_are_also_builtin_kinds() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(FlowUsageError, TypeError)


def test_root_carries_flow_and_state() -> None:
    error = FlowTimeout("gave up waiting", flow="browser", state="waiting_for_callback")
    assert (error.flow, error.state) == ("browser", "waiting_for_callback")
    assert error.message == "gave up waiting"
    assert repr(error) == "FlowTimeout('gave up waiting')"


# --------------------------------------------------------------------------- OAuth errors


def test_oauth_error_attributes() -> None:
    error = OAuthError("invalid_client", "Client key or secret is invalid.", log_id="L1", http_status=200)
    assert (error.error, error.description, error.log_id, error.http_status) == (
        "invalid_client", "Client key or secret is invalid.", "L1", 200,
    )
    assert str(error) == "invalid_client: check client_key and client_secret (Client key or secret is invalid.) (log_id L1)"


def test_oauth_error_without_log_id_has_no_empty_log_id_text() -> None:
    assert "log_id" not in str(OAuthError("invalid_scope"))


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("access_denied", "declined"),
        ("invalid_client", "check client_key and client_secret"),
        ("invalid_grant", "log in again"),
        ("invalid_request", "malformed"),
        ("invalid_scope", "developer portal"),
        ("unauthorized_client", "developer portal"),
        ("unsupported_grant_type", "not supported"),
        ("unsupported_response_type", "not supported"),
        ("server_error", "try again later"),
        ("temporarily_unavailable", "try again later"),
        ("brand_new_error", "refused"),
    ],
)
def test_oauth_error_message_tells_what_to_do(error: str, advice: str) -> None:
    text = str(OAuthError(error, log_id="L9"))
    assert text.startswith(f"{error}: ")
    assert advice in text
    assert text.endswith("(log_id L9)")


@pytest.mark.parametrize(
    ("error", "transient"),
    [("server_error", True), ("temporarily_unavailable", True), ("invalid_grant", False), ("invalid_client", False)],
)
def test_oauth_error_transient_flag(error: str, transient: bool) -> None:
    assert OAuthError(error).transient is transient


def test_reauthorization_required_message() -> None:
    error = ReauthorizationRequired("invalid_grant", "Refresh token is invalid.", log_id="2024X", http_status=400)
    assert str(error) == "invalid_grant: the refresh token is no longer valid; log in again (log_id 2024X)"
    assert (error.error, error.description, error.log_id, error.http_status) == (
        "invalid_grant", "Refresh token is invalid.", "2024X", 400,
    )
    assert not error.transient
    assert str(ReauthorizationRequired()) == "invalid_grant: the refresh token is no longer valid; log in again"


# --------------------------------------------------------------------------- API errors


def test_api_error_attributes() -> None:
    error = ApiError("invalid_params", "fields is invalid", log_id="L2", http_status=400)
    assert (error.code, error.api_message, error.log_id, error.http_status) == ("invalid_params", "fields is invalid", "L2", 400)
    assert str(error) == "invalid_params: fields is invalid (log_id L2)"
    assert error.message == str(error)  # .message is the root's full text; TikTok's own is .api_message


@pytest.mark.parametrize(("code", "transient"), [("internal_error", True), ("invalid_params", False)])
def test_api_error_transient_flag(code: str, transient: bool) -> None:
    assert ApiError(code).transient is transient


def test_api_error_subclasses_keep_the_attributes() -> None:
    error = AccessTokenInvalid("access_token_invalid", "The access token is invalid.", log_id="L3", http_status=401)
    assert (error.code, error.log_id, error.http_status) == ("access_token_invalid", "L3", 401)
    scope = ScopeError("scope_not_authorized", log_id="L4", http_status=401)
    assert (scope.code, scope.log_id) == ("scope_not_authorized", "L4")


# --------------------------------------------------------------------------- rate limits, protocol, transport


def test_rate_limited_attributes_and_message() -> None:
    error = RateLimited(retry_after=12.0, log_id="L5")
    assert (error.retry_after, error.log_id, error.http_status, error.code) == (12.0, "L5", 429, "rate_limit_exceeded")
    assert str(error) == "rate_limit_exceeded: TikTok's rate limit was hit; wait 12 s and try again (log_id L5)"
    assert error.transient
    assert "a minute" in str(RateLimited())
    assert RateLimited().retry_after is None


def test_protocol_error_attributes() -> None:
    error = ProtocolError("TikTok's answer is not valid JSON", http_status=502, log_id="L6")
    assert str(error) == "TikTok's answer is not valid JSON (HTTP 502) (log_id L6)"
    assert (error.http_status, error.log_id) == (502, "L6")
    assert error.transient
    assert not ProtocolError("odd", http_status=200).transient
    assert not ProtocolError("odd").transient


@pytest.mark.parametrize("sent", [True, False])
def test_transport_error_tells_whether_the_request_was_sent(sent: bool) -> None:
    error = TransportError("connection reset", sent=sent)
    assert error.sent is sent
    assert error.transient


def test_transport_error_requires_sent() -> None:
    with pytest.raises(TypeError):
        TransportError("x")  # type: ignore[call-arg]


# --------------------------------------------------------------------------- flow errors


def test_authorization_denied() -> None:
    error = AuthorizationDenied(description="The user denied the request", flow="browser")
    assert (error.error, error.description, error.flow) == ("access_denied", "The user denied the request", "browser")
    assert "declined" in str(error)
    assert not error.transient


def test_callback_port_busy_names_the_port() -> None:
    error = CallbackPortBusy(3456)
    assert error.port == 3456
    assert "3456" in str(error)
    assert "configure another port" in str(error)


def test_callback_rejected_keeps_the_reason() -> None:
    error = CallbackRejected("state mismatch")
    assert error.reason == "state mismatch"
    assert "start the login again" in str(error)


@pytest.mark.parametrize("cls", [QrCodeExpired, QrCodeUtilised, QrTicketMismatch])
def test_qr_errors_ask_for_a_new_qr_code(cls: type[QrCodeError]) -> None:
    error = cls(flow="qr", state="polling")
    assert "new" in str(error).lower() and "qr code" in str(error).lower()
    assert error.flow == "qr"


def test_not_logged_in_says_log_in_first() -> None:
    assert "log in first" in str(NotLoggedIn())
    assert "refresh token" in str(NotLoggedIn("refresh token"))


def test_configuration_error_field() -> None:
    error = ConfigurationError("port", "must be an integer 0..65535, got 70000")
    assert error.field == "port"
    assert str(error) == "port: must be an integer 0..65535, got 70000"


# --------------------------------------------------------------------------- transient flags


TRANSIENT = {
    FlowTimeout: True,
    RateLimited: True,
    TransportError: True,
    TikTokError: False,
    ConfigurationError: False,
    FlowUsageError: False,
    FlowError: False,
    AuthorizationDenied: False,
    FlowCancelled: False,
    CallbackPortBusy: False,
    CallbackRejected: False,
    QrCodeError: False,
    QrCodeExpired: False,
    QrCodeUtilised: False,
    QrTicketMismatch: False,
    NotLoggedIn: False,
}


@pytest.mark.parametrize(("cls", "transient"), TRANSIENT.items(), ids=lambda c: getattr(c, "__name__", ""))
def test_class_level_transient_flags(cls: type[TikTokError], transient: bool) -> None:
    assert cls.transient is transient


def test_every_error_can_be_made_with_its_documented_arguments() -> None:
    # Each class is constructible with its documented arguments and has a non-empty message.
    samples = [
        TikTokError("x"), ConfigurationError("f", "p"), FlowUsageError("x"), FlowError("x"), AuthorizationDenied(),
        FlowTimeout("x"), FlowCancelled("x"), CallbackPortBusy(1), CallbackRejected("r"), QrCodeError("x"),
        QrCodeExpired(), QrCodeUtilised(), QrTicketMismatch(), NotLoggedIn(), OAuthError("e"),
        ReauthorizationRequired(), ApiError("c"), AccessTokenInvalid("c"), ScopeError("c"), RateLimited(),
        ProtocolError("x"), TransportError("x", sent=False), TokenStoreError("x"), CallbackReplayed(),
        SnapshotRejected("r"), QrAnswerRefused("r"), AccountMismatch("w"),
    ]
    assert {type(s) for s in samples} == {TikTokError, *TREE}
    for sample in samples:
        assert str(sample)
        assert isinstance(sample, Exception)


def test_the_leaves_beside_the_error_module_can_be_made_and_read() -> None:
    samples = [StoreUnavailable("redis://h", "cannot be reached", "start it"), CorruptRecord("s", "k", "u", "p"),
               DecryptionFailed("s", "k", "u", "p"), EncryptionUnavailable(), StoreBusy("busy"),
               PostingError("invalid_params", "The chunk size is invalid", publish_id="v_pub_file~v2-1.1")]
    assert {type(s) for s in samples} == set(BESIDE)
    assert all(str(sample) for sample in samples)
