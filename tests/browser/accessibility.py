"""axe-core over every page the browser journeys visit, at both sizes (docs/accessibility.md).

The `page` and `phone_page` fixtures (conftest.py) hand each context to `AxeAudit.watch`, which
notes the address of every document the journey loads. When the test has passed, `check`
runs axe on each page still open, as the journey left it, then opens each other noted address
again in the same context (so as the same person). Every page is checked at its own size and
at the other one (1280 and 390 px wide), once per (view, width) in the whole run: a second
journey through the same view costs nothing, so the time axe takes grows with the number of
views, not of tests. A serious or critical violation fails the test that visited the page.

axe-core comes with the `axe-playwright-python` package (its `axe.min.js`, loaded here
directly): no Node. It is evaluated through the DevTools protocol, which the content security
policy does not govern, so the pages' own policy stays as strict as in production.

On when CI is set (.ci/run) or CONTINUUM_AXE=1; CONTINUUM_AXE=0 turns it off.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ENABLED = os.environ.get("CONTINUUM_AXE", "1" if os.environ.get("CI") else "0").lower() not in (
    "0",
    "",
    "false",
    "no",
    "off",
)
FAILING_IMPACTS = ("serious", "critical")
WIDTHS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}

# Violations allowed while their fix is under way, by (rule, view name), each with where it
# is tracked; empty when none are. Each is still reported in the run's summary, and one that
# is no longer seen is reported too, so the line can go.
KNOWN: dict[tuple[str, str], str] = {}
# Pages that are not ours to fix: Django's admin and the API's Swagger UI (drf-spectacular's
# page around swagger-ui's script), with their own templates and scripts.
NOT_OURS = ("admin:", "api-docs")

# Two frames: the page's resize observers have run and its layout is the new width's.
SETTLE = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# Runs in the page: axe on the whole document, violations only, cut down to what a message
# needs (a page can have hundreds of nodes for one rule).
RUN_AXE = """
async () => {
  if (document.contentType !== "text/html") return null;
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    count: violation.nodes.length,
    targets: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
  }));
}
"""


# How often a page whose document was replaced under axe is waited for and checked again.
ATTEMPTS = 4


def _navigated_away(error: PlaywrightError) -> bool:
    return "Execution context was destroyed" in str(error)


def _refusal(page: Page, url: str) -> str:
    """Open `url` in `page`: why it could not be checked there, or "" when it answered."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:  # a download, or a page that no longer answers
        return str(error).splitlines()[0]
    if response is None:
        return "no response"
    return "" if response.ok else str(response.status)


def _axe_source() -> str:
    from axe_playwright_python.base import AXE_FILE_PATH

    return AXE_FILE_PATH.read_text(encoding="utf-8")


@dataclass
class Finding:
    rule: str
    impact: str
    help: str
    count: int
    targets: list[str]
    url: str
    view: str
    width: str

    def describe(self) -> str:
        where = "; ".join(self.targets) + (" …" if self.count > len(self.targets) else "")
        return (
            f"{self.rule} ({self.impact}) at {self.width} px on {self.url} [{self.view}]:"
            f" {self.help} — {self.count} element(s): {where}"
        )


