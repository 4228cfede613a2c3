"""The learner's gap dashboard: where they stand per competency, how they got there, what next.

It composes programs (enrollments, expectations), frameworks and assessments, so it lives in a
module of its own. The numbers are aggregated in the database in a fixed number of queries;
`figures` turns them into Plotly figure dicts, and the template shows the same numbers in
tables.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DateField, OuterRef, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import User
from assessments.models import Assessment, SelfAssessment
from frameworks.models import Competency, Framework
from portfolio.models import TimelineEntry
from portfolio.selectors import timeline_entries_of
from programs.models import Enrollment, Program
from programs.selectors import current_enrollments, enrollments_of, expected_levels

FOCUS_NEXT_SIZE = 5


@dataclass
class CompetencyRow:
    competency: Competency
    self_level: Decimal | None
    self_on: dt.date | None
    assessor_level: Decimal | None
    assessor_on: dt.date | None
    assessor_n: int
    expected: Decimal | None

    @property
    def current(self) -> Decimal | None:
        """The level the gap is measured from: assessors' where present, else the learner's."""
        return self.assessor_level if self.assessor_level is not None else self.self_level

    @property
    def basis(self) -> str:
        if self.assessor_level is not None:
            return "assessor"
        return "self" if self.self_level is not None else ""

    @property
    def gap(self) -> Decimal | None:
        if self.expected is None or self.current is None:
            return None
        return self.expected - self.current

    @property
    def last_on(self) -> dt.date | None:
        dates = [d for d in (self.self_on, self.assessor_on) if d is not None]
        return max(dates) if dates else None


@dataclass
class FrameworkSection:
    framework: Framework
    rows: list[CompetencyRow]


@dataclass
class TrajectoryPoint:
    competency_id: int
    month: dt.date
    mean: Decimal
    n: int


@dataclass
class Boundary:
    """The start of a new stage of training, marked on the time axis."""

    on: dt.date
    label: str


@dataclass
class TimelineStage:
    institution: str
    program: str
    stage: str
    stage_label: str
    year_label: str
    start_date: dt.date
    end_date: dt.date | None
    current: bool


@dataclass
class Dashboard:
    enrollments: list[Enrollment]
    sections: list[FrameworkSection]
    self_points: list[TrajectoryPoint]
    assessor_points: list[TrajectoryPoint]
    timeline: list[TimelineStage]
    boundaries: list[Boundary] = field(default_factory=list)

    @property
    def rows(self) -> list[CompetencyRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def focus_next(self) -> list[CompetencyRow]:
        """Largest gaps first; among equal gaps, the one looked at longest ago."""
        behind = [row for row in self.rows if row.gap is not None and row.gap > 0]
        behind.sort(key=lambda r: (-(r.gap or 0), r.last_on or dt.date.min, r.competency.order))
        return behind[:FOCUS_NEXT_SIZE]

    @property
    def trajectory_table(self) -> list[dict[str, Any]]:
        """The trajectory chart's numbers as rows: month, competency, who rated, mean, n."""
        codes = {row.competency.pk: row.competency.code for row in self.rows}
        table = [
            {
                "month": p.month,
                "code": codes.get(p.competency_id, "?"),
                "who": who,
                "mean": p.mean,
                "n": p.n,
            }
            for who, points in (("You", self.self_points), ("Assessors", self.assessor_points))
            for p in points
        ]
        table.sort(key=lambda r: (r["month"], r["code"], r["who"]))
        return table

    @property
    def unrated(self) -> list[CompetencyRow]:
        return [row for row in self.rows if row.current is None]


STAGE_LABELS = dict(Program.Stage.choices)


def timeline_of(*, learner: User) -> list[TimelineStage]:
    """Every stage of training, here and elsewhere, oldest first (two queries)."""
    stages = [
        TimelineStage(
            institution=e.program.institution.name,
            program=e.program.name,
            stage=e.program.stage,
            stage_label=STAGE_LABELS.get(e.program.stage, e.program.stage),
            year_label=e.year_label,
            start_date=e.start_date,
            end_date=e.end_date,
            current=e.end_date is None,
        )
        for e in enrollments_of(learner=learner)
    ]
    entry: TimelineEntry
    for entry in timeline_entries_of(learner=learner):
        stages.append(
            TimelineStage(
                institution=entry.institution_name,
                program=entry.program_name,
                stage=entry.stage,
                stage_label=STAGE_LABELS.get(entry.stage, entry.stage),
                year_label=entry.year_label,
                start_date=entry.start_date,
                end_date=entry.end_date,
                current=False,
            )
        )
    stages.sort(key=lambda s: (s.start_date, s.program))
    return stages


