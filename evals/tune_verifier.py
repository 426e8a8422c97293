"""Choose the generative verifier's thresholds on the dev and legacy cases (never heldout).

    python -m evals.tune_verifier                # English answerable cases
    python -m evals.tune_verifier --translated   # translated find cases (es, fr, de, pt)

No language model is needed, nor used: the claims are built from the cases' expected passages,
retrieved as the assistant retrieves them, and numbered as the model would see them.
- supported (should be kept): an expected sentence citing the passage that holds it, verbatim,
  and shortened to its first clause with a few everyday rewordings (a proxy for a paraphrase);
- unsupported (should be removed): the same sentence citing another given passage (a wrong
  citation), and an expected sentence of another case about another document citing this
  case's answering passage (an invented fact that sounds right).
For every pair of thresholds (support score, content-word overlap) it prints the share of
supported claims kept and of unsupported claims accepted, and the best pair that accepts at
most `MAX_ACCEPTED` of the unsupported ones. The rules (numbers, negations, citations) are
not thresholds and apply whatever is chosen. English cases only: the overlap is English
words, and the cases hold no translated claims.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from assistant.build import build_assistant
from assistant.contract import turns_from
from assistant.generative import Checked, Numbered, Verifier, numbered_passages
from assistant.settings import Settings
from evals.cases import ANSWERABLE_KINDS, expected_passages, language, load_cases, split

CASES = Path("evals/cases.jsonl")
MAX_ACCEPTED = 0.05
"""The largest share of unsupported claims the chosen thresholds may let through."""
SCORES = [round(0.2 + 0.05 * i, 2) for i in range(13)]
OVERLAPS = [round(0.05 * i, 2) for i in range(13)]
_REWORDINGS = (
    ("people with MS", "people who have MS"),
    (" can help ", " may help "),
    (" help ", " assist "),
    (" improve ", " better "),
    (" often ", " frequently "),
    (" important ", " key "),
)


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def shortened(sentence: str) -> str | None:
    """The sentence's first clause, lightly reworded; None when too short to stand."""
    first = re.split(r",\s|;\s|:\s|\s[-–—]\s", sentence, maxsplit=1)[0].rstrip(".!?")
    if len(first.split()) < 5:
        return None
    for old, new in _REWORDINGS:
        first = first.replace(old, new)
    return first + "."


def claims_of(
    case: dict[str, Any], passages: list[Numbered], foreign: str
) -> list[tuple[str, str]]:
    """(kind, claim with its marker) for one case: "supported" or "unsupported"."""
    claims = []
    for gold in expected_passages(case):
        holder = next((p for p in passages if _normal(gold) in _normal(p.text)), None)
        if holder is None:
            continue
        claims.append(("supported", f"{gold} [{holder.n}]"))
        short = shortened(gold)
        if short:
            claims.append(("supported", f"{short} [{holder.n}]"))
        other = next((p for p in passages if _normal(gold) not in _normal(p.text)), None)
        if other:
            claims.append(("unsupported", f"{gold} [{other.n}]"))
        if foreign and not any(_normal(foreign) in _normal(p.text) for p in passages):
            claims.append(("unsupported", f"{foreign} [{holder.n}]"))
        break
    return claims


def _kept(checked: Checked, score: float, overlap: float) -> bool:
    if checked.reason not in ("", "unsupported"):
        return False
    return checked.score >= score and checked.overlap >= overlap


def sweep(verdicts: list[tuple[str, Checked]]) -> list[tuple[float, float, float, float]]:
    """(score threshold, overlap threshold, supported kept, unsupported accepted) for each pair."""
    supported = [c for kind, c in verdicts if kind == "supported"]
    unsupported = [c for kind, c in verdicts if kind == "unsupported"]
    table = []
    for score in SCORES:
        for overlap in OVERLAPS:
            kept = sum(_kept(c, score, overlap) for c in supported) / max(len(supported), 1)
            accepted = sum(_kept(c, score, overlap) for c in unsupported) / max(len(unsupported), 1)
            table.append((score, overlap, kept, accepted))
    return table


