"""The generative answerer: a language model writes the answer, every sentence is checked.

Beside the extractive answerer, behind the same `Answerer` protocol, and only when the
operator configures an endpoint (`MSRA_LLM=openai|ollama`). It reads only the retrieval result:
the answer units of the best passages are numbered and sent with the question (the prompt is
`answer_prompt.txt`); the model writes short sentences, each ending with the number of the
passage it rests on. Then the code, not the model, decides what reaches the reader: a marker to
a passage that was not given is dropped; each sentence is checked against the units it cites
(share of its content words the units hold, every number and every negation matching, and the
similarity of the sentence to the unit's sentences with the embedder the index already uses);
a sentence that fails is removed. If too little is left, or the endpoint is down or slow, the
extractive answer is given instead, with a note that says so. Citations are still verbatim
quotes with offsets: the part of the cited unit that supports the sentence.

It does not call the model for safety routing or abstention (those run before, unchanged),
never lets the model's words stand without a checked citation, and sends nothing anywhere
when no endpoint is configured (nothing here is even imported then).
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.compose import Composed, ExtractiveAnswerer, verified_citations
from assistant.errors import ConfigError, DependencyError
from assistant.messages import message
from assistant.models import Document
from assistant.reader import View
from assistant.retrieve import RetrievalResult
from assistant.settings import Settings
from assistant.text import content_terms
from assistant.units import AnswerUnit

PROMPT = Path(__file__).parent / "answer_prompt.txt"
REFUSAL = "NOT_IN_PASSAGES"
"""What the model is told to reply when the passages do not answer."""
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
}
LLMS = ("extractive", "openai", "ollama")

MAX_PASSAGES = 6
"""How many answer units (the best first) are numbered and sent to the model."""
MAX_SENTENCES = 5
"""Most sentences the model is asked for."""
SUPPORT_BELOW = 0.75
"""A sentence whose support score is under this is removed. Chosen by `evals.tune_verifier`
on the dev and legacy cases: 97.0% of supported claims kept, 3.4% of unsupported ones (wrong
citations, claims from other documents) accepted; 0.5 accepted 19.9%."""
SUPPORT_BELOW_TRANSLATED = 0.8
"""The same for an answer in another language, scored by the multilingual model alone. On the
translated find cases of dev/legacy (`evals.tune_verifier --translated`) 0.8 keeps 78.6% of
supported claims and accepts 10.7% of wrong citations; 0.5 accepted 78.6%: across languages
the check is much weaker, so it is strict and such answers fall back to quotes more often."""
OVERLAP_WEIGHT = 0.5
"""In English, the share of content words weighs this much against embedding similarity."""
MIN_OVERLAP = 0.0
"""An English sentence must find at least this share of its content words in what it cites
(the tuning found no floor that helps beyond SUPPORT_BELOW, which already implies 0.5)."""
WHOLE_QUOTE_CHARS = 400
"""A supporting unit this short is quoted whole; a longer one by its best sentence."""


class ChatModel(Protocol):
    """What the answerer needs of a LangChain chat model: streaming chunks with `.content`."""

    def stream(self, input: Any, *args: Any, **kwargs: Any) -> Iterator[Any]: ...


class LLMUnavailableError(Exception):
    """The endpoint did not answer in time or could not be reached (never shown raw)."""


# --- The prompt -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbered:
    """A passage as the model sees it: number `n`, an answer unit and its text."""

    n: int
    unit: AnswerUnit
    text: str
    """The unit's text, a sentence that addresses a language model replaced by "[…]"."""
    addressed: frozenset[int] = frozenset()
    """Indexes (in the unit) of those sentences: never sent, never support."""


# A sentence written to steer a language model, not to inform a reader.
_ADDRESSES_MODEL = re.compile(
    r"\b(ignore|disregard|override|forget)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+|my\s+)?"
    r"(previous|prior|above|earlier|preceding|system|original)\s+(instructions?|rules|prompts?|"
    r"messages?|directions)\b|\b(ignore|disregard)\s+(all\s+|any\s+)?(your\s+|these\s+)?"
    r"(instructions?|rules)\b|"
    r"\b(you are now|as an ai\b|(large )?language models?\b|system prompt|new instructions?:|"
    r"jailbreak)",
    re.IGNORECASE,
)
"""Not "ignore your therapist's instructions": a rehab document may well say that."""


