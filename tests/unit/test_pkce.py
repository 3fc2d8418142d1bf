"""PKCE and the random secrets of a login (issue 2, item 3)."""

from __future__ import annotations

import random
import re
import string

import pytest

from pytok_sm import _contract as contract
from pytok_sm import _pkce as pkce

VERIFIER_GRAMMAR = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
DRAWS = 1000


def test_tiktok_hex_challenge_vector() -> None:
    # docs/TIKTOK-API.md section 1: TikTok wants lower-case hex SHA-256 with method S256.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.hex_challenge(verifier) == "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_hex_challenge_shape() -> None:
    challenge = pkce.hex_challenge(pkce.new_verifier())
    assert re.fullmatch(r"[0-9a-f]{64}", challenge)


def test_s256_challenge_is_unpadded_base64url() -> None:
    challenge = pkce.s256_challenge(pkce.new_verifier())
    assert len(challenge) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge)


def test_challenges_differ_for_different_verifiers() -> None:
    a, b = "a" * 43, "b" * 43
    assert pkce.hex_challenge(a) != pkce.hex_challenge(b)
    assert pkce.s256_challenge(a) != pkce.s256_challenge(b)


def test_verifier_alphabet_is_rfc7636_unreserved() -> None:
    assert set(contract.VERIFIER_ALPHABET) == set(string.ascii_letters + string.digits + "-._~")


@pytest.mark.parametrize("length", [43, 64, 128])
def test_verifier_grammar_over_many_draws(length: int) -> None:
    for _ in range(DRAWS):
        verifier = pkce.new_verifier(length)
        assert len(verifier) == length
        assert VERIFIER_GRAMMAR.match(verifier), verifier


def test_verifiers_use_the_whole_alphabet() -> None:
    seen = set("".join(pkce.new_verifier(128) for _ in range(DRAWS)))
    assert seen == set(contract.VERIFIER_ALPHABET)


@pytest.mark.parametrize("make", [pkce.new_state, pkce.new_verifier, pkce.new_client_ticket])
def test_unique_over_many_draws(make) -> None:  # type: ignore[no-untyped-def]
    values = [make() for _ in range(DRAWS)]
    assert len(set(values)) == DRAWS


@pytest.mark.parametrize(
    ("make", "default_length"),
    [(pkce.new_state, 32), (pkce.new_verifier, 64), (pkce.new_client_ticket, 64)],
)
def test_default_lengths(make, default_length: int) -> None:  # type: ignore[no-untyped-def]
    assert len(make()) == default_length


@pytest.mark.parametrize("length", [22, 32, 100, 511])
def test_state_and_ticket_lengths_and_url_safety(length: int) -> None:
    for value in (pkce.new_state(length), pkce.new_client_ticket(length)):
        assert len(value) == length
        assert set(value) <= set(contract.VERIFIER_ALPHABET)


def test_client_ticket_needs_no_percent_encoding() -> None:
    from urllib.parse import quote

    ticket = pkce.new_client_ticket(511)
    assert quote(ticket, safe="") == ticket
    assert len(quote(ticket, safe="")) < contract.CLIENT_TICKET_MAX_ENCODED


@pytest.mark.parametrize("length", [0, 20, 42, 129, 1000, -1])
def test_out_of_range_verifier_length_raises(length: int) -> None:
    with pytest.raises(ValueError, match="43..128"):
        pkce.new_verifier(length)


def test_random_source_is_injectable() -> None:
    calls: list[tuple[str, int]] = []

    def fixed(alphabet: str, length: int) -> str:
        calls.append((alphabet, length))
        return alphabet[0] * length

    assert pkce.new_verifier(50, source=fixed) == "A" * 50
    assert pkce.new_state(24, source=fixed) == "A" * 24
    assert pkce.new_client_ticket(30, source=fixed) == "A" * 30
    assert calls == [(contract.VERIFIER_ALPHABET, 50), (contract.VERIFIER_ALPHABET, 24), (contract.VERIFIER_ALPHABET, 30)]


def test_seeded_source_is_deterministic() -> None:
    def seeded(seed: int):  # type: ignore[no-untyped-def]
        rng = random.Random(seed)
        return lambda alphabet, length: "".join(rng.choice(alphabet) for _ in range(length))

    assert pkce.new_verifier(source=seeded(7)) == pkce.new_verifier(source=seeded(7))
    assert pkce.new_verifier(source=seeded(7)) != pkce.new_verifier(source=seeded(8))


def test_system_random_draws_from_the_given_alphabet() -> None:
    value = pkce.system_random("xy", 200)
    assert len(value) == 200
    assert set(value) == {"x", "y"}
