#!/usr/bin/env python3
"""Add a user to the users file for password login, or change their password.

    scripts/add_user.py NAME                  # asks for the password twice (no echo) on a terminal
    printf '%s\n' "$PASSWORD" | scripts/add_user.py NAME   # or reads one line from a pipe

The file is AUTH_USERS_FILE (from the environment or .env), or --file PATH. It is created with
mode 0600 if missing. Names are case-insensitive; passwords are 8 to 1024 characters. Both are
normalised as sign-in normalises them (storage/users.py: RFC 8265).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.users import (  # noqa: E402
    UsersFileError,
    add_or_update_user,
    check_password,
    normalize_name,
    normalize_password,
)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise ValueError("the passwords do not match")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="user name (letters, digits, . _ @ + -)")
    parser.add_argument("--file", type=Path, help="users file (default: $AUTH_USERS_FILE)")
    args = parser.parse_args(argv)
    if args.file is None:
        try:
            from dotenv import load_dotenv

            load_dotenv(ROOT / ".env", override=False)
        except ImportError:
            pass
        raw = (os.environ.get("AUTH_USERS_FILE") or "").strip()
        if not raw:
            print("add_user: set AUTH_USERS_FILE or pass --file PATH", file=sys.stderr)
            return 2
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else ROOT / path  # as the app resolves it
    else:
        path = args.file.expanduser().resolve()
    try:
        name = normalize_name(args.name)
        password = _read_password()
        check_password(normalize_password(password.rstrip("\r")))  # as stored and as checked at sign-in
        created = add_or_update_user(path, name, password.rstrip("\r"))
    except (ValueError, UsersFileError) as exc:
        print(f"add_user: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"{'added' if created else 'updated'} user {name} in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