def addresses_model(sentence: str) -> bool:
    return bool(_ADDRESSES_MODEL.search(sentence))


def numbered_passages(
    result: RetrievalResult, documents: dict[str, Document], limit: int = MAX_PASSAGES
) -> list[Numbered]:
    """The answer units of the result, best first, numbered from 1. Passages are data; a
    sentence in them that addresses a language model is left out as well (the prompt already
    says to treat the passages as text: this is the second lock)."""
    passages: list[Numbered] = []
    for scored in result.units[:limit]:
        unit = scored.unit
        document = documents[unit.doc_id].text
        text = document[unit.start : unit.end]
        addressed = frozenset(
            i for i, (a, b) in enumerate(unit.spans) if addresses_model(document[a:b])
        )
        for i in sorted(addressed, reverse=True):
            a, b = unit.spans[i]
            text = text[: a - unit.start] + "[…]" + text[b - unit.start :]
        passages.append(Numbered(len(passages) + 1, unit, text, addressed))
    return passages


_TAG = re.compile(r"<\s*/?\s*(passage|question)\b", re.IGNORECASE)


def _inert(text: str) -> str:
    """Text that cannot close or open a delimiter of the prompt: a passage or question that
    writes "</passage>" stays inside its own tags."""
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹"), text)


@lru_cache(maxsize=1)
def _prompt_parts() -> tuple[str, str]:
    text = PROMPT.read_text(encoding="utf-8")
    system, user = text.split("[user]", 1)
    return system.replace("[system]", "", 1).strip(), user.strip()


def prompt_messages(
    question: str, passages: list[Numbered], language: str
) -> list[tuple[str, str]]:
    """The (role, text) messages for the model: rules, then passages and question as data."""
    system, user = _prompt_parts()
    blocks = "\n\n".join(
        f'<passage n="{p.n}">\n{_inert(_heading_line(p.unit) + p.text)}\n</passage>'
        for p in passages
    )
    values = {
        "language_name": LANGUAGE_NAMES.get(language, "English"),
        "max_sentences": MAX_SENTENCES,
        "refusal": REFUSAL,
    }
    return [
        ("system", system.format(**values)),
        ("human", user.format(passages=blocks, question=_inert(question), **values)),
    ]


def _heading_line(unit: AnswerUnit) -> str:
    return f"({unit.heading.strip()})\n" if unit.heading.strip() else ""


# --- Sentences and markers --------------------------------------------------------------------

_MARKERS = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*(?:passages?\s*)?\d+)*)\s*\]", re.I)
_END = re.compile(
    r"(?:[.!?][\"”’)]?(?:\s*" + _MARKERS.pattern + r")*|(?:\s*" + _MARKERS.pattern + r")+[.!?]?)"
    r"(?=\s+(?:[A-ZÀ-Ý¿¡\"“(]|$)|\s*\n|$)",
    re.IGNORECASE,
)


def markers(sentence: str) -> list[int]:
    """The passage numbers a sentence cites, in order, without repeats."""
    found: list[int] = []
    for group in _MARKERS.finditer(sentence):
        for number in re.findall(r"\d+", group.group(1)):
            if int(number) not in found:
                found.append(int(number))
    return found


def without_markers(sentence: str) -> str:
    text = _MARKERS.sub("", sentence)
    text = re.sub(r"\s+([.!?,;:])", r"\1", text)
    return " ".join(text.split())


