"""verify(): TikTok's signature scheme, every check, and nothing secret in any failure."""

from __future__ import annotations

import hmac
import pickle
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytok_sm import ConfigurationError, TikTokError
from pytok_sm.webhooks import (
    SignatureMalformed,
    SignatureMismatch,
    SignatureMissing,
    TimestampOutOfRange,
    WebhookError,
    _verify,
    sign,
    verify,
)

from .helpers import DOCUMENTED, DOCUMENTED_HEADER, OTHER_SECRET, SECRET, T, header, signature

BODY = DOCUMENTED["authorization.removed"]


def check(body: bytes = BODY, value: str | None = None, *, secret: object = SECRET, now: float = T + 1,
          tolerance: float = 300.0) -> int:
    return verify(body, header(body) if value is None else value, client_secret=secret,  # type: ignore[arg-type]
                  now=now, tolerance=tolerance)


def test_a_delivery_signed_as_tiktok_documents_passes_and_gives_its_timestamp() -> None:
    assert check() == T
    assert verify(bytearray(BODY), header(BODY), client_secret=SECRET, now=T) == T  # type: ignore[arg-type]


def test_sign_makes_the_header_tiktok_sends() -> None:
    assert sign(BODY, SECRET, timestamp=T) == f"t={T},s={signature(BODY)}"


def test_tiktoks_documented_header_reads_as_one_timestamp_and_one_signature() -> None:
    timestamp, candidates = _verify.parse_header(DOCUMENTED_HEADER)
    assert timestamp == "1633174587" and candidates == [DOCUMENTED_HEADER.split("s=")[1]]
    # Its body and secret are not published, so it cannot match ours: a mismatch, not a malformed header.
    with pytest.raises(SignatureMismatch):
        verify(BODY, DOCUMENTED_HEADER, client_secret=SECRET, now=1633174587)


@pytest.mark.parametrize("position", [0, 1, 17, len(BODY) // 2, len(BODY) - 2, len(BODY) - 1])
def test_a_body_changed_by_one_byte_is_refused(position: int) -> None:
    tampered = bytearray(BODY)
    tampered[position] ^= 0x01
    with pytest.raises(SignatureMismatch):
        check(bytes(tampered), header(BODY))


def test_every_single_byte_change_is_refused() -> None:
    for position in range(len(BODY)):
        tampered = bytearray(BODY)
        tampered[position] = (tampered[position] + 1) % 256
        with pytest.raises(SignatureMismatch):
            check(bytes(tampered), header(BODY))
    with pytest.raises(SignatureMismatch):
        check(BODY + b"\n", header(BODY))
    with pytest.raises(SignatureMismatch):
        check(BODY[:-1], header(BODY))


def test_a_wrong_secret_is_a_mismatch_and_key_rotation_accepts_either() -> None:
    with pytest.raises(SignatureMismatch):
        check(secret=OTHER_SECRET)
    assert check(secret=[OTHER_SECRET, SECRET]) == T
    assert check(value=header(BODY, OTHER_SECRET), secret=(SECRET, OTHER_SECRET)) == T
    with pytest.raises(SignatureMismatch):
        check(value=header(BODY, "a third secret"), secret=[SECRET, OTHER_SECRET])


def test_the_signed_timestamp_is_part_of_the_signature() -> None:
    with pytest.raises(SignatureMismatch):
        check(value=f"t={T + 1},s={signature(BODY)}", now=T + 1)


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        (T + 300, "ok"),
        (T + 300.001, "stale"),
        (T + 86_400, "stale"),
        (T - 300, "ok"),
        (T - 300.001, "future"),
        (T - 3600, "future"),
        (T, "ok"),
    ],
    ids=["stale-edge-inside", "stale-edge-outside", "a-day-old", "future-edge-inside", "future-edge-outside",
         "an-hour-ahead", "now"],
)
def test_the_timestamp_may_be_at_most_the_tolerance_away_either_way(now: float, outcome: str) -> None:
    if outcome == "ok":
        assert check(now=now) == T
        return
    with pytest.raises(TimestampOutOfRange) as caught:
        check(now=now)
    assert caught.value.stale is (outcome == "stale")
    assert ("old" in str(caught.value)) is (outcome == "stale")
    assert ("in the future" in str(caught.value)) is (outcome == "future")
    assert caught.value.tolerance == 300.0


def test_the_tolerance_is_the_callers_and_zero_means_this_second() -> None:
    assert check(now=T + 30, tolerance=30) == T
    with pytest.raises(TimestampOutOfRange):
        check(now=T + 31, tolerance=30)
    assert check(now=T, tolerance=0) == T
    with pytest.raises(TimestampOutOfRange):
        check(now=T + 1, tolerance=0)


def test_the_signature_is_checked_before_the_timestamp() -> None:
    forged = f"t={T - 10_000},s={'0' * 64}"
    with pytest.raises(SignatureMismatch):
        check(value=forged, now=T)


