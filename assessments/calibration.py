"""Calibration: how a learner's self-assessments compare with what assessors see.

Each assessor rating is paired with the learner's self-assessment of the same competency
closest in time, within a window (60 days by default; on a tie the earlier self-assessment,
the one made before the feedback). The difference is self − assessor: above zero the learner
rates themself higher than observers do (overestimation), below zero lower.

This module computes; who may see it is `portfolio.calibration`'s rule: the learner, and
anyone else only through an active share grant covering check-ins and self-assessments.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import User
from assessments.models import Assessment, SelfAssessment

DEFAULT_WINDOW_DAYS = 60
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 365
# A mean difference within half a level (one half-step of the milestone scale) reads as "close".
CLOSE_ENOUGH = 0.5


@dataclass
class Pair:
    competency_id: int
    self_level: Decimal
    self_on: dt.date
    assessor_level: Decimal
    observed_on: dt.date

    @property
    def difference(self) -> float:
        return float(self.self_level - self.assessor_level)


@dataclass
class CompetencyCalibration:
    code: str
    title: str
    n: int
    self_mean: float
    assessor_mean: float
    difference: float  # mean of self − assessor
    over: int  # pairs where the learner rated higher
    under: int
    same: int
    first_on: dt.date
    last_on: dt.date

    @property
    def verdict(self) -> str:
        if self.difference >= CLOSE_ENOUGH:
            return "over"
        if self.difference <= -CLOSE_ENOUGH:
            return "under"
        return "close"


@dataclass
class PeriodCalibration:
    label: str  # "2025 Q3"
    start: dt.date
    n: int
    difference: float


@dataclass
class FrameworkCalibration:
    name: str
    version: str
    competencies: list[CompetencyCalibration] = field(default_factory=list)
    periods: list[PeriodCalibration] = field(default_factory=list)
    n: int = 0
    difference: float = 0.0


@dataclass
class Calibration:
    learner: User
    window_days: int
    frameworks: list[FrameworkCalibration]
    self_count: int  # self-assessments considered
    assessor_count: int  # assessor ratings considered
    unpaired: int  # assessor ratings with no self-assessment inside the window

    @property
    def n(self) -> int:
        return sum(f.n for f in self.frameworks)


def clamp_window(raw: object) -> int:
    """The window in days from a query parameter, kept within sane bounds."""
    try:
        days = int(str(raw))
    except (TypeError, ValueError):
        return DEFAULT_WINDOW_DAYS
    return max(MIN_WINDOW_DAYS, min(MAX_WINDOW_DAYS, days))


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _pair(
    selfs: dict[int, list[tuple[dt.date, Decimal]]],
    ratings: list[tuple[int, dt.date, Decimal]],
    window: dt.timedelta,
) -> tuple[list[Pair], int]:
    pairs: list[Pair] = []
    unpaired = 0
    dates_of = {pk: [day for day, _ in series] for pk, series in selfs.items()}
    for competency_id, observed_on, level in ratings:
        series = selfs.get(competency_id, [])
        dates = dates_of.get(competency_id, [])
        i = bisect.bisect_left(dates, observed_on)
        best: tuple[dt.date, Decimal] | None = None
        # The nearest candidates are just before and at/after the observation date.
        for j in (i - 1, i):
            if 0 <= j < len(series):
                day, self_level = series[j]
                gap = abs(day - observed_on)
                if gap > window:
                    continue
                if best is None or gap < abs(best[0] - observed_on):
                    best = (day, self_level)
        if best is None:
            unpaired += 1
            continue
        pairs.append(Pair(competency_id, best[1], best[0], level, observed_on))
    return pairs, unpaired


def calibration_from(
    *,
    learner: User,
    self_rows: Sequence[SelfAssessment],
    assessor_rows: Sequence[Assessment],
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> tuple[Calibration, list[SelfAssessment]]:
    """The calibration of `learner` from their self-assessments and assessor ratings (both in
    date order, assessor rows with competency and framework loaded), and the self-assessments
    the pairs used: the ones someone other than the learner has read through the numbers.

    Who may see which rows is the caller's rule (`portfolio.calibration.calibration_for`).
    """
    window = dt.timedelta(days=window_days)
    selfs: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for row in self_rows:
        selfs[row.competency_id].append((row.assessed_on, row.level))
    # Only ratings that count on the milestone scale compare with self-ratings (a rating on
    # another scale, unmapped, has no counted level).
    counted = [
        (a.competency_id, a.observed_on, a.counted_level)
        for a in assessor_rows
        if a.counted_level is not None
    ]
    pairs, unpaired = _pair(selfs, counted, window)
    competency = {a.competency_id: a.competency for a in assessor_rows}
    by_framework: dict[int, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_framework[competency[pair.competency_id].framework_id].append(pair)
    frameworks: list[FrameworkCalibration] = []
    for framework_pairs in by_framework.values():
        framework = competency[framework_pairs[0].competency_id].framework
        summary = FrameworkCalibration(name=framework.name, version=framework.version)
        per_competency: dict[int, list[Pair]] = defaultdict(list)
        per_period: dict[dt.date, list[Pair]] = defaultdict(list)
        for pair in framework_pairs:
            per_competency[pair.competency_id].append(pair)
            per_period[_quarter_start(pair.observed_on)].append(pair)
        for competency_id, rows in sorted(
            per_competency.items(), key=lambda item: (competency[item[0]].order, item[0])
        ):
            item = competency[competency_id]
            diffs = [p.difference for p in rows]
            summary.competencies.append(
                CompetencyCalibration(
                    code=item.code,
                    title=item.title,
                    n=len(rows),
                    self_mean=sum(float(p.self_level) for p in rows) / len(rows),
                    assessor_mean=sum(float(p.assessor_level) for p in rows) / len(rows),
                    difference=sum(diffs) / len(diffs),
                    over=sum(1 for d in diffs if d > 0),
                    under=sum(1 for d in diffs if d < 0),
                    same=sum(1 for d in diffs if d == 0),
                    first_on=min(p.observed_on for p in rows),
                    last_on=max(p.observed_on for p in rows),
                )
            )
        for start, rows in sorted(per_period.items()):
            summary.periods.append(
                PeriodCalibration(
                    label=f"{start.year} Q{(start.month - 1) // 3 + 1}",
                    start=start,
                    n=len(rows),
                    difference=sum(p.difference for p in rows) / len(rows),
                )
            )
        summary.n = len(framework_pairs)
        summary.difference = sum(p.difference for p in framework_pairs) / len(framework_pairs)
        frameworks.append(summary)
    frameworks.sort(key=lambda f: (f.name, f.version))
    used = {(p.competency_id, p.self_on) for p in pairs}
    calibration = Calibration(
        learner=learner,
        window_days=window_days,
        frameworks=frameworks,
        self_count=len(self_rows),
        assessor_count=len(assessor_rows),
        unpaired=unpaired,
    )
    return calibration, [r for r in self_rows if (r.competency_id, r.assessed_on) in used]
