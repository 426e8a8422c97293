"""Deterministic safety routing, run on the question before any retrieval.

Three routes, checked in this order because a person in crisis or in an emergency must
get help first: `crisis` (thoughts of suicide or self-harm), `emergency` (red-flag
symptoms that need urgent care), `advice` (a personal decision about a medicine or dose,
which belongs with the clinician). Anything else is `None`: ordinary rehab questions.

These are regular expressions on purpose: they are predictable, testable and fast, and
they err towards help. They do not try to diagnose anything.

Every question is checked against the patterns of all five languages (English, Spanish,
French, German, Portuguese), whatever language it was detected as: a crisis or an emergency
must never be missed because detection guessed wrong on a short message. The patterns for
the other languages run on the question with accents folded away ("não" -> "nao",
"möchte" -> "mochte"), so they match however the person typed the accents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.models import Turn
from assistant.text import fold

if TYPE_CHECKING:
    from assistant.safety_semantic import SemanticLayer

Route = Literal["crisis", "emergency", "advice"]


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# --- Normalising: what a person typed, as the patterns expect it ---------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"))
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_TYPOS = {
    "cant": "can't",
    "cannt": "can't",
    "dont": "don't",
    "wont": "won't",
    "im": "i'm",
    "ive": "i've",
    "kil": "kill",
    "kms": "kill myself",
    "kys": "kill myself",
    "unalive": "kill",
}
_KEY_WORDS = (
    "suicide",
    "suicidal",
    "myself",
    "breathe",
    "breathing",
    "seizure",
    "unconscious",
)
"""Words the patterns lean on, so "suicde", "myslef" or "breahting" still count (one typing
slip: a letter missing, extra, wrong or swapped). Only words no ordinary word is one slip
away from: "overdone" is one letter from "overdose", "collapse" from "collapsed"."""
_REAL_WORDS = frozenset({"breath", "breaths", "breathed", "breathes", "myselves"})
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\S")


def normalise(text: str) -> str:
    """The question as the patterns read it: NFKC (full-width letters, ligatures), no
    zero-width characters or soft hyphens, typographic apostrophes as ', runs of any
    whitespace (no-break spaces too) as one space, lower case, and common typing slips and
    slang fixed ("i cant breath", "kil myself", "suicde", "kms", "unalive")."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES)
    text = " ".join(text.split()).lower()
    return _CANT_BREATH.sub(r"\1 breathe", _fix_words(text))


_CANT_BREATH = re.compile(r"\b(can't|cannot|can not|unable to|couldn't|could not) breath\b")


