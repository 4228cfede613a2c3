"""Plotly figure dicts for the program pages. Selectors give the numbers; these functions only
shape them, and every chart sits next to a table of the same numbers."""

from __future__ import annotations

from typing import Any

from committee.overview import ProgramAggregates
from committee.packet import Packet

LAYOUT_BASE: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 50, "b": 60},
    "font": {"family": "system-ui, sans-serif"},
    "legend": {"orientation": "h"},
}
# Colour-blind-safe sequence (Okabe–Ito), one per training year / line.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
# Lines on white: Okabe–Ito without its yellow (too pale for a line), black in its place.
LINE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
DASHES = ["solid", "dash", "dot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
# A small chart holds at most this many lines, each in a colour of its own.
PER_SMALL_CHART = len(LINE_COLOURS)


def line_style(index: int) -> dict[str, Any]:
    """The `index`-th line's look: no two of the first 21 lines share colour and dash, and the
    marker symbol differs too, so a line is told apart without colour alone."""
    colour = LINE_COLOURS[index % len(LINE_COLOURS)]
    return {
        "line": {"color": colour, "dash": DASHES[(index // len(LINE_COLOURS)) % len(DASHES)]},
        "marker": {"color": colour, "symbol": SYMBOLS[index % len(SYMBOLS)], "size": 7},
    }


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
                **line_style(index),
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


def packet_trajectory_figures(packet: Packet) -> list[dict[str, Any]]:
    """Small multiples of the packet's trajectory: one chart per domain (a flat framework in
    runs of seven), each line a sub-competency in a colour of its own on the same level axis.
    Each item: `id`, `label` (what the chart shows) and the Plotly `figure`."""
    names = [p.name for p in packet.periods]
    groups: list[tuple[str, list[Any]]] = []
    for section in packet.sections:
        if not section.trajectory:
            continue
        parent = section.competency.parent
        title = f"{parent.code} · {parent.title}" if parent is not None else ""
        if groups and groups[-1][0] == title and len(groups[-1][1]) < PER_SMALL_CHART:
            groups[-1][1].append(section)
        else:
            groups.append((title, [section]))
    figures = []
    for number, (title, sections) in enumerate(groups, start=1):
        codes = [s.competency.code for s in sections]
        if not title:
            title = f"{codes[0]} to {codes[-1]}" if len(codes) > 1 else codes[0]
        traces: list[dict[str, Any]] = []
        for index, section in enumerate(sections):
            by_period = {t.period_name: t.value for t in section.trajectory}
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": section.competency.code,
                    "x": names,
                    "y": [by_period.get(name) for name in names],
                    "connectgaps": True,
                    **line_style(index),
                }
            )
        layout: dict[str, Any] = {
            **LAYOUT_BASE,
            "title": {"text": title, "font": {"size": 14}},
            "yaxis": {"title": {"text": "Level"}, "range": [0, 5.2], "dtick": 1},
            "xaxis": {"type": "category", "automargin": False, "tickangle": -30},
            # Below the period names, never over them.
            "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
            "margin": {"l": 65, "r": 10, "t": 40, "b": 150},
            "height": 400,
        }
        figures.append(
            {
                "id": f"fig-trajectory-{number}",
                "label": f"Trajectory of {', '.join(codes)} across review periods",
                "figure": {"data": traces, "layout": layout},
            }
        )
    return figures