def split_complete(buffer: str, final: bool) -> tuple[list[str], str]:
    """The complete sentences at the start of `buffer` and what is left. A sentence is
    complete when its end (punctuation and/or markers) is followed by the next sentence's
    start, a line break, or (when `final`) the end of the reply."""
    sentences, start = [], 0
    for end in _END.finditer(buffer):
        stop = end.end()
        if stop == len(buffer) and not final:
            break
        piece = buffer[start:stop].strip()
        if piece:
            sentences.append(piece)
        start = stop
    rest = buffer[start:]
    if final and rest.strip():
        sentences.append(rest.strip())
        rest = ""
    return sentences, rest


# --- Checking a sentence against what it cites -------------------------------------------------

_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "thirty": "30", "hundred": "100", "half": "50%", "once": "1", "twice": "2",
}  # fmt: skip
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(not|no|never|none|nor|neither|cannot|without|nothing|nobody|"  # en
    r"nunca|ni|sin|ningun[oa]?|nada|"  # es (and "no")
    r"ne|pas|jamais|aucun[e]?|sans|rien|"  # fr
    r"nicht|kein(?:e|en|er|em|es)?|nie|niemals|ohne|nichts|"  # de
    r"não|nem|sem|nenhum[a]?)\b|n't\b|\bn['’]",  # pt, contractions
    re.IGNORECASE,
)


def numbers_in(text: str) -> set[str]:
    found = set()
    for match in _NUMBER.finditer(text):
        token = match.group(0).lower()
        found.add(_NUMBER_WORDS.get(token, token.replace(",", ".")))
    return found


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text.replace("’", "'")))


@dataclass(frozen=True)
class Support:
    """How well one cited unit supports a sentence."""

    n: int
    score: float
    overlap: float
    similarity: float
    best: int
    """Index (in the unit) of the unit's sentence closest to the generated one."""


@dataclass(frozen=True)
class Checked:
    """A generated sentence after verification."""

    text: str
    """The sentence without markers."""
    cited: tuple[int, ...]
    """The given passages it cites (markers to passages not given are dropped)."""
    kept: bool
    reason: str = ""
    """Why it was removed: "no citation", "number", "negation" or "unsupported"."""
    supports: tuple[Support, ...] = ()
    score: float = 0.0
    """The support score the threshold is applied to (0 when a rule removed it first)."""
    overlap: float = 0.0
    """Share of its content words the cited units hold (English; 1.0 in other languages)."""


class Verifier:
    """Checks generated sentences against numbered passages, with the lane's embedding view
    (its stored sentence vectors: only the generated sentence is embedded)."""

    def __init__(self, documents: dict[str, Document], view: View) -> None:
        self._documents = documents
        self._view = view

    def check(self, sentence: str, passages: list[Numbered], language: str) -> Checked:
        given = {p.n: p for p in passages}
        text = without_markers(sentence)
        cited = tuple(n for n in markers(sentence) if n in given)
        if not cited or (not content_terms(text) and not numbers_in(text)):
            return Checked(text, cited, False, "no citation")
        units = [given[n] for n in cited]
        cited_text = " ".join(p.unit.heading + " " + p.text for p in units)
        if not numbers_in(text) <= numbers_in(cited_text):
            return Checked(text, cited, False, "number")
        vector = self._view.embedder.embed_passages([text])[0]
        supports = tuple(self._support(text, vector, p, language) for p in units)
        best = max(supports, key=lambda s: s.score)
        # Words may come from several cited units together.
        union = _overlap(text, cited_text) if language == "en" else 1.0
        score = max(best.score, _combined(union, best.similarity, language))
        closest = self._sentence(given[best.n].unit, best.best)
        if negated(text) != negated(closest):
            return Checked(text, cited, False, "negation", supports, score, union)
        threshold = SUPPORT_BELOW if language == "en" else SUPPORT_BELOW_TRANSLATED
        if score < threshold or union < MIN_OVERLAP:
            return Checked(text, cited, False, "unsupported", supports, score, union)
        kept = tuple(s for s in supports if s.score >= threshold / 2 or s is best)
        return Checked(text, tuple(s.n for s in kept), True, "", kept, score, union)

    def _support(self, text: str, vector: np.ndarray, passage: Numbered, language: str) -> Support:
        unit = passage.unit
        rows = self._view.vectors[list(unit.sentences)]
        similarities = self._view.calibrated(rows @ vector)
        sims = np.clip(np.asarray(similarities, dtype=np.float32), 0.0, 1.0)
        sims[list(passage.addressed)] = 0.0
        # The closest sentence: by meaning, and by shared words when meaning ties.
        words = [
            0.0 if i in passage.addressed else _overlap(text, self._sentence(unit, i))
            for i in range(len(unit.spans))
        ]
        best = max(range(len(unit.spans)), key=lambda i: sims[i] + 0.5 * words[i])
        overlap = _overlap(text, f"{unit.heading} {passage.text}") if language == "en" else 1.0
        similarity = float(sims.max()) if len(sims) else 0.0
        return Support(
            passage.n, _combined(overlap, similarity, language), overlap, similarity, best
        )

    def _sentence(self, unit: AnswerUnit, index: int) -> str:
        start, end = unit.spans[index]
        return self._documents[unit.doc_id].text[start:end]

    def quote_span(self, passage: Numbered, support: Support) -> tuple[str, int, int]:
        """What a citation quotes: a short unit whole, else its sentence closest to the claim."""
        unit = passage.unit
        if unit.end - unit.start <= WHOLE_QUOTE_CHARS and not passage.addressed:
            return unit.doc_id, unit.spans[0][0], unit.spans[-1][1]
        start, end = unit.spans[support.best]
        return unit.doc_id, start, end


