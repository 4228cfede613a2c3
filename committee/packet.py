"""The review packet: everything a competency committee reads about one learner in one period.

Assembled on request from the records — assessments and narratives observed in the period,
the previous consensus, trajectories across periods, expected levels — plus the learner's
self-assessments and goals only where the learner shared them with the program's committee
(through `portfolio.selectors`, which also writes the access log). Callers check that the
viewer reviews the program (`programs.selectors.programs_reviewed_by`) or is the learner.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment
from committee.heatmap import (
    HOLMBOE_NOTE,
    HOLMBOE_THRESHOLD,
    band_of,
    too_thin_to_flag,
)
from committee.models import ConsensusRating, LearnerReview
from core.db import fetch_all, median_sql, placeholders
from frameworks.models import Competency
from portfolio.selectors import (
    Access,
    access_for,
    goals_visible_to,
    self_assessments_visible_to,
)
from portfolio.services import access_log_record, access_log_record_official
from programs.expectations import expected_level, period_fraction
from programs.models import Enrollment, Program, ReviewPeriod
from programs.selectors import expectation_overrides, program_competencies


@dataclass
class TrajectoryPoint:
    period_id: int
    period_name: str
    value: float | None
    source: str
    n: int


@dataclass
class CompetencySection:
    competency: Competency
    expected: Decimal
    consensus: ConsensusRating | None
    history: list[ConsensusRating]
    previous: ConsensusRating | None
    assessments: list[Assessment]
    median: float | None
    n: int
    trajectory: list[TrajectoryPoint]
    self_assessments: list[Any] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def value(self) -> float | None:
        if self.consensus is not None:
            return float(self.consensus.level)
        return self.median

    @property
    def band(self) -> str:
        value = self.value
        return band_of(None if value is None else value - float(self.expected))

    @property
    def assessor_count(self) -> int:
        # Of the ratings the median counts (a rating on an unmapped other scale does not).
        return len({a.assessor_id for a in self.assessments if a.counted_level is not None})


@dataclass
class Packet:
    program: Program
    period: ReviewPeriod
    periods: list[ReviewPeriod]
    previous_period: ReviewPeriod | None
    enrollment: Enrollment
    learner: User
    training_year: int
    review: LearnerReview | None
    sections: list[CompetencySection]
    shared_goals: list[Any]
    sharing_note: str

    @property
    def year_label(self) -> str:
        return self.program.year_label(self.training_year)

    @property
    def missing(self) -> list[Competency]:
        return [s.competency for s in self.sections if s.consensus is None]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def status(self) -> str:
        if self.review is None:
            return "Not started"
        return self.review.get_status_display()


def _trajectory_rows(
    *, program: Program, learner_id: int, competency_ids: list[int]
) -> list[tuple[int, int, float, int]]:
    """Median and count of the learner's ratings per period × competency, in one query."""
    if not competency_ids:
        return []
    ids = placeholders(len(competency_ids))
    sql = f"""
        SELECT p.id, a.competency_id, {median_sql("a.counted_level", connection.vendor)}, COUNT(*)
        FROM {Assessment._meta.db_table} a
        JOIN {ReviewPeriod._meta.db_table} p
          ON p.program_id = %s AND a.observed_on BETWEEN p.start_date AND p.end_date
        WHERE a.learner_id = %s AND a.competency_id IN ({ids}) AND a.counted_level IS NOT NULL
        GROUP BY p.id, a.competency_id
    """  # noqa: S608 — only placeholders are interpolated
    rows = fetch_all(sql, [program.pk, learner_id, *competency_ids])
    return [(int(p), int(c), float(m), int(n)) for p, c, m, n in rows]


def _shared_with_committee(
    *, program: Program, learner: User, viewer: User, period: ReviewPeriod
) -> tuple[dict[int, list[Any]], list[Any], str]:
    """Self-assessments of the period (by competency) and goals the learner shared with this
    program's committee, read through the portfolio's selectors and logged as read.

    Only grants to this program's committee (or to the viewer in person) count: a share with
    another program's committee does not open the packet here.
    """
    # Query: the viewer's active grants from this learner.
    broad = access_for(viewer=viewer, learner=learner)
    if broad.is_owner:
        return {}, [], ""
    # Items a learner shared with a learning group the viewer is in are not shared with the
    # committee: circle grants stay out of the packet.
    grants = tuple(
        g for g in broad.grants if g.program_id in (None, program.pk) and g.circle_id is None
    )
    access = Access(viewer=viewer, learner=learner, is_owner=False, grants=grants)
    notes: list[str] = []
    by_competency: dict[int, list[Any]] = defaultdict(list)
    shown: list[Any] = []
    if access.allows("checkins"):
        # Query: the period's self-assessments.
        for item in self_assessments_visible_to(
            viewer=viewer, learner=learner, access=access
        ).filter(assessed_on__gte=period.start_date, assessed_on__lte=period.end_date):
            by_competency[item.competency_id].append(item)
            shown.append(item)
    else:
        notes.append("The learner has not shared their self-assessments with the committee.")
    goals: list[Any] = []
    if access.allows("goals"):
        # Queries: goals with their competencies, evidence and progress notes (prefetches).
        goals = list(goals_visible_to(viewer=viewer, learner=learner, access=access))
        shown.extend(goals)
    else:
        notes.append("The learner has not shared their goals with the committee.")
    if shown:
        # Query: one INSERT into the learner's access log.
        access_log_record(access=access, items=shown)
    return dict(by_competency), goals, " ".join(notes)


def _log_packet_read(
    *, viewer: User, learner: User, program: Program, period: ReviewPeriod
) -> None:
    label = f"Review packet, {period.name} ({program.name})"
    access_log_record_official(
        viewer=viewer, reads=[(learner.pk, "reviewpacket", period.pk, label)]
    )


