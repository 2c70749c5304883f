"""Names, postal addresses and dates of birth: positives in realistic messages, and look-alikes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from privacy import model_files, people, people_cues, people_ner
from privacy._types import KIND_DATE_OF_BIRTH, KIND_PERSON_NAME, KIND_POSTAL_ADDRESS, Hit
from privacy.normalize import normalize


def _fast(text: str) -> list[Hit]:
    norm = normalize(text)
    return [hit for detect in people.DETECTORS for hit in detect(norm)]


def _kinds(text: str) -> set[str]:
    return {hit.kind for hit in _fast(text)}


@pytest.fixture(scope="module")
def ner() -> Iterator[None]:
    people.load()
    yield


def _slow(text: str) -> list[Hit]:
    norm = normalize(text)
    return [hit for detect in people.SLOW_DETECTORS for hit in detect(norm)]


# --- names, fast tier (cues and titles) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi! my name is jane doe and I can't log in", "jane doe"),
        ("My name is Kari Nordmann, customer 4411", "Kari Nordmann"),
        ("MY NAME IS OLA", "OLA"),
        ("Hi, I'm Ola. Can you help me with an invoice?", "Ola"),
        ("you can call me Sam", "Sam"),
        ("Dear Anna,\nthanks for the quick reply.", "Anna"),
        ("Kjære Per, takk for sist!", "Per"),
        ("That's all. Regards, Per", "Per"),
        ("Could you check it today?\n\nBest regards,\nPer Olav Johansen", "Per Olav Johansen"),
        ("Thanks,\nAnna", "Anna"),
        ("Ha en fin dag.\nhilsen Per", "Per"),
        ("Takk for hjelpen\nmvh kari", "kari"),
        ("my wife Kari is ill, so I need to move the appointment", "Kari"),
        ("My colleague, Lars, wrote the script", "Lars"),
        ("min kollega Per har laget skriptet", "Per"),
        ("jeg heter Kari og trenger hjelp", "Kari"),
        ("mitt navn er ola nordmann", "ola nordmann"),
        ("Kontakt Ola på telefon om det haster", "Ola"),
        ("ich heiße Hans", "Hans"),
        ("Hello, this is Tom from accounting", "Tom"),
        ("Name: Smith\nAccount: premium", "Smith"),
        ("They call me Mr. Mayers", "Mayers"),
        ("his name is Mr. May", "May"),
        ("Dr Garcia will see you at noon", "Garcia"),
        ("Fru Hansen ringte i går", "Hansen"),
        ("Please forward to Herr Müller", "Müller"),
        ("my name is Ｋａｒｉ", "Kari"),  # full-width letters, folded by normalize()
    ],
)
def test_cued_names(text: str, name: str) -> None:
    norm = normalize(text)
    found = [norm[h.start : h.end] for h in _fast(text) if h.kind == KIND_PERSON_NAME]
    assert name in found


@pytest.mark.parametrize(
    "text",
    [
        "I'm trying to deploy my Python app with Docker",
        "I'm Norwegian and I work in Oslo",
        "I am Sorry for the late answer",
        "my name is not important here",
        "my name is missing from the invoice",
        "name: build-and-test\non: [push]",
        "Dear Sir or Madam,",
        "Dear Team,",
        "my boss said no",
        "Thanks, Everything works now",
        "I love Oslo",
        "i miss Python 2",
        "Best regards,\nthe team",
        "Hi all, this is the weekly update",
        "Mr. and Mrs. went home",
        "latency was 840 ms. Version 5 is out",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\nAydlaxQbdmyhCeGAdw93CwAypb\nvHVobJ8A\n=mIC",
    ],
)
def test_cue_look_alikes_are_not_names(text: str) -> None:
    assert KIND_PERSON_NAME not in _kinds(text)


def test_name_preview_hides_the_name() -> None:
    hit = next(h for h in _fast("my name is Kari Nordmann") if h.kind == KIND_PERSON_NAME)
    assert hit.redacted == "K*** N***"


# --- names, slow tier (NER) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Can you draft a reply to John Smith explaining that the delivery will be two weeks late?",
        "Dr. Maria Garcia asked whether the lab results could be sent before Friday.",
        "Richard M. Nixon",
        "Dan May has a bank account.",
        "JOHN SMITH signed the form on page 3.",
        "Thanks, Anna Kowalski",
        "Maria Fernández López will join the call.",
        "Møtet med Ola Hansen er flyttet til neste uke, kan du oppdatere kalenderen?",
        "Hei, jeg har snakket med Ingrid Bergström om budsjettet.",
        "Wir treffen uns mit Hans Müller in Berlin.",
        "Lise Berg-Hansen",
        "I had a meeting with Haruto Sato yesterday.",  # labelled ORG by the model
        "Summarise this call note: Layla Hamdan rang about the delivery.",  # labelled PERSON for one word
        "Elon Musk tweeted again.",  # a public figure: a deliberate false alarm, by policy
    ],
)
def test_ner_full_names(ner: None, text: str) -> None:
    assert any(h.kind == KIND_PERSON_NAME for h in _slow(text))


@pytest.mark.parametrize(
    "text",
    [
        "I deployed it with Azure Foundry and Visual Studio Code.",
        "We use Python, Docker, Kubernetes and React in production.",
        "Apache Kafka and Google Cloud work together.",
        "Grafana Loki ingests logs from Prometheus.",
        "Open Visual Studio and click Solution Explorer.",
        "Deploy to Azure Functions via Terraform Cloud.",
        "Claude Code and Cursor are editors.",
        "I live in New York and work in San Francisco.",
        "The Microsoft Teams call is on Monday in March.",
        "Hei, jeg heter Kari og bor i Oslo.",  # one name: the cue rule's job, not a full name
        "Ask Docker about it.",
        "BG80 BNBG 9661 A020 3456 78",
        "The UDP Listener Service is started by the test.",
        "I work at Acme Corp in New York.",
        "We use Docker Compose and GitHub Actions.",
    ],
)
def test_ner_look_alikes(ner: None, text: str) -> None:
    assert not _slow(text)


def test_ner_reads_only_windows_with_capitalised_runs() -> None:
    prose = "could you explain how the scheduler decides which task runs next, and why? " * 20
    assert people_ner.candidate_windows(prose) == []
    text = prose + "Ask Kari Nordmann. " + prose
    (window,) = people_ner.candidate_windows(text)
    assert "Kari Nordmann" in text[window[0] : window[1]] and window[1] - window[0] < 200


def test_ner_name_in_long_message(ner: None) -> None:
    filler = "The build works locally but the container fails when it reads the config. " * 12
    text = filler + "Please ask John Smith to review the change. " + filler
    hits = _slow(text)
    assert [text[h.start : h.end] for h in hits] == ["John Smith"]


def test_slow_detector_raises_before_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people_ner, "_nlp", None)
    with pytest.raises(RuntimeError):
        list(people_ner.ner_names("Kari Nordmann"))


def test_load_raises_when_the_model_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(people_ner, "_nlp", None)
    monkeypatch.setattr(people_ner, "model_dir", lambda: model_files.model_dir(tmp_path))  # an empty directory
    with pytest.raises(model_files.ModelIntegrityError, match="unreadable"):
        people_ner.load()
    assert not people_ner.is_loaded()


# --- postal addresses ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Please send the replacement to 42 Maple Street.",
        "My flat is 221B Baker Street, London NW1 6XE",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "Ship it to Apt 4B, 350 Fifth Avenue, New York",
        "Mail: PO Box 123, Springfield",
        "P.O. Box 4567",
        "Storgata 5, 0155 Oslo",
        "Kan dere sende det til Karl Johans gate 22, 0159 Oslo?",
        "Kirkeveien 12B",
        "Postboks 44 Sentrum",
        "Hauptstraße 5, 10115 Berlin",
        "Musterweg 12a",
        "Berliner Straße 12",
        "Drottninggatan 10, Stockholm",
        "Vesterbrogade 3, København",
        "12 rue de Rivoli, Paris",
        "3, avenue des Champs-Élysées",
        "Calle Mayor 5, Madrid",
        "Via Roma 10, Milano",
        "Keizersgracht 123, Amsterdam",
        "Postfach 1234",
        "i live at 42 maple street",
        "my address is flat 3, 12 high st",
        "adresse: storgata 5",
        "jeg bor på kirkeveien 12b",
        "ich wohne in der Hauptstraße 5",
        "Ship to: 17 Elm Row",
        "Bitte schick die Unterlagen an Am Mühlbach 176, 20095 Hamburg.",
        "can u check if 5285 elm court, madison, wi 53703 is in the catchment area",
        "can u check if fjellveien 60b, 4006 stavanger is in the catchment area",
    ],
)
def test_addresses(text: str) -> None:
    assert KIND_POSTAL_ADDRESS in _kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Version 5 Street Fighter is a game",
        "Chapter 12 Road to success",
        "walk down the main street",
        "the server listens on port 8080",
        "step 3: run the tests",
        "meet in room 101",
        "Oslo",
        "London is big",
        "I live in Oslo since 2019",
        "I live in London",
        "Top 10 Google Drive tips",
        "Please aggregate 5 rows",
        "Boarding at Gate 12",
        "IP address: 10.0.0.1 is down",
        "MAC address: 00:1A:2B:3C:4D:5E",
        "Use Python 3 and Docker 24",
        "Halle 3 at the fair",
        "see RFC 2616 section 14",
        "We shipped 3 Main features",
        "Am Montag 5 Leute",
        "Zum Glück 3 Tage frei",
        "it took 20 minutes by road, then we walked",
    ],
)
def test_address_look_alikes(text: str) -> None:
    assert KIND_POSTAL_ADDRESS not in _kinds(text)


def test_address_preview_hides_the_number() -> None:
    hit = next(h for h in _fast("Storgata 15") if h.kind == KIND_POSTAL_ADDRESS)
    assert "15" not in hit.redacted and hit.redacted.startswith("S")


# --- dates of birth ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I was born on 12 March 1985 in Bergen",
        "He was born March 12, 1985",
        "DOB: 1985-03-12",
        "D.O.B. 03/12/85",
        "date of birth 03/12/85",
        "my birthday is 4th of July 1990",
        "birthday: July 4",
        "født 12.03.1985",
        "fødselsdato: 12.03.85",
        "født den 3. mai 1990",
        "jeg er født i 1985",
        "geboren am 12.03.1985",
        "Geburtsdatum: 12. März 1985",
        "I was born in 1985",
        "my son was born in 2015",
        "age 34, born 1990",
        "Date of Birth: 12 Mar 1985",
        "Ich bin am 01.04.1987 geboren. Wann kann ich in Rente gehen?",
        "Je suis né le 19 août 1966, à quel âge puis-je partir à la retraite ?",
        "User: birth_date=07.05.1979; employer=municipality.",
        "Sure - what's his date of birth? 1 September 1972",
    ],
)
def test_dates_of_birth(text: str) -> None:
    assert KIND_DATE_OF_BIRTH in _kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "released on 12 March 1985",
        "meeting on 2024-03-12 at 10:00",
        "a born-again Christian",
        "the project was born in 2019",
        "Python was born in 1991 at CWI",
        "newborn photos from 2020",
        "stubborn bug since 2019",
        "I was born to code",
        "the birthday party is on Saturday at 5",
    ],
)
def test_date_of_birth_look_alikes(text: str) -> None:
    assert KIND_DATE_OF_BIRTH not in _kinds(text)


# --- whole messages ----------------------------------------------------------------------------------
def test_support_ticket(ner: None) -> None:
    ticket = (
        "Subject: refund for order 88812\n\n"
        "Hello,\nI ordered a kettle on 2024-03-02 (order 88812, total 49.90 EUR) and it arrived broken.\n"
        "Please send the replacement to 42 Maple Street, Springfield.\n\n"
        "Kind regards,\nMaria Garcia"
    )
    kinds = _kinds(ticket) | {h.kind for h in _slow(ticket)}
    assert {KIND_PERSON_NAME, KIND_POSTAL_ADDRESS} <= kinds


def test_cv_snippet() -> None:
    cv = "CURRICULUM VITAE\nName: Kari Nordmann\nDate of birth: 12.03.1985\nAddress: Storgata 5, 0155 Oslo\n"
    assert {KIND_PERSON_NAME, KIND_DATE_OF_BIRTH, KIND_POSTAL_ADDRESS} <= _kinds(cv)


def test_norwegian_message() -> None:
    msg = "Hei! Jeg heter Ola, er født i 1990 og bor i Kirkeveien 12B. Kan du skrive en søknad for meg?"
    assert {KIND_PERSON_NAME, KIND_DATE_OF_BIRTH, KIND_POSTAL_ADDRESS} <= _kinds(msg)


def test_technical_message_is_clean(ner: None) -> None:
    msg = (
        "I upgraded to Python 3.12 and now the Pydantic models raise a ValidationError on startup. "
        "The GitHub Actions workflow runs pytest on port 8080, step 3 builds the image for Azure Container "
        "Registry. On Monday the Grafana dashboard showed p99 latency of 840 ms. Version 5 of the API was "
        "released on 12 March 2024. Visual Studio Code keeps crashing; Claude Code suggests the same fix."
    )
    assert not _fast(msg) and not _slow(msg)


# --- names, slow tier: lower case and non-English sentences after a person cue --------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("remind me to call kari nordmann about the car insurance tomorrow", "kari nordmann"),
        ("can you write a note to john smith, he helped me", "john smith"),
        ("skriv en melding til ola hansen om middagen", "ola hansen"),
        ("met with lars eriksen yesterday", "lars eriksen"),
        ("email maria garcia about the invoice", "maria garcia"),
        ("Skriv en e-post til Diego Iglesias om at vi må flytte møtet.", "Diego Iglesias"),  # no entity
        ("Send en hilsen til Tomasz Nowak fra oss.", "Tomasz Nowak"),  # labelled FAC
        ("Meet Jane Doe at the station", "Jane Doe"),  # cue opens the sentence
        ("Lunch with Jisoo Park on Friday", "Jisoo Park"),  # "Park" is a surname here
    ],
)
def test_names_after_person_cues(ner: None, text: str, name: str) -> None:
    assert name in [text[h.start : h.end] for h in _slow(text) if h.kind == KIND_PERSON_NAME]


@pytest.mark.parametrize(
    "text",
    [
        "remind me to call tech support about the refund",
        "just a note to self: buy milk",
        "I need to write to the landlord about the heating",
        "ring mamma i morgen",
        "message the team about the release",
        "meet with product management tomorrow",
        "skriv en melding til kollegaene om at kantina er stengt",
        "send a message to hiring managers about it",
        "Jeg skal til Nord-Norge i sommer",
        "I'm flying to New York next week",
        "I work with Visual Studio Code daily",
        "Jeg fikk et brev fra Statens vegvesen",
        "Send it to Customer Support please",
        "a meeting with Human Resources",
        "Write an intro for Product Hunt",
        "I'm visiting Florence and Victoria Falls this year",
        "We hiked to Bridal Veil Falls",
        "Let's go to Times Square",
        "ask hard questions about the budget",
        "call python functions from rust",
        "escribir un correo a recursos humanos sobre las vacaciones",
        "From Hugging Face docs: you should see a token",
    ],
)
def test_person_cue_look_alikes(ner: None, text: str) -> None:
    assert not _slow(text)


def test_lower_case_candidates_need_two_words_before_a_stop() -> None:
    text = "call ngozi okafor about it, ring mamma i morgen, tell the team, with great power comes more"
    assert [text[s:e] for s, e in people_cues.lower_name_spans(text, text.lower())] == ["ngozi okafor"]


def test_title_casing_keeps_offsets() -> None:
    text = "call ngozi okafor about it"
    assert people_cues.title_cased(text, [(5, 17)]) == "call Ngozi Okafor about it"


# --- round 3: greetings and contact verbs, form fields, more address layouts -----------------------
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi Alberto, your appointment is confirmed", "Alberto"),
        ("Hello Priya,\nyour order has shipped.", "Priya"),
        ("Hey Sam! Long time.", "Sam"),
        ("Hei Kari, takk for sist.", "Kari"),
        ("Good morning Ingrid, the report is attached.", "Ingrid"),
        ("Cheers, Tom", "Tom"),
        ("Contact Zoe at the front desk.", "Zoe"),
        ("Ask Mohammed about it.", "Mohammed"),
        ("Tell Kenji I said hi.", "Kenji"),
        ("Please forward this to Lucía.", "Lucía"),
        ("Thanks Nadia for the quick fix.", "Nadia"),
        ("HI ALBERTO, YOUR APPOINTMENT IS CONFIRMED", "ALBERTO"),
        ("Name: Olivia Martinez", "Olivia Martinez"),
        ("Full name: GARCIA, Maria", "GARCIA, Maria"),
        ("Patient: J. Smith", "J. Smith"),
        ("Signed, A. Okafor", "A. Okafor"),
        ("Regards,\nJ. Smith", "J. Smith"),
        ("Emergency contact: Kari Nordmann (mother)", "Kari Nordmann"),
        ("NAME: JOHN SMITH", "JOHN SMITH"),
        ("Surname: Nordmann Given names: Kari", "Nordmann"),
        ("Surname: Nordmann Given names: Kari", "Kari"),
        ("Full Name: mary jane watson", "mary jane watson"),
        ("Name: de la Cruz, Juan", "de la Cruz, Juan"),
        ("c/o Kari Nordmann", "Kari Nordmann"),
    ],
)
def test_greeted_and_form_names(text: str, name: str) -> None:
    norm = normalize(text)
    assert name in [norm[h.start : h.end] for h in _fast(text) if h.kind == KIND_PERSON_NAME]


@pytest.mark.parametrize(
    "text",
    [
        "Hi there,",
        "Hello World",
        "Hi team,",
        "Hello everyone",
        "Hey Siri",
        "Hi Copilot",
        "Contact Support",
        "Ask Google",
        "Tell Python to use the new path",
        "Thanks, Team",
        "Hello from Oslo",
        "Forward this to HR",
        "Hi Mom",
        "Thanks, Bye",
        "Ask Stack Overflow",
        "Contact Customer Service",
        "say hi Alberto",  # a greeting mid-sentence is not addressing anyone
        "Name: String",
        "Patient: Stable",
        "Full name: required field",
        "name: build-and-test",
        "contact: ops",
        "Name: N/A",
    ],
)
def test_greeting_and_form_look_alikes(text: str) -> None:
    assert KIND_PERSON_NAME not in _kinds(text)


def test_ner_drops_a_cue_word_taken_for_a_name(ner: None) -> None:
    assert not _slow("Ask Claude")


@pytest.mark.parametrize(
    "text",
    [
        "Apt. 4B, 4567 Oak Avenue",
        "Suite 200, 123 Main St.",
        "Flat 3, 12 High Street",
        "4567 Oak Avenue Apt. 12",
        "12, rue de la Paix",
        "ul. Marszałkowska 10/12",
        "Plac Zbawiciela 4",
        "Gran Vía 28, 3º izq.",
        "Østre gate 5 B, 0181 Oslo",
        "Calle de Alcalá 45",
        "Rua Augusta 100",
        "Unter den Linden 77",
        "Straße des 17. Juni 135",
        "Rue du Faubourg Saint-Honoré 55",
        "Unit 3/45 George St, Sydney",
        "568 Kimberly Viaduct Apt. 842",
        "0134 Lisa Parkways Suite 210\nPort Jennifer, NE 12345",
        "Studio 33, Kelly Ports",
        "Send to 9 Smith Fork, Lake Jen, TX 75001",
        "PSC 1234, Box 5678\nAPO AE 09012",
        "can u check if 32 hawthorn close, york is in the catchment area",
    ],
)
def test_more_address_layouts(text: str) -> None:
    assert KIND_POSTAL_ADDRESS in _kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Route 66",
        "Highway 101 traffic",
        "Main Street USA",
        "Fifth Avenue shops",
        "Downing Street said",
        "Wall Street fell 3 %",
        "Box 3 of 5",
        "100 Data Points were collected",
        "I scored 120 Bonus Points in the game",
        "1200 Oak Park visitors",
        "3 Smith Fork",  # a short number before a rare suffix, nothing else: too weak
    ],
)
def test_more_address_look_alikes(text: str) -> None:
    assert KIND_POSTAL_ADDRESS not in _kinds(text)
