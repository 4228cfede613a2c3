"""The statistics of the equity view, on plain rows (no database): distributions of a cell,
the adjusted difference between groups, and an assessor's gap against colleagues'.

The model (docs/equity.md, *Methods*): ordinary least squares of the outcome on indicators
of the group (against a reference group), of the training year and of the period, with
standard errors clustered by learner (one learner's ratings are not independent; the CR2
small-sample form) and a 95 % interval from the t distribution with (learners - 1) degrees
of freedom. statsmodels does the fitting.
"""

from __future__ import annotations

import statistics
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

from equity.suppression import MIN_LEARNERS

LEVEL = 0.95


@dataclass(frozen=True)
class Row:
    """One outcome: a rating's level (or its narrative length), a consensus level, or how
    many ratings a learner had in a period."""

    learner: int
    group: str
    year: int
    period: str
    value: float
    assessor: int | None = None
    competency: int | None = None


@dataclass
class Term:
    name: str
    estimate: float
    se: float
    low: float
    high: float


@dataclass
class Difference:
    """One group against the reference, adjusted for training year and period."""

    group: str
    reference: str
    estimate: float
    se: float
    low: float
    high: float
    n_rows: int  # outcomes in the model (both groups, every year and period)
    n_learners: int  # learners in the model (clusters)
    n_group: int  # learners of `group`
    n_reference: int  # learners of the reference group
    terms: list[Term] = field(default_factory=list)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Mean and quartiles of a shown cell (never the extremes: a minimum is one person)."""
    ordered = sorted(values)
    q1, median, q3 = (
        statistics.quantiles(ordered, n=4, method="inclusive")
        if len(ordered) > 1
        else (ordered[0],) * 3
    )
    return {
        "mean": round(statistics.fmean(ordered), 3),
        "q1": round(q1, 3),
        "median": round(median, 3),
        "q3": round(q3, 3),
    }


def _dummies(values: Sequence[Any], name: str) -> tuple[list[str], np.ndarray]:
    levels = sorted(set(values))[1:]  # the first level is the baseline
    matrix = np.array([[1.0 if v == level else 0.0 for level in levels] for v in values])
    return [f"{name} {level}" for level in levels], matrix.reshape(len(values), len(levels))


@dataclass
class Fit:
    params: np.ndarray
    bse: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _fit(y: np.ndarray, columns: list[np.ndarray], clusters: Sequence[int]) -> Fit:
    """Least squares (statsmodels) with a cluster-robust covariance of the bias-reduced kind
    (CR2): each learner's residuals are scaled up by how much the fit itself pulled them in,
    which plain clustered errors (CR1) leave out and which made their intervals too narrow
    with a program's number of learners (docs/equity.md). Intervals use t with G - 1 degrees
    of freedom, G the number of learners."""
    design = np.column_stack([np.ones(len(y)), *columns]) if columns else np.ones((len(y), 1))
    with warnings.catch_warnings():
        # Training year and period can be collinear (a cohort moves up a year each year);
        # the group's coefficient stays identified, and statsmodels' pseudo-inverse gives
        # the others one of their equivalent values.
        warnings.simplefilter("ignore", SingularMatrixWarning)
        params = sm.OLS(y, design).fit().params
    residuals = y - design @ params
    bread = np.linalg.pinv(design.T @ design)
    codes = np.unique(np.asarray(clusters), return_inverse=True)[1]
    meat = np.zeros_like(bread)
    for code in range(codes.max() + 1):
        rows = codes == code
        x = design[rows]
        leverage = x @ bread @ x.T
        values, vectors = np.linalg.eigh(np.eye(len(x)) - leverage)
        values = np.clip(values, 1e-12, None)
        adjust = vectors @ np.diag(values**-0.5) @ vectors.T
        score = x.T @ (adjust @ residuals[rows])
        meat += np.outer(score, score)
    covariance = bread @ meat @ bread
    bse = np.sqrt(np.clip(np.diag(covariance), 0, None))
    quantile = stats.t.ppf(0.5 + LEVEL / 2, max(int(codes.max()), 1))
    return Fit(params, bse, params - quantile * bse, params + quantile * bse)


def adjusted_differences(rows: Sequence[Row], *, reference: str) -> list[Difference]:
    """Each group against `reference`, adjusted for training year and period, from one model
    over all groups. A group needs MIN_LEARNERS learners here, like the reference (the rows
    come from shown cells only, so this holds unless a group is thin in every cell)."""
    learners: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        learners[row.group].add(row.learner)
    if len(learners.get(reference, ())) < MIN_LEARNERS:
        return []
    groups = sorted(g for g in learners if g != reference and len(learners[g]) >= MIN_LEARNERS)
    if not groups:
        return []
    kept = [row for row in rows if row.group == reference or row.group in groups]
    y = np.array([row.value for row in kept])
    group_columns = [np.array([1.0 if row.group == g else 0.0 for row in kept]) for g in groups]
    year_names, years = _dummies([row.year for row in kept], "training year")
    period_names, periods = _dummies([row.period for row in kept], "period")
    columns = [*group_columns, *years.T, *periods.T]
    names = ["intercept", *(f"group {g}" for g in groups), *year_names, *period_names]
    clusters = [row.learner for row in kept]
    if len(set(clusters)) < 2 * MIN_LEARNERS:
        return []
    result = _fit(y, columns, clusters)
    terms = [
        Term(
            name=name,
            estimate=float(result.params[i]),
            se=float(result.bse[i]),
            low=float(result.low[i]),
            high=float(result.high[i]),
        )
        for i, name in enumerate(names)
    ]
    differences = []
    for index, group in enumerate(groups, start=1):
        term = terms[index]
        differences.append(
            Difference(
                group=group,
                reference=reference,
                estimate=term.estimate,
                se=term.se,
                low=term.low,
                high=term.high,
                n_rows=len(kept),
                n_learners=len(set(clusters)),
                n_group=len(learners[group]),
                n_reference=len(learners[reference]),
                terms=terms,
            )
        )
    return differences


@dataclass
class AssessorGap:
    group: str
    reference: str
    mine: float  # my adjusted gap, group minus reference
    colleagues: float  # colleagues' adjusted gap
    difference: float  # mine minus colleagues'
    low: float
    high: float
    my_group: int  # distinct learners I rated in `group`
    my_reference: int  # … and in the reference group

    @property
    def beyond(self) -> bool:
        """The interval of the difference leaves out zero."""
        return self.low > 0 or self.high < 0


def assessor_gaps(rows: Sequence[Row], *, assessor: int, reference: str) -> list[AssessorGap]:
    """How `assessor`'s gap between each group and the reference differs from colleagues'.
    Levels are first centred on the mean of their competency, training year and period
    (all assessors), so comparing unlike mixes of learners matters less. Only where the
    assessor, and their colleagues together, rated at least MIN_LEARNERS distinct learners
    in each group compared."""
    cell_means: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for row in rows:
        cell_means[(row.competency, row.year, row.period)].append(row.value)
    centre = {key: statistics.fmean(values) for key, values in cell_means.items()}
    mine: dict[str, set[int]] = defaultdict(set)
    theirs: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        (mine if row.assessor == assessor else theirs)[row.group].add(row.learner)
    gaps = []
    for group in sorted(set(mine) - {reference}):
        counts = (mine[group], mine[reference], theirs[group], theirs[reference])
        if any(len(c) < MIN_LEARNERS for c in counts):
            continue
        kept = [row for row in rows if row.group in (group, reference)]
        y = np.array([row.value - centre[(row.competency, row.year, row.period)] for row in kept])
        g = np.array([1.0 if row.group == group else 0.0 for row in kept])
        m = np.array([1.0 if row.assessor == assessor else 0.0 for row in kept])
        result = _fit(y, [g, m, g * m], [row.learner for row in kept])
        low, high = result.low[3], result.high[3]
        colleagues = float(result.params[1])
        difference = float(result.params[3])
        gaps.append(
            AssessorGap(
                group=group,
                reference=reference,
                mine=colleagues + difference,
                colleagues=colleagues,
                difference=difference,
                low=float(low),
                high=float(high),
                my_group=len(mine[group]),
                my_reference=len(mine[reference]),
            )
        )
    return gaps
