"""The progress page's levels table as HTML, written in Python rather than a template loop.

Django's template engine spends microseconds per variable and filter: the table's few dozen
rows, with a date and several levels each, cost more through it than all the database work
behind the page (at full scale an `{% include %}` loop added about 10 ms to the progress page,
whose limit is 6 ms). The markup reads as a template would write it: levels go through the
`floatformat` filter and month names through the `date` filter (so they follow the locale),
once per distinct value. Every text is escaped (with the standard library's `html.escape`,
which escapes the same five characters as Django's and answers a plain string).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from html import escape

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from portfolio.dashboard import FrameworkSection

NONE = "—"


@lru_cache(maxsize=4096)
def _level_text(value: Decimal, arg: str, language: str) -> str:
    # The filter answers a SafeString; an exact str is cheaper to interpolate (a
    # SafeString's Python-level __str__ runs every time).
    return str.__str__(floatformat(value, arg))


@lru_cache(maxsize=512)
def _month_name(month: int, language: str) -> str:
    return escape(date_filter(dt.date(2000, month, 1), "M"))


class Formats:
    """Levels and dates as the template filters write them in the active language, each
    distinct value formatted once per language (the filters cost microseconds each)."""

    def __init__(self) -> None:
        self.language = get_language()

    def level(self, value: Decimal | None, arg: str = "-1") -> str:
        """`value|floatformat:arg`, or a dash for no value."""
        if value is None:
            return NONE
        return _level_text(value, arg, self.language)

    def month_year(self, value: dt.date) -> str:
        """`value|date:"M Y"`: the month's abbreviated name, then the year in four digits."""
        return f"{_month_name(value.month, self.language)} {value.year:04d}"

    def day_month_year(self, value: dt.date) -> str:
        """`value|date:"j M Y"`: the day without a leading zero, then as above."""
        return f"{value.day} {self.month_year(value)}"


def gap_words(gap: Decimal | None, f: Formats) -> str:
    """The gap in words: a bare "-1.1" read as behind when it meant ahead."""
    if gap is None:
        return NONE
    if gap > 0:
        return f"below expected by {f.level(gap)}"
    if gap < 0:
        return f"above expected by {f.level(-gap)}"
    return "at expected"


def levels_table_html(section: FrameworkSection) -> SafeString:
    """Latest levels and gaps of one framework: the standing chart's numbers."""
    f = Formats()
    framework = section.framework
    parts = [
        '<table class="levels-table">'
        f"<caption>Latest levels and gaps, {escape(framework.name)} "
        f"{escape(framework.version)}</caption>"
        "<thead><tr>"
        '<th scope="col"><span class="narrow-hidden">Competency</span>'
        '<span class="narrow-only" aria-hidden="true">Item</span></th>'
        '<th scope="col" class="num">You</th>'
        '<th scope="col" class="num">Assessors</th>'
        '<th scope="col" class="num">Expected now</th>'
        '<th scope="col" class="num">Gap</th>'
        "</tr></thead><tbody>"
    ]
    append = parts.append
    for row in section.rows:
        competency = row.competency
        mine = theirs = NONE
        if row.self_level is not None and row.self_on is not None:
            mine = (
                f'{f.level(row.self_level)}<small class="muted narrow-hidden"> on '
                f"{f.day_month_year(row.self_on)}</small>"
            )
        if row.assessor_level is not None and row.assessor_on is not None:
            theirs = (
                f'{f.level(row.assessor_level)}<small class="muted"><span class="narrow-hidden">'
                f" on {f.day_month_year(row.assessor_on)},</span> n={row.assessor_n}</small>"
            )
        gap = row.gap
        append(
            f'<tr><th scope="row"><span class="code">{escape(competency.code)}</span> '
            f'<span class="narrow-hidden">{escape(competency.title)}</span></th>'
            f'<td class="num">{mine}</td><td class="num">{theirs}</td>'
            f'<td class="num">{f.level(row.expected)}</td>'
            f'<td class="num{" gap-pos" if gap is not None and gap > 0 else ""}">'
            f"{gap_words(gap, f)}</td></tr>"
        )
    append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped
