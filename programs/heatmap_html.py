"""The heatmap as an accessible HTML table, written directly rather than through the template
engine: a 300-learner program has 6,600 cells and the template loop alone would cost more
than the database work (see bench/). Every dynamic string passes through `escape`.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from programs.heatmap import Heatmap

FLAG_WORD = {
    "below-expected": "≥1 level below expected",
    "holmboe-pgy2": "≤2.5 at end of PGY-2",
}


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def heatmap_table_html(heatmap: Heatmap) -> SafeString:
    """A table: one row per learner (most concern first), one column per sub-competency."""
    period = heatmap.period
    if period is None or not heatmap.competencies:
        return mark_safe("")
    packet_base = reverse(
        "program-packet",
        kwargs={"program_id": heatmap.program.pk, "period_id": period.pk, "learner_id": 0},
    )
    # The packet URL ends in "/0/"; swap the learner id in by string, not 300 reverse() calls.
    prefix, suffix = packet_base.rsplit("/0/", 1)
    codes = [escape(c.code) for c in heatmap.competencies]
    head = "".join(
        f'<th scope="col" title="{escape(c.title)}"><abbr title="{escape(c.title)}">'
        f"{code}</abbr></th>"
        for c, code in zip(heatmap.competencies, codes, strict=True)
    )
    parts = [
        '<table class="heatmap" aria-describedby="heatmap-caption">',
        '<caption id="heatmap-caption">Each cell: committee consensus for the period, or the '
        "median of the period's assessor ratings (n = ratings). Colour compares it with the "
        "expected level for the learner's training year. Rows: most concern first.</caption>",
        '<thead><tr><th scope="col">Learner</th><th scope="col">Year</th>'
        f'<th scope="col">Flags</th>{head}</tr></thead><tbody>',
    ]
    anchors = [f"#c-{c.pk}" for c in heatmap.competencies]
    numbers: dict[float, str] = {}  # a few distinct levels recur thousands of times
    append = parts.append
    for row in heatmap.rows:
        link = f"{prefix}/{row.learner_id}/{suffix}"
        name = escape(row.name)
        status = " ✓" if row.review_status == "signed_off" else ""
        flags = row.flags
        append(
            f'<tr><th scope="row"><a href="{link}">{name}</a>{status}</th>'
            f"<td>{escape(row.year_label)}</td><td>{len(flags) or ''}</td>"
        )
        for i, (value, source, n, band, anchor) in enumerate(
            zip(row.values, row.sources, row.counts, row.bands, anchors, strict=True)
        ):
            if value is None:
                append(f'<td class="no-data"><a href="{link}{anchor}">·</a></td>')
                continue
            shown = numbers.get(value)
            if shown is None:
                shown = numbers[value] = _number(value)
            if source == "c":
                css, title = f"{band} consensus", "consensus"
            else:
                css, title = band, f"median of {n}"
            if i in flags:
                append(
                    f'<td class="{css} flagged"><a href="{link}{anchor}" title="{title}; '
                    f'{", ".join(FLAG_WORD[f] for f in flags[i])}">▼{shown}</a></td>'
                )
            else:
                append(
                    f'<td class="{css}"><a href="{link}{anchor}" title="{title}">{shown}</a></td>'
                )
        append("</tr>")
    parts.append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped
