"""The progress page's charts: the standing chart as a Plotly figure, and the trajectory's
series, which static/js/portfolio-charts.js turns into its figure. The numbers come from
portfolio.dashboard; the page shows the same numbers in a table beside each chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from portfolio.dashboard import Dashboard, FrameworkSection, MonthlyMeans

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


def _columns(
    months: MonthlyMeans, month_index: dict[dt.date, int], as_float: dict[Decimal, float]
) -> dict[str, Any]:
    """A rater's monthly means for the script: months as indexes into `months`, means as
    numbers (mapped in C: hundreds of months)."""
    return {
        "competency": months.competency,
        "month": list(map(month_index.__getitem__, months.month)),
        "mean": list(map(as_float.__getitem__, months.mean)),
        "n": months.n,
        "tenths": months.tenths,
    }


def trajectory_series(dashboard: Dashboard) -> dict[str, Any]:
    """The trajectory chart's numbers, for static/js/portfolio-charts.js to draw: the months
    rated (ISO dates, oldest first); the competencies rated, the dashboard's in its order and
    then earlier stages' (each with its framework); the frameworks, whose "mean" lines never
    mix scales; your points and assessors' as columns (`month` indexes `months`; `tenths` is
    the month's sum of levels in tenths, from which each framework's mean is exact); each
    competency's expected trajectory as the corners of a line; the stage changes; and the
    colours. One copy of each number: the browser builds the chart's traces and its menu.
    """
    mine, theirs = dashboard.self_months, dashboard.assessor_months
    months = sorted({*mine.month, *theirs.month})
    month_index = {month: i for i, month in enumerate(months)}
    as_float = {mean: float(mean) for mean in {*mine.mean, *theirs.mean}}
    rated = {*mine.competency, *theirs.competency}
    shown = [c for c in dashboard.charted if c.pk in rated]
    frameworks = {c.framework_id: c.framework for c in shown}
    expected: dict[str, Any] = {}
    # Most competencies of a stage share one line (their program sets no level of its own
    # for them): each line is written out once.
    drawn: dict[tuple[tuple[dt.date, Decimal], ...], dict[str, list[Any]]] = {}
    for competency in shown:
        line = tuple(dashboard.expected_trajectory(competency))
        if not line:
            continue
        if line not in drawn:
            drawn[line] = {
                "x": [day.isoformat() for day, _ in line],
                "y": [float(level) for _, level in line],
            }
        expected[str(competency.pk)] = drawn[line]
    return {
        "months": [month.isoformat() for month in months],
        "competencies": [{"id": c.pk, "code": c.code, "framework": c.framework_id} for c in shown],
        "frameworks": [{"id": f.pk, "name": f.name} for f in frameworks.values()],
        "you": _columns(mine, month_index, as_float),
        "assessors": _columns(theirs, month_index, as_float),
        "expected": expected,
        "boundaries": [{"on": b.on.isoformat(), "label": b.label} for b in dashboard.boundaries],
        "colours": {
            "you": SELF_COLOUR,
            "assessors": ASSESSOR_COLOUR,
            "expected": EXPECTED_COLOUR,
            "stage": EXPECTED_COLOUR,
        },
        "font": FONT,
    }
