"""Users file, scripts/add_user.py, login callbacks, and the settings that turn auth and persistence on."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from config import PROJECT_ROOT, ConfigError
from storage.auth import Authenticator, check_auth_settings, ensure_local_secret
from storage.sanitize import sanitize_session_metadata
from storage.settings import DEFAULT_DB_URL, load_storage_settings
from storage.users import UsersFileError, UserStore, add_or_update_user, load_users, normalize_name

ADD_USER = PROJECT_ROOT / "scripts" / "add_user.py"
SECRET = "s" * 48


def add_user(path: Path, name: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AUTH_USERS_FILE"}
    return subprocess.run(
        [sys.executable, str(ADD_USER), name, "--file", str(path)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


# --- users file and scripts/add_user.py ----------------------------------------------------------
def test_add_user_script_creates_and_updates(tmp_path: Path) -> None:
    users = tmp_path / "auth" / "users.json"
    done = add_user(users, "Alice", "correct horse\n")
    assert done.returncode == 0, done.stderr
    assert "added user alice" in done.stdout
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    first = load_users(users)["alice"]
    assert first["hash"].startswith("$argon2id$") and "correct horse" not in users.read_text()

    done = add_user(users, "alice", "battery staple\n")
    assert done.returncode == 0 and "updated user alice" in done.stdout
    second = load_users(users)["alice"]
    assert second["hash"] != first["hash"] and second["created_at"] == first["created_at"]
    store = UserStore(users)
    assert store.verify("ALICE", "battery staple") and not store.verify("alice", "correct horse")


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [("bad name!", "long enough\n", "user names"), ("bob", "short\n", "8 to 1024"), ("bob", "", "8 to 1024")],
)
def test_add_user_script_rejects(tmp_path: Path, name: str, stdin: str, message: str) -> None:
    done = add_user(tmp_path / "users.json", name, stdin)
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "users.json").exists()


def test_add_user_script_reads_only_one_line(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    assert add_user(users, "carol", "pass word with spaces\nsecond line\n").returncode == 0
    assert UserStore(users).verify("carol", "pass word with spaces")


def test_unknown_users_cost_a_hash_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing must not tell a known name from an unknown or malformed one: each costs one Argon2
    verification against a hash with the same parameters (counted, not timed: argon2 runs four
    lanes, and on two shared cores a clock says more about the other test workers than about this)."""
    import storage.users as users_module

    users = tmp_path / "users.json"
    add_or_update_user(users, "alice", "correct horse")
    store = UserStore(users)
    calls: list[str] = []
    real = users_module._HASHER

    class Counting:
        def hash(self, password: str) -> str:
            return real.hash(password)

        def verify(self, hashed: str, password: str) -> bool:
            calls.append(hashed.rsplit("$", 2)[0])  # "$argon2id$v=19$m=…,t=…,p=…": the cost, not the salt
            return real.verify(hashed, password)

    monkeypatch.setattr(users_module, "_HASHER", Counting())
    costs = {}
    for name in ("alice", "nobody", "not a name!", ""):
        calls.clear()
        assert not store.verify(name, "wrong password")
        costs[name] = list(calls)
    assert all(len(c) == 1 for c in costs.values()), costs
    assert len({c[0] for c in costs.values()}) == 1, costs


def test_users_file_is_reread_when_changed(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_or_update_user(users, "alice", "correct horse")
    store = UserStore(users)
    assert not store.verify("bob", "bob password")
    add_or_update_user(users, "bob", "bob password")
    assert store.verify("bob", "bob password")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"users": {}}', "not a users file"),
        ('{"version": 1, "users": {"alice": {"hash": "plaintext"}}}', "no Argon2 hash"),
        ('{"version": 1, "users": {"Bad Name": {"hash": "$argon2id$x"}}}', "not valid"),
    ],
)
def test_malformed_users_file(tmp_path: Path, content: str, message: str) -> None:
    users = tmp_path / "users.json"
    users.write_text(content)
    with pytest.raises(UsersFileError, match=message):
        load_users(users)


