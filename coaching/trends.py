"""Each coachee's recent movement, for the coach's overview: the mean self-assessed level of
their last check-ins, and the mean of assessors' ratings in the last 90 days against the 90
before. Two queries for all coachees together. Callers pass only learners whose check-ins the
coach may see (the same rule as calibration: self-assessments are what is shared, and the
assessor side is what they are compared with)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q

from assessments.models import Assessment, CheckIn, SelfAssessment
from core.db import date_from_db, fetch_all, placeholders, tenths_from_db

# The sparkline shows at most this many check-ins, from at most this far back.
TREND_POINTS = 6
TREND_DAYS = 180
# Assessors' ratings: the last 90 days against the 90 before them.
ASSESSOR_WINDOW_DAYS = 90
# A change smaller than this reads as "steady" (a quarter of a half-step).
STEADY = Decimal("0.1")

SPARK_WIDTH = 80
SPARK_HEIGHT = 20
SPARK_MIN_SPAN = Decimal(1)


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _direction(change: Decimal | None) -> str:
    if change is None:
        return ""
    if change >= STEADY:
        return "up"
    if change <= -STEADY:
        return "down"
    return "steady"


@dataclass
class TrendPoint:
    on: dt.date
    mean: Decimal  # mean self-assessed level of one check-in, one decimal


@dataclass
class Trend:
    self_points: list[TrendPoint] = field(default_factory=list)  # oldest first
    assessor_recent: Decimal | None = None
    assessor_recent_n: int = 0
    assessor_earlier: Decimal | None = None
    assessor_earlier_n: int = 0

    @property
    def self_change(self) -> Decimal | None:
        """Latest check-in's mean minus the first one shown; None with fewer than two."""
        if len(self.self_points) < 2:
            return None
        return self.self_points[-1].mean - self.self_points[0].mean

    @property
    def self_direction(self) -> str:
        return _direction(self.self_change)

    @property
    def assessor_change(self) -> Decimal | None:
        if self.assessor_recent is None or self.assessor_earlier is None:
            return None
        return self.assessor_recent - self.assessor_earlier

    @property
    def assessor_direction(self) -> str:
        return _direction(self.assessor_change)

    @property
    def sparkline(self) -> str:
        """SVG polyline points for the self-assessed means ("" under two). The height spans
        the points' own range, but never less than one level, so a move of a tenth stays a
        ripple and a move of a level fills the box."""
        if len(self.self_points) < 2:
            return ""
        means = [p.mean for p in self.self_points]
        low, high = min(means), max(means)
        if high - low < SPARK_MIN_SPAN:
            middle = (high + low) / 2
            low, high = middle - SPARK_MIN_SPAN / 2, middle + SPARK_MIN_SPAN / 2
        step = Decimal(SPARK_WIDTH - 4) / (len(means) - 1)
        points = []
        for i, mean in enumerate(means):
            x = 2 + step * i
            y = 2 + (SPARK_HEIGHT - 4) * (high - mean) / (high - low)
            points.append(f"{x:.1f},{y:.1f}")
        return " ".join(points)

    @property
    def summary(self) -> str:
        """The trend in words, for screen readers and the API."""
        parts = []
        if self.self_points:
            means = ", ".join(f"{p.mean:f}" for p in self.self_points)
            parts.append(
                f"Self-assessed mean over the last {len(self.self_points)} check-in"
                f"{'s' if len(self.self_points) != 1 else ''}: {means}"
            )
        if self.assessor_recent is not None:
            text = (
                f"assessors {self.assessor_recent:f} in the last {ASSESSOR_WINDOW_DAYS} days "
                f"(n={self.assessor_recent_n})"
            )
            if self.assessor_earlier is not None:
                text += f", {self.assessor_earlier:f} before (n={self.assessor_earlier_n})"
            parts.append(text)
        return "; ".join(parts) or "No recent check-ins or ratings"


# The last TREND_POINTS check-ins of each learner within TREND_DAYS, oldest first: each
# check-in's day and the sum and count of its items' levels, whose exact mean is taken in
# Python (a database's average is a float on SQLite). The check-ins are ranked by their own
# day; the items are read by correlated subqueries, per check-in shown, which every planner
# runs as index lookups. As a join, PostgreSQL (which cannot foresee that the ranking keeps
# six a learner) chose a merge join walking the items' whole `checkin` index: 55,000 index
# entries for 300 items at 1x, a cost growing with the table, once its statistics were fresh.
# A check-in without items counts 0 and is left out, as the join left it out.
_SELF_POINTS_SQL = f"""
SELECT c.learner_id, c.assessed_on,
       (SELECT SUM(s.level) FROM {SelfAssessment._meta.db_table} s WHERE s.checkin_id = c.id),
       (SELECT COUNT(*) FROM {SelfAssessment._meta.db_table} s WHERE s.checkin_id = c.id)
FROM (
    SELECT id, learner_id, assessed_on,
           ROW_NUMBER() OVER (PARTITION BY learner_id
                              ORDER BY assessed_on DESC, id DESC) AS recency
    FROM {CheckIn._meta.db_table}
    WHERE learner_id IN ({{learners}}) AND assessed_on >= %s
) c
WHERE c.recency <= %s
ORDER BY c.learner_id, c.assessed_on, c.id"""  # noqa: S608 — the table names are ours


def coachee_trends(*, learner_ids: list[int], today: dt.date) -> dict[int, Trend]:
    """Each learner's trend (two queries). Only learners whose check-ins the viewer sees."""
    trends: dict[int, Trend] = {pk: Trend() for pk in learner_ids}
    if not learner_ids:
        return trends
    since = today - dt.timedelta(days=TREND_DAYS)
    sql = _SELF_POINTS_SQL.format(learners=placeholders(len(learner_ids)))
    for learner_id, on, total, n in fetch_all(sql, [*learner_ids, since, TREND_POINTS]):
        if not n:
            continue
        trends[learner_id].self_points.append(
            TrendPoint(on=date_from_db(on), mean=_one_decimal(tenths_from_db(total) / n))
        )

    recent = today - dt.timedelta(days=ASSESSOR_WINDOW_DAYS)
    earlier = recent - dt.timedelta(days=ASSESSOR_WINDOW_DAYS)
    in_recent = Q(observed_on__gt=recent)
    in_earlier = Q(observed_on__lte=recent)
    for ratings in (
        Assessment.objects.filter(
            learner_id__in=learner_ids,
            assessor__isnull=False,
            counted_level__isnull=False,
            observed_on__gt=earlier,
            observed_on__lte=today,
        )
        .values("learner_id")
        .annotate(
            recent=Avg("counted_level", filter=in_recent),
            recent_n=Count("id", filter=in_recent),
            earlier=Avg("counted_level", filter=in_earlier),
            earlier_n=Count("id", filter=in_earlier),
        )
        .order_by()
    ):
        trend = trends[ratings["learner_id"]]
        if ratings["recent_n"]:
            trend.assessor_recent = _one_decimal(Decimal(str(ratings["recent"])))
            trend.assessor_recent_n = ratings["recent_n"]
        if ratings["earlier_n"]:
            trend.assessor_earlier = _one_decimal(Decimal(str(ratings["earlier"])))
            trend.assessor_earlier_n = ratings["earlier_n"]
    return trends
