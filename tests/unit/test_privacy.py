"""The privacy guard's detector: what must be caught, what must pass, and safe previews."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from privacy import KINDS, Finding
from privacy.scan import is_private, scan_conversation, scan_text

_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
_KEY_BODY = "-----BEGIN {}PRIVATE KEY{}-----\nMIIEpAIBAAKCAQEA7bq3Xy9Zk\n-----END PRIVATE KEY-----"

# (kind, text, the secret that must never appear in the preview)
POSITIVES: list[tuple[str, str, str]] = [
    ("email", "Contact me at john.doe@example.com today", "john.doe@example.com"),
    ("email", "kari.nordmann+test@firma.co.uk", "kari.nordmann+test@firma.co.uk"),
    ("email", "mailto:a@b.io", "a@b.io"),
    ("email", "send it to Ola.Normann@nav.no.", "Ola.Normann@nav.no"),
    ("phone", "Call me at +47 912 34 567 after five.", "912 34 567"),
    ("phone", "+1 (555) 123-4567", "123-4567"),
    ("phone", "Office: 555-123-4567", "555-123-4567"),
    ("phone", "(555) 123-4567", "(555) 123-4567"),
    ("phone", "Ring meg på 912 34 567.", "912 34 567"),
    ("phone", "Mobil 91 23 45 67", "91 23 45 67"),
    ("phone", "tel:+4791234567", "+4791234567"),
    ("phone", "+44 20 7946 0958", "7946 0958"),
    ("card", "card 4242 4242 4242 4242, exp 12/29", "4242 4242 4242 4242"),
    ("card", "4111-1111-1111-1111", "4111-1111-1111-1111"),
    ("card", "pan=4111111111111111;", "4111111111111111"),
    ("card", "Amex 3782 822463 10005", "3782 822463 10005"),
    ("card", "5555 5555 5555 4444", "5555 5555 5555 4444"),
    ("card", "2223 0031 2200 3222", "2223 0031 2200 3222"),
    ("card", "6011 1111 1111 1117", "6011 1111 1111 1117"),
    ("card", "4242 4242 4242 4242 123 is my card and cvv", "4242 4242 4242 4242"),
    ("iban", "Pay to NO93 8601 1117 947 please", "8601 1117 947"),
    ("iban", "DE89 3704 0044 0532 0130 00", "3704 0044 0532 0130"),
    ("iban", "GB82 WEST 1234 5698 7654 32", "WEST 1234 5698"),
    ("iban", "konto NO9386011117947", "NO9386011117947"),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606", "2004 1010 0505 0001"),
    ("iban", "NL91 ABNA 0417 1643 00", "ABNA 0417 1643"),
    ("national_id", "SSN 123-45-6789", "123-45-6789"),
    ("national_id", "fødselsnummer 15038512363", "15038512363"),
    ("national_id", "fnr: 150385 12363", "150385 12363"),
    ("national_id", "D-nummer 55038512357", "55038512357"),
    ("national_id", "personnummer 811218-9876", "811218-9876"),
    ("national_id", "personnummer 19811218-9876", "19811218-9876"),
    ("national_id", "CPR 010190-1234", "010190-1234"),
    ("national_id", "NI number AB 12 34 56 C", "AB 12 34 56 C"),
    ("national_id", "NINO AB123456C", "AB123456C"),
    ("api_key", "key sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "Ab3dE5fG7hI9jK1lM3nO5pQ7"),
    ("api_key", "sk-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ7a9B1c3D5", "Ab3dE5fG7hI9jK1lM3nO"),
    ("api_key", "sk-ant-api03-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "Ab3dE5fG7hI9jK1lM3nO"),
    ("api_key", "AKIAQ3EGUKZXNQ7ABCDE", "AKIAQ3EGUKZXNQ7ABCDE"),
    (
        "api_key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8mPkWq",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8mPkWq",
    ),
    ("api_key", "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "aB3dE5fG7hI9jK1lM3nO5pQ7"),
    (
        "api_key",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH",
        "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH",
    ),
    ("api_key", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "123456789012-1234567890123"),
    ("api_key", "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("api_key", "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    ("api_key", "rk_live_51H8abcDEF123ghiJKL456", "51H8abcDEF123ghiJKL456"),
    ("api_key", 'api_key = "0123456789abcdef0123456789abcdef"', "0123456789abcdef0123456789abcdef"),
    ("api_key", "AZURE_OPENAI_API_KEY=3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", "3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"),
    ("api_key", "Ocp-Apim-Subscription-Key: 0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
    ("api_key", 'const apiKey = "AbC123dEf456GhI789";', "AbC123dEf456GhI789"),
    ("api_key", '{"client_secret": "s3cr3t-v4lue-123"}', "s3cr3t-v4lue-123"),
    ("api_key", "token=ghx9Q2bLm7ZkP4wT", "ghx9Q2bLm7ZkP4wT"),
    ("api_key", "Authorization: Bearer abcDEF1234567890ghijKLMNopqr", "abcDEF1234567890ghijKLMNopqr"),
    ("password", "password: hunter2", "hunter2"),
    ("password", "DB_PASSWORD=Tr0ub4dor&3", "Tr0ub4dor"),
    ("password", "passwd = 'correct horse battery'", "correct horse battery"),
    ("password", "PASSWORD=correcthorse", "correcthorse"),
    ("password", "postgres://admin:S3cr3t!@db.internal:5432/app", "S3cr3t!"),
    ("password", "mysql://root:pass@localhost/db", ":pass@"),
    ("private_key", _KEY_BODY.format("RSA ", ""), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("private_key", _KEY_BODY.format("OPENSSH ", ""), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("private_key", _KEY_BODY.format("EC ", ""), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("private_key", _KEY_BODY.format("", ""), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("private_key", _KEY_BODY.format("ENCRYPTED ", ""), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("private_key", _KEY_BODY.format("PGP ", " BLOCK"), "MIIEpAIBAAKCAQEA7bq3Xy9Zk"),
    ("jwt", f"token {_JWT} expired", _JWT),
    ("ip_address", "ssh into 192.168.1.10 and check", "192.168.1.10"),
    ("ip_address", "gateway 10.0.0.5", "10.0.0.5"),
    ("ip_address", "client 84.210.33.7 was blocked", "84.210.33.7"),
    ("ip_address", "proxy at 172.16.254.1:8080", "172.16.254.1"),
    ("ip_address", "link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
    ("ip_address", "2a00:1450:4001:0829:0000:0000:0000:200e", "1450:4001:0829"),
    ("ip_address", "listens on [2a01:79c:cebf:d688::1]:443", "2a01:79c:cebf:d688::1"),
    # MACs are in scope now (they identify a device and so its owner): a near-miss for the old detector.
    ("mac_address", "mac 00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e"),
    ("mac_address", "MAC address 001A2B3C4D5E", "001A2B3C4D5E"),
    ("bank_account", "routing number 121000358", "121000358"),
    ("bank_account", "kontonummer 8601.11.17947", "8601.11.17947"),
    ("crypto_wallet", "wallet 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ", "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ"),
    ("vehicle_registration", "car reg AB51 ABC", "AB51 ABC"),
    ("date_of_birth", "I was born on 12 March 1985", "12 March 1985"),
    ("postal_address", "My address is SW1A 1AA in London", "SW1A 1AA"),
    ("person_name", "My name is Kari Nordmann", "Kari Nordmann"),
]

# Near-misses that must not be flagged at all.
NEGATIVES: list[str] = [
    # cards: Luhn failures, non-card prefixes, repeated digits, timestamps
    "Order number 4242 4242 4242 4241 shipped",
    "tracking 1234567812345678",
    "0000 0000 0000 0000",
    "4444 4444 4444 4444",
    "epoch ms 1700000000000",
    # IPs: versions, sections, longer dotted runs, non-personal addresses
    "v1.2.3.4",
    "numpy==1.21.0.1",
    "pip install pkg>=1.2.3.4",
    "upgrade to version 10.0.0.1",
    "Python 3.11.4.1 is out",
    "see section 1.2.3.4",
    "1.2.3.4.5",
    "127.0.0.1",
    "0.0.0.0",
    "netmask 255.255.255.0",
    "192.0.2.1 in the RFC example",
    "dns 8.8.8.8",
    "999.1.1.1",
    "arr[192][168]",
    # IPv6 look-alikes
    "std::vector<int> v;",
    "use a::b and Foo::Bar::baz()",
    "at 12:30:45 exactly",
    "listen on :: and ::1",
    "2001:db8::1 is for docs",
    # dates, times, plain numbers, code
    "2024-01-15",
    "15.01.2024",
    "2024-01-15T10:30:00+01:00",
    "I have 3 cats and 12 dogs",
    "call extension 4567 or room 101",
    "in 2023 we grew 15% to 12345 users",
    "1234 5678",
    "order 12345678 is late",
    "range(1000000)",
    "x = 10_000_000",
    "for i in range(10): print(i ** 2)",
    "ISBN 978-3-16-148410-0",
    "1+1=2 and 2+2=4",
    "row: 7 250 30 400",  # phone-shaped groups inside a row of numbers
    "250 30 400 12",
    # IBAN/IDs with bad checksums or invalid parts
    "NO94 8601 1117 947",
    "DE88 3704 0044 0532 0130 00",
    "GB83 WEST 1234 5698 7654 32",
    "000-12-3456",
    "666-12-3456",
    "900-12-3456",
    "123-00-4567",
    "123-45-0000",
    # A fødselsnummer with wrong check digits. (The old case, 15038512364, is a valid Turkish
    # identity number: TCKN has two check digits and is flagged alone, so it is no longer a near-miss.)
    "15038512365",
    "99999999999",
    "811218-9875",
    "320190-1234",
    "QQ 12 34 56 C",
    "BG 12 34 56 A",
    "AB 12 34 56 E",
    # hashes and identifiers
    "request 550e8400-e29b-41d4-a716-446655440000 failed",
    "commit 3f2c1e9a7b8d4c6e5f1a2b3c4d5e6f7a8b9c0d1e fixed it",
    "md5 9e107d9d372bb6826bd81d3542a419d6",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "eyJhbGciOiJIUzI1NiJ9 is just a header",
    # e-mail look-alikes
    "user@localhost",
    "@property\ndef name(self): ...",
    "git remote add origin git@github.com:org/repo.git",
    "icon@2x.png",
    "pkg@1.2.3",
    "npm i @types/node",
    "email@",
    # secrets: prose, references, templates, placeholders, non-secret names
    "sk-learn-is-a-great-library-for-ml",
    "max_tokens = 4096",
    "token_count = 12345678",
    "tokenizer = AutoTokenizer.from_pretrained('bert-base')",
    "password = os.environ['DB_PASSWORD']",
    "password = getpass()",
    "login(password=user_input)",
    'api_key = "${OPENAI_API_KEY}"',
    'api_key = "<your-api-key>"',
    'api_key = "your-api-key-here"',
    "def login(user: str, password: str, token: Optional[str] = None): ...",
    "client_secret: SecretStr",
    "password: ********",
    "password: xxxxxxxx",
    "The secret: happiness",
    "Authorization: Bearer <token>",
    'f"postgres://{user}:{password}@{host}/db"',
    "https://example.com:8080/path",
    "https://user@example.org/repo",
    "AKIAIOSFODNN7EXAMPLE",
    "-----BEGIN PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
]


def _ids(cases: list[tuple[str, str, str]]) -> list[str]:
    return [f"{kind}:{text[:30]}" for kind, text, _ in cases]


@pytest.mark.parametrize(("kind", "text", "secret"), POSITIVES, ids=_ids(POSITIVES))
def test_positive_cases_are_found_with_the_right_kind(kind: str, text: str, secret: str) -> None:
    findings = scan_text(text)
    assert [finding.kind for finding in findings] == [kind]
    assert is_private([text])


@pytest.mark.parametrize(("kind", "text", "secret"), POSITIVES, ids=_ids(POSITIVES))
def test_previews_never_hold_the_secret(kind: str, text: str, secret: str) -> None:
    assert secret in text  # the table itself must be honest
    for finding in scan_text(text):
        assert finding.redacted
        assert secret not in finding.redacted


@pytest.mark.parametrize("text", NEGATIVES)
def test_near_misses_are_not_flagged(text: str) -> None:
    assert scan_text(text) == []
    assert not is_private([text])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("811218-9876", "Swedish personal identity number"),
        ("010190-1234", "Danish CPR number"),
        ("15038512363", "Norwegian national ID number"),
        ("123-45-6789", "US Social Security number"),
        ("AB 12 34 56 C", "UK National Insurance number"),
        ("sk-ant-api03-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "Anthropic API key"),
        ("sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "OpenAI API key"),
    ],
)
def test_labels_name_the_specific_format(text: str, label: str) -> None:
    assert [finding.label for finding in scan_text(text)] == [label]


def test_redaction_shapes_are_useful() -> None:
    assert scan_text("4242 4242 4242 4242")[0].redacted == "**** **** **** 4242"
    assert scan_text("john@example.com")[0].redacted == "j***@example.com"
    assert scan_text("123-45-6789")[0].redacted == "***-**-6789"
    assert scan_text("postgres://admin:S3cr3t!@db/x")[0].redacted == "postgres://admin:***@db"


def test_earlier_message_makes_the_whole_history_private() -> None:
    history = ["My card is 4242 4242 4242 4242", "thanks!", "What's the weather like?"]
    assert is_private(history)
    findings = scan_conversation(history)
    assert [(f.kind, f.message_index) for f in findings] == [("card", 0)]


def test_findings_carry_their_message_index() -> None:
    history = ["hello", "how are you?", "mail me: ola@example.no", "or call +47 912 34 567"]
    findings = scan_conversation(history)
    assert [(f.kind, f.message_index) for f in findings] == [("email", 2), ("phone", 3)]


def test_clean_history_is_not_private() -> None:
    history = ["Write a haiku about autumn", "Make it rhyme", "In Norwegian, please"]
    assert not is_private(history)
    assert scan_conversation(history) == []


def test_any_iterable_is_accepted_and_scanning_stops_early() -> None:
    consumed: list[int] = []

    def history() -> Iterator[str]:
        for index, text in enumerate(["password: hunter2", "never read"]):
            consumed.append(index)
            yield text

    assert is_private(history())
    assert consumed == [0]
    assert not is_private(iter([]))


def test_findings_in_one_message_come_in_reading_order() -> None:
    text = "Ola (ola@example.no, +47 912 34 567) paid from NO93 8601 1117 947"
    assert [f.kind for f in scan_text(text, message_index=4)] == ["email", "phone", "iban"]
    assert {f.message_index for f in scan_text(text, message_index=4)} == {4}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"Authorization: Bearer {_JWT}", "jwt"),
        ("postgres://app:S3cr3t!@10.0.0.5/db", "password"),
        ('api_key = "sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"', "api_key"),
    ],
)
def test_overlapping_matches_are_reported_once_as_the_most_specific_kind(text: str, kind: str) -> None:
    assert [finding.kind for finding in scan_text(text)] == [kind]


def test_every_kind_is_covered_by_the_positive_table() -> None:
    assert {kind for kind, _, _ in POSITIVES} == set(KINDS)


def test_finding_is_an_immutable_value() -> None:
    finding = scan_text("ola@example.no")[0]
    assert finding == Finding("email", "e-mail address", 0, "o***@example.no")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "phone"  # type: ignore[misc]