def _fix_words(text: str) -> str:
    def fixed(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in _TYPOS:
            return _TYPOS[word]
        if word in _REAL_WORDS:
            return word
        if word.startswith("unaliv"):  # "unaliving", "unalived": the slang for suicide
            return "suicide"
        return _near_key_word(word) or word

    return _TOKEN.sub(fixed, text)


def _near_key_word(word: str) -> str | None:
    if len(word) < 6 or word in _KEY_WORDS or not word.isascii():
        return None
    from rapidfuzz.distance import OSA

    for key in _KEY_WORDS:
        if abs(len(key) - len(word)) <= 1 and OSA.distance(word, key, score_cutoff=1) <= 1:
            return key
    return None


_PILLS = (
    r"(pill|tablet|capsule|meds|baclofen|tizanidine|gabapentin|pregabalin|modafinil|amantadine|"
    r"fampridine|fampyra|ampyra|oxybutynin|sertraline|duloxetine|paracetamol|acetaminophen|"
    r"ibuprofen|aspirin|painkiller|sleeping pill|prednisone|steroid)"
)
"""Names of tablets a person may hold many of (for a count asked to be "enough")."""

_NOT_A_TRIP = (
    r"(?![^.!?]{0,50}\b(go(ing)?|travel\w*|trip|holiday|vacation|away|visit\w*|abroad|mov(e|ing)|"
    r"flying|fly|viaje|viajar|vacaciones|mudanza|mudamos|nos mudamos|voyage|vacances|demenag\w*|"
    r"reise|urlaub|umzug|ziehen|viagem|ferias|mudar|mudamos)\b)"
)
"""Not a trip or a move: "I don't plan on being here for Christmas, we're going to Spain"."""

_CRISIS = _any(
    r"\bsuicid",
    r"\bkill(ing)? my ?self\b|\b(want|wish|need) (someone|somebody|you) to kill me\b",
    r"\bend(ing)? (my (own )?life|it all)\b",
    r"\btake my (own )?life\b",
    r"\b(self[- ]?harm|hurt(ing)? my ?self|harm(ing)? my ?self|cut(ting)? my ?self)\b",
    r"\b(don'?t|do not|no longer) (want|wish) to (live|be alive|be here|wake up|exist)\b",
    # "I don't want to go on anymore." Not "...go on with physio": the clause ends there.
    r"\b(don'?t|do not|no longer) (want|wish) to (go on|carry on|keep going)( like this)?"
    r"( any ?more| much longer)?\s*(?:[.!?,;]|$|\b(and|since|but)\b)",
    r"\bwant(ed)? to (die|disappear forever)\b",
    # Someone else who said they want to die: the crisis message is for them and for the one
    # who worries ("my mum keeps saying she wants to die").
    r"\b(he|she|they|my \w+)('s| is| are| keeps?| kept)?( saying| said| says| told me)?( that)?"
    r"( he| she| they)? (wants?|wanted) to (die|kill (himself|herself|themselves))\b",
    r"\bkill(ing)? (himself|herself|themselves)\b",
    # "What's the point of any of it anymore": of everything, not of one exercise.
    r"\bwhat'?s the point (of|in) (any of (it|this)|anything|it all|life|living|going on|"
    r"carrying on|being (here|alive))\b|\bwhat'?s the point (of it )?any ?more\W*$",
    # Means asked about innocently: what would make a fall, a dose, a height fatal.
    rf"\b(how (high|far)|how (much|many) (of )?(my |the |these )?(\w+ )?({_PILLS}s?|insulin)|"
    r"what (height|dose|amount))\b[^.!?]{0,60}\b(fatal|lethal|deadly)\b",
    # Disappearing for good, wished or thought of: "penso todos os dias em desaparecer de vez".
    r"\b(want(ed)?|wish|wishing|think(ing)? about|thought about|dream(ing)? of) (to )?"
    r"disappear(ing)? (forever|for good|permanently|for ever)\b",
    # Not being here much longer: "I won't be around much longer anyway."
    r"\b(won'?t|will not|not going to|don'?t (plan|intend|expect) (on|to)) be(ing)? (here|around) "
    r"(for )?much longer\b",
    # Not planning to be here for a date: "whats the point of physio when i dont plan on being
    # here for christmas"; not a trip ("...for Christmas, we're going to Spain").
    r"\b(don'?t|do not|dont) (plan|intend|expect) (on|to) be(ing)? (here|around) ((for|by|at|on|in|"
    r"until|till) )?(christmas|easter|new year|my (next )?birthday|the (summer|spring|autumn|fall|"
    r"winter|new year|wedding)|next (year|summer|spring|month|week|birthday))\b"
    rf"{_NOT_A_TRIP}",
    # Done with everything, not with one thing: "I'm done. Not with physio, with everything."
    r"\b(i'?m|i am|im)( so| just)? done\b[^?]{0,30}\bwith (everything|it all|life|living|all of "
    r"(it|this))\s*(?:[.!,;]|$)",
    r"\bwish (i was|i were|to be) dead\b",
    r"\bbetter off (dead|without me)\b",
    r"\b(no|any) (reason|point) (to|in|of) (live|living|go(ing)? on)\b",
    r"\bnot worth (living|it anymore)\b",
    r"\b(is|is my) life (even )?worth living\b",
    r"\bcan'?t (go on|take (it|this) any ?more)\b",
    r"\boverdose\b",
    # "I'd rather die than go back to that gym" is a figure of speech; rather dead than living
    # on, ending up in a wheelchair or being a burden is not.
    r"\brather (be |being )?(die|dead)\b(?! than)|\brather (be |being )?(die|dead) than (live|living|"
    r"go(ing)? on|carry(ing)? on|keep(ing)? going|end(ing)? up|be(ing)? a burden|suffer|face|wait)\b",
    # Tired of living, not of one thing: "tired of existing", "sick of being alive".
    r"\b(tired|sick|weary) of (living|being alive|existing|life itself)\b(?! (out of|in|with|on|at|"
    r"under|near|alone|by|through)\b)",
    # Everyone would be better off, where the clause ends ("...better off. my wife could find
    # someone who can walk"), or better off if I were gone; not "better off if the clinic...".
    r"\b(everyone|everybody|they|my (family|kids|children|wife|husband|partner)|the kids|we|all of "
    r"them)( all)? (would|'d|will) (all )?be better off( now| then)?\s*(?:[.!,;]|$)",
    r"\bbetter off if i (was|were) (gone|dead|not (here|around|alive))\b|\bbetter off if i "
    r"(wasn'?t|weren'?t) (here|around|alive)\b|\bbetter off if i (died|disappeared)\b",
    # Working out how to do it, where the clause ends ("thinking about how i'd do it"), or how
    # to make it stop for good ("lie awake working out how to make it stop for good").
    r"\b(think\w*|thought|plan\w*|imagin\w*|pictur\w*|work(ing)? out|figur\w* out|decid\w*)\b"
    r"[^.!?]{0,20}\bhow (i'?d|i would|i'?ll|i will|i could|i'?m going to|to) (do it|end it|end things)"
    r"\s*(?:[.!?,;]|$)",
    r"\bhow to make (it|it all|everything) (stop|end) (for good|permanently|forever|for ever)\b",
    # A last occasion, decided: "I've already decided this is my last birthday"; not "my last
    # Christmas in this house".
    r"\b(this|it)('s| is| will be| is going to be) my last (christmas|birthday|easter|summer|new "
    rf"year)\s*(?:[.!?,;]|$|\b(and|so|i'?ve|i have|anyway)\b){_NOT_A_TRIP}",
    # Which medicine is most dangerous taken in quantity: a means question ("...most dangerous
    # if you take a lot at once, the baclofen or the gabapentin?"); not "with alcohol".
    r"\b(most|more|least) (dangerous|deadly|toxic|harmful)\b[^.!?]{0,40}\b(take|took|taking|takes|"
    r"swallow\w*) (a lot|lots|loads|too many|all|the whole|a whole|a bunch)\b",
    # Not living to see one's children grow up, so why bother: "i wont be around to see my kids
    # grow up anyway so why am i even bothering with all this physio" (a fear alone is not it).
    r"^(?=.*\b(won'?t|will not|not going to|never going to) (be (around|here|alive) to )?see (my|the|our) "
    r"(kids|children|grandkids|grandchildren|son|daughter|boys|girls|baby|grandson|granddaughter)\b"
    r"[^.!?]{0,20}\bgrow up\b)(?=.*\b(why (am i |do i |should i |even |would i )*(bother|bothering|try|"
    r"trying)|what'?s the point|no point|might as well)\b)",
    # Hitting one's head against a wall until it hurts, or to calm down (not the idiom of
    # frustration, "banging my head against a wall with the council"), in the five languages.
    r"\b(bang|banging|hit|hitting|smash\w*) my head (against|on|into) (the|a) (wall|floor|door)\b"
    r"[^.!?]{0,40}\b(until|till|til|hurts|bleed\w*|bruise\w*|calm\w*|better|cope)\b",
    r"\b(not|never|don'?t|do not) (want to )?wake up\b",
    r"\b(hope|wish|pray)\b.{0,20}\b(won'?t|will not|don'?t|never|not) (to )?wake up\b",
    r"\bgoodbye (letter|note)s?\b|\bsay(ing)? goodbye (to everyone|forever)\b|\bsuicide note\b",
    r"\b(going to|gonna|want to|will|plan to) end it\b",
    r"\b(steer(ing)?|driv(e|ing)|crash(ing)?) (the car )?into (a|the) (wall|tree|traffic|truck)\b",
    r"\bcan'?t do this any ?more\b",
    r"\b(take|swallow|taking|swallowing) (all|a bunch|a lot) of (my )?(pills|tablets|meds)\b",
    # Slang and plain plans ("kms" and "unalive" arrive here as "kill myself" / "kill").
    r"\bkill\b.{0,12}\bmy ?self\b|\b(off|top|hang) my ?self\b",
    r"\bend(ing)? (things|everything|my suffering)\b",
    r"\b(have|made|got|making) a plan to (die|end|go|do it|kill)\b",
    r"\bslit my wrists?\b|\bjump (off|from) (a|the) (bridge|roof|building|balcony)\b",
    r"\b(saving|stockpiling|hoarding|collecting) (up )?(my |all my )?(pills|tablets|meds)\b",
    # Means asked about or told of without a word of distress.
    r"\bbleed(ing)? out\b|\b(lethal|fatal|deadly) (dose|amount)\b|\blook like an accident\b",
    r"\b(step|stepping|walk|walking|jump|jumping|throw myself|throwing myself) (out )?in front "
    r"of (a|the) (bus|train|car|truck|lorry|traffic)\b",
    r"(?:^\W*|\bi (just )?)took (my|the|a) (whole|entire|full) (month|bottle|box|pack|packet|supply|prescription)\b",
    # A count of tablets that would be "enough" ("would 30 baclofen be enough"), not a dose
    # ("20 mg", "2 a day"): twenty or more of them.
    rf"\b([2-9]\d|[1-9]\d\d)\s+(of (my|these|the|his|her) )?{_PILLS}s?\b(?!\s*(mg|a day|per|each|every))"
    r"[^.!?\n]{0,25}\benough\b",
    r"\bhow many\b.{0,30}\b(pills|tablets|meds)\b.{0,30}\b(kill|die|dead|fatal|lethal)\b",
    r"\b(hit|hitting|punch|punching|burn|burning|bang|banging)\b.{0,15}\bmy ?self\b.{0,40}"
    r"\b(over and over|again and again|on purpose|cope|feel something|deserve)\b",
    # Farewells: "Goodbye everyone. Thank you for trying." / giving things away for good.
    r"(?:^|[.!?\n]\s*)\W*(goodbye|farewell),? (everyone|everybody|all|world)\b",
    r"\b(gave|giving|give) away my\b.{0,60}\b(won'?t|will not|wont|don'?t) need (it|them|those)"
    r"( any ?more)?\s*(?:[.!]|$)",
)

# "I'm killing myself trying to keep up", "been killing myself at work", "he's killing himself
# over the renovation" (someone else working too hard), "je me tue à la tâche",
# "me mato a hacer los ejercicios", "estou a matar-me a trabalhar": working oneself too hard,
# a figure of speech. The figure is the progressive (or "a" + what one works at) followed by
# its purpose; "I want to kill myself", "thinking about killing myself", "matarme con
# pastillas" are not it. The span is blanked before the crisis patterns read the message, so
# anything else in it still counts.
_WORKING_HARD = _any(
    r"(\b(i'm|i am|am|been|was|were|are|keep|kept|keeps|i'll be|be|is|he's|she's|they're) |"
    r"(^|[.!?,;])\s*)killing (my|our|him|her|them) ?sel(f|ves)\b"
    r"(?= (trying|to (get|keep|finish|fit|hide|pay|look|please|catch|reach|hit|meet|make ends|"
    r"do (the|my|all|these|those|it all))|at (work|the gym|physio|the office|my job)|over (the|my|"
    r"this|that|these|those|work)|for (work|my job|the job|nothing|them|the kids|this)|doing|working|"
    r"getting|keeping|with (work|the exercises|these exercises|my job|the job|training|"
    r"overtime|housework|the housework|chores)|every (day|morning|night|week)|all (day|week)))",
    # es / fr / pt (folded): "a" + what one works at.
    r"\b(me mato|matandome|me estoy matando|me voy a matar) (a|trabajando|haciendo)\b",
    r"\b(je me tue|me tuer|je vais me tuer) (a (la tache|faire|travailler|force)|au (travail|boulot))\b",
    r"\b(mato-me|me mato|matar-me|me matar|a matar-me) (a (trabalhar|fazer)|no trabalho)\b",
    # de (folded): "ich bring mich noch um mit den Übungen", "...für die Firma", "...bei der Arbeit".
    r"\bich bring(e)? mich (noch |fast |echt |bald |hier |total )*um (mit|fur|bei|vor lauter|wegen) (der |"
    r"dem |den |die |das |dieser |diesem |meiner |meinem |meinen |all den |lauter )?(arbeit|job|firma|chef|"
    r"ubungen|training|physio|reha|haushalt|renovierung|uberstunden|garten|kindern|pflege|papierkram|"
    r"umzug|baustelle)",
    r"\bich bring(e)? mich (noch |fast |echt |bald |total )*(mit|fur|bei|vor lauter|wegen) (der |dem |den |"
    r"die |das |dieser |diesem |meiner |meinem |meinen )?(arbeit|job|firma|chef|ubungen|training|physio|"
    r"reha|haushalt|renovierung|uberstunden|garten|kindern|pflege|papierkram|umzug|baustelle)"
    r"( noch| fast| echt| total)* um\b",
)

_LIMB_SIGN = (
    r"\b(face|arm|leg|hand|side)s?\b[^.!?]{0,30}\b(went|gone|going|turned|felt|feels|is|are|got)"
    r"\b[^.!?]{0,10}\b(numb|dead|weak|limp|heavy|floppy|droopy|drooping)\b"
)
_SPEECH_SIGN = (
    r"(\b(words?|speech|talking|voice)\b[^.!?]{0,20}\b(came|come|coming|went|is|was|are|were|"
    r"sounds?|sounded)\b[^.!?]{0,10}\b(wrong|funny|jumbled|garbled|slurred|weird|strange)\b|"
    r"\bslurr(ed|ing)\b|\bcan'?t (speak|talk|get (my|the) words out)\b)"
)
_NOW = (
    r"\b(just|suddenly|all of a sudden|out of nowhere|minutes?|right now|an hour ago|it's been)\b"
)

# A sign and its suddenness are read within one sentence: "numbness in my legs. Right now
# I feel normal again" tells of the past, not of an emergency.
_EMERGENCY = _any(
    r"\bchest (pain|pressure|tightness)\b",
    r"\bpain in my chest\b",
    r"\b(trouble|difficulty|problems?|hard(er)?) (breathing|to breathe|catching my breath)\b",
    r"\b(can'?t|cannot|unable to|struggling to) (breathe|catch my breath)\b",
    # At rest or getting worse; out of breath on the stairs or in a workout is ordinary.
    r"\b(sudden(ly)?|very|really|so|severely|extremely|badly) short of breath\b",
    r"\bshort(ness)? of breath\b.{0,40}\b(sudden(ly)?|at rest|lying down|worse|chest|lips|blue|right now)\b",
    # Choking now, not a swallowing problem that comes back ("my mum keeps choking on her
    # drinks, is there a therapist for that?": a speech therapist's work; breathing trouble
    # with it is still caught above).
    r"^(?!.*\b(keeps?|often|always|sometimes|usually|tends? to|been)\b(\s+\w+){0,2}\s+choking\b)"
    r".*\bchoking\b",
    r"\b(stopped breathing|not breathing)\b",
    r"\bsudden(ly)?\b[^.!?\n]{0,40}\b(vision|see|sight|blind|double|numb|numbness|weak|weakness|"
    r"paraly|speak|speech|slurr|talk|confus|headache|dizz|droop|walk|move|stand up)",
    # Happening now: "I feel like I'm about to black out" (not "I felt like I would").
    r"\bi'?m about to (black out|pass out|faint)\b|\b(feel|feels|feeling) like i'?m (about to|"
    r"going to|gonna) (black out|pass out|faint)\b",
    # Two signs of a stroke together, happening now: a limb or the face gone weak or heavy,
    # and speech gone wrong ("my arm and leg just went heavy and my words came out wrong").
    rf"^(?=.*{_LIMB_SIGN})(?=.*{_SPEECH_SIGN})(?=.*{_NOW})",
    r"\b(vision|sight|numb(ness)?|weak(ness)?|speech|slurred|droop(ing)?|headache|paraly\w*)\b"
    r"[^.!?\n]{0,40}\b(sudden(ly)?|all of a sudden|out of nowhere|came on fast|just now|right now)\b",
    r"\b(lost|losing|lose) (the )?(vision|sight|my sight|my vision)\b",
    r"\b(can'?t|cannot) see (out of|anything|at all)\b|\b(can'?t|cannot) see\W*$",
    r"\bgone blind\b|\bwent blind\b",
    r"\b(face|mouth) (is )?(droop|drooping|numb)\b|\bdroop(ing|y)? (face|mouth|eyelid)\b",
    r"\bnumb(ness)? (on|in|down) (one|the (left|right)|my (left|right)) side\b",
    r"\bone side of my (body|face)\b",
    r"\bworst headache\b",
    r"\bseizure|\bconvuls",
    # "She's having a fit and it won't stop": a seizure in lay words, going on (not "he had a
    # fit when he saw the bill").
    r"\b(having|had|has had|is having) (a |another )?fits?\b.{0,60}\b((won'?t|doesn'?t|didn'?t|"
    r"not) (stop|end)|minutes?|shaking|jerking)\b",
    r"\b(fainted|passed out|blacked out|unconscious|unresponsive)\b",
    r"\bcollapsed\b(?! (into|onto|on|in) (a|the|his|her|my|their) (chair|bed|sofa|couch|armchair))",
    r"\b(not|isn'?t|won'?t|can'?t) (waking|wake) (up|her up|him up)\b",
    r"\b(face|arm|leg|side|hand)\b.{0,20}\b(went|gone|going|is|has gone|turned) (numb|dead|weak|limp)\b.{0,60}"
    r"\b(minutes?|hours?|just|right now|just now|ago|suddenly)\b",
    r"\bcan'?t (move|feel) (my )?(legs|arms|arm|leg|body) (at all|anymore|suddenly)\b",
    r"\b(coughing|vomiting) (up )?blood\b",
    # Someone else's overdose is an emergency ("my friend took a whole bottle of pills").
    r"\b(he|she|they|my (friend|wife|husband|partner|son|daughter|mum|mom|dad|mother|father|"
    r"brother|sister|flatmate|roommate))( has| have|'s)? (just )?(took|taken|swallowed) (a |the |"
    r"his |her |their )?(whole|entire|all)\b",
    r"\bcall(ing)? (911|an ambulance)\b",
    # A fall and no getting up, now ("fell getting off the toilet ... can't get up"); not "if I
    # fall" or "couldn't get up" (the past, a topic).
    r"^(?!.*\b(if|when|in case)\b[^.!?]{0,15}\b(fell|fallen|fall)\b)(?=.*\b(fell|fallen|on the floor|"
    r"on the ground)\b[^.!?]{0,60}\b(can'?t|cannot|unable to) get (up|back up|off the floor|herself up|"
    r"himself up|myself up)\b)",
    # A blow to the head, then confusion, vomiting or drowsiness.
    r"\b(hit|banged|bumped|knocked|smacked|cracked) (his|her|my|their) head\b[^.!?]{0,80}\b(confused|"
    r"keeps asking|same question|vomit\w*|(been|being|is) sick|throwing up|drowsy|sleepy|won'?t wake|not making "
    r"sense|doesn'?t know|can'?t remember)",
    # An allergic reaction: the throat, tongue, lips or face swelling or tight, with an injection
    # or infusion just had, or swallowing or breathing hard ("my face is swollen from the
    # steroids" alone is not it).
    r"^(?=.*(\b(throat|tongue|lips?|face|mouth)\b[^.!?]{0,30}\b(swell\w*|swollen|tight|closing( up)?)\b|"
    r"\b(swelling|swollen) (in |of )?(my |his |her )?(throat|tongue|lips?|face|mouth)\b))"
    r"(?=.*\b(injection|infusion|jab|shot|sting|stung|can'?t swallow|hard to swallow|trouble "
    r"swallowing|hives|breath\w*)\b)",
    # Lips gone blue or grey: not getting enough air.
    r"\blips\b[^.!?]{0,20}\b(blue|grey|gray|purple)\b|\b(blue|grey|gray|purple) lips\b",
)

# Someone else's overdose is an emergency, not a crisis ("mi madre se ha tomado todas sus
# pastillas", "ma femme a avalé toute sa boîte de somnifères", "mein Mann hat alle seine
# Schlaftabletten genommen", "o meu pai tomou a caixa inteira"): the third person and what
# they took, in the five languages (folded). Checked before the crisis patterns, which
# would read "sobredosis" or "overdose" alone as the person's own.
_RELATIVE = (
    r"(madre|padre|mama|papa|marido|mujer|esposo|esposa|hijo|hija|hermano|hermana|amigo|amiga|"
    r"pareja|novio|novia|abuelo|abuela|vecino|vecina|femme|mari|fils|fille|frere|soeur|mere|"
    r"pere|ami|amie|copain|copine|compagnon|compagne|voisin|voisine|mann|frau|sohn|tochter|"
    r"bruder|schwester|mutter|vater|freund|freundin|partner|partnerin|nachbar|nachbarin|mae|pai|"
    r"filho|filha|irmao|irma|amigo|amiga|namorado|namorada|avo|vizinho|vizinha|companheiro|"
    r"companheira)"
)
_PILL_WORDS = (
    r"(pastillas|pildoras|comprimidos|medicamentos|somniferos|comprimes|cachets|pilules|"
    r"medicaments|somniferes|gelules|tabletten|pillen|medikamente|schlaftabletten|remedios|"
    r"capsulas)"
)
_AT_ONCE = r"(de golpe|de una vez|d'un coup|en une fois|auf einmal|de uma vez|todos de uma vez)"
_OTHERS_OVERDOSE = _any(
    r"\b(he|she|they|my (friend|wife|husband|partner|son|daughter|mum|mom|dad|mother|father|"
    r"brother|sister|flatmate|roommate|boyfriend|girlfriend|neighbour|neighbor|grandma|grandad|"
    r"grandpa))('s| has| have)? (just )?(overdosed|taken an overdose|took an overdose|od'?d)\b",
    # es: "se ha tomado todas sus pastillas", "tomó un frasco entero", "una sobredosis"
    rf"\b((mi|su) {_RELATIVE}|el|ella|ellos|ellas)\b[^.!?]{{0,20}}\b(se ha tomado|se tomo|se trago|"
    rf"se ha tragado)\b[^.!?]{{0,10}}\b(todas|todos|muchas|demasiadas|un monton)\b[^.!?]{{0,20}}"
    rf"\b{_PILL_WORDS}",
    rf"\b((mi|su) {_RELATIVE}|el|ella|ellos|ellas)\b[^.!?]{{0,20}}\b(se ha tomado|se tomo|se trago|"
    r"se ha tragado|tomo|ha tomado|trago|ha tragado)\b[^.!?]{0,30}\b(un frasco|una caja|un bote|"
    r"el frasco|la caja|el bote|un blister|una sobredosis)\b",
    # fr: "a avalé toute sa boîte de somnifères", "une surdose"
    rf"\b(il|elle|ils|elles|(ma|mon|sa|son) {_RELATIVE})\b[^.!?]{{0,25}}\b(a avale|ont avale|a pris|"
    r"ont pris|a fait|ont fait)\b[^.!?]{0,10}\b(toute (sa|la|une) (boite|plaquette)|tout (le|son|un) "
    r"(flacon|tube|pilulier)|une boite (entiere|complete)|(plusieurs|beaucoup|trop) de (ses |mes |ces |"
    rf"mes )?{_PILL_WORDS}|(tous|toutes) (ses|mes|les) {_PILL_WORDS} {_AT_ONCE}|une (overdose|surdose))",
    # de: "hat alle seine Schlaftabletten auf einmal genommen", "eine ganze Packung", "Überdosis"
    rf"\b(er|sie|(mein|meine|unser|unsere) {_RELATIVE})\b hat\b[^.!?]{{0,50}}\b(alle\b[^.!?]{{0,40}}"
    r"auf einmal|eine ganze|die ganze|ganze (packung|schachtel|dose)|eine (packung|schachtel)|zu viele|"
    r"uberdosis)\b[^.!?]{0,50}\b(genommen|geschluckt|eingenommen)\b",
    rf"\b(er|sie|(mein|meine) {_RELATIVE}) hat (eine )?uberdosis\b",
    # pt: "tomou a caixa inteira", "engoliu um frasco", "uma overdose"
    rf"\b(ele|ela|eles|elas|(o|a) (meu|minha|nosso|nossa) {_RELATIVE})\b[^.!?]{{0,20}}\b(tomou|"
    r"engoliu|tomaram|engoliram)\b[^.!?]{0,15}\b(a caixa|uma caixa|o frasco|um frasco|uma embalagem|"
    rf"a embalagem|a carteira|demasiados|uma overdose|uma sobredosagem|(todos|todas) os {_PILL_WORDS} "
    rf"{_AT_ONCE})",
)

_DRUG = (
    r"(disease[- ]modifying (therapy|therapies|treatment|drug)s?|medication|medicine|meds|drug|pill|tablet|injection|infusion|dose|dosage|dmt|"
    r"prescription|steroid|supplement|vitamin|ampyra|dalfampridine|fampridine|"
    r"betaseron|interferon|avonex|rebif|copaxone|glatiramer|tecfidera|dimethyl fumarate|"
    r"vumerity|ocrevus|ocrelizumab|kesimpta|ofatumumab|tysabri|natalizumab|gilenya|"
    r"fingolimod|mayzent|siponimod|zeposia|ozanimod|ponvory|aubagio|teriflunomide|mavenclad|"
    r"cladribine|lemtrada|alemtuzumab|briumvi|rituximab|baclofen|tizanidine|gabapentin|"
    r"pregabalin|modafinil|amantadine|prednisone|methylprednisolone|solu-?medrol|botox|"
    r"biotin|cbd|cannabis|marijuana|antidepressant|sertraline|duloxetine|oxybutynin|fampyra|"
    r"ibuprofen|paracetamol|acetaminophen|aspirin|painkiller|capsule|mavenclad|gilenya)"
)

_ADVICE = _any(
    rf"\b(should|can|could|may|must|(?<!how )do) i\b.{{0,40}}\b(stop|quit|start|begin|switch|change|"
    rf"take|try|increase|decrease|reduce|raise|lower|double|skip|come off|go off|get off|"
    rf"wean|restart|combine|mix|replace|pause|hold)\b.{{0,40}}\b{_DRUG}",
    rf"\b(stop|quit|stopping|quitting|switch|switching|change|changing|skip|skipping|double|"
    rf"doubling|come off|coming off|go off|going off) (taking )?(my|the|from my)\b.{{0,30}}\b{_DRUG}",
    r"\bhow (much|many) (mg|milligrams?|pills|tablets|units|doses?)\b",
    rf"\bhow (much|many|often)\b.{{0,40}}\b{_DRUG}\b.{{0,30}}\b(take|use|have|inject)\b",
    rf"\b{_DRUG}\b.{{0,30}}\b(should|can|do|must) i (take|use|have)\b",
    # The medicine named first: "Been on baclofen 3 times a day... could i just drop the lunchtime one?"
    rf"\b{_DRUG}\b.{{0,80}}\b(should|can|could|may) i (just )?(stop|quit|skip|drop|double|halve|"
    rf"cut|increase|reduce|lower|raise|come off)\b",
    r"\b(what|which|right|correct|best|safe|max(imum)?) (dose|dosage)\b"
    r"(?! of (exercise|activity|physical|therapy|training|rehab))",
    rf"\bis it (safe|ok|okay|fine|alright) (for me )?to (stop|quit|skip|double|take|mix|combine|"
    rf"switch|come off)\b.{{0,40}}\b{_DRUG}",
    rf"\bwhich {_DRUG} (should|do) i\b",
    rf"\b(good idea|safe|ok|okay|wise|smart|better)\b.{{0,20}}\bto (start|stop|take|try|switch|pause|skip)\b"
    rf".{{0,40}}\b{_DRUG}",
    rf"\binstead of (my|taking)\b.{{0,30}}\b{_DRUG}",
    # Asked of the assistant itself ("Prescribe me...", "can you prescribe"), not "can they".
    r"(^|[.!?]\s*)(please )?prescribe (me|something|anything)\b|\b(can|could|will|would) you (please )?prescribe\b",
    rf"\b(best|right) {_DRUG}\b.{{0,30}}\bfor (me|my)\b",
    # A change of one's own dose told as an intention: "been on tizanidine 4mg at night,
    # thinking of taking an extra one in the afternoon, ok?"
    rf"\b{_DRUG}\b.{{0,80}}\b(thinking (of|about)|planning (on|to)|tempted to)\b.{{0,5}}\b(taking|"
    r"stopping|dropping|skipping|doubling|halving|cutting|upping|lowering|coming off) (an extra|"
    r"another|one more|more|less|half|out|down|it|them|the)\b",
)


# Spanish, French, German, Portuguese; written without accents (see the module docstring).
_CLAUSE_END = r"\s*(?:[.!?,;]|$|\b(y|e|et|und|porque|parce que|weil|pois)\b)"
"""Where a clause ends: "ya no quiero seguir." is not "ya no quiero seguir con la fisio"."""
_CRISIS_OTHER = _any(
    r"\bsuizid|\bselbstmord|\bfreitod",
    # es
    r"\b(me )?quiero morir(me)?\b|\bquisiera (morir|estar muert[oa])\b|\bganas de morir",
    r"\bno quiero (seguir )?(vivir|viviendo|estar viv[oa]|despertar)\b",
    r"\b(para|y|e) no (volver a )?despertar(me)?\b|\bno despertar(me)? (nunca|mas|jamas)\b",
    r"\b(quitarme|acabar con) (la|mi) vida\b|\bmatarme\b|\bme voy a matar\b",
    r"\bacabar con todo\b|\bhacerme dano\b|\bautolesi|\bcortarme\b",
    # "No aguanto más", where the clause ends or with life as what one cannot bear; "no aguanto
    # más el calor" is the heat (likewise "je n'en peux plus de cette chaleur", "não aguento
    # mais este calor").
    r"\bmejor (estaria )?muert[oa]\b|\bno vale la pena vivir\b",
    rf"\bno aguanto mas( (vivir|asi|esta vida|la vida|mi vida|esto))?{_CLAUSE_END}",
    # Someone else who wants to die; a height, dose or number of tablets asked to be fatal.
    # "No sé para qué sigo": what one goes on living for, not what one goes on with.
    rf"\bpara que (sigo|seguir|vivo|vivir|seguir viviendo|sigo viviendo){_CLAUSE_END}",
    r"\b(se )?quiere (morir(se)?|matarse|quitarse la vida)\b|\bquiere irse de este mundo\b",
    r"\b(que|cuanta|cuantas|cuantos) (altura|dosis|cantidad|pastillas|pildoras|comprimidos)\b"
    r"[^.!?]{0,60}\b(mortal|letal|fatal)(es)?\b",
    r"\bsobredosis\b|\b(tomarme|tragarme) todas (las|mis) pastillas\b",
    # "I don't want to be here / go on any more", "they'd be better off without me", as in English.
    rf"\bno quiero (seguir |estar )?(aqui|aca)( nunca mas| mas)?{_CLAUSE_END}|\bya no quiero (seguir|continuar){_CLAUSE_END}",
    r"\b(estarian|estaria|estaran|vivirian) mejor sin mi\b",
    r"\bno (voy a estar|estare) (aqui|aca) (mucho mas tiempo|mucho mas)\b",
    r"\b(quiero|quisiera|pienso en|pensando en) desaparecer (para siempre|de una vez|del todo)\b",
    # Round 7, as in English: going on like this, tired of living, not being here for a date,
    # a last occasion decided.
    rf"\b(ya )?no quiero (seguir|continuar) (asi|de esta manera|de este modo){_CLAUSE_END}",
    r"\b(harto|harta|cansado|cansada) de vivir\b",
    r"\bno (pienso|creo que vaya a|voy a|tengo intencion de) estar (aqui|aca|viv[oa]) (para|en|por) "
    rf"(navidad|mi cumpleanos|el verano|el ano que viene|semana santa|ano nuevo){_NOT_A_TRIP}",
    rf"\b(esta|este) (sera|es|va a ser) mi ultim[oa] (navidad|cumpleanos|verano){_CLAUSE_END}{_NOT_A_TRIP}",
    # fr
    r"\bje veux mourir\b|\benvie de mourir\b|\bj'ai envie d'en finir\b|\ben finir\b",
    # "Cette chaleur va me tuer" (this heat will kill me) is a figure of speech; "je vais me
    # tuer" is not. Likewise "vai me matar" / "vou me matar", "wird" / "werde mich umbringen".
    r"(?<!\bva )(?<!\bvont )(?<!\bvas )\bme tuer\b|\bmettre fin a (mes jours|ma vie)\b|\bme faire du mal\b|\bautomutil",
    r"\b(il|elle|ils|elles) (veut|voulait|voudrait|veulent) (mourir|se tuer|en finir)\b",
    r"\b(quelle|combien de) (hauteur|dose|quantite|comprimes|cachets|medicaments)\b[^.!?]{0,60}"
    r"\b(mortel|mortelle|mortels|fatale?|letale?)s?\b",
    rf"\ba quoi bon (continuer|vivre|me battre|lutter|rester en vie){_CLAUSE_END}",
    r"\bje ne veux plus vivre\b|\b(plus|pas) envie de vivre\b|\bmieux mort(e)?\b",
    r"\bme scarifi|\bsurdose\b",
    rf"\b(je n'|j')en peux plus( de (vivre|cette vie|la vie|ma vie|tout ca|tout|exister|me battre|"
    rf"lutter|rien))?( comme ca)?{_CLAUSE_END}",
    # Never waking up (spoken French drops the "ne": "s'endormir et pas se réveiller"); not
    # waking at night ("pour ne pas me réveiller la nuit", the bladder).
    r"\b(ne )?(plus|jamais) (me|se) reveiller\b|\b(ne )?pas (me|se) reveiller\b(?! (la nuit|pendant "
    r"la nuit|toutes les nuits|en pleine nuit|a cause|pour (aller|faire)|trop|si souvent|plusieurs fois|"
    r"tot))",
    r"\b(avaler|prendre) tous mes (medicaments|comprimes|cachets)\b",
    rf"\bje ne veux plus (etre|rester) (la|ici){_CLAUSE_END}|\bje ne veux plus continuer( comme ca| "
    rf"ainsi)?{_CLAUSE_END}",
    r"\b(seraient|serait|seront|vivraient) mieux sans moi\b",
    r"\bje ne serai plus la (encore |bien |tres )?(longtemps|pour longtemps)\b",
    r"\b(je veux|je voudrais|envie de|je pense a|pense a) disparaitre (pour toujours|a jamais|"
    r"definitivement|pour de bon)\b",
    r"\b(marre|fatigue|fatiguee|las|lasse) de vivre\b",
    rf"\bj'en ai fini avec (tout|la vie)( ca)?{_CLAUSE_END}",
    r"\b(je ne compte|je compte|je n'ai pas l'intention d'|je ne pense) pas (etre|rester) (la|ici|en vie) "
    rf"(pour|a) (noel|mon anniversaire|l'ete|l'annee prochaine|paques|le nouvel an){_NOT_A_TRIP}",
    rf"\b(ce sera|c'est|ca sera|ca va etre) mon dernier (noel|anniversaire|ete){_CLAUSE_END}{_NOT_A_TRIP}",
    # de
    r"\b(er|sie) (will|mochte|wolle|wollte) (nicht mehr leben|sterben|tot sein)\b|"
    r"\b(dass|das) (er|sie) (sterben|nicht mehr leben) (will|mochte|wolle|wollte)\b|\bsich umbringen (will|wolle|wollte)\b",
    r"\b(wie hoch|welche (hohe|dosis|menge)|wie ?viele? (tabletten|pillen|medikamente))\b[^.!?]{0,60}"
    r"\b(todlich|letal)\b",
    r"\bkeinen sinn mehr (in (alldem|allem|dem ganzen|meinem leben)|zu leben|weiterzuleben|weiterzumachen)\b",
    r"\bich will (nicht mehr leben|sterben|tot sein)\b|\bwill nicht mehr leben\b",
    r"\b(mochte|moechte|will) (nur noch )?sterben\b|\bnicht mehr (leben|aufwachen) (will|mochte)\b",
    r"(?<!\bwird )(?<!\bwerden )\bmich umbringen\b|\bmir (das|mein) leben nehmen\b|\bmein leben beenden\b",
    r"\bmich (selbst )?(verletzen|ritzen)\b|\britze mich\b|\blieber tot\b|\bhalte (es|das) nicht mehr aus\b",
    r"\buberdosis\b|\balle (meine )?tabletten (nehmen|schlucken)\b",
    r"\b(nie|nicht) mehr aufwachen\b|\bnie wieder aufwachen\b",
    rf"\b(will|mochte) nicht mehr (hier |da )?(sein|weitermachen){_CLAUSE_END}|\bnicht mehr (hier|da) sein (will|mochte)\b",
    r"\b(waren|ware) (alle )?besser (dran )?ohne mich\b",
    r"\b(bin|werde) (ich )?(eh |sowieso )?nicht mehr (lange|lang) (hier|da)\b",
    r"\bich (will|mochte|wurde)( einfach| am liebsten| gern| gerne)* fur immer (verschwinden|weg sein)\b",
    # Round 7: "ich bring mich um" (the separable verb; "ich bring mich noch um mit der Arbeit" is
    # working hard, see _WORKING_HARD); "ich will einfach nicht mehr." where the clause ends
    # ("...nicht mehr zur Wassergymnastik" is not); tired of living; done with everything;
    # not being here for a date; a last occasion; planning how to end it.
    r"\bich bring(e)? mich\b[^.!?,]{0,30}\bum\b(?! (zu|\d))",
    rf"\bich (will|mag) (einfach |echt |wirklich |so |ehrlich |jetzt )*nicht mehr{_CLAUSE_END}",
    r"(?<!bist du )(?<!seid ihr )\blebensmude\b|\b(leid|mude),? zu leben\b",
    rf"\bich (bin|hab|habe) (fertig|abgeschlossen) mit (allem|dem leben)(?!,? (was|wie|das|die|der|"
    rf"dem|den)\b){_CLAUSE_END}|\bmit dem leben "
    r"abgeschlossen\b",
    rf"\b(habe|hab) nicht vor,? [^.!?]{{0,30}}\bnoch (da|hier) zu sein\b{_NOT_A_TRIP}",
    rf"\b(das|dies) (ist|wird) mein letzte(s|r) (weihnachten|weihnachtsfest|geburtstag|sommer){_CLAUSE_END}"
    rf"{_NOT_A_TRIP}",
    r"\bwie ich (es|alles|mein leben) (beende|beenden kann|beenden werde)\b",
    # pt
    r"\b(quer|queria) (morrer|se matar|matar-se|tirar a (propria )?vida)\b",
    r"\b(que|qual a|quanta|quantos|quantas) (altura|dose|quantidade|comprimidos)\b[^.!?]{0,60}"
    r"\b(mortal|mortais|letal|letais|fatal|fatais)\b",
    rf"\bnao vejo sentido (em|para) (continuar|viver|nada|seguir){_CLAUSE_END}",
    r"\bquero morrer\b|\bvontade de morrer\b|(?<!\bvai )(?<!\bvao )\bme matar\b|(?<!a )\bmatar-me\b",
    r"\btirar a (minha )?(propria )?vida\b|\bacabar com (a minha vida|tudo)\b",
    r"\bnao quero (mais )?(viver|estar viv[oa]|acordar)\b",
    r"\b(me machucar|me magoar|magoar-me|me ferir|me cortar)\b|\bautomutila|\bautolesao\b",
    r"\bmelhor mort[oa]\b",
    rf"\b(nao|n|num) aguento mais( (viver|esta vida|essa vida|a vida|isto|isso|a minha vida|"
    rf"minha vida))?( assim)?{_CLAUSE_END}",
    r"\btomar todos os (meus )?(comprimidos|remedios)\b",
    r"\b(para|e) nao (mais )?acordar\b|\bnao acordar (nunca|mais)\b|\bnunca mais acordar\b",
    rf"\bnao quero (mais )?(estar|ficar) aqui( mais)?{_CLAUSE_END}|\bnao quero (mais )?continuar{_CLAUSE_END}",
    r"\b(estariam|ficariam|viveriam) melhor sem mim\b",
    r"\bnao vou (estar|ficar) (ca|aqui) (por )?muito mais tempo\b",
    r"\b(quero|queria|penso|pensar|pensando)( todos os dias| muito| sempre)? em desaparecer "
    r"(de vez|para sempre)\b|\bquero desaparecer (de vez|para sempre)\b",
    rf"\bnao quero (mais )?(continuar|seguir) assim{_CLAUSE_END}",
    r"\b(cansad[oa]|fart[oa]) de viver\b",
    r"\bnao (conto|penso|tenciono|pretendo) (estar|ficar) (ca|aqui|viv[oa]) (no|para o|pelo|ate ao) "
    rf"(natal|meu aniversario|verao|ano que vem|proximo ano){_NOT_A_TRIP}",
    rf"\b(este|esse) (e|sera|vai ser) o meu ultimo (natal|aniversario|verao){_CLAUSE_END}{_NOT_A_TRIP}",
    # Enough tablets to fall asleep for good, in the four languages (a count is a means).
    r"\b(quant[oa]s?|cuant[oa]s?|combien|wie ?viele?)\b[^.!?]{0,90}\b((adormecer|dormir|dormirme|"
    r"m'endormir|s'endormir|einzuschlafen|einschlafen) (de vez|para sempre|para siempre|pour toujours|"
    r"a jamais|fur immer|und (weg|nicht mehr))|fur immer (einzuschlafen|einschlafen|zu schlafen))",
    # Someone else's farewell, and now no answer: "he texted me 'im sorry for everything, look
    # after mum'. now hes not answering" (in the five languages, folded).
    r"^(?=.*\b(texted|messaged|wrote|sent|said|told|me escribio|me mando|me dijo|m'a ecrit|m'a envoye|"
    r"m'a dit|hat mir geschrieben|schrieb mir|hat gesagt|me escreveu|me mandou|disse-me|me disse|"
    r"mandou-me|escreveu-me)\b)"
    r"(?=.*\b(sorry for everything|look after|take care of (mum|mom|dad|the kids|the dog|everyone)|this "
    r"is goodbye|perdon por todo|lo siento (por|de) todo|cuida (de|a)|pardon pour tout|desole pour tout|"
    r"prends soin de|leid fur alles|entschuldigung fur alles|pass auf|desculpa por tudo|perdao por tudo|"
    r"cuida d[aeo]s?)\b)(?=.*\b(not answering|isn'?t answering|won'?t answer|not picking up|won'?t pick up|"
    r"can'?t reach|phone('s| is) off|not replying|hasn'?t replied|no contesta|no responde|no me contesta|"
    r"ne repond (plus|pas)|injoignable|antwortet nicht|geht (er |sie )?nicht ran|"
    r"nicht erreichbar|nao atende|nao responde)\b)",
    # Which medicine is most dangerous taken in quantity; not living to see one's children
    # grow up, so why bother (as in English).
    r"\b(mas peligros[oa]s?|le plus dangereux|la plus dangereuse|les plus dangereux|am gefahrlichsten|"
    r"mais perigos[oa]s?)\b(?=[^.!?]{0,70}\b(tom\w+|trag\w+|prend\w*|pris|aval\w+|nimmt|nehme\w*|genommen|"
    r"schluck\w*|engol\w+)\b)(?=[^.!?]{0,70}\b(muchas|todas|de golpe|de una vez|beaucoup|tous|toutes|"
    r"d'un coup|viele|alle|auf einmal|muitos|muitas|todos|todas|de uma vez)\b)",
    r"^(?=.*(\bno (voy a|vere|llegare a) ver crecer\b|\b(verrai|vais voir) (pas|jamais)\b[^.!?]{0,30}\bgrandir\b|"
    r"\bnicht (mehr )?aufwachsen sehen\b|\bnao (vou|irei) ver\b[^.!?]{0,30}\bcrescer\b))"
    r"(?=.*\b(para que|pa que|da igual|a quoi bon|a quoi ca sert|pourquoi|wozu|wofur|warum|pra que|"
    r"para que)\b)",
    # Hitting one's head against a wall until it hurts or to calm down, as in English.
    r"\b(me doy|me pego|me golpeo|darme) (golpes |cabezazos )?[^.!?]{0,25}\b(contra la pared|en la "
    r"cabeza|contra el suelo)\b[^.!?]{0,60}\b(hasta|sangr\w*|me calmo|me siento mejor|a proposito)",
    r"\bje me (tape|frappe|cogne) (la tete )?(contre|sur) (le|un|les) (mur|sol|porte)\b[^.!?]{0,50}"
    r"(jusqu|sang|me calme|ca me calme|soulage|expres)",
    r"\b(schlage|haue|knalle) (mir )?(meinen|den) kopf (gegen|an) die wand\b[^.!?]{0,50}\b(bis|blut\w*|"
    r"beruhig\w*|besser|absichtlich)",
    r"\b(bato|bati|dou) com a cabeca (na|contra a) parede\b[^.!?]{0,50}\b(ate|sangr\w*|acalm\w*|"
    r"alivi\w*|de proposito)",
)

# Italian and Dutch: not languages the app answers in, so these get the English message.
_CRISIS_UNSUPPORTED = _any(
    r"\bsuicid|\bzelfmoord|\bsuicide\b",
    # it
    r"\bvoglio morire\b|\b(uccidermi|ammazzarmi)\b|\btogliermi la vita\b|\bfarla finita\b",
    r"\bnon (voglio|ce la faccio) piu (a )?vivere\b|\bnon voglio piu svegliarmi\b",
    r"\bfarmi del male\b|\bmeglio mort[oa]\b|\bnon ce la faccio piu\b",
    # nl
    r"\bik wil dood\b|\bik wil (niet meer leven|sterven)\b|\bniet meer (willen )?leven\b",
    r"\bmezelf (van kant maken|doden|iets aandoen|pijn doen|snijden)\b|\ber een eind aan maken\b",
    r"\bmijn leven beeindigen\b|\bbeter dood\b|\bniet meer wakker (worden|willen worden)\b",
)
_EMERGENCY_UNSUPPORTED = _any(
    r"\bdolore (forte |fortissimo |acuto )?al petto\b|\bnon riesco a respirare\b|\bsvenut[oa]\b|\bambulanza\b",
    r"\bpijn (op|in) (de|mijn) borst\b|\bik kan niet (meer )?ademen\b|\bbewusteloos\b",
    r"\bflauwgevallen\b|\bbel een ambulance\b",
)

_SUDDEN_OTHER = (
    r"(de repente|repentin|subit|soudain|tout a coup|brusquement|plotzlich|auf einmal|d'un coup|"
    r"do nada|de uma hora para a outra|de un momento a otro|von einem moment auf den anderen)"
)
_SIGN_OTHER = (
    r"((deixei|deixou|deixa) de ver|ver nada|no veo|vista|vision|ciego|adormec|dormid|entumec|debil|"
    r"paraliz|hablar|habla|confus|"
    r"dolor de cabeza|mareo|cara|vue|vois|aveugle|engourdi|faible|paralys|parler|parole|"
    r"mal de tete|vertige|visage|sehen|sehe|sicht|blind|taub|schwach|gelahmt|lahm|sprechen|"
    r"sprache|verwirrt|kopfschmerz|schwindel|gesicht|nao vejo|visao|cego|dormen|formig|fraco|"
    r"fraqueza|paralis|falar|fala|dor de cabeca|tontura|rosto)"
)

_MOUTH_OTHER = (
    r"(garganta|lengua|labios|cara|boca|gorge|langue|levres|visage|bouche|hals|zunge|lippen|gesicht|mund|"
    r"lingua|rosto)"
)
_SWELL_OTHER = (
    r"(hinch\w*|cerrando|gonfl\w*|enfl\w*|serre\w*|schwill\w*|geschwollen|inch\w*|fech\w*)"
)

_EMERGENCY_OTHER = _any(
    r"\bdolor (en el|de|fuerte en el) pecho\b|\bdolor toracico|\bopresion en el pecho",
    r"\bdouleur (dans la|a la|de) poitrine|\bdouleur thoracique|\boppression (dans la|a la) poitrine",
    r"\bbrustschmerz|\bschmerzen in der brust|\bengegefuhl in der brust",
    r"\bdor (forte )?no peito\b|\bdor toracica|\baperto no peito",
    r"\bno puedo respirar|\bdificultad (para|al) respirar|\bme ahogo\b|\bno me entra (el )?aire\b",
    # Lips gone blue or grey (labios morados, lèvres bleues, blaue Lippen, lábios roxos).
    r"\blabios (morados|azules|grises)\b|\blevres (bleues|violettes|grises)\b",
    r"\blippen (sind |werden |wurden )?(ganz )?(blau|grau|lila)\b|\b(blaue|graue) lippen\b",
    r"\blabios (roxos|azuis|cinzentos)\b",
    r"\b(j'arrive|je n'arrive|j'y arrive) (pas|plus) a (reprendre|retrouver) (mon|son) souffle\b",
    r"\bnao consigo (apanhar|respirar|puxar o) ar\b",
    r"\bme falta el aire\b(?!.{0,30}(ejercicio|camin|subir|escalera|correr|entren|nadar))",
    r"\bmal a respirer|\bdifficulte(s)? a respirer|\bje (ne )?peux (plus|pas) respirer|\bj'etouffe\b",
    r"\batemnot|\bkann (nicht|kaum) (mehr )?atmen|\b(bekomme|kriege?|krieg) (keine|kaum) luft",
    r"\bnao consigo respirar|\bfalta de ar\b|\bdificuldade (para|em|de) respirar",
    rf"\b{_SUDDEN_OTHER}.{{0,50}}\b{_SIGN_OTHER}",
    rf"\b{_SIGN_OTHER}.{{0,50}}\b{_SUDDEN_OTHER}",
    r"\bperdi (la vista|a visao|a vista)\b|\bno veo nada\b|\bperdido la vue\b|\bperdu la vue\b",
    r"\bje ne vois (plus )?rien\b|\bsehe (gar )?nichts( mehr)?\b|\bnao vejo nada\b",
    r"\bun lado (del cuerpo|de la cara)\b|\bun cote du (corps|visage)\b",
    r"\beiner (korperseite|gesichtshalfte)\b|\bum lado do (corpo|rosto)\b",
    r"\bboca torcida\b|\bboca torta\b|\bbouche de travers\b|\bhangender mundwinkel",
    r"\bpeor dolor de cabeza|\bpire mal de tete|\bschlimmsten? kopfschmerz|\bpior dor de cabeca",
    r"\bkrampfanfall|\bepilepti|\bcrise d'epilepsie",
    r"\bdesmay|\binconscient|\bperdio el conocimiento|\bevanoui|\bperdu connaissance",
    r"\bbewusstlos|\bohnmacht|\bdesmai|\bdesacordad",
    r"\bictus\b|\bderrame cerebral|\bavc\b|\bschlaganfall|\binfarto\b|\binfarctus|"
    r"\bherzinfarkt|\bcrise cardiaque|\bataque (al|ao) corazon|\bataque cardiaco",
    r"\bambulancia|\bambulance\b|\bkrankenwagen|\brettungswagen|\bnotarzt|\bsamu\b",
    # Round 7, as in English: a fall and no getting up; an allergic reaction (the throat, tongue,
    # lips or face swelling, with an injection or infusion or swallowing or breathing hard).
    r"\b(me he caido|me cai|se ha caido|se cayo|caida)\b[^.!?]{0,60}\bno (me |se )?(puedo|puede|consigo|"
    r"consigue|logra) (levantar|incorporar)",
    r"\b(tombe|tombee)\b[^.!?]{0,60}\b(n'arrive|arrive|peux|peut|parvient) (pas|plus) (a )?(me|se) "
    r"relever\b",
    r"\b(gesturzt|hingefallen|umgefallen|auf dem boden)\b[^.!?]{0,60}\b(komme|kommt|kann) (allein )?"
    r"(nicht|nicht mehr) (mehr )?(allein )?(hoch|auf|aufstehen)\b",
    r"\b(cai|caiu|caido|caida|no chao)\b[^.!?]{0,60}\bnao (me |se )?(consigo|consegue) levantar",
    rf"^(?=.*(\b{_MOUTH_OTHER}\b[^.!?]{{0,30}}\b{_SWELL_OTHER}|\b{_SWELL_OTHER}[^.!?]{{0,15}}\b{_MOUTH_OTHER}\b))"
    r"(?=.*\b(inyeccion|infusion|pinchazo|tragar|respirar|ronchas|"
    r"perfusion|injection|piqure|avaler|respirer|plaques|urticaire|spritze|injektion|schlucken|luft|"
    r"atmen|quaddeln|injecao|infusao|engolir|respirar|vergoes)\b)",
)

_DRUG_OTHER = (
    rf"({_DRUG}|traitement de fond|tratamiento (de fondo|modificador)|tratamento (de fundo|"
    r"modificador)|basistherapie|verlaufsmodifizierend\w*|medicamento|medicina|medicacion|pastilla|farmaco|dosis|inyeccion|infusion|"
    r"suplemento|vitamina|corticoide|medicament|cachet|comprime|pilule|dose|posologie|piqure|"
    r"perfusion|complement|medikament|tablette|pille|spritze|praparat|remedio|comprimido|"
    r"pilula|dosagem|injecao|infusao)"
)
_STOP_START_OTHER = (
    r"(dejar|parar|suspender|empezar|comenzar|tomar|cambiar|aumentar|subir|bajar|reducir|"
    r"disminuir|duplicar|saltarme|combinar|mezclar|arreter|stopper|commencer|prendre|changer|"
    r"augmenter|diminuer|reduire|baisser|doubler|sauter|combiner|melanger|absetzen|aufhoren|"
    r"weglassen|nehmen|einnehmen|anfangen|beginnen|wechseln|erhohen|steigern|reduzieren|"
    r"verringern|verdoppeln|auslassen|kombinieren|umstellen|pausieren|stoppen|beenden|comecar|"
    r"iniciar|trocar|mudar|diminuir|dobrar|pular|misturar|deixar)"
)
_MAY_I_OTHER = (
    r"(debo|deberia|puedo|podria|tengo que|dois-je|je dois|puis-je|je peux|je pourrais|"
    r"pourrais-je|devrais-je|je devrais|faut-il que je|soll ich|sollte ich|darf ich|kann ich|"
    r"muss ich|devo|deveria|posso|poderia|tenho que|preciso)"
)

_INTEND_OTHER = (
    r"(quiero|quisiera|pienso|estoy pensando en|me planteo|je voudrais|j'aimerais|je pense|j'envisage|"
    r"je compte|ich uberlege|ich mochte|ich will|ich denke daran|ich plane|quero|queria|estou a pensar( em)?|"
    r"penso|estou pensando em)"
)
_PAUSE_OTHER = (
    r"(dejar|parar|suspender|interrumpir|hacer una pausa|descansar|arreter|stopper|interrompre|faire une "
    r"pause|suspendre|absetzen|abzusetzen|pausieren|zu pausieren|aufhoren|unterbrechen|parar|deixar|"
    r"interromper|suspender|fazer uma pausa)"
)

_ADVICE_OTHER = _any(
    # "Would it be better to switch to Kesimpta?"
    rf"\b(es mejor|seria mejor|conviene|est-ce (que c'est )?mieux|vaut-il mieux|il vaut mieux|"
    rf"ware es besser|ist es besser|e melhor|seria melhor)\b.{{0,30}}\b(cambie|cambiar|deje|dejar|"
    rf"empiece|empezar|pase|pasar|changer|passer|arreter|commencer|umzusteigen|umsteigen|"
    rf"wechseln|zu wechseln|abzusetzen|absetzen|mudar|trocar|parar|deixar|passar)\b.{{0,40}}"
    rf"\b{_DRUG_OTHER}",
    rf"\b(ware es besser|ist es besser)\b.{{0,40}}\b{_DRUG_OTHER}.{{0,20}}\b(umzusteigen|zu wechseln|"
    rf"abzusetzen|zu nehmen|anzufangen)\b",
    rf"\b{_MAY_I_OTHER}\b.{{0,40}}\b{_STOP_START_OTHER}\b.{{0,40}}\b{_DRUG_OTHER}",
    rf"\b{_MAY_I_OTHER}\b.{{0,60}}\b{_DRUG_OTHER}.{{0,40}}\b{_STOP_START_OTHER}\b",
    rf"\b{_DRUG_OTHER}.{{0,60}}\b{_MAY_I_OTHER}\b.{{0,20}}\b{_STOP_START_OTHER}\b",
    r"\bcuant(o|a|os|as) (mg|miligramos|pastillas|dosis)\b|\b(que|cual es la) dosis\b",
    r"\bcombien de (mg|milligrammes|comprimes|cachets|doses)\b|\bquelle (est la )?(bonne )?(dose|posologie)\b",
    r"\bwie ?viele? (mg|milligramm|tabletten)\b|\b(welche|richtige) dosis\b",
    r"\bquant(o|a|os|as) (mg|miligramas|comprimidos|doses)\b|\bqual (e )?(a )?(dose|dosagem)\b",
    # A missed dose ("do I take two?") is a dosing decision too.
    rf"\b(olvide|se me olvido|me olvide|me salte|oublie|j'ai saute|esqueci|me esqueci|"
    rf"pulei)\b.{{0,40}}\b{_DRUG_OTHER}",
    rf"\b{_DRUG_OTHER}.{{0,40}}\b(vergessen|ausgelassen|verpasst)\b|\bvergessen\b.{{0,40}}\b{_DRUG_OTHER}",
    # An intention to stop or pause one's medicine, told to be judged ("quiero dejar el
    # tratamiento modificador un tiempo, ¿es buena idea?"), as "thinking of coming off" in English.
    rf"\b{_INTEND_OTHER}\b.{{0,30}}\b{_PAUSE_OTHER}\b.{{0,40}}\b{_DRUG_OTHER}",
    rf"\b{_INTEND_OTHER}\b.{{0,30}}\b{_DRUG_OTHER}.{{0,40}}\b{_PAUSE_OTHER}\b",
)


_MEDICINE = re.compile(
    rf"\b({_DRUG_OTHER}|tizanid|baclof|gabapent|fampri|teriflun|fingolim|natalizum|ocrelizum|"
    r"ofatumum|modafin|amantad|pregabal|cladrib|siponim|ozanim|alemtuzum|kapsel|gelule|capsula)",
    re.IGNORECASE,
)
# Advice is a personal decision: the message names a medicine and speaks of the person's own
# use of it ("my", "can I", "tomo", "posso"), not of the medicine in general (cost, effects).
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|i've|i'd|my|me|mine|yo|mi|mis|puedo|debo|tomo|dejo|je|j|mon|ma|mes|moi|"
    r"tengo|necesito|prends|nehme|ich|mein|meine|meinen|meiner|mir|mich|eu|meu|minha|meus|"
    r"minhas|posso|devo|deixo|tomo)\b"
)


