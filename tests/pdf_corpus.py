"""A small corpus of PDFs made at test time, each with the text it was made from.

Two makers, as real PDFs come from different tools:
- reportlab (drawing each line ourselves, so we choose where lines break and hyphenate):
  a three-page factsheet with running headers, footers with page numbers, hyphenated line
  ends, a bulleted list, a table and a paragraph that runs over a page break; and a
  two-column leaflet.
- LibreOffice (`soffice --headless --convert-to pdf` from a flat ODT file): headings, a
  numbered list, a table, two columns on page 2 and a header and footer with page numbers.

`SOURCE_SENTENCES` of each are the sentences a reader sees; tests assert that each comes out
whole in the cleaned text. Nothing here is committed as a binary: the files are made in tmp.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

# Where a word may break at a line end, for the words we hyphenate in the factsheet.
HYPHENATION = {
    "rehabilitation": "reha-bilitation",
    "exercises": "exer-cises",
    "physiotherapist": "physio-therapist",
    "dizziness": "dizzi-ness",
    "symptoms": "symp-toms",
    "improvement": "improve-ment",
    "vestibular": "vestib-ular",
    "gradually": "gradu-ally",
    "concentration": "concen-tration",
}

FACTSHEET_TITLE = "Vestibular rehabilitation for dizziness in MS"
FACTSHEET_HEADER = "VRT factsheet for people with MS"
FACTSHEET_FOOTER = "Northshire MS Society, 2024"

FACTSHEET: list[tuple[str, str]] = [
    ("heading", FACTSHEET_TITLE),
    (
        "paragraph",
        "Dizziness and problems with balance are common in multiple sclerosis. Vestibular "
        "rehabilitation is a form of exercise therapy that helps the brain adapt to signals "
        "from the inner ear. A physiotherapist assesses your symptoms and chooses exercises "
        "that suit you, and most people notice an improvement within six to eight weeks.",
    ),
    ("heading", "How the exercises work"),
    (
        "paragraph",
        "Habituation exercises should be done three times a day, for no more than fifteen "
        "minutes at a time. They gradually reduce dizziness by repeating the movements that "
        "bring it on. A well-known example is turning the head from side to side while "
        "looking at a fixed point, which also trains concentration and steady vision.",
    ),
    ("heading", "What you will do"),
    ("paragraph", "Your programme usually includes:"),
    ("bullet", "gaze stability exercises, such as reading a card while moving the head slowly"),
    ("bullet", "balance training standing on foam or with the eyes closed"),
    ("bullet", "walking while turning the head, first with support and later without"),
    ("heading", "A typical week"),
    ("table", "Exercise|Times a day|Minutes"),
    ("table", "Gaze stability|3|5"),
    ("table", "Habituation|3|15"),
    ("table", "Balance training|2|10"),
    ("heading", "When to stop"),
    (
        "paragraph",
        "Stop the exercises and contact your MS nurse if dizziness lasts longer than one hour "
        "after a session, or if it comes with vomiting or new double vision. Mild dizziness "
        "during the exercises is expected and usually settles within a few minutes.",
    ),
    (
        "paragraph",
        "Self-management matters too: keep a short diary of your symptoms, rest between "
        "sessions and tell your physiotherapist about any fall. Vestibular rehabilitation "
        "works best when the exercises are done every day, even on good days, because the "
        "brain adapts to what it meets often. Most people can reduce the exercises once "
        "dizziness has settled for a month.",
    ),
    ("heading", "Further help"),
    (
        "paragraph",
        "Ask your MS nurse for a referral to a physiotherapist with training in vestibular "
        "rehabilitation. Many clinics offer group classes as well as one-to-one sessions.",
    ),
]

LEAFLET_TITLE = "Staying active with fatigue"
LEAFLET_HEADER = "Fatigue leaflet"
LEAFLET_LEFT = [
    "Fatigue is one of the most common symptoms of MS and can affect work, family life and "
    "mood. Planning the day helps you spend energy on what matters most to you.",
    "Short rests before you feel exhausted work better than one long rest at the end of the "
    "day. Many people find that a twenty minute rest after lunch keeps the afternoon going.",
    "Keeping cool matters, because heat makes fatigue worse for many people with MS.",
]
LEAFLET_RIGHT = [
    "Regular aerobic exercise, such as walking, swimming or cycling, reduces fatigue over a "
    "few months. Start with ten minutes and add a little each week.",
    "An occupational therapist can help you pace activities, change how tasks are done and "
    "choose equipment that saves energy at home and at work.",
    "Sleep problems, low mood and pain all add to fatigue, so mention them at your review.",
]

LIBRE_TITLE = "Speech and swallowing in MS"
LIBRE_HEADER = "Speech and swallowing guide"
LIBRE_FOOTER = "Page"
LIBRE: list[tuple[str, str]] = [
    ("heading", LIBRE_TITLE),
    (
        "paragraph",
        "Changes in speech and swallowing affect some people with multiple sclerosis. A speech "
        "and language therapist assesses how you speak and swallow, and suggests exercises and "
        "changes to food and drink that make eating safer. Many people find that small changes, "
        "such as sitting upright and taking smaller sips, make a clear difference within weeks.",
    ),
    ("heading", "Signs to mention"),
    ("numbered", "Coughing or choking when you eat or drink."),
    ("numbered", "Food sticking in the throat, or a wet or gurgly voice after meals."),
    ("numbered", "Speech that has become slurred, quiet or slow."),
    ("heading", "Useful techniques"),
    (
        "paragraph",
        "Tuck your chin slightly down when you swallow, because this helps protect the airway. "
        "Take small mouthfuls and finish each one before the next. Concentrate on the meal and "
        "avoid talking while you chew.",
    ),
    ("table", "Problem|What may help"),
    ("table", "Thin drinks go down too fast|Thickened drinks"),
    ("table", "Tiring during meals|Smaller meals more often"),
    ("pagebreak", ""),
    ("heading", "Living well with changes"),
    (
        "paragraph",
        "Speech therapy is not only about exercises. A therapist can suggest communication aids, "
        "from simple letter boards to speech apps on a tablet, and can teach family members how "
        "to help during conversations. Rest before important calls, because speech is often "
        "clearer when you are not tired. Background noise makes listening harder for everyone, "
        "so turn off the television or radio when you talk.",
    ),
    (
        "paragraph",
        "Swallowing problems can lead to chest infections if food or drink goes into the lungs. "
        "Tell your doctor straight away if you have a fever or a cough that does not go away. "
        "Good mouth care, such as brushing the teeth twice a day, lowers this risk. Regular "
        "reviews let the therapist adjust your plan as your needs change over time.",
    ),
]


@dataclass(frozen=True)
class MadePdf:
    path: Path
    sentences: list[str]
    """Every sentence or list item a reader sees, as it should come out of the cleaned text."""
    furniture: list[str]
    """Running header and footer text that must not reach any chunk."""
    title: str
    """The title the document should get."""
    pages: dict[str, int]
    """A distinctive sentence and the page it is printed on."""


def sentences_of(blocks: list[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    for kind, text in blocks:
        if kind in ("paragraph", "bullet", "numbered"):
            out.extend(_split_sentences(text))
    return out


def _split_sentences(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s]


# ---------------------------------------------------------------------------- reportlab


def _wrap(text: str, width: float, font: str, size: float, hyphenate: bool) -> list[str]:
    """Greedy line breaking; a word that does not fit is hyphenated where HYPHENATION allows."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return stringWidth(line, font, size) <= width

    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if fits(trial):
            current = trial
            continue
        bare = word.rstrip(".,;:")
        if hyphenate and "-" in bare and fits(f"{current} {bare.split('-')[0]}-"):
            head, tail = word.split("-", 1)  # a real hyphen at the line end
            lines.append(f"{current} {head}-".strip())
            current = tail
            continue
        split = HYPHENATION.get(bare.lower()) if hyphenate else None
        if split and fits(f"{current} {split.split('-')[0]}-"):
            cut = split.index("-")
            lines.append(f"{current} {word[:cut]}-".strip())
            current = word[cut:]
            continue
        lines.append(current)
        current = word
    if current:
        lines.append(current)
    return lines


