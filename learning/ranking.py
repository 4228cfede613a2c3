"""Gap-driven recommendations: which catalogue items close this learner's gaps, and why.

In plain words: every resource is linked to competencies. For each of those the learner has
a current level (an assessor's latest rating where there is one, else their own latest
self-assessment — the same rule as the gap dashboard) and an expected level for their program
year. The bigger the gap, the higher the resource ranks. It ranks lower when it is pitched
far from the learner's level, when its content is old, or when the learner marked similar
resources "not relevant"; higher when they found similar ones helpful. One gap may take at
most three places before the other gaps have had a turn. Resources for other
stages of training, and those the learner finished, dismissed or marked not relevant, are
left out. Every item carries its reason in words.

The whole computation takes a fixed number of queries (eight), whatever the catalogue size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import User
from assessments.models import Assessment, SelfAssessment
from frameworks.models import Competency
from learning.models import LearningResource, Recommendation
from programs.models import Enrollment, PracticeStage, PracticeTarget, Program
from programs.selectors import current_enrollments, expected_levels, practice_stage_of

# Tunable weights, kept together so the docs and the code say the same thing.
UNRATED_NEED = Decimal("0.25")  # an unrated competency counts as a quarter level of need
OTHER_GAPS_WEIGHT = Decimal("0.25")  # further gaps a resource also covers add a quarter
HELPFUL_BOOST = Decimal("0.2")  # per "helpful" mark on a resource sharing a competency
NOT_RELEVANT_PENALTY = Decimal("0.25")  # per "not relevant" mark on a resource sharing one
FEEDBACK_RANGE = (Decimal("0.4"), Decimal("1.6"))
FRESH_DAYS = 365  # content reviewed within a year counts as fresh
STALE_STEP = Decimal("0.1")  # each further year costs a tenth …
STALE_FLOOR = Decimal("0.6")  # … down to this floor
PER_COMPETENCY = 3  # places one competency may take before the others have had a turn


@dataclass
class Standing:
    """Where the learner stands on one competency."""

    competency: Competency
    expected: Decimal
    year_label: str
    assessor_level: Decimal | None
    assessor_on: dt.date | None
    self_level: Decimal | None
    self_on: dt.date | None

    @property
    def current(self) -> Decimal | None:
        return self.assessor_level if self.assessor_level is not None else self.self_level

    @property
    def gap(self) -> Decimal | None:
        return None if self.current is None else self.expected - self.current

    @property
    def need(self) -> Decimal:
        gap = self.gap
        if gap is None:
            return UNRATED_NEED
        return max(gap, Decimal(0))

    def sentence(self) -> str:
        code = self.competency.code
        gap = self.gap
        if gap is None:
            return (
                f"You have not rated {code} yet; level {_num(self.expected)} is expected "
                f"in {self.year_label}"
            )
        unit = "level" if gap == 1 else "levels"
        return f"{code} is {_num(gap)} {unit} below what is expected in {self.year_label}"

    def short(self) -> str:
        gap = self.gap
        if gap is None:
            return f"{self.competency.code} (not rated yet)"
        return f"{self.competency.code} ({_num(gap)} below expected)"

    def source(self) -> str:
        if self.assessor_level is not None and self.assessor_on is not None:
            return (
                f"latest {_num(self.assessor_level)} from an assessor on "
                f"{date_format(self.assessor_on, 'j M Y')}; expected {_num(self.expected)}"
            )
        if self.self_level is not None and self.self_on is not None:
            return (
                f"latest {_num(self.self_level)} from your self-assessment on "
                f"{date_format(self.self_on, 'j M Y')}; expected {_num(self.expected)}"
            )
        return f"no ratings yet; expected {_num(self.expected)}"


@dataclass
class RankedResource:
    resource: LearningResource
    score: Decimal
    reason: str
    details: list[str] = field(default_factory=list)
    standing: Standing | None = None
    feedback: Recommendation | None = None


def _num(value: Decimal) -> str:
    """1.50 → '1.5', 2.0 → '2'."""
    text = f"{value.normalize():f}"
    return text


def standings_of(
    *, learner: User, enrollments: list[Enrollment], practice: PracticeStage | None = None
) -> dict[int, Standing]:
    """The learner's standing on every catalogue-linked competency of their current frameworks
    (their programs' and their practice stage's).

    Two queries: competencies with latest levels annotated, and expectations; a third for the
    practice stage's targets.
    """
    by_framework: dict[int, Enrollment] = {}
    for enrollment in enrollments:
        for framework in enrollment.program.frameworks.all():
            by_framework.setdefault(framework.pk, enrollment)
    followed = {f.pk for f in practice.frameworks.all()} if practice is not None else set()
    if not by_framework and not followed:
        return {}
    competencies: list[Competency] = list(
        Competency.objects.filter(
            framework_id__in=list(by_framework.keys() | followed),
            learning_resources__is_active=True,
        )
        .distinct()
        .annotate(
            self_level=_latest(SelfAssessment, learner, "assessed_on", "level"),
            self_on=_latest(SelfAssessment, learner, "assessed_on", "assessed_on"),
            assessor_level=_latest(Assessment, learner, "observed_on", "level"),
            assessor_on=_latest(Assessment, learner, "observed_on", "observed_on"),
        )
    )
    expected = expected_levels(enrollments=enrollments, competencies=competencies)
    if practice is not None:  # their own targets; never below what a program expects now
        for competency_id, level in PracticeTarget.objects.filter(
            stage=practice, competency__in=competencies
        ).values_list("competency_id", "level"):
            expected[competency_id] = max(level, expected.get(competency_id, level))
    standings = {}
    for competency in competencies:
        if competency.pk not in expected:
            continue
        row: Any = competency
        standings[competency.pk] = Standing(
            competency=competency,
            expected=expected[competency.pk],
            year_label=(
                by_framework[competency.framework_id].year_label
                if competency.framework_id in by_framework
                else practice.label
                if practice is not None
                else ""
            ),
            assessor_level=row.assessor_level,
            assessor_on=row.assessor_on,
            self_level=row.self_level,
            self_on=row.self_on,
        )
    return standings


def _latest(
    model: type[SelfAssessment] | type[Assessment], learner: User, date_field: str, value: str
) -> Subquery:
    return Subquery(
        model.objects.filter(learner=learner, competency=OuterRef("pk"))
        .order_by(f"-{date_field}", "-created_at", "-id")
        .values(value)[:1]
    )


def rank_resources(
    *, learner: User, limit: int | None = 10, today: dt.date | None = None
) -> list[RankedResource]:
    """The learner's recommendations, best first, each with its reason in words."""
    today = today or timezone.localdate()
    enrollments = current_enrollments(learner=learner)  # 1, 2: enrollments, frameworks
    practice = practice_stage_of(learner=learner)  # 3 (and its frameworks when open)
    stage = (
        enrollments[0].program.stage
        if enrollments
        else Program.Stage.CPD
        if practice is not None
        else None
    )
    standings = standings_of(learner=learner, enrollments=enrollments, practice=practice)  # 4, 5
    if not standings:
        return []
    feedback = {f.resource_id: f for f in Recommendation.objects.filter(learner=learner)}  # 6
    resources = list(
        LearningResource.objects.active()
        .filter(competencies__in=list(standings))
        .distinct()
        .prefetch_related(
            Prefetch("competencies", queryset=Competency.objects.select_related("framework")),
            "codes",
        )
    )  # 7, 8, 9
    liked, disliked = _feedback_counts(resources, feedback)
    ranked = []
    for resource in resources:
        mark = feedback.get(resource.pk)
        if mark is not None and mark.hides_resource:
            continue
        if not resource.fits_stage(stage):
            continue
        item = _score(resource, standings, liked, disliked, today)
        if item is not None:
            item.feedback = mark
            ranked.append(item)
    ranked.sort(key=lambda r: (-r.score, r.resource.duration_minutes or 10_000, r.resource.title))
    ranked = _spread(ranked)
    return ranked[:limit] if limit is not None else ranked