def route(question: str) -> Route | None:
    """The route the patterns give the question alone (no conversation, no semantic layer)."""
    return _pattern_verdict(question).route


@dataclass(frozen=True)
class Verdict:
    """Where a message goes. `certain`: the patterns matched or the semantic score is high, so
    the answer is replaced by urgent help (or, for advice, the clinician referral). Not
    certain: the answer is given as usual with the support message beside it. `language`:
    the language for the message when the question is in one the app does not speak (it, nl)."""

    route: Route | None = None
    certain: bool = True
    language: str | None = None

    @property
    def status(self) -> Route | None:
        """The status the answer takes instead of answered/abstained, if any."""
        return self.route if self.certain else None

    @property
    def beside(self) -> Route | None:
        """The support message shown beside an answer that is given anyway, if any."""
        return self.route if not self.certain and self.route != "advice" else None


# A question about a red-flag symptom as a topic ("can MS cause seizures?", "I fainted once
# years ago, should I avoid hot yoga?") is not the symptom happening: the emergency patterns
# then do not decide alone, and the semantic layer reads the meaning. Something happening now
# ("right now", "is having", "ahora") keeps the pattern's verdict.
_AS_A_TOPIC = _any(
    r"\b(can|could|does|do|is|are|may|might|will)\b.{0,50}\b(cause|causes|trigger|triggers|"
    r"lead to|linked|related|common|a side effect|a symptom|part of)\b",
    r"\bside effects?\b|\bhow (common|likely|often)\b|\b(risk|chance)s? of\b",
    # Risk and the past, in the other languages: "murió de un ictus hace años, ¿tengo más riesgo?"
    r"\b(riesgo|risque|risiko|risco)s?\b|\bhace (anos|meses)\b|\bil y a (des annees|\d+ ans)\b",
    r"\bvor (jahren|\d+ jahren)\b|\bha (anos|meses)\b",
    r"\b(years|months) ago\b|\blast (year|month)\b|\bonce\b.{0,20}\bago\b|\bturned out\b",
    r"\b(puede|pueden) (causar|provocar|dar)\b|\befecto(s)? secundario",
    r"\bpeu(t|vent)(-elle|-il)? (provoquer|causer|donner|entrainer)\b|\beffets? secondaire",
    r"\b(auslosen|verursachen|hervorrufen)\b|\bnebenwirkung",
    r"\bpode(m)? (causar|provocar|dar)\b|\befeitos? (colateral|secundario)",
    r"\bpuo (causare|provocare)\b|\beffett[oi] collateral|\b(veroorzaken|uitlokken)\b|\bbijwerking",
)
_HAPPENING = _any(
    r"\b(right now|now|just|currently|is having|am having|i'm having|keeps? having|started|"
    r"this morning|tonight|today|minutes? ago|an hour ago|help|i have|i've got|i feel|he's|she's|"
    r"he is|she is|they are)\b",
    r"\b(my \w+|he|she|they) (is|are|has|was|won't|can't|isn't|doesn't|keeps)\b",
    r"\b(ahora|ahorita|ya|en este momento|maintenant|en ce moment|jetzt|gerade|agora|neste momento|"
    r"adesso|ora|nu|hilfe|ayuda|aide|ajuda|aiuto)\b",
)