def best(table: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """Most supported claims kept among pairs accepting at most MAX_ACCEPTED unsupported
    ones; ties go to the looser pair (the proxies are nearly verbatim: a real model's
    paraphrases need all the room the unsupported claims leave)."""
    allowed = [row for row in table if row[3] <= MAX_ACCEPTED] or table
    return max(allowed, key=lambda r: (r[2], -r[0], -r[1]))


def english_claims(assistant: Any) -> list[tuple[str, str, list[Numbered]]]:
    """(kind, claim, passages) from the English answerable dev/legacy cases."""
    cases = [
        c
        for c in load_cases(CASES)
        if split(c) in ("dev", "legacy") and c["kind"] in ANSWERABLE_KINDS and language(c) == "en"
    ]
    claims = []
    for number, case in enumerate(cases):
        result = assistant.retrieve(case["question"], turns_from(case.get("history")), "en")
        passages = numbered_passages(result, assistant.documents)
        others = [c for c in cases[number + 1 :] + cases[:number] if c["doc_id"] != case["doc_id"]]
        foreign = expected_passages(others[0])[0] if others else ""
        claims += [(kind, claim, passages) for kind, claim in claims_of(case, passages, foreign)]
        if number % 25 == 24:
            print(f"{number + 1} of {len(cases)} cases read", file=sys.stderr, flush=True)
    return claims


def translated_claims(assistant: Any) -> list[tuple[str, str, list[Numbered]]]:
    """The translated `find` cases of dev/legacy: a sentence in Spanish, French, German or
    Portuguese that says what an English passage says is a claim in the reader's language;
    cited to the passage holding that sentence it is supported, cited to another not."""
    cases = [
        c
        for c in load_cases(CASES)
        if split(c) in ("dev", "legacy") and c["kind"] == "find" and language(c) != "en"
    ]
    claims = []
    for case in cases:
        result = assistant.retrieve(case["text"], (), language(case))
        passages = numbered_passages(result, assistant.documents)
        for gold in expected_passages(case):
            holder = next((p for p in passages if _normal(gold) in _normal(p.text)), None)
            if holder is None:
                continue
            claims.append(("supported", f"{case['text']} [{holder.n}]", passages))
            other = next((p for p in passages if _normal(gold) not in _normal(p.text)), None)
            if other:
                claims.append(("unsupported", f"{case['text']} [{other.n}]", passages))
            break
    return claims


def main(argv: list[str] | None = None) -> int:
    translated = "--translated" in (argv if argv is not None else sys.argv[1:])
    assistant = build_assistant(Settings.from_env())
    if translated:
        retriever = assistant.lanes.for_language("es").retriever
        claims, lane_language = translated_claims(assistant), "es"
    else:
        retriever, lane_language = assistant.retriever, "en"
        claims = english_claims(assistant)
    verifier = Verifier(assistant.documents, retriever.view)
    verdicts = [(kind, verifier.check(claim, ps, lane_language)) for kind, claim, ps in claims]
    counts = {k: sum(kind == k for kind, _ in verdicts) for k in ("supported", "unsupported")}
    print(f"{'translated' if translated else 'English'} dev/legacy claims: {counts}")
    table = sweep(verdicts)
    print("score  overlap  supported kept  unsupported accepted")
    for score, overlap, kept, accepted in table:
        if overlap in (0.0, 0.3, 0.5):
            print(f"{score:5.2f}  {overlap:7.2f}  {kept:14.3f}  {accepted:20.3f}")
    score, overlap, kept, accepted = best(table)
    print(
        f"\nChosen: score {score}, overlap {overlap}: supported kept {kept:.3f}, "
        f"unsupported accepted {accepted:.3f} (at most {MAX_ACCEPTED} allowed)"
    )
    reasons: dict[str, int] = {}
    for kind, checked in verdicts:
        if kind == "supported" and checked.reason not in ("", "unsupported"):
            reasons[checked.reason] = reasons.get(checked.reason, 0) + 1
    print(f"Supported claims removed by a rule whatever the thresholds: {reasons}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