class _Pager:
    """Draws lines top to bottom on A4 pages with a running header and a numbered footer."""

    def __init__(self, canvas, header: str, footer: str, total: int) -> None:  # type: ignore[no-untyped-def]
        self.canvas, self.header, self.footer, self.total = canvas, header, footer, total
        self.page = 1
        self.y = 0.0
        self._start_page()

    def _start_page(self) -> None:
        c = self.canvas
        c.setFont("Helvetica", 9)
        c.drawString(56, 800, self.header)
        c.drawString(56, 40, self.footer)
        c.drawRightString(539, 40, f"Page {self.page} of {self.total}")
        self.y = 760.0

    def need(self, height: float) -> None:
        if self.y - height < 70:
            self.canvas.showPage()
            self.page += 1
            self._start_page()

    def line(self, text: str, font: str = "Helvetica", size: float = 11, x: float = 56) -> None:
        self.need(size + 4)
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, text)
        self.y -= size + 4


def make_factsheet(folder: Path) -> MadePdf:
    from reportlab.pdfgen.canvas import Canvas

    path = folder / "vrt_factsheet.pdf"
    total = _draw_factsheet(Canvas(str(path), pagesize=(595, 842)), total=0)[0]
    pages = _draw_factsheet(Canvas(str(path), pagesize=(595, 842)), total)[1]
    return MadePdf(
        path=path,
        sentences=sentences_of(FACTSHEET),
        furniture=[FACTSHEET_HEADER, FACTSHEET_FOOTER, f"Page 1 of {total}", f"Page 2 of {total}"],
        title=FACTSHEET_TITLE,
        pages=pages,
    )