_HAPPENING_NOW = _any(
    r"\b(right now|just now|at the moment|is having|am having|i'm having|keeps? having|"
    r"minutes? ago|an hour ago|help)\b",
    r"\b(ahora|en este momento|maintenant|en ce moment|jetzt|gerade|agora|neste momento|"
    r"hilfe|ayuda|aide|ajuda)\b",
)


def as_a_topic(text: str) -> bool:
    """The red flag is asked about, not happening. In a message of several sentences the
    question and what is happening are read per sentence: "My walking has got slower ... is it
    true it can cause seizures?" asks about seizures, though "my walking has" tells of now."""
    if not _AS_A_TOPIC.search(text):
        return False
    if not _HAPPENING.search(text):
        return True
    flagged = [
        piece
        for piece in re.split(r"(?<=[.!?])\s+", text)
        if _EMERGENCY.search(piece) or _EMERGENCY_OTHER.search(piece)
    ]
    return (
        len(flagged) > 0
        and all(_AS_A_TOPIC.search(p) and not _HAPPENING.search(p) for p in flagged)
        and not _HAPPENING_NOW.search(text)
    )


# What is not happening now: an event told of as past ("nearly passed out in the sauna once",
# "hace años"), as recurring or habitual ("coughs every time he drinks", "siempre", "jedes
# Mal"), as resolved ("then comes back", "but I'm fine", "luego se pasa", "geht wieder weg"),
# or brought on by heat (in MS, symptoms that heat brings out and cooling takes away). The
# patterns read this for choking and red flags asked about (see above); the semantic layer
# reads it for any emergency it hears (safety_semantic.py). Folded text.
_SETTLED = _any(
    r"(?<!at )\bonce\b|\b(years|months|weeks) ago\b|\ba (while|long time) (ago|back)\b|\bused to\b|"
    r"\blast (year|summer|winter|spring|autumn|month|time)\b|\bin the past\b|\bwhen i was (younger|"
    r"a kid|a child|little|pregnant)\b",
    r"\b(every|each) time\b|\bwhenever\b|\balways\b|\boften\b|\bsometimes\b|\busually\b|"
    r"\btends? to\b|\bevery (day|morning|night|evening|week|summer)\b",
    r"(?<!de )\buna vez\b|\b(cada vez|a veces|a menudo|siempre|solia)\b|\bsuel[oe] \w+(ar|er|ir)\b|\bhace (anos|meses|semanas|"
    r"tiempo)\b|\bel (ano|verano|invierno|mes) pasado\b",
    r"(?<!en )\bune fois\b|\b(chaque fois|parfois|souvent|toujours|d'habitude)\b|\bil y a (des annees|des mois|"
    r"longtemps|\d+ (ans|mois))\b|\b(l'an|l'annee|l'ete|l'hiver) derni",
    r"(?<!auf )\beinmal\b|\b(jedes mal|manchmal|oft|meistens|fruher)\b|\bimmer\b(?! noch)|\bvor (jahren|"
    r"monaten|\d+ (jahren|monaten))\b|\b(letztes|letzten|im letzten) (jahr|sommer|winter|monat)\b",
    r"(?<!de )\buma vez\b|\b(toda vez|cada vez|as vezes|sempre|frequentemente|costuma\w*)\b|\b(anos|meses) atras\b|"
    r"\bha (anos|meses)\b|\b(ano|verao|mes) passado\b",
    # Heat: a hot shower, bath or day, a sauna ("my vision goes blurry in a hot shower").
    r"\bhot (shower|bath|tub|weather|days?|room|yoga)\b|\bsauna|\boverheat|\bheat ?wave\b|"
    r"\bin the heat\b|\bwhen (it'?s|it is|i get|i'?m) (hot|warm)\b",
    r"\b(ducha|bano|dia)s? calientes?\b|\bcalor\b|\b(douche|bain)s? chaud|\bchaleur\b|"
    r"\bquand il fait chaud\b|\bhitze\b|\bheiss\w* (dusche|bad|wetter|tag)|\b(banho|dia)s? quentes?\b",
)
# Resolved: gone again, or the person says they are fine.
_RESOLVED = _any(
    r"\b(comes?|came|goes|went|going) (right )?back( to normal)?\b|\bback to normal\b|"
    r"\b(wears?|wore|goes|went) (off|away)\b|\b(it )?pass(es|ed)\b(?! out| away)|\bsettles?\b|"
    r"\b(but|and) i'?m (fine|ok|okay|alright|all right|good)\b|\b(was|were|is|am|i'?m) "
    r"(fine|ok|okay|alright) (now|after|again)\b|\bfine now\b",
    r"\bse (me |le )?(pasa|quita|va)\b|\bvuelve(n)? a la normalidad\b|\b(pero|y) (ya )?estoy bien\b",
    r"\b(ca|elle|il) (revient|repart|passe)\b|\bredevien\w* normal|\b(mais|et) (ca va|je vais bien)\b",
    r"\bgeht (dann |danach |aber )?(wieder )?weg\b|\bwieder (normal|gut|weg)\b|\baber (mir geht'?s|es "
    r"geht mir) gut\b|\bgeht es wieder\b",
    r"\b(depois |e )?(volta|passa)\b|\bvolta ao normal\b|\b(mas|e) (ja )?(to|estou|tou) bem\b",
)
# Happening now, which outweighs any of the above ("it happened once before, and now he
# won't wake up").
_NOW_AFTER_ALL = _any(
    r"\b(right now|just now|at the moment|currently|still|won'?t stop|getting worse|is having|am "
    r"having|i'?m having|minutes? ago|an hour ago|ambulance|911|999|112|now)\b",
    r"\b(won'?t|will not|doesn'?t|isn'?t) (respond|wake|answer|breathe|stop)\w*|\bnot (responding|"
    r"breathing|waking)\b|\bno (responde|respira|despierta)\b|\bne (repond|respire|se reveille) "
    r"(plus|pas)\b|\b(reagiert|atmet|wacht) (nicht|kaum)\b|\bnao (responde|respira|acorda)\b",
    r"\b(ahora|en este momento|todavia|sigue|no para|maintenant|en ce moment|encore|ne s'arrete pas|"
    r"jetzt|gerade|immer noch|hort nicht auf|agora|neste momento|ainda|nao para)\b",
)


