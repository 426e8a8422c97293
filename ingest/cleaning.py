"""Remove page furniture from saved web pages and normalise whitespace.

Cleaning works line by line and only ever drops whole lines, strips known link phrases
or glyphs, and trims whitespace: it never rewrites a sentence, so every sentence of
content survives verbatim. The cleaned text is what the index stores and what all
offsets refer to.

Generic rules cover furniture common to web pages (skip links, "Was this page helpful?",
sign-up lines, video embeds, bylines) and what copying sites append to a page they copy: a
"People also ask" block of search snippets from unknown sources (questions marked with ›)
and a made-up author profile. Such text is not the credited publisher's, so it must not be
indexed under their name. Rules that only make sense for one page live with that page's
metadata (`furniture`, `strip`, `cut_from`, `drop_blocks` in documents.json). This module
does not judge whether content is true or useful.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GENERIC_FURNITURE = [
    r"Skip to (navigation|content|main content)\b.*",
    r"Home\s*[-|–]\s*.+",
    r"GO\s+\S.*",
    r"Read more\b.*",
    r"\(Video\)\s.*",
    r"Was this (page|article) helpful\??",
    r"Thanks for your feedback!?",
    r"What is your feedback\??",
    r"Share Feedback",
    r"See Our Editorial Process",
    r"Meet Our Medical Expert Board",
    r"By providing your email address.*",
    r"(Sign up|Subscribe)\b.*\b(newsletter|e-?mail)\b.*",
    r"(Share|Print|E-?mail|Tweet)( this( page| article)?)?",
    r"This has been added to your Favorites\.?",
    r"More on this topic",
    r"More information on:?",
    r"Top Articles",
    r"Latest Posts",
    r"View as PDF\b.*",
    r":? ?Mira como PDF",
    r"What[’']s on this page\??",
    r"Written by:.*",
    r"Last (updated|reviewed):?\s.*",
    r"\d+ Sources",
    r".*\buses only high-quality sources\b.*",
    r"\d+\.\s.*\bdoi:\s?\S+",
    r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}",
    r".* - YouTube",
]

_GENERIC_STRIP = [
    r"\s+Read more on [^.]*$",  # trailing link text after a sentence
]

_SPACES = re.compile(r" {2,}")

# Scraped author profiles ("Article information ... Introduction: My name is ...") end a page.
_GENERIC_CUT_FROM = [r"Article information"]

# A "People also ask" question: a search engine's question, with the › of its expander.
_ALSO_ASKED = re.compile(r".*\?\s*›")
_MAX_SNIPPET_PARAGRAPHS = 3
"""A snippet longer than this many paragraphs before the next question ends the block."""


@dataclass(frozen=True)
class CleaningRules:
    """Per-document rules, read from that document's entry in documents.json."""

    furniture: list[str] = field(default_factory=list)
    """Whole lines (regular expressions, matched in full) to drop."""
    strip: list[str] = field(default_factory=list)
    """Phrases (regular expressions) to remove from inside lines."""
    cut_from: list[str] = field(default_factory=list)
    """A line matching one of these, and everything after it, is dropped."""
    drop_blocks: list[tuple[str, str]] = field(default_factory=list)
    """(first, stop) line patterns: drop from `first` up to, not including, `stop`."""


def clean_text(raw: str, title: str = "", rules: CleaningRules | None = None) -> str:
    """Return `raw` without furniture, with trimmed lines and at most one blank line in a row."""
    rules = rules or CleaningRules()
    lines = [_normalise_line(line) for line in raw.replace("\r\n", "\n").split("\n")]
    lines = _cut(lines, _GENERIC_CUT_FROM + rules.cut_from)
    lines = _drop_blocks(lines, rules.drop_blocks)
    lines = _drop_also_asked(lines)
    drop = _compile_full(_GENERIC_FURNITURE + rules.furniture + _title_captions(title))
    strip = [re.compile(p) for p in _GENERIC_STRIP + rules.strip]
    kept: list[str] = []
    seen_early: set[str] = set()
    for number, line in enumerate(lines):
        for pattern in strip:
            line = pattern.sub("", line).strip()
        if line and any(p.fullmatch(line) for p in drop):
            continue
        # Saved pages repeat their title and teaser near the top (page title + h1).
        if line and number < 12:
            if line in seen_early:
                continue
            seen_early.add(line)
        kept.append(line)
    return _collapse_blank_lines(kept)


def _normalise_line(line: str) -> str:
    return _SPACES.sub(" ", line.replace("\u00a0", " ").replace("\t", " ")).strip()


def _compile_full(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def _title_captions(title: str) -> list[str]:
    # Image captions on some pages are the page title followed by "(1)", "(2)", ...
    return [re.escape(title) + r"\s*\(\d+\)"] if title else []


def _cut(lines: list[str], patterns: list[str]) -> list[str]:
    compiled = _compile_full(patterns)
    for index, line in enumerate(lines):
        if any(p.fullmatch(line) for p in compiled):
            return lines[:index]
    return lines


def _drop_blocks(lines: list[str], blocks: list[tuple[str, str]]) -> list[str]:
    for first, stop in blocks:
        start_re, stop_re = re.compile(first), re.compile(stop)
        begin = next((i for i, line in enumerate(lines) if start_re.fullmatch(line)), None)
        if begin is None:
            continue
        end = next(
            (i for i in range(begin + 1, len(lines)) if stop_re.fullmatch(lines[i])), len(lines)
        )
        lines = lines[:begin] + lines[end:]
    return lines


def _drop_also_asked(lines: list[str]) -> list[str]:
    """Drop each "People also ask" question with its snippet: up to the next question, or
    the snippet's first paragraph after the last one."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if _ALSO_ASKED.fullmatch(lines[index]):
            index = _snippet_end(lines, index + 1)
        else:
            kept.append(lines[index])
            index += 1
    return kept


def _snippet_end(lines: list[str], start: int) -> int:
    """Index just past the snippet that starts at `start` (see _drop_also_asked)."""
    first_end: int | None = None
    paragraphs = 0
    for index in range(start, len(lines)):
        line, previous = lines[index], lines[index - 1] if index > start else ""
        if _ALSO_ASKED.fullmatch(line):
            return index
        if line and not previous:
            paragraphs += 1
            if paragraphs > _MAX_SNIPPET_PARAGRAPHS:
                break
        if not line and previous and first_end is None:
            first_end = index
    return first_end if first_end is not None else len(lines)


def _collapse_blank_lines(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