def boundaries_of(timeline: list[TimelineStage]) -> list[Boundary]:
    """Where the stage changes (school → residency → fellowship → practice)."""
    result: list[Boundary] = []
    previous: str | None = None
    for stage in timeline:
        if previous is not None and stage.stage != previous:
            result.append(Boundary(on=stage.start_date, label=f"{stage.stage_label} starts"))
        previous = stage.stage
    return result


def _latest(
    model: type[SelfAssessment] | type[Assessment], learner: User, date_field: str, value: str
) -> Any:
    return Subquery(
        model.objects.filter(learner=learner, competency=OuterRef("pk"))
        .order_by(f"-{date_field}", "-created_at", "-id")
        .values(value)[:1]
    )


def _competency_rows(*, learner: User, frameworks: list[Framework]) -> list[Competency]:
    """Ratable competencies of the frameworks with the latest levels annotated (one query)."""
    assessor_n = (
        Assessment.objects.filter(learner=learner, competency=OuterRef("pk"))
        .order_by()
        .values("competency")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return list(
        Competency.objects.filter(framework__in=frameworks, children__isnull=True)
        .select_related("framework", "parent")
        .annotate(
            self_level=_latest(SelfAssessment, learner, "assessed_on", "level"),
            self_on=_latest(SelfAssessment, learner, "assessed_on", "assessed_on"),
            assessor_level=_latest(Assessment, learner, "observed_on", "level"),
            assessor_on=_latest(Assessment, learner, "observed_on", "observed_on"),
            assessor_n=Coalesce(Subquery(assessor_n), 0),
        )
        .order_by("framework__code", "framework__version", "order", "id")
    )


def _monthly(
    model: type[SelfAssessment] | type[Assessment], date_field: str, learner: User
) -> list[TrajectoryPoint]:
    rows = (
        model.objects.filter(learner=learner)
        .order_by()
        .annotate(month=TruncMonth(date_field, output_field=DateField()))
        .values("competency_id", "month")
        .annotate(mean=Avg("level"), n=Count("id"))
        .order_by("month", "competency_id")
    )
    return [
        TrajectoryPoint(
            competency_id=row["competency_id"],
            month=row["month"],
            mean=Decimal(str(row["mean"])).quantize(Decimal("0.01")),
            n=row["n"],
        )
        for row in rows
    ]


def learner_dashboard(*, learner: User) -> Dashboard:
    """Everything the learner's dashboard shows, in a fixed number of queries (eight)."""
    enrollments = current_enrollments(learner=learner)  # 2: enrollments, program frameworks
    frameworks: dict[int, Framework] = {}
    for enrollment in enrollments:
        for framework in enrollment.program.frameworks.all():
            frameworks.setdefault(framework.pk, framework)
    competencies = (
        _competency_rows(learner=learner, frameworks=list(frameworks.values()))
        if frameworks
        else []
    )  # 3
    expected = expected_levels(enrollments=enrollments, competencies=competencies)  # 4
    by_framework: dict[int, list[CompetencyRow]] = defaultdict(list)
    for c in competencies:
        by_framework[c.framework_id].append(
            CompetencyRow(
                competency=c,
                self_level=c.self_level,  # type: ignore[attr-defined]
                self_on=c.self_on,  # type: ignore[attr-defined]
                assessor_level=c.assessor_level,  # type: ignore[attr-defined]
                assessor_on=c.assessor_on,  # type: ignore[attr-defined]
                assessor_n=c.assessor_n,  # type: ignore[attr-defined]
                expected=expected.get(c.pk),
            )
        )
    sections = [
        FrameworkSection(framework=frameworks[pk], rows=rows) for pk, rows in by_framework.items()
    ]
    timeline = timeline_of(learner=learner)  # 5, 6
    return Dashboard(
        enrollments=enrollments,
        sections=sections,
        self_points=_monthly(SelfAssessment, "assessed_on", learner),  # 7
        assessor_points=_monthly(Assessment, "observed_on", learner),  # 8
        timeline=timeline,
        boundaries=boundaries_of(timeline),
    )
