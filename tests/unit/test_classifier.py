"""The local task classifier: labels for typical prompts, explained and deterministic."""

from __future__ import annotations

import pytest

from routing.classifier import TASK_LABELS, Classification, TaskLabel, classify

CASES: list[tuple[str, str]] = [
    # code_generation
    ("Write a Python function that parses ISO 8601 dates and returns a datetime.", "code_generation"),
    ("Write a Python function that reads a CSV and computes the mean", "code_generation"),
    ("```python\ndef add(a, b):\n    return a + b\n```\nWhy does this fail for strings?", "code_generation"),
    ("Refactor this React component to use hooks instead of a class.", "code_generation"),
    ("How do I fix this TypeError in my javascript code?", "code_generation"),
    ("Implement a binary search algorithm in Rust", "code_generation"),
    ("Write unit tests for the tokenizer module using pytest fixtures.", "code_generation"),
    ("function add(a, b) { return a + b; } -- why is this slow?", "code_generation"),
    ("Skriv en funksjon i Python som sorterer en liste med tupler.", "code_generation"),
    ("Kan du feilsøke koden min? Den krasjer ved oppstart.", "code_generation"),
    # data_analysis
    ("Analyze this CSV of monthly sales and report the mean, median and a trend line.", "data_analysis"),
    ("month,revenue,cost\n2024-01,1200,800\n2024-02,1350,820\n2024-03,1500,900\n", "data_analysis"),
    ("| region | sales |\n|---|---|\n| north | 10 |\n| south | 12 |\nWhich region grew?", "data_analysis"),
    ("Compute the correlation between height and weight in this dataset.", "data_analysis"),
    ("What is the standard deviation and variance of these survey results?", "data_analysis"),
    ("Analyser salgstallene og lag en tabell med gjennomsnitt per kvartal.", "data_analysis"),
    # creative_writing
    ("Write a haiku about the first snow in Oslo.", "creative_writing"),
    ("Tell me a bedtime story about a brave little fox.", "creative_writing"),
    ("Compose song lyrics in the style of a 1960s folk ballad.", "creative_writing"),
    ("Give my fantasy novel a plot twist for the main character.", "creative_writing"),
    ("Skriv et dikt om havet og lyset i november.", "creative_writing"),
    ("Fortell en historie om en troll som mister hatten sin.", "creative_writing"),
    ("Kan du hjelpe meg med et dikt om våren?", "creative_writing"),
    # research
    ("Explain the history of the printing press in Europe.", "research"),
    ("Compare studies on intermittent fasting; cite peer-reviewed sources.", "research"),
    ("Write a literature review outline on microplastics in drinking water.", "research"),
    ("What does the research say about meta-analysis of sleep and memory?", "research"),
    ("Hva sier forskningen om skjermtid hos barn? Oppgi kilder.", "research"),
    # general
    ("What's the capital of Australia?", "general"),
    ("Thanks, that helped a lot!", "general"),
    ("How long should I boil an egg for a soft yolk?", "general"),
    ("Translate 'good morning' into Norwegian and German.", "general"),
    ("Plan a three-day trip to Bergen in May with a modest budget.", "general"),
    ("", "general"),
    # ties and weak evidence fall back to general
    ("What's the average price of a flat in Oslo?", "general"),
    ("Our CI uses Python and pandas.", "general"),
]


@pytest.mark.parametrize(("prompt", "expected"), CASES, ids=[p[:40] for p, _ in CASES])
def test_prompts_get_the_expected_label(prompt: str, expected: str) -> None:
    assert classify(prompt).label == expected


@pytest.mark.parametrize("prompt", [prompt for prompt, _ in CASES], ids=[p[:40] for p, _ in CASES])
def test_results_are_well_formed(prompt: str) -> None:
    result = classify(prompt)
    assert isinstance(result, Classification)
    assert result.label in TASK_LABELS
    assert 0.0 <= result.confidence <= 1.0
    assert all(isinstance(signal, str) and signal for signal in result.signals)
    assert len(set(result.signals)) == len(result.signals)


def test_labels_match_the_enum() -> None:
    assert TASK_LABELS == ("code_generation", "data_analysis", "creative_writing", "research", "general")
    assert [label.value for label in TaskLabel] == list(TASK_LABELS)


def test_signals_explain_the_decision() -> None:
    result = classify("Write a Python function:\n```python\ndef f(): pass\n```")
    assert result.label == "code_generation"
    assert "code-fence" in result.signals
    assert "keyword:function" in result.signals
    assert "intent:write function" in result.signals
    assert "syntax:code" in result.signals


def test_each_cue_counts_once_even_when_seen_twice() -> None:
    both = classify("def f(x):\n    return x\nfunction g(y) { return y }")
    assert both.signals.count("syntax:code") == 1
    assert both == classify("def f(x):\n    return x\nfunction g(y) { return y }\ndef h(): pass")


def test_no_cue_means_general_with_no_signals() -> None:
    assert classify("What's the capital of Australia?") == Classification("general", 0.6, ())


def test_weak_or_tied_evidence_is_general_but_keeps_its_cues() -> None:
    tied = classify("Our CI uses Python and pandas.")
    assert tied.label == "general"
    assert tied.confidence == 0.4
    assert set(tied.signals) == {"keyword:python", "keyword:pandas"}


def test_intent_outweighs_loose_keywords() -> None:
    # csv and mean point to data analysis, but the request is to write code
    result = classify("Write a Python function that reads a CSV and computes the mean")
    assert result.label == "code_generation"
    assert "keyword:csv" not in result.signals


def test_more_evidence_means_more_confidence() -> None:
    weak = classify("Any good python tips?")
    strong = classify("Write a Python function, with a code example:\n```py\nimport os\n```")
    assert weak.label == strong.label == "code_generation"
    assert strong.confidence > weak.confidence


def test_repeating_a_cue_does_not_add_evidence() -> None:
    once = classify("Write a poem about the sea")
    many = classify("Write a poem about the sea. Poem poem poem poem poem.")
    assert once == many


def test_classification_is_deterministic() -> None:
    prompt = "Compare studies on sleep, cite sources, and plot the data in a chart"
    assert len({classify(prompt) for _ in range(20)}) == 1


def test_case_and_punctuation_do_not_matter() -> None:
    assert classify("WRITE A HAIKU!!!").label == classify("write a haiku").label == "creative_writing"
