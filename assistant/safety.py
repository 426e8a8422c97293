"""Deterministic safety routing, run on the question before any retrieval.

Three routes, checked in this order because a person in crisis or in an emergency must
get help first: `crisis` (thoughts of suicide or self-harm), `emergency` (red-flag
symptoms that need urgent care), `advice` (a personal decision about a medicine or dose,
which belongs with the clinician). Anything else is `None`: ordinary rehab questions.

These are regular expressions on purpose: they are predictable, testable and fast, and
they err towards help. They do not try to diagnose anything.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

Route = Literal["crisis", "emergency", "advice"]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_CRISIS = _any(
    r"\bsuicid",
    r"\bkill(ing)? (my ?self|me)\b",
    r"\bend(ing)? (my (own )?life|it all)\b",
    r"\btake my (own )?life\b",
    r"\b(self[- ]?harm|hurt(ing)? my ?self|harm(ing)? my ?self|cut(ting)? my ?self)\b",
    r"\b(don'?t|do not|no longer) (want|wish) to (live|be alive|be here|wake up|exist)\b",
    r"\bwant(ed)? to (die|disappear forever)\b",
    r"\bwish (i was|i were|to be) dead\b",
    r"\bbetter off (dead|without me)\b",
    r"\b(no|any) (reason|point) (to|in|of) (live|living|go(ing)? on)\b",
    r"\bnot worth (living|it anymore)\b",
    r"\b(is|is my) life (even )?worth living\b",
    r"\bcan'?t (go on|take (it|this) any ?more)\b",
    r"\boverdose\b",
    r"\brather (be|die|being) dead\b|\brather die\b",
    r"\b(not|never|don'?t|do not) (want to )?wake up\b",
    r"\bgoodbye (letter|note)s?\b|\bsay(ing)? goodbye (to everyone|forever)\b|\bsuicide note\b",
    r"\b(going to|gonna|want to|will|plan to) end it\b",
    r"\b(steer(ing)?|driv(e|ing)|crash(ing)?) (the car )?into (a|the) (wall|tree|traffic|truck)\b",
    r"\bcan'?t do this any ?more\b",
    r"\b(take|swallow|taking|swallowing) (all|a bunch|a lot) of (my )?(pills|tablets|meds)\b",
)

_EMERGENCY = _any(
    r"\bchest (pain|pressure|tightness)\b",
    r"\bpain in my chest\b",
    r"\b(trouble|difficulty|problems?|hard(er)?) (breathing|to breathe|catching my breath)\b",
    r"\b(can'?t|cannot|unable to|struggling to) (breathe|catch my breath)\b",
    r"\bshort(ness)? of breath\b",
    r"\b(choking|stopped breathing|not breathing)\b",
    r"\bsudden(ly)?\b.{0,40}\b(vision|see|sight|blind|numb|numbness|weak|weakness|paraly|"
    r"speak|speech|slurr|talk|confus|headache|dizz|droop|walk|move)",
    r"\b(vision|sight|numb(ness)?|weak(ness)?|speech|slurred|droop(ing)?|headache|paraly\w*)\b"
    r".{0,40}\b(sudden(ly)?|all of a sudden|out of nowhere|came on fast|just now|right now)\b",
    r"\b(lost|losing|lose) (the )?(vision|sight|my sight|my vision)\b",
    r"\b(can'?t|cannot) see (out of|anything|at all)\b|\b(can'?t|cannot) see\W*$",
    r"\bgone blind\b|\bwent blind\b",
    r"\b(face|mouth) (is )?(droop|drooping|numb)\b|\bdroop(ing|y)? (face|mouth|eyelid)\b",
    r"\bnumb(ness)? (on|in|down) (one|the (left|right)|my (left|right)) side\b",
    r"\bone side of my (body|face)\b",
    r"\bworst headache\b",
    r"\bseizure|\bconvuls",
    r"\b(fainted|passed out|blacked out|unconscious|unresponsive|collapsed)\b",
    r"\b(not|isn'?t|won'?t|can'?t) (waking|wake) (up|her up|him up)\b",
    r"\b(face|arm|leg|side|hand)\b.{0,20}\b(went|gone|going|is|has gone|turned) (numb|dead|weak|limp)\b.{0,60}"
    r"\b(minutes?|hours?|just|now|ago|suddenly)\b",
    r"\bcan'?t (move|feel) (my )?(legs|arms|arm|leg|body) (at all|anymore|suddenly)\b",
    r"\b(coughing|vomiting) (up )?blood\b",
    r"\bcall(ing)? (911|an ambulance)\b",
)

_DRUG = (
    r"(medication|medicine|meds|drug|pill|tablet|injection|infusion|dose|dosage|dmt|"
    r"prescription|steroid|supplement|vitamin|ampyra|dalfampridine|fampridine|"
    r"betaseron|interferon|avonex|rebif|copaxone|glatiramer|tecfidera|dimethyl fumarate|"
    r"vumerity|ocrevus|ocrelizumab|kesimpta|ofatumumab|tysabri|natalizumab|gilenya|"
    r"fingolimod|mayzent|siponimod|zeposia|ozanimod|ponvory|aubagio|teriflunomide|mavenclad|"
    r"cladribine|lemtrada|alemtuzumab|briumvi|rituximab|baclofen|tizanidine|gabapentin|"
    r"pregabalin|modafinil|amantadine|prednisone|methylprednisolone|solu-?medrol|botox|"
    r"biotin|cbd|cannabis|marijuana|antidepressant|sertraline|duloxetine|oxybutynin)"
)

_ADVICE = _any(
    rf"\b(should|can|could|may|must|do) i\b.{{0,40}}\b(stop|quit|start|begin|switch|change|"
    rf"take|try|increase|decrease|reduce|raise|lower|double|skip|come off|go off|get off|"
    rf"wean|restart|combine|mix|replace|pause|hold)\b.{{0,40}}\b{_DRUG}",
    rf"\b(stop|quit|stopping|quitting|switch|switching|change|changing|skip|skipping|double|"
    rf"doubling|come off|coming off|go off|going off) (taking )?(my|the|from my)\b.{{0,30}}\b{_DRUG}",
    r"\bhow (much|many) (mg|milligrams?|pills|tablets|units|doses?)\b",
    rf"\bhow (much|many|often)\b.{{0,40}}\b{_DRUG}\b.{{0,30}}\b(take|use|have|inject)\b",
    rf"\b{_DRUG}\b.{{0,30}}\b(should|can|do|must) i (take|use|have)\b",
    r"\b(what|which|right|correct|best|safe|max(imum)?) (dose|dosage)\b"
    r"(?! of (exercise|activity|physical|therapy|training|rehab))",
    r"\bis it (safe|ok|okay|fine|alright) (for me )?to (stop|quit|skip|double|take|mix|combine|"
    r"switch|come off)\b",
    rf"\bwhich {_DRUG} (should|do) i\b",
    rf"\b(good idea|safe|ok|okay|wise|smart)\b.{{0,20}}\bto (start|stop|take|try|switch|pause|skip)\b"
    rf".{{0,40}}\b{_DRUG}",
    rf"\binstead of (my|taking)\b.{{0,30}}\b{_DRUG}",
)


def route(question: str) -> Route | None:
    text = question.replace("’", "'")
    if _CRISIS.search(text):
        return "crisis"
    if _EMERGENCY.search(text):
        return "emergency"
    if _ADVICE.search(text):
        return "advice"
    return None


_SCOPE_FILE = Path(__file__).parent / "out_of_scope.txt"


@lru_cache(maxsize=1)
def _scope_patterns() -> tuple[re.Pattern[str], ...]:
    lines = _SCOPE_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(re.compile(x, re.IGNORECASE) for x in lines if x.strip() and not x.startswith("#"))


def out_of_scope_phrases(question: str) -> list[str]:
    """Phrases of the question naming a topic a rehab library usually does not cover."""
    return [m.group(0) for p in _scope_patterns() for m in p.finditer(question)]