def _section_flags(section: CompetencySection, *, holmboe: bool) -> list[str]:
    """What the heatmap flags for this cell, in words; a concern resting on a single assessor
    rating is said to need more evidence instead (the heatmap does not flag it)."""
    concerns = []
    if section.band == "below":
        concerns.append("One level or more below the level expected by the period's end.")
    value = section.value
    if (
        holmboe
        and value is not None
        and value <= HOLMBOE_THRESHOLD
        and section.competency.framework.scale.kind == "milestone"
    ):
        concerns.append(HOLMBOE_NOTE)
    if concerns and too_thin_to_flag("r" if section.consensus is None else "c", section.n):
        return [
            f"{' '.join(concerns)} This rests on a single rating: ask for more observations "
            "before drawing a conclusion."
        ]
    return concerns


def packet_build(
    *,
    program: Program,
    period: ReviewPeriod,
    enrollment: Enrollment,
    viewer: User,
    today: dt.date | None = None,
) -> Packet:
    """Assemble a learner's packet for a period in a fixed number of queries."""
    learner = enrollment.learner
    enrollment.program = program
    # Query 1: every period of the program (previous period, trajectory columns).
    periods = list(ReviewPeriod.objects.filter(program=program).order_by("start_date"))
    earlier = [p for p in periods if p.start_date < period.start_date]
    previous_period = earlier[-1] if earlier else None
    # Queries 2–3: rated competencies, and the levels of their scales (form choices).
    competencies = list(
        program_competencies(program=program).prefetch_related("framework__scale__levels")
    )
    competency_ids = [c.pk for c in competencies]
    # Query 4: this period's review, if the committee has opened it.
    review = (
        LearnerReview.objects.filter(period=period, learner=learner)
        .select_related("signed_off_by")
        .first()
    )
    year = (
        review.training_year
        if review is not None
        else enrollment.training_year_on(period.start_date, today or timezone.localdate())
    )
    # Query 5: every consensus version of the learner in this program (all periods).
    history: dict[int, list[ConsensusRating]] = defaultdict(list)
    current_by_period: dict[tuple[int, int], ConsensusRating] = {}
    for rating in (
        ConsensusRating.objects.filter(review__learner=learner, review__period__program=program)
        .select_related("recorded_by", "review")
        .order_by("-version")
    ):
        if rating.review.period_id == period.pk:
            history[rating.competency_id].append(rating)
        if rating.is_current:
            current_by_period[(rating.review.period_id, rating.competency_id)] = rating
    # Query 6: assessments observed in the period, with who rated.
    assessments: dict[int, list[Assessment]] = defaultdict(list)
    for assessment in (
        Assessment.objects.filter(
            learner=learner,
            competency_id__in=competency_ids,
            observed_on__gte=period.start_date,
            observed_on__lte=period.end_date,
        )
        .select_related("assessor", "scale")
        .order_by("-observed_on", "-created_at")
    ):
        assessments[assessment.competency_id].append(assessment)
    # Query 7: medians per period × competency (the trajectory).
    medians = {
        (p, c): (m, n)
        for p, c, m, n in _trajectory_rows(
            program=program, learner_id=learner.pk, competency_ids=competency_ids
        )
    }
    # Query 8: expectations that override the program default (those for the end of this
    # training year and of the one before count: the expectation rises between them).
    overrides = expectation_overrides(program_ids=[program.pk])[program.pk]
    fraction = period_fraction(program, period)
    # Queries 9+: what the learner shared with the committee (portfolio selectors).
    shared_self, shared_goals, sharing_note = _shared_with_committee(
        program=program, learner=learner, viewer=viewer, period=period
    )

    # Query: one INSERT into the learner's access log — the packet is their official record.
    _log_packet_read(viewer=viewer, learner=learner, program=program, period=period)

    holmboe = program.stage == Program.Stage.GME and period.is_year_end and year == 2
    sections: list[CompetencySection] = []
    for competency in competencies:
        expected = expected_level(program, overrides, competency.pk, year, fraction)
        current = current_by_period.get((period.pk, competency.pk))
        previous = (
            current_by_period.get((previous_period.pk, competency.pk)) if previous_period else None
        )
        median, n = medians.get((period.pk, competency.pk), (None, 0))
        trajectory: list[TrajectoryPoint] = []
        for p in periods:
            if p.start_date > period.start_date:
                break
            consensus = current_by_period.get((p.pk, competency.pk))
            m, count = medians.get((p.pk, competency.pk), (None, 0))
            if consensus is not None:
                trajectory.append(
                    TrajectoryPoint(p.pk, p.name, float(consensus.level), "consensus", count)
                )
            elif m is not None:
                trajectory.append(TrajectoryPoint(p.pk, p.name, round(m, 2), "ratings", count))
        section = CompetencySection(
            competency=competency,
            expected=expected,
            consensus=current,
            history=history.get(competency.pk, []),
            previous=previous,
            assessments=assessments.get(competency.pk, []),
            median=None if median is None else round(median, 2),
            n=n,
            trajectory=trajectory,
            self_assessments=shared_self.get(competency.pk, []),
        )
        section.flags.extend(_section_flags(section, holmboe=holmboe))
        sections.append(section)
    return Packet(
        program=program,
        period=period,
        periods=[p for p in periods if p.start_date <= period.start_date],
        previous_period=previous_period,
        enrollment=enrollment,
        learner=learner,
        training_year=year,
        review=review,
        sections=sections,
        shared_goals=shared_goals,
        sharing_note=sharing_note,
    )
