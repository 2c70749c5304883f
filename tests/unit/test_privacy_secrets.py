"""privacy.secrets: realistic chat messages that hold a secret, and look-alikes that must pass."""

from __future__ import annotations

import pytest

from privacy._types import KIND_API_KEY, KIND_JWT, KIND_PASSWORD, KIND_PRIVATE_KEY, KINDS, Hit
from privacy.normalize import normalize
from privacy.secrets import DETECTORS

_RSA_BODY = "MIIEowIBAAKCAQEAx1y2z3K4m5N6o7P8q9R0s1T2u3V4w5X6y7Z8a9B0c1D2e3F4"
_PEM_LINES = "\n".join(
    [
        "lQWGBGSVV4YBDAClvRnxezIRy2Yv7SFlzC0iFiRF/O/jePSw+XYhvcrTaqSYTGic",
        "q8Zr1Kd0vB4nTg7pWm2sXc9yLh3JfQe5Ua6oNiRb1tVk8xD0wMzSlEaC4yHuG7Fj",
        "Pn3Lq9Xw2Rt6Ys0Vb8Ua1Zc5Me7Hk4Gd2Jf9Ni3Op6Qr8St0Uv2Wx4Yz6Ab8Cd0E",
    ]
)
_AZURE_KEY = "Xk7Qp2Lm9Vb4Nc8Rt1Ys6Wd3Fh0Gj5Hz2Ka7Lb4Mc9Nd1Pe6Qf3Rg8Sh0Ti5Uj2Vk7Wl4Xm9Yn1Zo6Ap3Bq8Cr0Ds=="


def _hits(text: str) -> list[Hit]:
    norm = normalize(text)
    return [hit for detect in DETECTORS for hit in detect(norm)]