def test_the_default_clock_is_the_wall_clock() -> None:
    assert verify(BODY, sign(BODY, SECRET), client_secret=SECRET) > 1_600_000_000
    with pytest.raises(TimestampOutOfRange):
        verify(BODY, header(BODY, t=T), client_secret=SECRET)  # 2023: long stale


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_header_is_signature_missing(value: str | None) -> None:
    with pytest.raises(SignatureMissing) as caught:
        verify(BODY, value, client_secret=SECRET, now=T)
    assert caught.value.status == 401 and caught.value.check == "signature_missing"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"s={'a' * 64}", "no t="),
        (f"t={T},t={T},s={'a' * 64}", "more than one t="),
        (f"t={T}, t = {T}, s={'a' * 64}", "more than one t="),
        (f"t={T}", "no s="),
        (f"t={T},s=", "no s= value"),
        (f"t={T},s=xyz", "no s= value"),
        (f"t={T},s={'g' * 64}", "no s= value"),
        (f"t=-{T},s={'a' * 64}", "t= is not"),
        (f"t={T}.5,s={'a' * 64}", "t= is not"),
        (f"t=,s={'a' * 64}", "t= is not"),
        (f"t=１２３,s={'a' * 64}", "t= is not"),
        (f"t=1{'0' * 20},s={'a' * 64}", "t= is not"),
        (f"t={T};s={'a' * 64}", "t= is not"),
        ("garbage", "no '='"),
        (f"t={T},s={'a' * 64}," + "s=b," * 10, "more than 8"),
        ("t=1," + "x" * 5000, "longer than"),
    ],
)
def test_a_malformed_header_says_what_is_wrong_without_quoting_it(value: str, problem: str) -> None:
    with pytest.raises(SignatureMalformed) as caught:
        verify(BODY, value, client_secret=SECRET, now=T)
    assert problem in str(caught.value)
    assert caught.value.status == 401
    assert value not in str(caught.value) or len(value) < 3


def test_several_signatures_pass_when_any_one_matches_in_any_order_and_case() -> None:
    good = signature(BODY)
    assert check(value=f"t={T},s={'0' * 64},s={good}") == T
    assert check(value=f"s={good.upper()}, t={T} ,s=nothex") == T
    assert check(value=f" t = {T} , s = {good} , v1=unknown-scheme ,, ") == T
    with pytest.raises(SignatureMismatch):
        check(value=f"t={T},s={'0' * 64},s={'1' * 64}")


def test_every_candidate_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module calls hmac.compare_digest
    good = signature(BODY)
    check(value=f"t={T},s={good},s={'0' * 64}", secret=[SECRET, OTHER_SECRET])
    # No early exit: both candidates against both secrets, even though the first matched.
    assert len(compared) == 4 and (good, good) in compared


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.none(), st.text(max_size=300), st.binary(max_size=100)), body=st.binary(max_size=200))
def test_garbage_headers_raise_only_webhook_errors(value: object, body: bytes) -> None:
    try:
        verify(body, value, client_secret=SECRET, now=T)  # type: ignore[arg-type]
    except WebhookError:
        pass


ELEMENTS = st.sampled_from(["t=", "s=", f"t={T}", f"s={signature(BODY)}", "=", ",", " ", "t", "s", "0", "a" * 64,
                            "\x00", "é", "t==1", "s=" + "F" * 64, "v1=x", "\n"])


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(ELEMENTS, max_size=12))
def test_headers_built_from_the_grammar_raise_only_webhook_errors_or_pass_when_genuine(parts: list[str]) -> None:
    value = ",".join(parts)
    try:
        assert verify(BODY, value, client_secret=SECRET, now=T) == T
    except WebhookError as error:
        assert SECRET not in str(error)


def test_bad_settings_are_configuration_errors_naming_no_secret() -> None:
    for secret in ("", [], ["ok", ""], b"bytes", None, ["x"] * 9):
        with pytest.raises(ConfigurationError) as caught:
            verify(BODY, header(BODY), client_secret=secret, now=T)  # type: ignore[arg-type]
        assert caught.value.field == "client_secret"
    for tolerance in (-1, float("nan"), float("inf"), True, "300", 86_401):
        with pytest.raises(ConfigurationError, match="tolerance"):
            verify(BODY, header(BODY), client_secret=SECRET, tolerance=tolerance, now=T)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="raw bytes"):
        verify(BODY.decode(), header(BODY), client_secret=SECRET, now=T)  # type: ignore[arg-type]


def failures() -> list[WebhookError]:
    found: list[WebhookError] = []
    for value, now in [(None, T), (f"t={T}", T), (f"t={T},s={'0' * 64}", T), (header(BODY), T + 999),
                       (header(BODY), T - 999)]:
        try:
            verify(BODY, value, client_secret=[SECRET, OTHER_SECRET], now=now)
        except WebhookError as error:
            found.append(error)
    assert [type(e) for e in found] == [SignatureMissing, SignatureMalformed, SignatureMismatch,
                                         TimestampOutOfRange, TimestampOutOfRange]
    return found


def test_no_failure_holds_the_secret_the_body_or_the_expected_signature() -> None:
    expected = signature(BODY)
    for error in failures():
        for text in (str(error), repr(error), pickle.dumps(error).decode("latin-1")):
            assert SECRET not in text and OTHER_SECRET not in text
            assert expected not in text
            assert "bwo2m45353a6k85" not in text and "act.example" not in text
        # Error reporters that show every frame's locals (Sentry's default) see no secret in
        # pytok_sm's frames either (the first frame is this test's, which holds the header).
        assert error.__traceback__ is not None
        inner = error.__traceback__.tb_next
        report = "".join(traceback.TracebackException(type(error), error, inner, capture_locals=True).format())
        assert "hushed" in report
        assert SECRET not in report and OTHER_SECRET not in report and expected not in report


def test_the_errors_join_the_one_tree_and_pickle_with_their_fields() -> None:
    for error in failures():
        assert isinstance(error, WebhookError) and isinstance(error, TikTokError)
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__
        assert copy.status == 401 and copy.check == error.check
    stale = failures()[3]
    assert isinstance(stale, TimestampOutOfRange) and stale.stale and round(stale.age) == 999