def test_names() -> None:
    assert normalize_name(" Alice@Example.COM ") == "alice@example.com"
    for bad in ("", "-x", "a b", "ä", "x" * 129, "../etc"):
        with pytest.raises(ValueError):
            normalize_name(bad)


# --- login callbacks -----------------------------------------------------------------------------
async def test_password_auth(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_or_update_user(users, "alice", "correct horse")
    auth = Authenticator(check_auth_settings({"AUTH_USERS_FILE": str(users), "CHAINLIT_AUTH_SECRET": SECRET}))
    user = await auth.password_auth("Alice", "correct horse")
    assert user is not None and user.identifier == "alice" and user.metadata == {"provider": "password"}
    assert await auth.password_auth("alice", "wrong horse") is None
    assert await auth.password_auth("mallory", "correct horse") is None
    users.write_text("garbage")
    assert await auth.password_auth("alice", "correct horse") is None  # logged, not raised


async def test_header_and_local_auth() -> None:
    auth = Authenticator(
        check_auth_settings({"AUTH_TRUSTED_HEADER": "X-Forwarded-User", "CHAINLIT_AUTH_SECRET": SECRET})
    )
    user = await auth.header_auth({"X-Forwarded-User": "Bob"})
    assert user is not None and user.identifier == "bob"
    assert await auth.header_auth({}) is None
    assert await auth.header_auth({"X-Forwarded-User": "bob; drop table"}) is None
    local = await Authenticator(load_storage_settings({})).local_auth({})
    assert local.identifier == "local"


# --- settings ------------------------------------------------------------------------------------
def test_auth_needs_a_secret(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    add_or_update_user(users, "alice", "correct horse")
    for env in ({"AUTH_USERS_FILE": str(users)}, {"AUTH_TRUSTED_HEADER": "X-User"}):
        with pytest.raises(ConfigError, match="CHAINLIT_AUTH_SECRET is required") as info:
            check_auth_settings(env)
        assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="at least 32"):
        check_auth_settings({"AUTH_USERS_FILE": str(users), "CHAINLIT_AUTH_SECRET": "short"})


def test_users_file_problems_name_the_variable(tmp_path: Path) -> None:
    base = {"CHAINLIT_AUTH_SECRET": SECRET}
    with pytest.raises(ConfigError, match="AUTH_USERS_FILE: .* does not exist"):
        check_auth_settings({**base, "AUTH_USERS_FILE": str(tmp_path / "missing.json")})
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"version": 1, "users": {}}))
    with pytest.raises(ConfigError, match="has no users"):
        check_auth_settings({**base, "AUTH_USERS_FILE": str(empty)})


@pytest.mark.parametrize("name", ["DATABASE_URL", "LITERAL_API_KEY"])
def test_chainlits_own_variables_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is set: .*CHAT_DB_URL") as info:
        load_storage_settings({name: "postgresql://u:p@h/db"})
    assert "u:p" not in str(info.value)


def test_database_urls() -> None:
    assert load_storage_settings({}).db_url == DEFAULT_DB_URL
    assert DEFAULT_DB_URL.endswith(f"{PROJECT_ROOT}/data/chat.db")
    assert load_storage_settings({"CHAT_DB_URL": "off"}).db_url is None
    relative = load_storage_settings({"CHAT_DB_URL": "sqlite+aiosqlite:///data/x.db"}).db_url
    assert relative == f"sqlite+aiosqlite:///{PROJECT_ROOT}/data/x.db"
    assert load_storage_settings({"CHAT_DB_URL": "sqlite:////tmp/x.db"}).db_url == "sqlite+aiosqlite:////tmp/x.db"
    pg = load_storage_settings({"CHAT_DB_URL": "postgres://u:p%40ss@db:5432/chat"}).db_url
    assert pg == "postgresql+asyncpg://u:p%40ss@db:5432/chat"
    for bad, message in (
        ("mysql://u:hunter2@h/db", "SQLite or PostgreSQL"),
        ("sqlite+aiosqlite:///:memory:", "in-memory"),
        ("not a url", "database URL"),
    ):
        with pytest.raises(ConfigError, match=message) as info:
            load_storage_settings({"CHAT_DB_URL": bad})
        assert "hunter2" not in str(info.value)