def _draw_factsheet(canvas, total: int) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Draw the factsheet; returns the number of pages and the page of each block's start."""
    canvas.setTitle("Microsoft Word - VRT_factsheet_v3_FINAL.docx")
    # Narrow lines so the text runs over three pages and several words break at line ends.
    width = 230.0
    pager = _Pager(canvas, FACTSHEET_HEADER, FACTSHEET_FOOTER, total)
    pages: dict[str, int] = {}
    for kind, text in FACTSHEET:
        if kind == "heading":
            pager.need(60)
            pager.y -= 8
            pager.line(text, "Helvetica-Bold", 14)
        elif kind == "paragraph":
            for number, line in enumerate(_wrap(text, width, "Helvetica", 11, hyphenate=True)):
                pager.line(line)
                if number == 0:
                    pages[text.split(".")[0]] = pager.page
            pager.y -= 8
        elif kind == "bullet":
            for number, line in enumerate(_wrap(text, width - 14, "Helvetica", 11, True)):
                if number == 0:
                    pager.line("–", x=56)
                    pager.y += 15
                pager.line(line, x=70)
        elif kind == "table":
            pager.need(15)
            for column, cell in enumerate(text.split("|")):
                canvas.setFont("Helvetica", 11)
                canvas.drawString(56 + 130 * column, pager.y, cell)
            pager.y -= 15
    canvas.showPage()
    canvas.save()
    return pager.page, pages


def make_leaflet(folder: Path) -> MadePdf:
    """Two pages of two columns, drawn line by line across the page (left line, right line,
    left line...), so the order in the file is not the reading order."""
    from reportlab.pdfgen.canvas import Canvas

    path = folder / "fatigue_leaflet.pdf"
    canvas = Canvas(str(path), pagesize=(595, 842))
    canvas.setTitle("untitled")
    column_width = 230.0
    pages: dict[str, int] = {}
    for page in (1, 2):
        canvas.setFont("Helvetica", 9)
        canvas.drawString(56, 800, LEAFLET_HEADER)
        canvas.drawCentredString(297, 40, str(page))
        canvas.setFont("Helvetica-Bold", 16)
        y = 760.0
        if page == 1:
            canvas.drawString(56, y, LEAFLET_TITLE)
            y -= 30
        columns = (LEAFLET_LEFT, LEAFLET_RIGHT) if page == 1 else LEAFLET_PAGE2_COLUMNS
        left, right = (_column_lines(c, column_width) for c in columns)
        canvas.setFont("Helvetica", 11)
        for row in range(max(len(left), len(right))):
            for x, lines in ((56, left), (309, right)):
                if row < len(lines) and lines[row]:
                    canvas.drawString(x, y - 15 * row, lines[row])
        for text in columns[0] + columns[1]:
            pages[text.split(".")[0]] = page
        canvas.showPage()
    canvas.save()
    return MadePdf(
        path=path,
        sentences=sentences_of(
            [("paragraph", t) for t in LEAFLET_LEFT + LEAFLET_RIGHT + LEAFLET_PAGE2]
        ),
        furniture=[LEAFLET_HEADER],
        title=LEAFLET_TITLE,
        pages=pages,
    )


LEAFLET_PAGE2 = [
    "Cooling vests, cold drinks and a fan help many people stay active in warm weather. "
    "Plan outings for the cooler part of the day.",
    "Your MS nurse can check for other causes of tiredness, such as anaemia or thyroid "
    "problems, before you start a fatigue programme.",
]
LEAFLET_PAGE2_COLUMNS = ([LEAFLET_PAGE2[0]], [LEAFLET_PAGE2[1]])