def _overlap(claim: str, source: str) -> float:
    """Share of the claim's content words (stemmed) that the source holds."""
    wanted = set(content_terms(claim))
    return len(wanted & set(content_terms(source))) / len(wanted) if wanted else 0.0


def _combined(overlap: float, similarity: float, language: str) -> float:
    if language != "en":
        # Across languages shared words mean nothing; the multilingual model decides.
        return similarity
    return OVERLAP_WEIGHT * overlap + (1 - OVERLAP_WEIGHT) * similarity


# --- The answerer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generation:
    """What one generation gave: every sentence with its verdict (for evals and tests)."""

    checked: tuple[Checked, ...]
    refused: bool = False
    error: str = ""


class GenerativeAnswerer:
    """Has a chat model write the answer from the numbered answer units, keeps only the
    sentences the verifier accepts, and falls back to `extractive` when too little is left
    or the model cannot be reached."""

    name = "generative"

    def __init__(
        self,
        model: ChatModel,
        documents: dict[str, Document],
        extractive: ExtractiveAnswerer,
        view: View,
        timeout_s: float = 30.0,
    ) -> None:
        self._model = model
        self._documents = documents
        self.extractive = extractive
        self.verifier = Verifier(documents, view)
        self._timeout_s = timeout_s
        self.last: Generation | None = None
        """The last generation's sentences and verdicts (read by the evaluation)."""

    def compose(self, result: RetrievalResult, framing: str, language: str = "en") -> Composed:
        stream = self.compose_stream(result, framing, language)
        while True:
            try:
                next(stream)
            except StopIteration as done:
                composed: Composed = done.value
                return composed

    def compose_stream(
        self, result: RetrievalResult, framing: str, language: str = "en"
    ) -> Generator[str, None, Composed]:
        """Yields each accepted sentence (with its passage markers) as the model writes it;
        returns the whole answer, renumbered to its citations, or the extractive fallback."""
        passages = numbered_passages(result, self._documents)
        if not passages:
            return self._fallback(result, framing, language, "llm_fallback")
        question = result.question or result.query.focus or result.query.text
        given = {p.n: p for p in passages}
        checked: list[Checked] = []
        # What the citations quote, in order of first use: markers are renumbered to them as
        # each sentence is accepted, so the streamed sentences are the final ones.
        spans: list[tuple[str, int, int]] = []
        sentences: list[str] = []
        try:
            for sentence in self._sentences(prompt_messages(question, passages, language)):
                verdict = self.verifier.check(sentence, passages, language)
                checked.append(verdict)
                if verdict.kept:
                    sentences.append(self._renumbered(verdict, given, spans))
                    yield sentences[-1]
        except LLMUnavailableError as exc:
            self.last = Generation(tuple(checked), error=str(exc))
            return self._fallback(result, framing, language, "llm_unavailable")
        refused = any(REFUSAL in c.text for c in checked)
        self.last = Generation(tuple(checked), refused=refused)
        kept = len(sentences)
        citations = verified_citations(spans, self._documents, self.extractive.is_stale)
        # Too little left, or a span not verbatim (never shown): the quotes instead.
        if refused or not kept or kept < len(checked) - kept or len(citations) != len(spans):
            return self._fallback(result, framing, language, "llm_fallback")
        stale = self.extractive.stale_notes(citations, language)
        notes = (message("llm_generated", language), *stale)
        text = "\n\n".join(p for p in (framing, " ".join(sentences), *notes) if p)
        return Composed(
            text, citations, framing, notes, answerer="generative", sentences=tuple(sentences)
        )

    def _sentences(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        """The model's reply, sentence by sentence as it streams; LLMUnavailableError when the
        endpoint fails or the whole reply takes longer than the timeout."""
        deadline = time.monotonic() + self._timeout_s
        buffer = ""
        try:
            for chunk in self._model.stream(messages):
                buffer += _text_of(chunk)
                complete, buffer = split_complete(buffer, final=False)
                yield from complete
                if time.monotonic() > deadline:
                    raise LLMUnavailableError(f"no complete answer within {self._timeout_s:g} s")
        except LLMUnavailableError:
            raise
        except Exception as exc:  # any failure of the remote service means: answer without it
            raise LLMUnavailableError(f"{type(exc).__name__}: {exc}") from exc
        yield from split_complete(buffer, final=True)[0]

    def _renumbered(
        self, verdict: Checked, given: dict[int, Numbered], spans: list[tuple[str, int, int]]
    ) -> str:
        """The sentence with its markers pointing at citations (one per distinct supporting
        span, numbered in order of first use; `spans` grows as new ones are cited)."""
        numbers = set()
        for support in verdict.supports:
            span = self.verifier.quote_span(given[support.n], support)
            if span not in spans:
                spans.append(span)
            numbers.add(spans.index(span) + 1)
        return f"{verdict.text} {''.join(f'[{n}]' for n in sorted(numbers))}"

    def _fallback(self, result: RetrievalResult, framing: str, language: str, why: str) -> Composed:
        composed = self.extractive.compose(result, framing, language)
        if not composed.citations:
            return composed
        note = message(why, language)
        notes = (note, *composed.notes)
        lines = [composed.text, note] if composed.text else [note]
        return Composed(
            "\n\n".join(lines),
            composed.citations,
            composed.framing,
            notes,
            answerer="extractive-fallback",
        )


def _text_of(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)


# --- Building the chat model ---------------------------------------------------------------


def build_chat_model(settings: Settings) -> ChatModel:
    """The LangChain chat model the settings name (imported only here, only when used)."""
    if settings.llm not in LLMS:
        raise ConfigError(
            f"Unknown MSRA_LLM '{settings.llm}'. Set it to one of: {', '.join(LLMS)}."
        )
    if not settings.llm_base_url or not settings.llm_model:
        raise ConfigError(
            f"MSRA_LLM={settings.llm} needs the endpoint's address and model: set "
            "MSRA_LLM_BASE_URL and MSRA_LLM_MODEL (or unset MSRA_LLM for quotes only)."
        )
    try:
        if settings.llm == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(  # type: ignore[call-arg]
                base_url=settings.llm_base_url,
                model=settings.llm_model,
                api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
                timeout=settings.llm_timeout_s,
                max_retries=0,
                temperature=0,
            )
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            temperature=0,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )
    except ImportError as exc:
        package = "langchain-openai" if settings.llm == "openai" else "langchain-ollama"
        raise DependencyError(
            f"MSRA_LLM={settings.llm} needs the package {package}. Run `make install` (or "
            "`pip install -e .`) in the project's virtual environment."
        ) from exc