@dataclass
class AxeAudit:
    """One per test run: what has been checked, what was found, and how long it took."""

    origin: str = ""
    checked: set[tuple[str, str]] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    known_seen: set[tuple[str, str]] = field(default_factory=set)
    runs: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    _source: str = ""

    def watch(self, context: BrowserContext) -> list[str]:
        """Note the address of every document `context`'s pages load."""
        loaded: list[str] = []

        def on_page(page: Page) -> None:
            page.on("load", lambda: loaded.append(page.url))

        context.on("page", on_page)
        return loaded

    def view_of(self, url: str) -> str | None:
        """The URL's view name (`app:name`), the path when nothing resolves; None off-site
        and for pages that are not ours (NOT_OURS)."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        try:
            match = resolve(parts.path)
        except Resolver404:
            return parts.path
        if match.view_name.startswith(NOT_OURS):
            return None
        return match.view_name

    def check(self, context: BrowserContext, own_width: str, loaded: list[str]) -> list[str]:
        """Run axe where not yet run; the descriptions of the failing violations found."""
        started = time.monotonic()
        failures: list[str] = []
        for page in list(context.pages):  # as the journey left them
            if not page.is_closed():
                failures += self._check_settled_page(page, own_width)
        revisit: Page | None = None
        for url in dict.fromkeys(loaded):
            view = self.view_of(url)
            if view is None or all((view, width) in self.checked for width in WIDTHS):
                continue
            revisit = revisit or context.new_page()
            refused = _refusal(revisit, url)
            if refused:
                self.skipped.append(f"{url}: {refused}")
                # A refused address (a POST-only one answers 405) can leave Chromium loading
                # its own error page, which would interrupt the next address: start afresh.
                revisit.close()
                revisit = None
                continue
            failures += self._check_settled_page(revisit, own_width)
        self.seconds += time.monotonic() - started
        return failures

    def _check_settled_page(self, page: Page, own_width: str) -> list[str]:
        """A journey may end while its last click is still navigating, and a page may move on
        by itself: wait for the document that is loading and, when a navigation replaces the
        document under axe, check the new one. A page that never holds still is reported in
        the summary as not checked rather than failing its test for something axe is not
        about. The same goes for a page whose last click started a download: Chromium can
        leave it waiting for a load that never comes (seen once in CI after the export
        page's download link); its address is in `loaded`, so `check` opens it afresh."""
        for _attempt in range(ATTEMPTS):
            try:
                page.wait_for_load_state("load")
            except PlaywrightTimeoutError:
                self.skipped.append(f"{page.url}: its tab never finished loading")
                return []
            try:
                return self._check_page(page, own_width)
            except PlaywrightError as error:
                if not _navigated_away(error):
                    raise
        self.skipped.append(f"{page.url}: still navigating after {ATTEMPTS} attempts")
        return []

    def _check_page(self, page: Page, own_width: str) -> list[str]:
        view = self.view_of(page.url)
        if view is None:
            return []
        failures: list[str] = []
        # Its own size first, then the other; the page is left at its own size.
        order = [own_width] + [width for width in WIDTHS if width != own_width]
        pending = [width for width in order if (view, width) not in self.checked]
        if not pending:
            return []
        for width in pending:
            page.set_viewport_size(WIDTHS[width])
            page.evaluate(SETTLE)
            failures += self._run(page, view, width)
            self.checked.add((view, width))
        page.set_viewport_size(WIDTHS[own_width])
        return failures

    def _run(self, page: Page, view: str, width: str) -> list[str]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            self._source = self._source or _axe_source()
            page.evaluate(self._source)
        violations: list[dict[str, Any]] | None = page.evaluate(RUN_AXE)

        if violations is None:  # not an HTML document
            return []
        self.runs += 1
        failures = []
        for violation in violations:
            finding = Finding(
                rule=violation["id"],
                impact=violation["impact"] or "",
                help=violation["help"],
                count=violation["count"],
                targets=violation["targets"],
                url=urlsplit(page.url).path,
                view=view,
                width=width,
            )
            self.findings.append(finding)
            if finding.impact not in FAILING_IMPACTS:
                continue
            if (finding.rule, view) in KNOWN:
                self.known_seen.add((finding.rule, view))
                continue
            failures.append(finding.describe())
        return failures

    def summary(self) -> list[str]:
        views = {view for view, _ in self.checked}
        lines = [
            f"axe-core: {self.runs} runs over {len(views)} views at"
            f" {' and '.join(WIDTHS)} px in {self.seconds:.1f}s"
        ]
        by_impact: dict[str, int] = {}
        for finding in self.findings:
            by_impact[finding.impact] = by_impact.get(finding.impact, 0) + 1
        if by_impact:
            lines.append(
                "axe-core: violations by impact (serious and critical fail their test): "
                + ", ".join(f"{impact}={n}" for impact, n in sorted(by_impact.items()))
            )
        for finding in self.findings:
            if finding.impact in FAILING_IMPACTS:
                note = KNOWN.get((finding.rule, finding.view))
                lines.append(
                    "axe-core: " + ("known, " + note + ": " if note else "") + finding.describe()
                )
        for key in sorted(set(KNOWN) - self.known_seen):
            if key[1] in views:
                lines.append(
                    f"axe-core: known violation {key} no longer seen: remove it from KNOWN"
                )
        lines += [f"axe-core: not revisited: {skipped}" for skipped in self.skipped]
        return lines


AUDIT = AxeAudit()
