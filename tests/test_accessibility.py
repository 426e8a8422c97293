"""Accessibility, checked the way accessibility teams check it, in headless Chromium.

axe-core (from npm, see package.json) is injected into each tab, empty and after an answer,
in the default display and with larger text and high contrast: no serious or critical
violation of WCAG 2.0-2.2 A/AA or axe's best practices. Each report is kept in
test-artifacts/axe/. A keyboard-only test asks a question and opens its source without a
mouse. Other tests cover what axe cannot see: persistent display settings, target sizes, one
announcement per answer, and markers read as "source 1".
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, submit_question

pytestmark = pytest.mark.real

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "test-artifacts" / "axe"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
QUESTION = "Does insurance cover occupational therapy?"


def audit(page, name: str) -> list[str]:
    """Run axe on the page as it is; keep the report; return the serious and critical findings."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it from npm (package.json).")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    assert result["passes"], "axe ran no checks"
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def answer(page, question: str = QUESTION) -> None:
    submit_question(page, question)
    page.locator("#answer-text textarea").first.wait_for()
    page.wait_for_function("() => document.querySelector('#announce')?.innerText.length > 0")


@pytest.mark.parametrize("display", ["default", "larger-contrast"])
def test_axe_finds_no_serious_problem_on_any_tab(page, display):
    if display != "default":
        page.get_by_label("Larger text").check()
        page.get_by_label("High contrast").check()
    found = {f"ask-empty-{display}": audit(page, f"ask-empty-{display}")}
    answer(page)
    found[f"ask-answered-{display}"] = audit(page, f"ask-answered-{display}")
    answer(page, "I have crushing chest pain and can't breathe")
    page.locator("#urgent [role=alert]").wait_for()
    found[f"ask-emergency-{display}"] = audit(page, f"ask-emergency-{display}")

    page.get_by_role("tab", name="Find in sources").click()
    page.get_by_label("Text to find").wait_for()
    found[f"find-empty-{display}"] = audit(page, f"find-empty-{display}")
    page.get_by_label("Text to find").fill("Coverage for OT services varies by plan.")
    page.get_by_role("button", name="Find in sources").click()
    page.locator("#find-results .match").first.wait_for()
    found[f"find-results-{display}"] = audit(page, f"find-results-{display}")

    page.get_by_role("tab", name="Documents").click()
    page.locator("#documents table").wait_for()
    found[f"documents-{display}"] = audit(page, f"documents-{display}")
    assert {name: v for name, v in found.items() if v} == {}


