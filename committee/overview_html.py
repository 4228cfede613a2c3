"""The institution overview's table written directly rather than through the template engine:
at national scale it has a row per program × training year (600 at 200 programs), and through
the engine its nine cells per row cost more than the summaries' reads (see bench/). Every
dynamic string passes through `escape`; numbers are formatted here as the `level` filter does.
The markup is the one the template wrote, and `overview_page` splices it into the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from committee.overview import MIN_CELL, Overview
from core.html import render_with_fragment
from programs.templatetags.programs_tags import level

HEAD = (
    '<div class="table-scroll"><table>\n  <thead><tr><th scope="col">Institution</th>'
    '<th scope="col">Program</th><th scope="col">Year</th><th scope="col">Learners</th>'
    '<th scope="col">Rated</th><th scope="col">Ratings</th><th scope="col">Q1</th>'
    '<th scope="col">Median</th><th scope="col">Q3</th></tr></thead>\n  <tbody>\n'
)
FOOT = "  </tbody>\n</table></div>"
EMPTY = '  <tr><td colspan="9">No current learners.</td></tr>\n'
WITHHELD = (
    f'<td colspan="5" class="suppressed">fewer than {MIN_CELL} learners rated — withheld</td>'
)


def _level(value: float | None) -> str:
    return level(value) or "—"


def overview_table_html(overview: Overview) -> SafeString:
    """The overview's rows as the page's table."""
    parts = [HEAD]
    names: dict[int, str] = {}  # each program's row header, escaped (and linked) once
    for r in overview.rows:
        program = r.program
        name = names.get(program.pk)
        if name is None:
            name = escape(program.name)
            if r.can_review:
                url = reverse("program-heatmap", args=[program.pk])
                name = f'<a href="{escape(url)}">{name}</a>'
            names[program.pk] = name
        learners = r.learners_shown
        if r.suppressed:
            shown = f"fewer than {MIN_CELL}" if learners is None else str(learners)
            cells = f"<td>{shown}</td>{WITHHELD}"
        else:
            cells = (
                f"<td>{learners}</td><td>{r.rated}</td><td>{r.ratings}</td>"
                f"<td>{_level(r.q1)}</td><td>{_level(r.median)}</td><td>{_level(r.q3)}</td>"
            )
        parts.append(
            f"  <tr><td>{escape(program.institution.name)}</td>"
            f'<th scope="row">{name}</th><td>{escape(r.year_label)}</td>{cells}</tr>\n'
        )
    if not overview.rows:
        parts.append(EMPTY)
    parts.append(FOOT)
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def overview_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render `template` with the overview's table in `{{ table }}`, like `render()`."""
    table = overview_table_html(context["overview"])
    return render_with_fragment(request, template, context, name="table", fragment=table)
