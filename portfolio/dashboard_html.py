"""The dashboard's tables and chart data as HTML, written in Python rather than template loops.

A learner with years of history has hundreds of monthly rows; Django's template engine spends
microseconds per variable and filter, which made these tables cost more than all the database
work behind the page. The markup is what home.html used to loop over, and it reads the same:
levels go through the `floatformat` filter and month names through the `date` filter (so
they follow the locale), once per distinct value. Every text is escaped (with the standard
library's `html.escape`, which escapes the same five characters as Django's and answers a plain
string).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from html import escape
from operator import itemgetter
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from frameworks.models import Competency
from portfolio.dashboard import Dashboard, FrameworkSection

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
            f"{f.level(gap)}</td></tr>"
        )
    append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every text above is escaped


def trajectory_table_html(dashboard: Dashboard, competency: Competency | None = None) -> SafeString:
    """Monthly mean levels, yours and assessors': the trajectory chart's numbers, by month,
    competency (in the levels table's order; one from an earlier stage's framework, which the
    dashboard does not list, last as "?") and who rated; only `competency`'s when one is
    given."""
    f = Formats()
    rank = {row.competency.pk: i for i, row in enumerate(dashboard.rows)}
    codes = [escape(row.competency.code) for row in dashboard.rows] + ["?"]
    elsewhere = len(dashboard.rows)
    wanted = None if competency is None else competency.pk
    rows = [
        (p.month, rank.get(p.competency_id, elsewhere), who, p.mean, p.n)
        for who, points in (
            ("You", dashboard.self_points),
            ("Assessors", dashboard.assessor_points),
        )
        for p in points
        if wanted is None or p.competency_id == wanted
    ]
    rows.sort(key=itemgetter(0, 1, 2))
    of = "" if competency is None else f" of {escape(competency.code)}"
    head = (
        f'<table class="monthly-table"><caption>Monthly mean levels{of} '
        "(n = number of ratings)</caption>"
        '<thead><tr><th scope="col">Month</th><th scope="col">Competency</th>'
        '<th scope="col">Rated by</th><th scope="col" class="num">Mean</th>'
        '<th scope="col" class="num">n</th></tr></thead><tbody>'
    )
    # Hundreds of rows share a few dozen months and means: each one's markup is made once.
    starts: dict[dt.date, str] = {}
    means: dict[Decimal, str] = {}
    body = []
    for month, index, who, mean, n in rows:
        start = starts.get(month)
        if start is None:
            start = starts[month] = f"<tr><td>{f.month_year(month)}</td><td>"
        shown = means.get(mean)
        if shown is None:
            shown = means[mean] = f.level(mean, "-2")
        body.append(
            f'{start}{codes[index]}</td><td>{who}</td><td class="num">{shown}</td>'
            f'<td class="num">{n}</td></tr>'
        )
    return mark_safe(f"{head}{''.join(body)}</tbody></table>")  # noqa: S308 — texts escaped


_DJANGO_JSON = DjangoJSONEncoder()
_JSON_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


def figure_script(figure: dict[str, Any], element_id: str) -> SafeString:
    """What `figure|json_script:element_id` gives, faster: orjson encodes (compact, UTF-8),
    and the three characters that could end the script are escaped as `json_script` does,
    with `replace` in C rather than Django's character-by-character `str.translate`."""
    text = orjson.dumps(figure, default=_DJANGO_JSON.default).decode()
    for char, escaped in _JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(text),  # noqa: S308 — the three characters that could end the script are escaped
    )
