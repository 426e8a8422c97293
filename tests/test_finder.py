"""Find in sources for translators: one match per paragraph, 'no close match', locations."""

from __future__ import annotations

import pytest

from assistant.contract import find_json, find_matches
from assistant.finder import is_close_match, paragraph_number, paragraph_span
from assistant.models import Document, DocumentMeta, Match

SPEECH = "Speech therapy improves communication for those who may have difficulty speaking"
UNRELATED = {
    "en": "The train to Edinburgh leaves from platform four at noon.",
    "es": "El tren a Madrid sale del andén cuatro a mediodía.",
    "fr": "Le train pour Lyon part du quai quatre à midi.",
    "de": "Der Zug nach Hamburg fährt um zwölf Uhr von Gleis vier ab.",
    "pt": "O comboio para Lisboa parte da linha quatro ao meio-dia.",
}
# Find cases of evals/cases.jsonl whose best match stands out clearly (fr-find-f8, de-find-f11).
TRANSLATED = {
    "fr": (
        "Parfois, les aides techniques seront temporaires et nécessaires uniquement pendant "
        "une poussée.",
        "Sometimes assistive devices will be temporary and only needed during a relapse.",
    ),
    "de": (
        "Die Sprachtherapie verbessert die Kommunikation bei Menschen, die wegen Schwäche oder "
        "schlechter Koordination Schwierigkeiten beim Sprechen oder Schlucken haben.",
        "Speech therapy improves communication for those who may have difficulty speaking or "
        "swallowing due to weakness or poor coordination.",
    ),
}


def _overlap(a: Match, b: Match, text: str) -> bool:
    first_a, last_a = paragraph_span(text, a.start, a.end)
    first_b, last_b = paragraph_span(text, b.start, b.end)
    return a.doc_id == b.doc_id and first_a < last_b and first_b < last_a


@pytest.mark.parametrize(
    "text",
    [
        "Physical therapy can help strengthen weakened muscles and improve balance.",
        "Occupational therapists help people do everyday things like grooming and dressing.",
        "exercise fatigue heat",
    ],
)
def test_one_match_per_paragraph(fast_assistant, text):
    matches = fast_assistant.find(text, k=10)
    assert len(matches) == 10
    for i, a in enumerate(matches):
        for b in matches[i + 1 :]:
            assert not _overlap(a, b, fast_assistant.documents[a.doc_id].text), (a, b)


def test_an_exact_sentence_is_a_close_match(fast_assistant):
    matches, close, language = find_matches(
        fast_assistant, "Coverage for OT services varies by plan."
    )
    assert (close, language, matches[0].exact) == (True, "en", True)


def test_an_unrelated_sentence_is_no_close_match(fast_assistant):
    matches, close, _ = find_matches(fast_assistant, UNRELATED["en"])
    assert matches
    assert close is False


def test_find_json_adds_close_match_and_paragraph(fast_assistant):
    data = find_json(fast_assistant, "Coverage for OT services varies by plan.")
    assert data["close_match"] is True
    top = data["matches"][0]
    assert {"doc_id", "title", "text", "start", "end", "score"} <= set(top)
    text = fast_assistant.documents[top["doc_id"]].text
    line_start = text.rfind("\n", 0, top["start"]) + 1
    before = [line for line in text[:line_start].split("\n") if line.strip()]
    assert top["paragraph"] == len(before) + 1 > 1


def test_section_is_a_real_heading_not_a_photo_caption(fast_assistant):
    top = fast_assistant.find(SPEECH)[0]
    assert top.doc_id == "nmss-rehabilitation-in-ms"
    assert top.section == "Types of Rehabs and Therapies"


def test_paragraph_numbers_count_lines_and_restart_on_each_pdf_page():
    text = "Title\n\nFirst paragraph. Second sentence.\nA list item\n\nPage two opens here.\nMore."
    page_two = text.index("Page two")
    document = Document(
        meta=DocumentMeta(doc_id="d", title="d"),
        text=text,
        source_path="",
        content_hash="x",
        page_starts=(0, page_two),
    )
    assert paragraph_number(document, text.index("Second sentence")) == 2
    assert paragraph_number(document, text.index("A list item")) == 3
    assert paragraph_number(document, page_two) == 1
    assert paragraph_number(document, text.index("More.")) == 2
    assert paragraph_span(text, text.index("Second"), text.index("Second") + 6) == (7, 40)


