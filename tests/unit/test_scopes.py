"""Scopes are checked against TikTok's documented list when a Config or a kit is made.

A misspelt scope used to pass, and the person met ``invalid_scope`` in the browser while the
program waited out its timeout. Now it is a :class:`ConfigurationError` naming the closest
documented scope; a scope the list does not know yet is asked for with a leading ``+``.
"""

from __future__ import annotations

import copy
import pickle
import urllib.parse

import pytest

from pytok_sm import AsyncLoginKit, Config, ConfigurationError, LoginKit
from pytok_sm import _contract as contract
from pytok_sm._tiktok import authorize_url, get_qrcode_request

from .conftest import CLIENT_KEY, CLIENT_SECRET


def scope_error(scopes: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        Config(CLIENT_KEY, CLIENT_SECRET, scopes=scopes)  # type: ignore[arg-type]
    assert caught.value.field == "scopes"
    return str(caught.value)


def sent_scope(config: Config) -> str:
    url = authorize_url(config, state="s" * 32, code_challenge="c" * 64, redirect_uri=config.redirect_uri or "")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["scope"][0]


# --------------------------------------------------------------------------- a misspelt scope


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("user.info.basci", "user.info.basic"),
        ("user.info.basic,user.info.stat", "user.info.stats"),
        ("video.lists", "video.list"),
        ("user.info.profil", "user.info.profile"),
        ("video.publsh", "video.publish"),
        ("portability.all.singel", "portability.all.single"),
    ],
)
def test_a_misspelt_scope_is_refused_naming_the_closest_documented_one(given: str, meant: str) -> None:
    message = scope_error(given)
    typo = [name for name in given.split(",") if name not in contract.DOCUMENTED_SCOPES][0]
    assert f"unknown scope '{typo}'; did you mean '{meant}'?" in message
    assert f"'+{typo}'" in message  # the way to insist, named in the message


def test_the_kits_refuse_it_when_they_are_made() -> None:
    for kit_class in (LoginKit, AsyncLoginKit):
        with pytest.raises(ConfigurationError, match=r"did you mean 'user\.info\.basic'\?"):
            kit_class(CLIENT_KEY, CLIENT_SECRET, scopes=["user.info.basci"])


def test_every_unknown_scope_is_named_at_once() -> None:
    message = scope_error("user.info.basci,video.lst,user.info.stats")
    assert "'user.info.basci'; did you mean 'user.info.basic'?" in message
    assert "'video.lst'; did you mean 'video.list'?" in message


def test_a_scope_like_nothing_documented_lists_the_documented_ones() -> None:
    message = scope_error("zzz.qqq")
    assert "unknown scope 'zzz.qqq'" in message and "did you mean" not in message
    assert "user.info.basic, user.info.profile, user.info.stats, video.list" in message
    assert "'+zzz.qqq'" in message


@pytest.mark.parametrize(
    ("given", "advice"),
    [
        ("User.Info.Basic", "did you mean 'user.info.basic'?"),
        ("user.info.basic user.info.stats", "separate scopes with commas"),
        ("user.info.basic;video.list", "separate scopes with commas"),
    ],
)
def test_malformed_names_get_advice_too(given: str, advice: str) -> None:
    assert advice in scope_error(given)


# --------------------------------------------------------------------------- the documented list


def test_the_documented_list_holds_the_login_kit_scopes_and_every_user_info_scope() -> None:
    documented = set(contract.DOCUMENTED_SCOPES)
    assert set(contract.KNOWN_SCOPES) <= documented
    assert set(contract.FIELD_SCOPES.values()) <= documented
    assert len(contract.DOCUMENTED_SCOPES) == len(documented)  # no duplicates


@pytest.mark.parametrize(
    "scope",
    ["artist.certification.read", "artist.certification.update", "portability.postsandprofile.ongoing",
     "portability.directmessages.single", "research.data.basic", "research.adlib.basic"],
)
def test_documented_scopes_beyond_login_kit_are_accepted(scope: str) -> None:
    assert Config(CLIENT_KEY, CLIENT_SECRET, scopes=scope).scopes == (scope,)


# --------------------------------------------------------------------------- '+': a scope the list does not know yet


def test_a_plus_asks_for_a_scope_the_list_does_not_know_and_is_not_sent() -> None:
    config = Config(CLIENT_KEY, CLIENT_SECRET, scopes="user.info.basic,+brand.new.scope")
    assert config.scopes == ("user.info.basic", "brand.new.scope")
    assert sent_scope(config) == "user.info.basic,brand.new.scope"
    form = dict(get_qrcode_request(config).form or ())
    assert form["scope"] == "user.info.basic,brand.new.scope"


def test_a_plus_works_in_a_list_and_on_a_documented_scope() -> None:
    config = LoginKit(CLIENT_KEY, CLIENT_SECRET, scopes=["+user.info.basic", " +brand.new.scope "]).config
    assert config.scopes == ("user.info.basic", "brand.new.scope")


def test_the_plus_wins_wherever_it_is_given_in_a_repeated_scope() -> None:
    assert Config(CLIENT_KEY, CLIENT_SECRET, scopes="brand.new.scope,+brand.new.scope").scopes == ("brand.new.scope",)


def test_a_declared_scope_survives_replace_copy_and_pickle() -> None:
    config = Config(CLIENT_KEY, CLIENT_SECRET, scopes="+brand.new.scope")
    assert config.replace(port=4000).scopes == ("brand.new.scope",)
    assert Config(CLIENT_KEY, CLIENT_SECRET, scopes=config.scopes).scopes == ("brand.new.scope",)
    assert copy.deepcopy(config.scopes) == ("brand.new.scope",)
    assert pickle.loads(pickle.dumps(config.scopes)) == ("brand.new.scope",)
    assert repr(config.scopes) == "('brand.new.scope',)"


def test_a_plus_does_not_excuse_a_malformed_name() -> None:
    assert "is not a scope name" in scope_error("+Brand New")
    assert "is not a scope name" in scope_error("+")