def not_happening_now(text: str) -> bool:
    """The (folded) message tells of something past, recurring, resolved or brought on by
    heat, and nothing in it says it is going on now ("fine now" is resolved, not now)."""
    if not (_SETTLED.search(text) or _RESOLVED.search(text)):
        return False
    return not _NOW_AFTER_ALL.search(_RESOLVED.sub(" ", text))


def _pattern_verdict(question: str) -> Verdict:
    text = normalise(question)
    folded = fold(text)
    if _OTHERS_OVERDOSE.search(folded):
        # Someone else's overdose, unless the person also speaks of their own crisis.
        rest = _OTHERS_OVERDOSE.sub(" ", folded)
        own = _CRISIS.search(rest) or _CRISIS_OTHER.search(rest)
        return Verdict("crisis" if own else "emergency")
    text, folded = _WORKING_HARD.sub(" ", text), _WORKING_HARD.sub(" ", folded)
    if _CRISIS.search(text) or _CRISIS_OTHER.search(folded):
        return Verdict("crisis")
    if _CRISIS_UNSUPPORTED.search(folded):
        return Verdict("crisis", language="en")
    if as_a_topic(folded) or not_happening_now(folded):
        pass  # the semantic layer decides (see _AS_A_TOPIC and _SETTLED)
    elif _EMERGENCY.search(text) or _EMERGENCY_OTHER.search(folded):
        return Verdict("emergency")
    elif _EMERGENCY_UNSUPPORTED.search(folded):
        return Verdict("emergency", language="en")
    if _ADVICE.search(text) or _ADVICE_OTHER.search(folded):
        return Verdict("advice")
    return Verdict(None)