def _spread(ranked: list[RankedResource]) -> list[RankedResource]:
    """Keep the order, but let no competency take more than PER_COMPETENCY places until every
    other competency has had its turn: a list of ten items on one gap helps nobody."""
    first: list[RankedResource] = []
    later: list[RankedResource] = []
    taken: Counter[int] = Counter()
    for item in ranked:
        key = item.standing.competency.pk if item.standing else 0
        (first if taken[key] < PER_COMPETENCY else later).append(item)
        taken[key] += 1
    return first + later


def _feedback_counts(
    resources: list[LearningResource], feedback: dict[int, Recommendation]
) -> tuple[Counter[int], Counter[int]]:
    """Per competency id: how many resources linked to it were marked helpful / not relevant."""
    liked: Counter[int] = Counter()
    disliked: Counter[int] = Counter()
    for resource in resources:
        mark = feedback.get(resource.pk)
        if mark is None or not mark.rating:
            continue
        target = liked if mark.rating == Recommendation.Rating.HELPFUL else disliked
        for competency in resource.competencies.all():
            target[competency.pk] += 1
    return liked, disliked


def _score(
    resource: LearningResource,
    standings: dict[int, Standing],
    liked: Counter[int],
    disliked: Counter[int],
    today: dt.date,
) -> RankedResource | None:
    mine = [standings[c.pk] for c in resource.competencies.all() if c.pk in standings]
    mine.sort(key=lambda s: (-s.need, s.competency.code))
    if not mine or mine[0].need <= 0:
        return None  # every linked competency is already where it should be
    main, others = mine[0], [s for s in mine[1:] if s.need > 0]
    need = main.need + OTHER_GAPS_WEIGHT * sum((s.need for s in others), Decimal(0))
    details = [f"{main.competency.code}: {main.source()}."]
    if others:
        also = ", ".join(s.short() for s in others)
        details.append(f"Also covers {also}.")

    target = main.current if main.current is not None else main.expected
    distance = resource.level_distance(target)
    fit = Decimal(1) / (Decimal(1) + distance)
    if distance:
        details.append(
            f"Pitched at {resource.level_range_label()}, {_num(distance)} from your level."
        )

    reviewed = resource.reviewed_on or resource.created_at.date()
    days_over = (today - reviewed).days - FRESH_DAYS
    years_stale = 0 if days_over <= 0 else days_over // 365 + 1
    freshness = max(Decimal(1) - STALE_STEP * years_stale, STALE_FLOOR)
    if years_stale:
        details.append(f"Content last reviewed {date_format(reviewed, 'M Y')}.")

    codes = [c.pk for c in resource.competencies.all()]
    ups = sum(liked[c] for c in codes)
    downs = sum(disliked[c] for c in codes)
    factor = Decimal(1) + HELPFUL_BOOST * ups - NOT_RELEVANT_PENALTY * downs
    factor = min(max(factor, FEEDBACK_RANGE[0]), FEEDBACK_RANGE[1])
    if ups:
        details.append("Ranked higher: you found similar resources helpful.")
    if downs:
        details.append("Ranked lower: you marked similar resources not relevant.")

    score = (need * fit * freshness * factor).quantize(Decimal("0.001"))
    return RankedResource(
        resource=resource, score=score, reason=main.sentence(), details=details, standing=main
    )
