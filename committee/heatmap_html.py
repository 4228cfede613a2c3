"""The heatmap as an accessible HTML table, written directly rather than through the template
engine: a 300-learner program has 6,600 cells, and the markup per cell is what the page costs
(see bench/). Every dynamic string passes through `escape`; numbers and ids are formatted here.

Each cell is a short class, one link and the value as text, e.g.
`<td class=b1><a href="../periods/7/learners/42/#c-9">&#9660;1.5</a>`:

- class: the colour band (a ahead, o on track, s slightly below, b below, n no data) followed
  by `c` for a committee consensus or `1` for the median of a single rating;
- the link opens the learner's packet at that competency, relative to the heatmap's own URL;
- the text is the level; ▼ marks a flagged cell, named (aria-label and title) only when the
  reasons are more than "one level or more below expected", which the colour and key say.

The row header (learner) and the column header (competency) give each cell its context, with
plain `scope` attributes and no `headers`; `</td>` is omitted, as HTML allows (it would add
33 KB at 6,600 cells). Symbols are written as entities (▼ · ✓), so the table is ASCII unless a
name is not, and `heatmap_page` splices its bytes into the rendered page.
"""

from __future__ import annotations

import posixpath
from html import escape
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from committee.heatmap import Heatmap
from core.html import render_with_fragment

FLAG_TITLE = {  # already HTML: written into title attributes as they are
    "below-expected": "&ge;1 level below expected",
    "holmboe-pgy2": "&le;2.5 at end of PGY-2",
}
FLAG_MARK = "&#9660;"  # ▼
NO_DATA = "&middot;"  # ·

BAND_CLASS = {
    "ahead": "a",
    "on-track": "o",
    "slightly-below": "s",
    "below": "b",
    "no-data": "n",
}
_PLAIN = BAND_CLASS
_CONSENSUS = {band: f"{letter}c" for band, letter in BAND_CLASS.items()} | {"no-data": "n"}
_SINGLE = {band: f"{letter}1" for band, letter in BAND_CLASS.items()} | {"no-data": "n"}

CAPTION = (
    "Learners (rows, most concern first) by sub-competency (columns). Each cell is the "
    "committee's consensus for the period (outlined) or else the median of the period's "
    "assessor ratings (in italics when it rests on a single rating); its colour compares it "
    "with the level expected by the period's end in the learner's training year, and &#9660; "
    "marks a flag (never raised on a single rating). Each "
    "value opens the learner's review packet at that sub-competency."
)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


class _Shown(dict[Any, str]):
    """Cell text by value, formatted once: a few distinct levels recur thousands of times."""

    def __init__(self, initial: dict[Any, str], prefix: str = "") -> None:
        super().__init__(initial)
        self.prefix = prefix

    def __missing__(self, value: float) -> str:
        text = self[value] = self.prefix + _number(value)
        return text


def _packet_base(heatmap: Heatmap) -> str:
    """The packet URL of learner "0" up to the learner id, relative to the heatmap page."""
    period = heatmap.period
    if period is None:
        raise ValueError("a heatmap without a period has no packets")
    page = reverse("program-heatmap", args=[heatmap.program.pk])
    packet = reverse(
        "program-packet",
        kwargs={"program_id": heatmap.program.pk, "period_id": period.pk, "learner_id": 0},
    )
    # "/programs/3/periods/7/learners/0/" seen from "/programs/3/heatmap/" is
    # "../periods/7/learners/0/"; keep everything up to the learner id.
    relative = posixpath.relpath(packet, page.rstrip("/") or "/") + "/"
    return relative.rsplit("/0/", 1)[0] + "/"


def _flag_mark(reasons: list[str]) -> str:
    """▼, named for screen readers and on hover (the key explains a plain ▼)."""
    words = "; ".join(FLAG_TITLE[f] for f in reasons)
    return f'<span role="img" aria-label="{words}" title="{words}">{FLAG_MARK}</span>'


def heatmap_table_html(heatmap: Heatmap) -> SafeString:
    """A table: one row per learner (most concern first), one column per sub-competency."""
    if heatmap.period is None or not heatmap.competencies:
        return mark_safe("")
    base = _packet_base(heatmap)
    head = "".join(
        f'<th scope="col"><abbr title="{escape(c.title)}">{escape(c.code)}</abbr></th>'
        for c in heatmap.competencies
    )
    parts = [
        # The key above the table shows sighted readers what the caption says.
        f'<table class="heatmap"><caption class="visually-hidden">{CAPTION}</caption>'
        '<thead><tr><th scope="col">Learner</th><th scope="col">Year</th>'
        f'<th scope="col">Flags</th>{head}</tr></thead><tbody>'
    ]
    ids = [str(c.pk) for c in heatmap.competencies]
    shown = _Shown({None: NO_DATA})  # cell text by value
    flagged = _Shown({}, prefix=FLAG_MARK)  # the same, for cells below expectation
    for row in heatmap.rows:
        learner = f"{base}{row.learner_id}/"
        signed = (
            ' <span role="img" aria-label="review signed off" title="Review signed off">'
            "&#10003;</span>"
            if row.review_status == "signed_off"
            else ""
        )
        flags = row.flags
        parts.append(
            f'<tr><th scope="row"><a href="{learner}">{escape(row.name)}</a>{signed}</th>'
            f"<td>{escape(row.year_label)}<td>{len(flags) or ''}"
        )
        link = f'><a href="{learner}#c-'
        # Below expectation is the only flag most cells carry: its ▼ comes with the text;
        # other flags are added below. (A cell below on a single rating is not flagged.)
        marked = {i for i, reasons in flags.items() if "below-expected" in reasons}
        cells = [
            f"<td class={(_CONSENSUS if source == 'c' else _SINGLE if n == 1 else _PLAIN)[band]}"
            f'{link}{cid}">{(flagged if i in marked else shown)[value]}</a>'
            for i, (value, source, n, band, cid) in enumerate(
                zip(row.values, row.sources, row.counts, row.bands, ids, strict=True)
            )
        ]
        for i, reasons in flags.items():
            if reasons != ["below-expected"]:
                source, n, band = row.sources[i], row.counts[i], row.bands[i]
                css = (_CONSENSUS if source == "c" else _SINGLE if n == 1 else _PLAIN)[band]
                cells[i] = (
                    f'<td class={css}{link}{ids[i]}">{_flag_mark(reasons)}'
                    f"{shown[row.values[i]]}</a>"
                )
        parts.append("".join(cells))
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def heatmap_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render `template` with the heatmap table in `{{ table }}`, like `render()`."""
    table = heatmap_table_html(context["heatmap"])
    return render_with_fragment(request, template, context, name="table", fragment=table)