# After a crisis turn, a question about means, amounts or a time is about the crisis.
_CRISIS_FOLLOW_UP = _any(
    r"\b(how (many|much)|enough|lethal|deadly|fatal|quickest|fastest|painless|easiest|"
    r"best way|quick way|do it|a plan|my plan|tonight|tomorrow|goodbye|pills|tablets|meds|"
    r"bridge|rope|jump|gun|knife|hurt|die|dead|end it)\b",
    r"\b(cuant[oa]s|suficiente|rapid[oa]|esta noche|manana|combien|assez|rapide|ce soir|"
    r"wie ?viele|genug|schnellste|heute nacht|quant[oa]s|esta noite|amanha|pastillas|"
    r"comprimidos|comprimes|tabletten)\b",
)
# After an emergency turn, news about the same person or event is still the emergency.
_EMERGENCY_FOLLOW_UP = _any(
    r"\b(still|worse|getting worse|not (breathing|responding|waking|moving)|what (do|should) "
    r"(i|we) do|right now|help|ambulance|waiting|again|he|she|his|her|my (wife|husband|mum|mom|dad))\b",
    r"\b(todavia|sigue|peor|ayuda|encore|pire|aide|immer noch|schlimmer|hilfe|ainda|pior|ajuda)\b",
)
_UNSUPPORTED_WORDS = {
    "it": frozenset(
        "voglio sono piu perche della niente riesco farla finita faccio stanco stanca meglio "
        "senza famiglia starebbe sarebbe morire vivere questa questo nessuno tutto tutti".split()
    ),
    "nl": frozenset(
        "ik niet het een mijn wil meer ben heb zijn dood leven mezelf zonder beter".split()
    ),
}


