"""The heatmap as an accessible HTML table, written directly rather than through the template
engine: a 300-learner program has 6,600 cells and the template loop alone would cost more
than the database work (see bench/). Every dynamic string passes through `escape`.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from programs.heatmap import Heatmap

SOURCE_WORD = {"consensus": "consensus", "ratings": "median", "": "no data"}
FLAG_WORD = {
    "below-expected": "≥1 level below expected",
    "holmboe-pgy2": "≤2.5 at end of PGY-2",
}


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


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
    for row in heatmap.rows:
        link = f"{prefix}/{row.learner_id}/{suffix}"
        name = escape(row.name)
        status = " ✓" if row.review_status == "signed_off" else ""
        parts.append(
            f'<tr><th scope="row"><a href="{link}">{name}</a>{status}</th>'
            f"<td>{escape(row.year_label)}</td><td>{row.flag_count or ''}</td>"
        )
        for cell, code in zip(row.cells, codes, strict=True):
            value = cell.value
            if value is None:
                parts.append(
                    f'<td class="hm no-data"><a href="{link}#c-{cell.competency_id}" '
                    f'aria-label="{name}, {code}: no data">·</a></td>'
                )
                continue
            shown = _number(value)
            expected = _number(float(cell.expected))
            source = SOURCE_WORD[cell.source]
            flags = ", ".join(FLAG_WORD[f] for f in cell.flags)
            label = f"{name}, {code}: {shown} ({source}, n={cell.n}); expected {expected}" + (
                f"; flag: {flags}" if flags else ""
            )
            marker = "▼" if cell.flags else ""
            flagged = " flagged" if cell.flags else ""
            consensus = " consensus" if cell.source == "consensus" else ""
            parts.append(
                f'<td class="hm {cell.band}{flagged}{consensus}"><a href="{link}'
                f'#c-{cell.competency_id}" title="{label}" aria-label="{label}">'
                f"{marker}{shown}</a></td>"
            )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped
