from __future__ import annotations

import pytest

from chat.inputs import InputRejected, clean_user_text
from chat.options import SessionOptions, parse_session_options
from config import load_settings


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("a\x00b", "NUL"),
        ("bad \ud800 surrogate", "surrogate"),
        ("x" * 101, "limit"),
        (None, "could not be read"),
        (123, "could not be read"),
        ("\x01\x02\x03", "empty"),
    ],
)
def test_rejected(text: object, reason: str) -> None:
    with pytest.raises(InputRejected, match=reason):
        clean_user_text(text, 100)


def test_control_characters_removed_text_kept() -> None:
    assert clean_user_text("he\x07llo\tthere\nfriend\x1b", 100) == "hello\tthere\nfriend"


def test_emoji_and_non_latin_accepted() -> None:
    assert clean_user_text("Hei på deg 👋 你好", 100) == "Hei på deg 👋 你好"


SETTINGS = load_settings({})


def test_options_defaults_and_valid_updates() -> None:
    options, problems = parse_session_options({"model": "b", "temperature": 0.3, "max_tokens": 128}, SETTINGS, ["a", "b"])
    assert options == SessionOptions("b", 0.3, 128, "local") and problems == []


def test_policy_must_be_offered() -> None:
    options, problems = parse_session_options({"policy": "cloud"}, SETTINGS, ["a"], policies=("local", "cloud"))
    assert options.policy == "cloud" and not problems
    options, problems = parse_session_options({"policy": "cloud"}, SETTINGS, ["a"], policies=("local",))
    assert options.policy == "local" and problems


@pytest.mark.parametrize(
    "raw",
    [
        {"model": "evil"},
        {"model": ["a"]},
        {"temperature": "NaN"},
        {"temperature": 99},
        {"temperature": True},
        {"max_tokens": 0},
        {"max_tokens": 1.5},
        {"max_tokens": "1" * 400},
        {"policy": "yolo"},
        {"policy": 3},
    ],
)
def test_options_bad_values_keep_previous(raw: dict[str, object]) -> None:
    current = SessionOptions("a", 0.5, 256, "local")
    options, problems = parse_session_options(raw, SETTINGS, ["a"], current)
    assert options == current and len(problems) == 1


def test_options_not_a_mapping() -> None:
    options, problems = parse_session_options("junk", SETTINGS, ["a"])  # type: ignore[arg-type]
    assert options.model == "a" and problems