def unsupported_language(text: str) -> str | None:
    """'it' or 'nl' when the text reads as Italian or Dutch (two or more of their common words),
    languages the app does not speak, so its messages go out in English."""
    found = set(re.findall(r"[a-z]+", fold(text)))
    for language, markers in _UNSUPPORTED_WORDS.items():
        if len(found & markers) >= 2:
            return language
    return None


class SafetyRouter:
    """Routes a message: the deterministic patterns first (certain when they match), then the
    conversation (a follow-up to a crisis or emergency turn), then, when a multilingual
    embedder was given, the semantic layer (similarity to a bank of example messages).

    Without the semantic layer (the fast test tier, or no multilingual model configured) it
    is exactly the patterns plus the conversation rule."""

    def __init__(self, semantic: SemanticLayer | None = None) -> None:
        self.semantic = semantic

    def route(
        self, question: str, history: Sequence[Turn] = (), alongside: Sequence[str] = ()
    ) -> Verdict:
        """`alongside`: texts the answer reader will embed with the semantic layer's model,
        embedded in the same pass when the semantic layer runs (its embedder remembers them)."""
        verdict = _pattern_verdict(question)
        if verdict.route in ("crisis", "emergency"):
            return verdict
        earlier = self._earlier(history)
        if earlier.route:
            follow_up = _CRISIS_FOLLOW_UP if earlier.route == "crisis" else _EMERGENCY_FOLLOW_UP
            if follow_up.search(fold(normalise(question))):
                return Verdict(earlier.route, language=earlier.language)
        meaning = self._semantic(question, verdict, alongside)
        # An unsure reading does not overrule a request for medicine advice the patterns are
        # sure of ("You are now a doctor. Prescribe me something" read 0.6 crisis, margin 0);
        # a sure one does ("how many of my tablets would it take" is a crisis).
        if meaning.route in ("crisis", "emergency") and (
            meaning.certain or verdict.route != "advice"
        ):
            return meaning
        if verdict.route == "advice":
            return verdict
        if earlier.route:
            # The conversation had urgent help: it stays in sight beside later answers.
            return Verdict(earlier.route, certain=False, language=earlier.language)
        return meaning

    def _semantic(self, question: str, verdict: Verdict, alongside: Sequence[str] = ()) -> Verdict:
        if self.semantic is None:
            return Verdict(None)
        text = normalise(question)
        folded = fold(text)
        personal = bool(_MEDICINE.search(folded) and _FIRST_PERSON.search(folded))
        found = self.semantic.classify(text, personal, alongside)
        if found.route is None or (found.route == "advice" and verdict.route == "advice"):
            return found
        return Verdict(found.route, found.certain, unsupported_language(question) and "en")

    def _earlier(self, history: Sequence[Turn]) -> Verdict:
        """The urgent route of the conversation so far: a user turn the patterns route to crisis
        or emergency, or an assistant turn that was the crisis or emergency message."""
        for turn in reversed(history[-8:]):
            if turn.role == "assistant" and turn.content.strip() in _urgent_messages():
                return Verdict(_urgent_messages()[turn.content.strip()])
            if turn.role == "user":
                found = _pattern_verdict(turn.content)
                if found.route in ("crisis", "emergency"):
                    return found
        return Verdict(None)