# (expected kind, message, a fragment that must never appear in a preview)
POSITIVES: list[tuple[str, str, str]] = [
    # connection strings and URLs with passwords
    (KIND_PASSWORD, "why does `psql postgres://app:S3cr3t!@db:5432/app` fail?", "S3cr3t!"),
    (KIND_PASSWORD, "here's my .env:\nDATABASE_URL=postgresql://svc:Pg_9xq2Lw@10.0.0.5/prod\nDEBUG=1", "Pg_9xq2Lw"),
    (KIND_PASSWORD, "MONGO=mongodb+srv://admin:Xk29fhq1@cluster0.abcde.mongodb.net/test", "Xk29fhq1"),
    (KIND_PASSWORD, "redis://:p4ssW0rd99@cache:6379/0 keeps timing out", "p4ssW0rd99"),
    (KIND_PASSWORD, "amqp://guest:Rabbit77x@mq:5672// refuses the login", "Rabbit77x"),
    (KIND_PASSWORD, "git clone https://bob:hunter2x@git.example.org/repo.git", "hunter2x"),
    # prose passwords, English and Norwegian
    (KIND_PASSWORD, "my password is hunter2", "hunter2"),
    (KIND_PASSWORD, "My Password Is Hunter2.", "Hunter2"),
    (KIND_PASSWORD, "the wifi password for the cabin is Fjord2024", "Fjord2024"),
    (KIND_PASSWORD, "the passcode is 4812", "4812"),
    (KIND_PASSWORD, "my PIN is 4821", "4821"),
    (KIND_PASSWORD, "passordet mitt er Sommer2024!", "Sommer2024"),
    (KIND_PASSWORD, "mitt passord er blåbær123", "blåbær123"),
    (KIND_PASSWORD, "passordet til ruteren er Tr0ndheim", "Tr0ndheim"),
    (KIND_PASSWORD, "PIN-koden er 4821", "4821"),
    (KIND_PASSWORD, "login: bob / hunter2", "hunter2"),
    (KIND_PASSWORD, "creds bob:Winter99", "Winter99"),
    # keyword assignments in several syntaxes
    (KIND_PASSWORD, "pw: hunter22", "hunter22"),
    (KIND_PASSWORD, "pwd=Tr0ub4dor", "Tr0ub4dor"),
    (KIND_PASSWORD, "passord: Fjellet99", "Fjellet99"),
    (KIND_PASSWORD, "password = 'Winter2023!'", "Winter2023"),
    (KIND_PASSWORD, 'db:\n  user: app\n  password: "c0rrect-h0rse"', "c0rrect-h0rse"),
    (KIND_PASSWORD, '{"username": "ola", "password": "Blå#Fjord7"}', "Fjord7"),
    (KIND_PASSWORD, "<password>Xy9!kLm2</password>", "Xy9!kLm2"),
    (KIND_PASSWORD, "mysql -u root --password Qw3rty!9 -h db", "Qw3rty!9"),
    (KIND_API_KEY, "api_key: 8fK2mQ9xZ1vB8nL3pR6tY0wE", "8fK2mQ9xZ1vB8nL3pR6tY0wE"),
    (KIND_API_KEY, "AZURE_OPENAI_API_KEY=3f9c2a7b1e8d4c6f9a0b2c4d6e8f0a1b", "3f9c2a7b1e8d4c6f9a0b2c4d6e8f0a1b"),
    (KIND_API_KEY, 'secret_key => "k9Fz2LmQ8rT1vX4c"', "k9Fz2LmQ8rT1vX4c"),
    (KIND_API_KEY, 'SNYK_TOKEN ?= "3c1f8e2a-9b7d-4e6f-a1c2-5d8e9f0a1b2c"', "3c1f8e2a-9b7d"),
    (KIND_API_KEY, 'export SECRET_KEY="django-insecure-9x@k2!m#q7$zw0r3&l1p5v8b^n6c4t2y0u9i8o7p6a5s4d3f"', "9x@k2!m#q"),
    (KIND_API_KEY, 'os.getenv("api_token", "dafa7817-e246-48f3-91a7-e87653d587b8")', "dafa7817-e246"),
    # CLI and headers
    (KIND_PASSWORD, "curl -u elastic:P@ssw0rd$1 https://localhost:9200", "P@ssw0rd$1"),
    (KIND_API_KEY, 'curl -H "Authorization: Bearer cfcabd11c7ed9a41b1a3e063c32d5114" https://x.io', "cfcabd11c7ed9a41"),
    (KIND_API_KEY, "curl -H 'X-Api-Key: 3a16750d-d363-41a4-8ebd-035408f7730f' https://api.x.io", "3a16750d-d363"),
    # cloud providers
    (KIND_API_KEY, "my key id is AKIAZ4Q7JX2M5N8P3R6T, region eu-north-1", "AKIAZ4Q7JX2M5N8P3R6T"),
    (KIND_API_KEY, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzA8Ab3Kq9Z", "bPxRfiCYzA8Ab3Kq9Z"),
    (KIND_API_KEY, "my aws secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYzA8Ab3Kq9Z ok?", "bPxRfiCYzA8Ab3Kq9Z"),
    (KIND_API_KEY, f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={_AZURE_KEY};", _AZURE_KEY[:40]),
    (KIND_API_KEY, "client_secret=bP88Q~rcBcYjzzOhg1Hnn76Wm3jGgakZiZ.8vMgR", "rcBcYjzzOhg1Hnn76Wm3jG"),
    (KIND_API_KEY, "maps key AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-", "NHxIf32IQ1a1yjl3ZJIq"),
    (KIND_PRIVATE_KEY, '{"type": "service_account", "project_id": "demo-123"}', "demo-123"),
    # code hosts, registries
    (KIND_API_KEY, "use ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R for the push", "1a2B3c4D5e6F7g8H9i0J"),
    (KIND_API_KEY, "GITLAB_TOKEN=glpat-a1B2c3D4e5F6g7H8i9J0", "a1B2c3D4e5F6g7H8i9J0"),
    (KIND_API_KEY, "runner token glrt-x8Yz2Qw9Lm4Np7Rs1Tv6U", "x8Yz2Qw9Lm4Np7Rs1Tv6U"),
    (KIND_API_KEY, "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0"),
    # chat and payments
    (KIND_API_KEY, "bot: xoxb-781236542736-2364535789652-GkwFDQoHqzXDVsC6GzqYUypD", "GkwFDQoHqzXDVsC6"),
    (
        KIND_API_KEY,
        "post to https://hooks.slack.com/services/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",
        "bJtrpFi1fO1JMCcw",
    ),
    (
        KIND_API_KEY,
        "https://discord.com/api/webhooks/123456789012345678/aBcD3fGh1jKlMn0pQrStUvWxYz_1234567890abcdEFGHijkl",
        "aBcD3fGh1jKlMn0pQrSt",
    ),
    (KIND_API_KEY, "bot token 1234567890:AAEhBOweik6ad9r_QXMENQjcrDpVt1t5Mzw", "AAEhBOweik6ad9r_QXME"),
    (KIND_API_KEY, "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", "TwL2iGABf9DHoTf"),
    (KIND_API_KEY, "stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zd"),
    (KIND_API_KEY, "twilio SK2a9f0c1b7e3d4a5f6b8c9d0e1f2a3b4c", "2a9f0c1b7e3d4a5f6b8c"),
    (KIND_API_KEY, "mailchimp cefa780880ba5f5696192a34f6292c35-us18", "cefa780880ba5f569619"),
    (KIND_API_KEY, "square sq0atp-812erere3wewew45678901", "812erere3wewew45678901"),
    # model APIs
    (KIND_API_KEY, "OPENAI_API_KEY=sk-proj-4fG7hK2mQ9xZ1vB8nL3pR6tY0wE5uI7oA2sD", "4fG7hK2mQ9xZ1vB8nL3p"),
    (KIND_API_KEY, "huggingface-cli login --token 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", "jCBaQngSHiHDRYOcsMci"),
    # JWTs
    (
        KIND_JWT,
        "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
    (KIND_JWT, 'tok = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ."', "eyJzdWIiOiJ0ZXN0LXVzZXIifQ"),
    # private keys, any case, and bare bodies
    (KIND_PRIVATE_KEY, f"-----begin rsa private key-----\n{_RSA_BODY}\n-----end rsa private key-----", _RSA_BODY),
    (
        KIND_PRIVATE_KEY,
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{_RSA_BODY}\n-----END OPENSSH PRIVATE KEY-----",
        _RSA_BODY,
    ),
    (
        KIND_PRIVATE_KEY,
        f'"private_key": "-----BEGIN PRIVATE KEY-----\\n{_RSA_BODY}\\n-----END PRIVATE KEY-----\\n"',
        _RSA_BODY,
    ),
    (KIND_PRIVATE_KEY, f"is this key still valid?\n{_RSA_BODY}\nthanks", _RSA_BODY),
    (KIND_PRIVATE_KEY, f"the key file contains:\n{_PEM_LINES}\n=8xQN", _PEM_LINES[:64]),
    # vouched by a vendor prefix or keyword: typed-looking bodies still flag (round 2)
    (KIND_API_KEY, "sk-ant-api03-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "Ab3dE5fG7hI9jK1lM3nO"),
    (KIND_API_KEY, "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH", "abcdefghijklmnopqrstuvwxyz"),
    (KIND_API_KEY, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKlMnOpQrStUvWx"),
    (KIND_API_KEY, "api_key = 'sk-proj-abcdefghijklmnopqrstuvwx1234567890'", "abcdefghijklmnopqrstuvwx1234567890"),
    (KIND_API_KEY, 'value: "sq0csp-0p9h7g6f4s3s3s3-4a3ardgwa6ADRDJDDKUFYDYDYDY"', "0p9h7g6f4s3s3s3"),
    (KIND_PASSWORD, "mysql://root:pass@localhost/db", "root:pass"),
    (KIND_PASSWORD, "login for the shared dropbox: pw: cRflvtq%TGSVr1bZ", "cRflvtq%TGSVr1bZ"),
    (KIND_PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
    (KIND_PRIVATE_KEY, "my key starts like this:\n-----BEGIN OPENSSH PRIVATE KEY-----", "OPENSSH"),
    # passwords near a cue, same or next sentence
    (KIND_PASSWORD, "it says wrong password but I'm typing monkey999 exactly", "monkey999"),
    (KIND_PASSWORD, "I forgot the router password. The code I use is Fjord2020!", "Fjord2020"),
    (KIND_PASSWORD, "Login fails. I tried Sommer1995. and it fails", "Sommer1995"),
    (KIND_PASSWORD, "wrong passord igjen, jeg skrev ravioli-battery-tundra-horse", "ravioli-battery"),
    # disguises undone by normalisation: full-width letters and a zero-width space
    (KIND_PASSWORD, "my ｐａｓｓｗｏｒｄ is hunter2", "hunter2"),
    (KIND_API_KEY, "gh\u200bp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R", "1a2B3c4D5e6F7g8H9i0J"),
]

NEGATIVES: list[str] = [
    "AKIAIOSFODNN7EXAMPLE is the key from the AWS docs",
    "aws_access_key: AKIAIOSFODNN7EXAMPLE",
    "password = ${SECRET}",
    "api_key = <your-key>",
    "token: xxxx",
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'password = os.environ["X"]',
    "def login(user: str, password: str) -> bool:",
    "password: str = Field(..., min_length=8)",
    "token = get_token()",
    "secret = settings.SECRET_KEY",
    "api_key: {{ .Values.apiKey }}",
    "curl -u $USER:$PASS https://x.io",
    "curl -u <user:password> https://test.com/endpoint",
    "curl --user username:password https://x.io",
    "docker run -u 1000:1000 myimage",
    "postgres://user:pass@localhost/db",
    "postgres://app:${DB_PASSWORD}@db:5432/app",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed",
    'data = "SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0"',
    "integrity sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+5LkXW5VUhe5f+1V8E5jK8l9dEj2Cc0nX8q8yA==",
    'resolved "https://registry.yarnpkg.com/x/-/x-1.0.0.tgz#3f9c2a7b1e8d4c6f9a0b2c4d6e8f0a1b2c3d4e5f"',
    "reset your password here",
    "the password field is empty",
    "the password is incorrect",
    "my password is too short",
    "passordet er feil",
    "What is a good password policy?",
    "My PIN is required at checkout",
    "login: admin / settings",
    "max_tokens: 4096",
    "token_count = len(tokens)",
    "compass: north-east",
    "monkey = 'Xk29fhq1Lm4Np7Rs'",
    "the token expired yesterday",
    "Use Authorization: Bearer $TOKEN",
    'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"',
    'clientId = "73082700-1f09-405b-80d0-3131bfd6272d"',
    "report_access_id: e8e4df51-2054-49b0-ab1c-516ac95c691d",
    "schemaKey = 'DOC_Vector_5_32'",
    "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ\n-----END CERTIFICATE-----",
    "xoxb-12345-abcd234",
    "hf_requiredCharacteristicTypesForDisplayMetadata",
    'amazon.de#@#div[data-cel-widget="desktop-rhf_SponsoredProductsRemoteRHFSearchEXPSubsK2ClickPagination"]',
    "see https://docs.google.com/document/d/1W7KCxOxP-1Fy5EyF2lbJGE2WuKmu5v0suYqoHas1jRM for the plan",
    "version 1.2.3 build 4567, order #12345 costs 49.90",
    "s.AcceptanceTimeoutSeconds = 30",
    # private-key headers around documentation filler
    "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\n<your key>\n-----END PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nXXXXXXXXXXXXXXXX\n-----END OPENSSH PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----",
    # filler after a vendor prefix, and typed sequences without one
    "xoxe.xoxp-1-RANDOMSTRINGHERE",
    "GR134894112312312312312312312",
    "glc_111111111111111111111111111111111111111111=",
    "sk-ant-api03-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "curl --user username:password https://x.io and postgres://user:password@db/x",
    # cue words near ordinary words, products, versions and code
    "Should I use a password manager like Bitwarden or 1Password?",
    "I reset my password on my iPhone15 yesterday",
    "password hashing with sha256 or argon2id? we use v2.3.1",
    "enable two-factor-authentication before you change the password",
    "login:\n  serviceAccountToken:\n    fn::secret: ops_eyJzaWduSW5B..[Redacted]",
    "GET /login HTTP/1.1 401 - the password was rejected at 10:15:32",
    "login(password=user_input)",
]


@pytest.mark.parametrize(("kind", "text", "secret"), POSITIVES)
def test_secret_is_found_with_safe_preview(kind: str, text: str, secret: str) -> None:
    hits = _hits(text)
    assert hits, f"missed: {text!r}"
    assert kind in {hit.kind for hit in hits}
    for hit in hits:
        assert hit.kind in KINDS
        assert secret not in hit.redacted
        assert 0 <= hit.start < hit.end <= len(normalize(text))


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alike_passes(text: str) -> None:
    assert _hits(text) == []


def test_every_detector_yields_hits_not_strings() -> None:
    text = "password = 'Winter2023!' and ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"
    hits = _hits(text)
    assert len(hits) >= 2
    assert all(isinstance(hit, Hit) for hit in hits)


def test_hit_span_covers_the_secret() -> None:
    text = "why does `psql postgres://app:S3cr3t!@db:5432/app` fail?"
    (hit,) = _hits(text)
    assert "S3cr3t!" in text[hit.start : hit.end]
