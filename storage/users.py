"""The users file behind password login: names and Argon2id hashes, JSON, mode 0600.

    {"version": 1,
     "users": {"alice": {"hash": "$argon2id$v=19$m=65536,t=3,p=4$…", "created_at": "…", "updated_at": "…"}}}

Names are case-insensitive: letters, digits and `._@+-`, starting with a letter or digit, at most
128 characters (an e-mail address fits). Both name and password are normalised as RFC 8265
(PRECIS) does for user names and passwords, at sign-in and in `scripts/add_user.py` alike:

- a name: NFKC (full-width `ａｌｉｃｅ` is `alice`; the Kelvin sign U+212A *is* K, canonically),
  then case-folded (`ALICE`, `Alice` are `alice`), then checked against the ASCII pattern above;
- a password: non-ASCII spaces become U+0020, then NFC (`é` typed as one character or as `e` and a
  combining accent is the same password), no case folding. Passwords: 8 to 1024 characters.

Hashes stored before passwords were normalised keep working: when the normalised password does not
match and differs from what was typed, the typed form is tried too.
Hashes come from argon2-cffi (Argon2id, its RFC 9106 low-memory profile: 64 MiB, 3 passes), each
with its own random salt. The file is re-read when it changes, so `scripts/add_user.py` takes
effect without a restart; it is written atomically (temporary file + rename) under a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "UserStore",
    "UsersFileError",
    "add_or_update_user",
    "check_password",
    "load_users",
    "normalize_name",
    "normalize_password",
]

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
FILE_VERSION = 1
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,127}$")
_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


class UsersFileError(Exception):
    """The users file is missing, unreadable or malformed (one line, naming the file)."""


def normalize_name(name: str) -> str:
    """The stored form of a user name; ValueError (one line) when it is not acceptable."""
    candidate = unicodedata.normalize("NFKC", name).strip().casefold() if isinstance(name, str) else ""
    if not _NAME.match(candidate):
        raise ValueError(
            "user names are 1-128 characters: letters, digits and . _ @ + -, starting with a letter or digit"
        )
    return candidate


def normalize_password(password: str) -> str:
    """RFC 8265 OpaqueString: non-ASCII spaces to U+0020, then NFC."""
    spaced = "".join(" " if unicodedata.category(c) == "Zs" else c for c in password)
    return unicodedata.normalize("NFC", spaced)


def check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ValueError(f"passwords are {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long")
    if "\x00" in password:
        raise ValueError("passwords cannot contain NUL characters")


def load_users(path: Path) -> dict[str, dict[str, Any]]:
    """The users in `path`, validated; UsersFileError when it cannot be used."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsersFileError(f"{path} does not exist: create it with scripts/add_user.py NAME") from None
    except OSError as exc:
        raise UsersFileError(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsersFileError(
            f"{path} is not valid JSON (line {exc.lineno}): recreate it with scripts/add_user.py"
        ) from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict) or data.get("version") != FILE_VERSION:
        raise UsersFileError(f'{path} is not a users file (expected {{"version": 1, "users": {{...}}}})')
    for name, entry in users.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise UsersFileError(f"{path}: user name {str(name)[:40]!r} is not valid")
        if not isinstance(entry, dict) or not str(entry.get("hash", "")).startswith("$argon2"):
            raise UsersFileError(f"{path}: user {name!r} has no Argon2 hash")
    return users


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def add_or_update_user(path: Path, name: str, password: str) -> bool:
    """Add `name` or replace its password; True when the user is new. ValueError / UsersFileError."""
    user = normalize_name(name)
    password = normalize_password(password)
    check_password(password)
    hashed = _HASHER.hash(password)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with _locked(path):
        users = load_users(path) if path.exists() else {}
        created = user not in users
        entry = dict(users.get(user) or {"created_at": now})
        entry.update(hash=hashed, updated_at=now)
        users[user] = entry
        _write_atomic(path, {"version": FILE_VERSION, "users": users})
    return created


class UserStore:
    """Verifies passwords against the users file, re-reading it when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._dummy: str | None = None

    def users(self) -> dict[str, dict[str, Any]]:
        """The current users; UsersFileError when the file cannot be used."""
        st = self.path.stat() if self.path.exists() else None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino) if st else None
        with self._lock:
            if stamp is None or stamp != self._stamp:
                self._users = load_users(self.path)
                self._stamp = stamp
            return self._users

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = _HASHER.hash(os.urandom(16).hex())
        return self._dummy

    def verify(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s. Unknown names cost one hash too, so timing does not tell them apart."""
        try:
            user = normalize_name(name)
        except ValueError:
            user = ""
        entry = self.users().get(user) if user else None
        hashed = str(entry["hash"]) if entry else self._dummy_hash()
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            password = ""
        normal = normalize_password(password)
        ok = _matches(hashed, normal)
        if not ok and entry is not None and normal != password:
            ok = _matches(hashed, password)  # a hash made before passwords were normalised
        return bool(ok and entry is not None)


def _matches(hashed: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(hashed, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