def _focused(page) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName, id: el.id || el.closest('[id]')?.id || '',
                text: (el.innerText || el.getAttribute('aria-label') || el.value || '').slice(0, 60),
                outline: style.outlineStyle + ' ' + style.outlineWidth,
                shadow: style.boxShadow,
            };
        }"""
    )


def _tab_until(page, matches, limit: int = 80) -> list[dict[str, str]]:
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        seen.append(focused)
        if matches(focused):
            return seen
    pytest.fail(f"not reached with Tab in {limit} presses; focus went through {seen}")


def _has_visible_focus(focused: dict[str, str]) -> bool:
    return not focused["outline"].startswith("none") or focused["shadow"] != "none"


def test_keyboard_only_question_and_source(page):
    path = _tab_until(page, lambda f: f["tag"] == "TEXTAREA" and f["id"] == "question")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.locator("#sources mark").first.wait_for()
    page.wait_for_function("() => document.querySelector('#announce')?.innerText.length > 0")
    path += _tab_until(page, lambda f: f["tag"] == "A" and "Open the document" in f["text"])
    order = [f["id"] or f["text"] for f in path]
    assert order.index("question") < order.index("ask-button") < order.index("new-conversation")
    invisible = [f for f in path if f["tag"] in ("A", "BUTTON", "TEXTAREA", "INPUT")]
    invisible = [f for f in invisible if not _has_visible_focus(f)]
    assert invisible == [], f"focus is not visible on {invisible}"
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    document = opened.value
    document.wait_for_load_state()
    assert "Coverage for OT services varies by plan." in document.locator("mark#quote").inner_text()
    document.close()


def test_keyboard_reaches_the_upload_button(page):
    # Listen from the start: Enter opens the chooser at once, on key down, sooner than
    # expect_file_chooser (or a listener added just before) switches interception on.
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    _tab_until(page, lambda f: f["tag"] == "BUTTON" and f["text"].strip() == "Ask", limit=40)
    page.get_by_role("tab", name="Documents").focus()
    page.keyboard.press("Enter")
    page.locator("#documents table").wait_for()
    # A BUTTON, not just any focused element whose text contains the words (the body's does).
    _tab_until(
        page, lambda f: f["tag"] == "BUTTON" and "Choose files to add" in f["text"], limit=40
    )
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    assert len(choosers) == 1
    assert choosers[0].is_multiple()


def test_display_settings_persist_between_visits(page):
    textarea = page.get_by_label("Your question")
    normal = textarea.bounding_box()["height"]
    page.get_by_label("Larger text").check()
    page.get_by_label("High contrast").check()
    page.reload()
    page.get_by_label("Your question").wait_for()
    page.wait_for_function("() => document.documentElement.classList.contains('msra-larger')")
    assert page.get_by_label("Larger text").is_checked()
    assert page.get_by_label("High contrast").is_checked()
    assert "msra-contrast" in page.evaluate("document.documentElement.className")
    assert page.get_by_label("Your question").bounding_box()["height"] >= 1.2 * normal
    page.get_by_label("Larger text").uncheck()
    page.reload()
    page.get_by_label("Your question").wait_for()
    page.wait_for_timeout(300)
    assert "msra-larger" not in page.evaluate("document.documentElement.className")


def test_targets_are_at_least_24_pixels(page):
    answer(page)
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, input[type=checkbox], [role=tab], .source-foot a')]
            .filter(el => el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
            .filter(el => !el.closest('[aria-hidden=true]'))
            .map(el => ({name: el.getAttribute('aria-label') || el.innerText.slice(0, 30) || el.id,
                         box: el.getBoundingClientRect()}))
            .filter(t => t.box.width < 24 || t.box.height < 24)
            .map(t => `${t.name} ${Math.round(t.box.width)}x${Math.round(t.box.height)}`)"""
    )
    assert small == [], small


def test_answer_is_announced_once_when_complete(page):
    page.evaluate(
        """() => {
            window.__announced = [];
            const target = document.getElementById('announce');
            new MutationObserver(() => {
                const text = target.innerText.trim();
                if (text && window.__announced.at(-1) !== text) window.__announced.push(text);
            }).observe(target, {subtree: true, childList: true, characterData: true});
        }"""
    )
    answer(page)
    announced = page.evaluate("window.__announced")
    assert len(announced) == 1
    assert announced[0].startswith("Answer ready. The documents say:")
    assert "(source 1)" in announced[0]
    live = page.evaluate(
        "() => [...document.querySelectorAll('#conversation [aria-live]')].map(e => e.getAttribute('aria-live'))"
    )
    assert live, "the chat has no live region to quiet"
    assert set(live) == {"off"}, "the chat log would read the answer piece by piece"
    region = page.locator("#announce")
    assert (region.get_attribute("role"), region.get_attribute("aria-live")) == ("status", "polite")


def test_citation_markers_read_as_source_n(page):
    answer(page)
    message = page.locator("#conversation [data-testid=bot]").last
    spoken = message.aria_snapshot()
    assert "(source 1)" in spoken
    assert "[1]" not in spoken
    assert "[1]" in page.evaluate(
        "() => getComputedStyle(document.querySelector('#conversation .cite'), '::before').content"
    )
    assert page.locator("#sources .visually-hidden", has_text="Source 1:").count() == 1


def test_landmarks_and_headings(page):
    answer(page)
    assert page.locator("main").count() == 1
    assert page.get_by_role("heading", level=1, name="MS Rehab Assistant").count() == 1
    assert page.get_by_role("heading", name="Sources").count() == 1
    assert page.get_by_role("tablist").count() >= 1