def _match(score: float, exact: bool = False) -> Match:
    return Match(doc_id="d", title="d", text="t", start=0, end=1, score=score, exact=exact)


def test_close_match_rules():
    assert is_close_match([_match(1.0, exact=True)], "de")
    assert is_close_match([_match(0.8), _match(0.79)], "en")
    assert not is_close_match([_match(0.7), _match(0.5)], "en")
    assert not is_close_match([], "en")
    bunched = [_match(0.80)] + [_match(0.79 - i * 0.001) for i in range(29)]
    standing_out = [_match(0.88)] + [_match(0.79 - i * 0.001) for i in range(29)]
    assert not is_close_match(bunched, "fr")
    assert is_close_match(standing_out, "fr")


@pytest.mark.real
@pytest.mark.parametrize("language", UNRELATED)
def test_real_unrelated_sentence_is_no_close_match_in_every_language(real_assistant, language):
    matches, close, detected = find_matches(real_assistant, UNRELATED[language])
    assert detected == language
    assert matches
    assert close is False


@pytest.mark.real
@pytest.mark.parametrize("language", TRANSLATED)
def test_real_translation_finds_its_source_as_a_close_match(real_assistant, language):
    text, source = TRANSLATED[language]
    matches, close, _ = find_matches(real_assistant, text)
    assert source in matches[0].text
    assert close is True


# Two pasted sentences: each marked in the passage

OT_FIRST = "Occupational therapists (OTs) help people do everyday things."
OT_LAST = "They focus on removing barriers by adapting people’s environment."


def test_two_pasted_sentences_are_both_marked_in_the_passage(fast_assistant):
    from webui.render import find_html

    # The first and the last sentence of one paragraph, four sentences apart.
    pasted = OT_FIRST + " " + OT_LAST.replace("’", "'")
    matches, _, _ = find_matches(fast_assistant, pasted)
    best = matches[0]
    text = fast_assistant.documents[best.doc_id].text
    assert [text[a:b] for a, b in best.highlights] == [OT_FIRST, OT_LAST]
    shown = find_html(pasted, matches, fast_assistant.documents)
    first_item = shown.split('<li class="match">')[1]
    assert first_item.count("<mark>") == 2
    assert f"<mark>{OT_FIRST}</mark>" in first_item
    assert f"<mark>{OT_LAST}</mark>" in first_item
    assert find_json(fast_assistant, pasted)["matches"][0]["highlights"] == [
        [text.index(OT_FIRST), text.index(OT_FIRST) + len(OT_FIRST)],
        [text.index(OT_LAST), text.index(OT_LAST) + len(OT_LAST)],
    ]


def test_an_unrelated_second_sentence_marks_nothing_more(fast_assistant):
    pasted = f"{OT_FIRST} {UNRELATED['en']}"
    best = fast_assistant.find(pasted, k=5)[0]
    text = fast_assistant.documents[best.doc_id].text
    assert [text[a:b] for a, b in best.highlights] == [OT_FIRST]


def test_one_pasted_sentence_keeps_the_match_as_the_mark(fast_assistant):
    best = fast_assistant.find(OT_FIRST, k=5)[0]
    assert best.highlights == ()
    assert best.text == OT_FIRST


@pytest.mark.parametrize(
    ("pasted", "sentences"),
    [
        ("One two three. Four five six.", ["One two three.", "Four five six."]),
        ('He said "stop now." Then we left.', ['He said "stop now."', "Then we left."]),
        ("See Dr. Smith at noon today.", ["Smith at noon today."]),
        ("Wie geht es? Gut, danke schön!", ["Wie geht es?", "Gut, danke schön!"]),
    ],
)
def test_pasted_sentences(pasted, sentences):
    from assistant.finder import pasted_sentences

    assert pasted_sentences(pasted) == sentences


@pytest.mark.real
def test_real_two_sentences_and_a_sentence_with_its_translation(real_assistant):
    pasted = OT_FIRST + " " + OT_LAST
    best = find_matches(real_assistant, pasted)[0][0]
    text = real_assistant.documents[best.doc_id].text
    assert [text[a:b] for a, b in best.highlights] == [OT_FIRST, OT_LAST]
    # A German sentence pasted with its English source: the source sentence is the mark.
    german, source = TRANSLATED["de"]
    best = find_matches(real_assistant, f"{source} {german}")[0][0]
    text = real_assistant.documents[best.doc_id].text
    assert [text[a:b] for a, b in best.highlights] == [source]
