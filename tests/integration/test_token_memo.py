"""A token checked once is trusted from memory only while the same checks would pass.

The memo spares a service re-checking the signature of the token a client sends with every
request. It must never make a token live longer than it would be checked to: past its
expiry, before its start (a clock set back), or longer than `REMEMBER_SECONDS` after the
check (a key withdrawn meanwhile). The stories swap the verifier's key after the first
check, so a request that is checked in full again is refused and shows it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.platform.auth import tokens
from shared.platform.auth.tokens import REMEMBER_SECONDS, TokenVerifier, Unauthenticated, mint
from shared.platform.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def checked(tmp_path, monkeypatch):
    """A verifier that has checked one clerk's token, then lost the key it was signed with,
    and a way to move the wall clock the memo reads."""
    auth = Settings(service="intake", data_dir=tmp_path).auth
    token = mint(auth, "clerk-wang", "clerk", ttl=timedelta(hours=1))
    verifier = TokenVerifier(auth)
    first = verifier.verify(token)
    verifier._key = b"a key the token was not signed with, 32 bytes long"
    real = tokens.wall_clock()

    def at(offset: timedelta) -> None:
        monkeypatch.setattr(tokens, "wall_clock", lambda: real + offset)

    return verifier, token, first, at


def test_the_same_token_again_is_admitted_from_memory(checked):
    verifier, token, first, _ = checked

    assert verifier.verify(token) == first


def test_a_remembered_token_still_expires(checked):
    verifier, token, _, at = checked
    at(timedelta(hours=1, seconds=verifier.leeway + 1))

    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_clock_set_back_before_the_token_began_checks_it_again(checked):
    verifier, token, _, at = checked
    at(-timedelta(seconds=verifier.leeway + 60))

    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_check_is_trusted_for_a_bounded_time_only(checked):
    verifier, token, first, at = checked
    at(timedelta(seconds=REMEMBER_SECONDS - 5))
    assert verifier.verify(token) == first

    at(timedelta(seconds=REMEMBER_SECONDS + 1))
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def test_a_refused_token_is_not_remembered(tmp_path):
    auth = Settings(service="intake", data_dir=tmp_path).auth
    verifier = TokenVerifier(auth)
    forged = mint(auth, "clerk-wang", "clerk") + "x"

    for _ in range(2):
        with pytest.raises(Unauthenticated):
            verifier.verify(forged)
