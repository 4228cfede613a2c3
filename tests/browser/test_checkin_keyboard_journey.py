"""A resident checks in on the 21 Internal Medicine sub-competencies with the keyboard alone.

Each item's levels are one radio group: arrow keys move within it, one Tab goes on to the next
item, and typing a whole level's number chooses it and moves on (the page says so). The whole
check-in takes at most 30 key presses. At every Tab stop, at desktop and phone sizes, the
focused element is not hidden under the sticky "Save check-in" bar (WCAG 2.2, 2.4.11).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from assessments.models import CheckIn, SelfAssessment
from frameworks.models import Competency, Framework
from frameworks.services import frameworks_load_shipped

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the focused element looks like on screen, and whether the sticky bar covers it: the
# element at the centre of its box must be the element or inside it (a level's radio lies
# under its label, so the label counts too), and its box must not reach under the bar
# unless it sits in the bar.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const labels = Array.from(el.labels || []);
  const mine = !!hit && (el === hit || el.contains(hit) || labels.some((l) => l === hit || l.contains(hit)));
  const bar = document.querySelector(".checkin-bar");
  const b = bar.getBoundingClientRect();
  const inBar = bar.contains(el);
  const under = !inBar && r.bottom > b.top + 0.5 && r.top < b.bottom - 0.5;
  return {
    what: el.tagName + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.value || "").trim().slice(0, 30),
    mine, under, nav: !!el.closest("nav"), footer: !!el.closest("footer"), radio: el.type === "radio", item: el.closest("[data-item]") ? el.closest("[data-item]").id : null,
  };
}"""


@pytest.fixture
def im_framework(program) -> tuple[Framework, list[Competency]]:
    frameworks_load_shipped()
    framework = Framework.objects.get(code="im-milestones")
    program.frameworks.set([framework])
    leaves = list(
        Competency.objects.filter(framework=framework, children__isnull=True).order_by(
            "order", "id"
        )
    )
    assert len(leaves) == 21
    return framework, leaves


def tab_to_first_item(page: Page) -> int:
    """From a fresh page: "Skip to content", "Skip to the first item", then Tab until a level
    has focus. Returns the key presses."""
    presses = 0
    for link in ("Skip to content", "Skip to the first item"):
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text(link)
        page.keyboard.press("Enter")
        presses += 2
    while not page.evaluate("() => document.activeElement.type === 'radio'"):
        page.keyboard.press("Tab")
        presses += 1
        assert presses < 10, "the first item is more than a few Tab presses from the top"
    return presses


def test_a_keyboard_check_in_of_21_items_takes_at_most_30_key_presses(
    page: Page, login_as, learner, im_framework
):
    framework, leaves = im_framework
    login_as(page, learner)
    page.goto(f"/assessments/check-in/{framework.pk}/")
    expect(page.get_by_text(re.compile("With a keyboard: type a level's number"))).to_be_visible()

    presses = tab_to_first_item(page)
    chosen = {leaf.pk: (1 + index) % 6 for index, leaf in enumerate(leaves)}
    for leaf in leaves:
        # Focus is on this item's levels; its number chooses the level and moves on.
        assert page.evaluate("() => document.activeElement.name") == f"level-{leaf.pk}"
        page.keyboard.press(str(chosen[leaf.pk]))
        presses += 1
    expect(page.locator(":focus")).to_have_text("Save check-in")
    expect(page.locator("[data-rated]")).to_have_text("21")
    page.keyboard.press("Enter")
    presses += 1

    expect(page).to_have_url(re.compile(r"/assessments/check-ins/\d+/"))
    assert presses <= 30, presses
    checkin = CheckIn.objects.get(learner=learner)
    saved = {row.competency_id: row.level for row in SelfAssessment.objects.filter(checkin=checkin)}
    assert saved == {pk: Decimal(level) for pk, level in chosen.items()}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_tab_stop_on_the_check_in_is_hidden_under_the_save_bar(
    request, size, login_as, learner, im_framework
):
    page: Page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    framework, leaves = im_framework
    login_as(page, learner)
    page.goto(f"/assessments/check-in/{framework.pk}/")

    stops: list[dict] = []

    def check(state: dict | None) -> None:
        assert state is not None, f"focus lost after {len(stops)} stops"
        stops.append(state)
        # Menus' own sideways strips are the layout's business; the bar is this page's.
        assert state["mine"] or state["nav"], f"hidden at stop {len(stops)}: {state}"
        assert not state["under"], f"under the Save bar at stop {len(stops)}: {state}"

    # Every Tab stop from the top of the page to the footer.
    for _ in range(80):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            break
        check(state)
        if state["footer"]:
            break
    radios = [s for s in stops if s["radio"]]
    # One Tab stop per item: Tab goes from one item's levels straight to the next item's.
    assert [s["item"] for s in radios] == [f"item-{leaf.pk}" for leaf in leaves]
    assert any("Save check-in" in s["what"] for s in stops)

    # Back to the top; this time arrow keys step through every level of the first items, and
    # a note opened with N takes focus: each of those stops is in view too.
    page.goto(f"/assessments/check-in/{framework.pk}/")
    tab_to_first_item(page)
    for leaf in leaves[:4]:
        for _ in range(9):
            page.keyboard.press("ArrowRight")
            check(page.evaluate(FOCUS_STATE))
        expect(page.locator(f"input[name='level-{leaf.pk}'][value='5']")).to_be_checked()
        page.keyboard.press("n")
        expect(page.locator(f"#note-{leaf.pk}")).to_be_focused()
        check(page.evaluate(FOCUS_STATE))
        page.keyboard.press("Tab")
        check(page.evaluate(FOCUS_STATE))
