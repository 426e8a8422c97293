"""Languages: detection, safety routing, localized messages, and the Assistant answering a
question in Spanish with Spanish framing around verbatim English quotes (fast tier)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant
from assistant.conversation import is_follow_up, resolve
from assistant.language import LANGUAGE_NAMES, LANGUAGES, detect_language
from assistant.messages import message
from assistant.models import Turn
from assistant.safety import route
from assistant.text import expand, fold
from webui.labels import ui_labels

MESSAGES = Path(__file__).resolve().parent.parent / "assistant" / "messages"
OTHER = [code for code in LANGUAGES if code != "en"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What does an occupational therapist do?", "en"),
        ("¿El seguro médico me paga la terapia ocupacional?", "es"),
        ("¿Qué es un fisiatra?", "es"),
        ("Est-ce que l'assurance rembourse l'ergothérapie ?", "fr"),
        ("Wie lange dauert eine Physiotherapie normalerweise?", "de"),
        ("O plano de saúde cobre a terapia ocupacional?", "pt"),
        ("Quero morrer, não aguento mais.", "pt"),
        ("Ich will nicht mehr leben.", "de"),
    ],
)
def test_detects_the_five_languages(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Short questions as people type them: the n-gram detector alone called these German.
        ("Whats a physiatrist", "en"),
        ("wat is a physiatrist?", "en"),
        ("whats an OT", "en"),
        ("Im so tired", "en"),
        # Names the detector has never seen: this one was French to it.
        ("is ocrevus better than kesimpta?", "en"),
        ("does baclofen help more than tizanidine", "en"),
        # ...while a short question in another language keeps its language.
        ("me cuesta caminar", "es"),
        ("Was ist Ergotherapie?", "de"),
        ("quero morrer", "pt"),
        ("Will sie wieder laufen lernen?", "de"),
        ("Kann er mit MS arbeiten?", "de"),
    ],
)
def test_short_questions_are_detected(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "?!", "12345", "OT?", "Tysabri"])
def test_unsure_or_wordless_text_falls_back(text):
    assert detect_language(text) == "en"
    assert detect_language(text, fallback="de") == "de"


def test_conversation_language_is_the_fallback(fast_assistant):
    history = [Turn("user", "¿Qué hace un terapeuta ocupacional?"), Turn("assistant", "...")]
    assert fast_assistant.language_of("OT?", history) == "es"
    assert fast_assistant.language_of("OT?") == "en"


CRISIS = {
    "es": ["Quiero morir", "Ya no quiero vivir", "Estoy pensando en quitarme la vida", "suicidio"],
    "fr": ["Je veux mourir", "je ne veux plus vivre", "J'ai envie d'en finir", "me suicider"],
    "de": ["Ich will nicht mehr leben", "Ich möchte sterben", "Ich denke an Selbstmord"],
    "pt": ["Quero morrer", "Não quero mais viver", "Penso em me matar", "Nao aguento mais"],
}
EMERGENCY = {
    "es": ["Tengo dolor en el pecho", "No puedo respirar", "De repente no veo nada por un ojo"],
    "fr": [
        "J'ai une douleur dans la poitrine",
        "J'ai du mal à respirer",
        "Je crois que c'est un AVC",
    ],
    "de": ["Ich habe Brustschmerzen", "Ich bekomme keine Luft", "Mein Gesicht ist plötzlich taub"],
    "pt": ["Estou com dor no peito", "Não consigo respirar", "De repente não consigo falar"],
}
ADVICE = {
    "es": ["¿Debo dejar de tomar Ocrevus?", "¿Puedo duplicar la dosis de baclofeno?"],
    "fr": [
        "Est-ce que je peux arrêter mon médicament ?",
        "Dois-je augmenter ma dose de baclofène ?",
    ],
    "de": ["Soll ich mein Tysabri absetzen?", "Darf ich die Dosis von Gabapentin verdoppeln?"],
    "pt": ["Posso parar de tomar o meu remédio?", "Devo aumentar a dose de vitamina D?"],
}
ORDINARY = {
    "es": ["¿Qué hace un terapeuta ocupacional?", "¿Cuánto dura la fisioterapia?"],
    "fr": ["Que fait un ergothérapeute ?", "Le sport aide-t-il contre la fatigue ?"],
    "de": ["Was macht eine Ergotherapeutin?", "Hilft Bewegung gegen Müdigkeit?"],
    "pt": ["O que faz um terapeuta ocupacional?", "A fisioterapia ajuda no equilíbrio?"],
}


def _cases(table):
    return [(lang, text) for lang, texts in table.items() for text in texts]


@pytest.mark.parametrize(("language", "question"), _cases(CRISIS))
def test_crisis_in_each_language(language, question):
    assert route(question) == "crisis"


@pytest.mark.parametrize(("language", "question"), _cases(EMERGENCY))
def test_emergency_in_each_language(language, question):
    assert route(question) == "emergency"


@pytest.mark.parametrize(("language", "question"), _cases(ADVICE))
def test_advice_in_each_language(language, question):
    assert route(question) == "advice"


@pytest.mark.parametrize(("language", "question"), _cases(ORDINARY))
def test_ordinary_question_in_each_language_is_not_routed(language, question):
    assert route(question) is None


def test_crisis_is_caught_whatever_language_is_detected():
    # Routing never depends on detection: a two-word message is checked in every language.
    assert detect_language("quero morrer") != "en"
    assert route("quero morrer") == "crisis"
    assert route("QUIERO MORIR") == "crisis"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", OTHER)
def test_every_message_is_translated_with_the_same_placeholders(language):
    english = sorted(p.name for p in (MESSAGES / "en").glob("*.txt"))
    assert english
    for name in english:
        path = MESSAGES / language / name
        assert path.exists(), f"{language}/{name} is missing"
        translated = path.read_text(encoding="utf-8")
        assert translated.strip()
        assert translated != (MESSAGES / "en" / name).read_text(encoding="utf-8")
        assert _placeholders(translated) == _placeholders(
            (MESSAGES / "en" / name).read_text(encoding="utf-8")
        ), name


@pytest.mark.parametrize("language", OTHER)
def test_safety_messages_keep_an_emergency_number(language):
    for name in ("emergency", "crisis"):
        assert "112" in message(name, language)


def test_message_formats_in_a_language_and_falls_back_to_english():
    assert "12" in message("invalid_long", "de", length=12, limit=10)
    assert message("framing", "xx") == message("framing", "en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_ui_labels_exist_for_each_language(language):
    assert ui_labels(language).keys() == ui_labels("en").keys()
    assert language in LANGUAGE_NAMES


def test_fold_and_translated_glossary():
    assert fold("Ergothérapie, Größe") == "ergotherapie, grosse"
    assert "insurance" in expand("¿El seguro paga la terapia ocupacional?", "es")
    assert "occupational therapy" in expand("Zahlt die Kasse die Ergotherapie?", "de")
    assert expand("seguro", "en") == ""


@pytest.mark.parametrize(
    ("question", "term", "added"),
    [
        # A phrase is a whole word with its usual endings...
        ("I pee a lot at night", "bladder", True),
        ("I was diagnosed three weeks ago", "bladder", False),
        ("Is my workout rubbish?", "massage", False),
        ("Does peer support help?", "bladder", False),
        ("my son drives me", "family", True),
        ("old songs help me walk", "family", False),
        ("I overdid it yesterday", "intensity", True),
        ("what happens after an overdose?", "intensity", False),
        ("I feel tiredness all day", "fatigue", True),
        ("is it affordable?", "insurance", True),
        # ...and a stem written with \w* takes any ending.
        ("my physiotherapist said", "physical therapy", True),
        ("I keep stumbling", "tripping", True),
        ("slurring my words", "speech", True),
    ],
)
def test_english_glossary_matches_whole_words(question, term, added):
    assert (term in expand(question, "en")) is added


def test_follow_up_in_another_language():
    history = [Turn("user", "¿Qué hace un terapeuta ocupacional?"), Turn("assistant", "...")]
    assert is_follow_up("¿Y eso lo cubre el seguro?")
    assert is_follow_up("Und was kostet das?")
    assert not is_follow_up("¿Qué hace un terapeuta ocupacional?")
    resolved = resolve("¿Y eso lo cubre el seguro?", history)
    assert resolved.startswith("¿Qué hace un terapeuta ocupacional?")


# The hash embedder cannot match across languages; the translated glossary adds the English
# document words ("insurance coverage", "occupational therapy") to a Spanish question, which
# is what lets the bag-of-words fake find the English passage here.
# The threshold for other languages is set on the multilingual model's similarity scale;
# the hash fake has its own (a Spanish question sharing the glossary's words scores ~0.36,
# an unrelated one ~0.25), so these tests set it for the fake.
SPANISH_OT = "¿El seguro paga la terapia ocupacional?"
HASH_THRESHOLD = 0.26
"""Between the hash embedder's evidence for SPANISH_OT (0.264) and for a paella recipe (0.252)
over the shipped corpus. (It was 0.33 while a copied 'People also ask' snippet about insurance
for horse therapy, since dropped by cleaning, lifted SPANISH_OT to 0.36.)"""


@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    base = tmp_path_factory.mktemp("lang")
    corpus = copy_corpus(base / "corpus")
    settings = fast_settings(corpus, base / "index")
    ingest([corpus], settings)
    return corpus, base / "index"


@pytest.fixture(scope="module")
def spanish_ready(hash_index):
    corpus, index = hash_index
    return build_assistant(fast_settings(corpus, index, abstain_below_translated=HASH_THRESHOLD))


def test_spanish_question_gets_spanish_framing_and_verbatim_english_quotes(spanish_ready):
    fast_assistant = spanish_ready
    answer = fast_assistant.ask(SPANISH_OT)
    assert answer.language == "es"
    assert answer.status == "answered"
    assert answer.answer.startswith(message("framing", "es"))
    assert answer.answer.rstrip().endswith(message("closing", "es"))
    assert message("framing", "en") not in answer.answer
    for citation in answer.citations:
        text = fast_assistant.source(citation.doc_id).text
        assert citation.quote == text[citation.start : citation.end]
        assert citation.quote in answer.answer
    assert any("Coverage for OT services varies by plan." in c.quote for c in answer.citations)
    assert answer.to_json()["language"] == "es"


@pytest.mark.parametrize("language", OTHER)
def test_safety_messages_come_in_the_question_language(fast_assistant, language):
    question = CRISIS[language][0]
    answer = fast_assistant.ask(question)
    assert answer.status == "crisis"
    assert answer.language == language
    assert answer.answer == message("crisis", language)


def test_invalid_input_answered_in_the_conversation_language(fast_assistant):
    history = [Turn("user", "¿Qué hace un terapeuta ocupacional?")]
    answer = fast_assistant.ask("   ", history)
    assert answer.status == "invalid"
    assert answer.answer == message("invalid_empty", "es")


def test_abstention_threshold_is_per_language(hash_index, spanish_ready):
    corpus, index = hash_index
    assert spanish_ready.ask(SPANISH_OT).status == "answered"
    assert spanish_ready.ask("¿Cómo se hace una paella?").status == "abstained"
    # The same question is refused when only the threshold for other languages is raised ...
    strict = build_assistant(fast_settings(corpus, index, abstain_below_translated=1.01))
    refused = strict.ask(SPANISH_OT)
    assert refused.status == "abstained"
    assert refused.answer.startswith(message("abstain", "es", topics="")[:40])
    assert refused.citations == ()
    # ... while an English question is judged by the English threshold, untouched.
    assert strict.ask("Will my insurance pay for occupational therapy?").status == "answered"


def test_spanish_off_topic_question_is_refused_even_when_similar_enough(hash_index):
    corpus, index = hash_index
    lenient = build_assistant(fast_settings(corpus, index, abstain_below_translated=0.0))
    # Named as out of scope (out_of_scope_translated.txt) and not in the documents.
    answer = lenient.ask("¿Quién ganó el último mundial de fútbol?")
    assert answer.language == "es"
    assert answer.status == "abstained"
    assert answer.citations == ()


def test_find_reports_a_translation_language(fast_assistant):
    assert fast_assistant.language_of("La cobertura de la terapia ocupacional varía.") == "es"
    assert fast_assistant.find("   ") == []