def test_trusted_header_names() -> None:
    assert load_storage_settings({"AUTH_TRUSTED_HEADER": "X-Forwarded-User"}).trusted_header == "X-Forwarded-User"
    for bad in ("Cookie", "X User", "Authorization"):
        with pytest.raises(ConfigError, match="AUTH_TRUSTED_HEADER"):
            load_storage_settings({"AUTH_TRUSTED_HEADER": bad})


def test_local_mode_keeps_a_generated_secret(tmp_path: Path) -> None:
    settings = load_storage_settings({"CHAT_DB_URL": f"sqlite+aiosqlite:///{tmp_path}/db/chat.db", "LOCAL_HISTORY": "on"})
    assert settings.local_mode and not settings.auth_on
    env: dict[str, str] = {}
    ensure_local_secret(settings, env)
    secret = env["CHAINLIT_AUTH_SECRET"]
    assert len(secret) >= 32 and stat.S_IMODE(settings.secret_file.stat().st_mode) == 0o600
    again: dict[str, str] = {}
    ensure_local_secret(settings, again)
    assert again["CHAINLIT_AUTH_SECRET"] == secret
    given = {"CHAINLIT_AUTH_SECRET": SECRET}
    ensure_local_secret(settings, given)
    assert given["CHAINLIT_AUTH_SECRET"] == SECRET
    off: dict[str, str] = {}
    ensure_local_secret(load_storage_settings({"CHAT_DB_URL": "off"}), off)
    assert off == {}


# --- sanitize ------------------------------------------------------------------------------------
def test_sanitize_session_metadata() -> None:
    class Client:
        pass

    cleaned = sanitize_session_metadata(
        {
            "options": {"model": "m", "temperature": 0.5, "max_tokens": 64, "policy": None},
            "chat_settings": {"model": "m"},
            "chat_profile": "foundry-chat",
            "history": [{"role": "user", "content": "hi"}],
            "env": {"OPENAI_API_KEY": "x"},
            "user": {"identifier": "alice"},
            "id": "session",
            "api_key": "x",
            "apiKey": "x",
            "openai_client": Client(),
            "accessToken": "x",
            "db_password": "x",
            "nested": {
                "refresh_token": "x",
                "keep": [1, 2.5, float("nan"), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"],
            },
            "pasted": "sk-proj-abcdefghijklmnopqrstuvwxyz",
            "removed": None,
            3: "non-string key",
        }
    )
    assert cleaned == {
        "options": {"model": "m", "temperature": 0.5, "max_tokens": 64, "policy": None},
        "chat_settings": {"model": "m"},
        "chat_profile": "foundry-chat",
        "nested": {"keep": [1, 2.5]},
        "removed": None,
    }
    assert sanitize_session_metadata(None) == {}


def test_local_history_is_the_default_on_loopback_only() -> None:
    assert load_storage_settings({}).local_mode  # chainlit's default host is 127.0.0.1
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        settings = load_storage_settings({"CHAINLIT_HOST": host})
        assert settings.local_mode and settings.history_note() is None, host
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.org"):
        settings = load_storage_settings({"CHAINLIT_HOST": host})
        assert not settings.local_mode, host
        assert f"bound to {host} without sign-in" in (settings.history_note() or ""), host
    assert load_storage_settings({"CHAINLIT_HOST": "0.0.0.0", "LOCAL_HISTORY": "on"}).local_mode
    off = load_storage_settings({"LOCAL_HISTORY": "off"})
    assert not off.local_mode and "LOCAL_HISTORY=off" in (off.history_note() or "")
    assert load_storage_settings({"LOCAL_HISTORY": "auto"}).local_mode
    users = load_storage_settings({"AUTH_USERS_FILE": "users.json"})
    assert not users.local_mode and users.history_note() is None
    assert not load_storage_settings({"LOCAL_HISTORY": "on", "CHAT_DB_URL": "off"}).local_mode
    with pytest.raises(ConfigError, match="LOCAL_HISTORY"):
        load_storage_settings({"LOCAL_HISTORY": "maybe"})
