"""Plotly figure dicts for the learner's dashboard. The numbers come from portfolio.dashboard;
the page shows the same numbers in a table beside each chart."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from portfolio.dashboard import Dashboard, FrameworkSection, TrajectoryPoint

# Colours that keep AA contrast on white and stay apart for common colour-vision differences.
SELF_COLOUR = "#0b5c7a"
ASSESSOR_COLOUR = "#a8461a"
EXPECTED_COLOUR = "#1a2530"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _base_layout(height: int) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 60, "r": 16, "t": 16, "b": 48},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.12, "x": 0},
        "hovermode": "closest",
    }


def standing_figure(section: FrameworkSection, scale_max: float = 5.0) -> dict[str, Any]:
    """Per competency: latest self level, latest assessor level and the expected level."""
    rows = section.rows
    codes = [row.competency.code for row in rows]
    titles = [row.competency.title for row in rows]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Expected now",
            "x": [_num(row.expected) for row in rows],
            "y": codes,
            "customdata": titles,
            "marker": {
                "symbol": "line-ns-open",
                "size": 22,
                "color": EXPECTED_COLOUR,
                "line": {"width": 3},
            },
            "hovertemplate": "%{y} %{customdata}<br>Expected: %{x}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "You (latest)",
            "x": [_num(row.self_level) for row in rows],
            "y": codes,
            "customdata": titles,
            "marker": {"symbol": "circle", "size": 11, "color": SELF_COLOUR},
            "hovertemplate": "%{y} %{customdata}<br>You: %{x}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Assessors (latest)",
            "x": [_num(row.assessor_level) for row in rows],
            "y": codes,
            "customdata": titles,
            "marker": {"symbol": "diamond", "size": 11, "color": ASSESSOR_COLOUR},
            "hovertemplate": "%{y} %{customdata}<br>Assessors: %{x}<extra></extra>",
        },
    ]
    layout = _base_layout(height=max(260, 28 * len(rows) + 110))
    layout["xaxis"] = {
        "range": [-0.25, scale_max + 0.25],
        "dtick": 1,
        "title": "Level",
        "gridcolor": "#e3e9ee",
        "zeroline": False,
    }
    layout["yaxis"] = {"autorange": "reversed", "type": "category", "automargin": True}
    return {"data": traces, "layout": layout}


def _mean_by_month(points: list[TrajectoryPoint]) -> tuple[list[dt.date], list[float]]:
    """Across competencies: the mean of all ratings in each month (weighted by their count)."""
    totals: dict[dt.date, Decimal] = {}
    counts: dict[dt.date, int] = {}
    for _, month, _, n, total in points:
        totals[month] = totals.get(month, 0) + total
        counts[month] = counts.get(month, 0) + n
    months = sorted(totals)
    return months, [round(float(totals[m] / counts[m]), 2) for m in months]


def trajectory_figure(dashboard: Dashboard) -> dict[str, Any]:
    """Monthly levels over time; a menu picks one competency or the mean of all of them.

    Stage transitions (school → residency → practice) are dashed vertical lines.
    """
    names = {row.competency.pk: row.competency.code for row in dashboard.rows}
    self_by: dict[int, list[TrajectoryPoint]] = defaultdict(list)
    assessor_by: dict[int, list[TrajectoryPoint]] = defaultdict(list)
    for p in dashboard.self_points:
        self_by[p.competency_id].append(p)
    for p in dashboard.assessor_points:
        assessor_by[p.competency_id].append(p)

    months_rated = {p.month for p in [*dashboard.self_points, *dashboard.assessor_points]}
    iso = {month: month.isoformat() for month in months_rated}  # each month's text once

    traces: list[dict[str, Any]] = []
    for label, points, colour in (
        ("You (mean of all)", dashboard.self_points, SELF_COLOUR),
        ("Assessors (mean of all)", dashboard.assessor_points, ASSESSOR_COLOUR),
    ):
        months, means = _mean_by_month(points)
        traces.append(_line(label, [iso[m] for m in months], means, colour, visible=True))
    codes = [pk for pk in names if pk in self_by or pk in assessor_by]
    for pk in codes:
        for label, points, colour in (
            (f"You · {names[pk]}", self_by.get(pk, []), SELF_COLOUR),
            (f"Assessors · {names[pk]}", assessor_by.get(pk, []), ASSESSOR_COLOUR),
        ):
            traces.append(
                _line(
                    label,
                    [iso[p.month] for p in points],
                    [float(p.mean) for p in points],
                    colour,
                    visible=False,
                )
            )
    total = len(traces)
    buttons = [
        {
            "label": "All competencies (mean)",
            "method": "update",
            "args": [{"visible": [i < 2 for i in range(total)]}],
        }
    ]
    for index, pk in enumerate(codes):
        first = 2 + 2 * index
        buttons.append(
            {
                "label": names[pk],
                "method": "update",
                "args": [{"visible": [i in (first, first + 1) for i in range(total)]}],
            }
        )

    layout = _base_layout(height=430)
    layout["margin"].update(t=72, b=110)
    layout["legend"] = {"orientation": "h", "y": -0.32, "x": 0}
    span = sorted(months_rated | {b.on for b in dashboard.boundaries})
    layout["xaxis"] = {
        "type": "date",
        "title": "Month",
        "gridcolor": "#e3e9ee",
        "tickformat": "%b<br>%Y",
        "tickangle": 0,
        "dtick": _month_step(span),
        # At least a few months wide, so one month of data does not zoom into hours.
        "range": [
            (span[0] - dt.timedelta(days=62)).isoformat() if span else None,
            (span[-1] + dt.timedelta(days=62)).isoformat() if span else None,
        ],
    }
    layout["yaxis"] = {"range": [-0.25, 5.25], "dtick": 1, "title": "Level", "gridcolor": "#e3e9ee"}
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": b.on.isoformat(),
            "x1": b.on.isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": EXPECTED_COLOUR, "dash": "dash", "width": 1.5},
        }
        for b in dashboard.boundaries
    ]
    layout["annotations"] = [
        {
            "x": b.on.isoformat(),
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "text": b.label,
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "bottom",
            "font": {"size": 11},
        }
        for b in dashboard.boundaries
    ]
    if len(buttons) > 1:
        layout["updatemenus"] = [
            {
                "buttons": buttons,
                "direction": "down",
                "x": 0,
                "xanchor": "left",
                "y": 1.28,
                "yanchor": "top",
                "showactive": True,
            }
        ]
    return {"data": traces, "layout": layout}


def _month_step(span: list[dt.date]) -> str:
    """One tick per month, quarter or year, so labels never repeat or crowd."""
    if not span:
        return "M1"
    months = (span[-1].year - span[0].year) * 12 + span[-1].month - span[0].month
    return "M1" if months <= 6 else "M3" if months <= 18 else "M6" if months <= 36 else "M12"


def _line(
    name: str, months: list[str], values: list[float], colour: str, *, visible: bool
) -> dict[str, Any]:
    """One trace; `months` as ISO dates."""
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": months,
        "y": values,
        "visible": visible,
        "line": {"color": colour, "width": 2},
        "marker": {"color": colour, "size": 7},
        "hovertemplate": "%{x|%b %Y}: %{y}<extra>" + name + "</extra>",
    }