def _column_lines(paragraphs: list[str], width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(_wrap(paragraph, width, "Helvetica", 11, hyphenate=False))
        lines.append("")  # a blank line between paragraphs
    return lines


# ---------------------------------------------------------------------------- LibreOffice

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def make_libreoffice(folder: Path) -> MadePdf:
    source = folder / "speech_guide.fodt"
    source.write_text(_flat_odt(LIBRE), encoding="utf-8")
    assert SOFFICE, "LibreOffice is missing: `make test` installs libreoffice-writer-nogui"
    profile = folder / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    path = folder / "speech_guide.pdf"
    second = next(i for i, (kind, _) in enumerate(LIBRE) if kind == "pagebreak")
    pages = {
        text.split(".")[0]: (1 if i < second else 2)
        for i, (kind, text) in enumerate(LIBRE)
        if kind == "paragraph"
    }
    return MadePdf(
        path=path,
        sentences=sentences_of(LIBRE),
        furniture=[LIBRE_HEADER],
        title=LIBRE_TITLE,
        pages=pages,
    )


def _flat_odt(blocks: list[tuple[str, str]]) -> str:
    body: list[str] = []
    rows: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if rows:
            body.append(
                '<table:table table:name="T"><table:table-column table:number-columns-repeated="2"/>'
                + "".join(rows)
                + "</table:table>"
            )
            rows.clear()
        if items:
            body.append('<text:list text:style-name="Numbers">' + "".join(items) + "</text:list>")
            items.clear()

    next_style = "P"
    for kind, text in blocks:
        if kind != "table" and kind != "numbered":
            flush()
        if kind == "heading":
            level = 1 if text == blocks[0][1] else 2
            style = "H2Break" if next_style == "Break" else f"H{level}"
            next_style = "P"
            body.append(
                f'<text:h text:style-name="{style}" text:outline-level="{level}">{escape(text)}</text:h>'
            )
        elif kind == "paragraph":
            body.append(f'<text:p text:style-name="{next_style}">{escape(text)}</text:p>')
            next_style = "P"
        elif kind == "numbered":
            items.append(
                f'<text:list-item><text:p text:style-name="P">{escape(text)}</text:p></text:list-item>'
            )
        elif kind == "table":
            cells = "".join(
                f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p></table:table-cell>'
                for c in text.split("|")
            )
            rows.append(f"<table:table-row>{cells}</table:table-row>")
        elif kind == "pagebreak":
            # The second page is set in two columns (a section with its own column count).
            body.append('<text:section text:style-name="Cols" text:name="Two">')
            next_style = "Break"
    flush()
    body.append("</text:section>")
    return _ODT_TEMPLATE.replace("BODY", "\n".join(body)).replace("HEADER", escape(LIBRE_HEADER))


_ODT_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><dc:title>speech_guide_final.docx</dc:title></office:meta>
<office:styles>
 <style:style style:name="Standard" style:family="paragraph">
  <style:text-properties fo:font-size="11pt" style:font-name="Liberation Sans"/>
 </style:style>
 <style:style style:name="P" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-bottom="0.25cm"/>
 </style:style>
 <style:style style:name="H1" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-bottom="0.3cm"/>
  <style:text-properties fo:font-size="18pt" fo:font-weight="bold"/>
 </style:style>
 <style:style style:name="H2" style:family="paragraph" style:parent-style-name="Standard">
  <style:paragraph-properties fo:margin-top="0.3cm" fo:margin-bottom="0.2cm"/>
  <style:text-properties fo:font-size="14pt" fo:font-weight="bold"/>
 </style:style>
 <text:list-style style:name="Numbers">
  <text:list-level-style-number text:level="1" style:num-suffix="." style:num-format="1">
   <style:list-level-properties text:space-before="0.5cm" text:min-label-width="0.6cm"/>
  </text:list-level-style-number>
 </text:list-style>
</office:styles>
<office:automatic-styles>
 <style:style style:name="Break" style:family="paragraph" style:parent-style-name="P">
  <style:paragraph-properties fo:break-before="page"/>
 </style:style>
 <style:style style:name="H2Break" style:family="paragraph" style:parent-style-name="H2">
  <style:paragraph-properties fo:break-before="page"/>
 </style:style>
 <style:style style:name="Cols" style:family="section">
  <style:section-properties><style:columns fo:column-count="2" fo:column-gap="0.8cm"/></style:section-properties>
 </style:style>
 <style:page-layout style:name="PL">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
   fo:margin-top="1.5cm" fo:margin-bottom="1.5cm" fo:margin-left="2cm" fo:margin-right="2cm"/>
  <style:header-style><style:header-footer-properties fo:min-height="0.8cm"/></style:header-style>
  <style:footer-style><style:header-footer-properties fo:min-height="0.8cm"/></style:footer-style>
 </style:page-layout>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Standard" style:page-layout-name="PL">
  <style:header><text:p>HEADER</text:p></style:header>
  <style:footer><text:p>Page <text:page-number text:select-page="current">1</text:page-number></text:p></style:footer>
 </style:master-page>
</office:master-styles>
<office:body><office:text>
BODY
</office:text></office:body>
</office:document>
"""