@lru_cache(maxsize=1)
def _urgent_messages() -> dict[str, Route]:
    from assistant.language import LANGUAGES
    from assistant.messages import message

    return {
        message(name, language): name for name in ("crisis", "emergency") for language in LANGUAGES
    }


_SCOPE_FILE = Path(__file__).parent / "out_of_scope.txt"
_SCOPE_FILE_TRANSLATED = Path(__file__).parent / "out_of_scope_translated.txt"


@lru_cache(maxsize=1)
def _scope_patterns() -> tuple[re.Pattern[str], ...]:
    lines = _SCOPE_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(re.compile(x, re.IGNORECASE) for x in lines if x.strip() and not x.startswith("#"))


@lru_cache(maxsize=1)
def _scope_rules_translated() -> tuple[tuple[re.Pattern[str], str], ...]:
    lines = _SCOPE_FILE_TRANSLATED.read_text(encoding="utf-8").splitlines()
    rules = [line.split("=>", 1) for line in lines if "=>" in line and not line.startswith("#")]
    return tuple((re.compile(rf"\b(?:{p.strip()})"), terms.strip()) for p, terms in rules)


def out_of_scope_phrases(question: str, language: str = "en") -> list[str]:
    """Phrases naming a topic a rehab library usually does not cover, in English: the words
    of an English question, or the English names of the topics a question in another
    language touches (out_of_scope_translated.txt)."""
    if language != "en":
        folded = fold(question)
        return [terms for pattern, terms in _scope_rules_translated() if pattern.search(folded)]
    return [m.group(0) for p in _scope_patterns() for m in p.finditer(question)]
