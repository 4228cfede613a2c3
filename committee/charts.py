"""Plotly figure dicts for the program pages. Selectors give the numbers; these functions only
shape them, and every chart sits next to a table of the same numbers."""

from __future__ import annotations

from typing import Any

from committee.overview import ProgramAggregates

LAYOUT_BASE: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 50, "b": 60},
    "font": {"family": "system-ui, sans-serif"},
    "legend": {"orientation": "h"},
}
# Colour-blind-safe sequence (Okabe–Ito), one per training year / line.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def distribution_figure(data: ProgramAggregates) -> dict[str, Any]:
    """Box per competency × training year, from precomputed quartiles (no individual points)."""
    traces = []
    years = data.heatmap.years
    for index, year in enumerate(years):
        items = [d for d in data.distributions if d.year == year and d.n]
        if not items:
            continue
        traces.append(
            {
                "type": "box",
                "name": data.heatmap.program.year_label(year),
                "x": [d.competency.code for d in items],
                "q1": [d.q1 for d in items],
                "median": [d.median for d in items],
                "q3": [d.q3 for d in items],
                "lowerfence": [d.minimum for d in items],
                "upperfence": [d.maximum for d in items],
                "marker": {"color": PALETTE[index % len(PALETTE)]},
            }
        )
    return {
        "data": traces,
        "layout": {
            **LAYOUT_BASE,
            "title": {"text": "Learners' levels by sub-competency and training year"},
            "boxmode": "group",
            "yaxis": {"title": {"text": "Level"}, "range": [0, 5.2], "dtick": 1},
            "height": 420,
        },
    }


def trends_figure(data: ProgramAggregates) -> dict[str, Any]:
    """Median assessor rating per period, one line per sub-competency."""
    names = [p.name for p in data.trend_periods]
    traces = []
    codes: list[str] = []
    for point in data.trends:
        if point.competency.code not in codes:
            codes.append(point.competency.code)
    for index, code in enumerate(codes):
        by_period = {t.period.name: t.median for t in data.trends if t.competency.code == code}
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": code,
                "x": names,
                "y": [by_period.get(n) for n in names],
                "line": {"color": PALETTE[index % len(PALETTE)]},
                "visible": True if index < 6 else "legendonly",
            }
        )
    return {
        "data": traces,
        "layout": {
            **LAYOUT_BASE,
            "title": {"text": "Median assessor rating per review period"},
            "yaxis": {"title": {"text": "Level"}, "range": [0, 5.2], "dtick": 1},
            "height": 420,
        },
    }
