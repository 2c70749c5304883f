"""Sign-in fixes of issue 19 without an app: normalisation, the both-modes opt-in, repeated headers, revocation."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
import warnings
from pathlib import Path

import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():  # chainlit's dependencies warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from config import ConfigError
from storage.auth import Authenticator, check_auth_settings
from storage.revocation import Revocations
from storage.settings import load_storage_settings
from storage.users import UserStore, add_or_update_user, normalize_name, normalize_password

SECRET = "u" * 48


def test_names_fold_width_case_and_canonical_equivalents() -> None:
    assert normalize_name("ＡＬＩＣＥ") == "alice"  # full-width
    assert normalize_name("\u212aim") == "kim"  # the Kelvin sign is canonically K (RFC 8265 keeps that)
    assert normalize_name("Straße") == "strasse"  # case folding, not lower()
    for bad in ("ä", "\u0430lice", "a\u200bb"):  # non-ASCII letters, a Cyrillic look-alike, a zero-width space
        with pytest.raises(ValueError):
            normalize_name(bad)


def test_passwords_are_nfc_with_plain_spaces_and_keep_their_case() -> None:
    nfd = unicodedata.normalize("NFD", "Café Crème")
    assert normalize_password(nfd) == unicodedata.normalize("NFC", "Café Crème")
    assert normalize_password("two\u00a0words") == "two words"
    assert normalize_password("CaSe") == "CaSe"


def test_a_password_matches_in_either_unicode_form(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_or_update_user(users, "dana", unicodedata.normalize("NFD", "café-secret"))  # stored normalised
    store = UserStore(users)
    assert store.verify("dana", unicodedata.normalize("NFC", "café-secret"))
    assert store.verify("DANA", unicodedata.normalize("NFD", "café-secret"))
    assert not store.verify("dana", "cafe-secret")


def test_hashes_made_before_normalising_keep_working(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_or_update_user(users, "erin", "placeholder-password")
    data = json.loads(users.read_text())
    nfd = unicodedata.normalize("NFD", "naïve-password")
    data["users"]["erin"]["hash"] = PasswordHasher().hash(nfd)  # as the old code stored what was typed
    users.write_text(json.dumps(data))
    assert UserStore(users).verify("erin", nfd)


def test_both_sign_in_modes_must_be_meant() -> None:
    both = {"AUTH_USERS_FILE": "/tmp/users.json", "AUTH_TRUSTED_HEADER": "X-Forwarded-User"}
    with pytest.raises(ConfigError, match="AUTH_HEADER_AND_PASSWORD=on"):
        load_storage_settings(both)
    meant = load_storage_settings({**both, "AUTH_HEADER_AND_PASSWORD": "on"})
    assert meant.users_file is not None and meant.trusted_header == "X-Forwarded-User"
    with pytest.raises(ConfigError, match="AUTH_HEADER_AND_PASSWORD must be on or off"):
        load_storage_settings({**both, "AUTH_HEADER_AND_PASSWORD": "maybe"})
    assert load_storage_settings({"AUTH_TRUSTED_HEADER": "X-Forwarded-User"}).trusted_header  # one mode: as before


async def test_a_header_sent_twice_signs_nobody_in() -> None:
    from starlette.datastructures import Headers

    auth = Authenticator(check_auth_settings({"AUTH_TRUSTED_HEADER": "X-Forwarded-User", "CHAINLIT_AUTH_SECRET": SECRET}))
    twice = Headers(raw=[(b"x-forwarded-user", b"alice"), (b"x-forwarded-user", b"mallory")])
    assert await auth.header_auth(twice) is None
    once = await auth.header_auth(Headers(raw=[(b"x-forwarded-user", b"Alice")]))
    assert once is not None and once.identifier == "alice"


def test_revoked_tokens_are_refused_until_they_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    import jwt

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)
    revocations = Revocations()
    token = jwt.encode({"identifier": "alice", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    assert not revocations.revoked(token)
    assert asyncio.run(revocations.revoke(token)) and revocations.revoked(token)
    forged = jwt.encode({"identifier": "alice", "exp": int(time.time()) + 60}, "another-secret-" * 4, algorithm="HS256")
    assert not asyncio.run(revocations.revoke(forged))  # only real login tokens are listed
    assert not asyncio.run(revocations.revoke("not a token"))
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    assert not revocations.revoked(token)  # expired anyway: the list forgets it
