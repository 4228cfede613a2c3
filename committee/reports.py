"""Reports: a period's consensus ratings as CSV, one row per learner × sub-competency.

The columns (documented in docs/programs.md) are what an accreditation system asks for, so a
coordinator can transcribe or upload them without reshaping.
"""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.text import slugify

from committee.heatmap import enrollments_during
from committee.models import ConsensusRating, LearnerReview
from core import csv as safe_csv
from programs.models import Enrollment, Program, ReviewPeriod
from programs.selectors import program_competencies

CONSENSUS_COLUMNS = (
    "program",
    "period",
    "period_start",
    "period_end",
    "learner_email",
    "learner_name",
    "training_year",
    "framework",
    "framework_version",
    "competency_code",
    "competency_title",
    "level",
    "rationale",
    "version",
    "amendment_reason",
    "recorded_by",
    "recorded_at",
    "review_status",
    "signed_off_by",
    "signed_off_at",
)


def consensus_rows(*, program: Program, period: ReviewPeriod) -> list[list[str]]:
    """Every learner enrolled during the period × every rated sub-competency, in four
    queries; cells without a consensus have an empty level."""
    # Query 1: competencies; query 2: learners enrolled during the period.
    competencies = list(program_competencies(program=program))
    enrollments: dict[int, Enrollment] = {}
    for enrollment in (
        enrollments_during(program=program, period=period)
        .select_related("learner")
        .order_by("learner__email", "start_date")
    ):
        enrollment.program = program
        enrollments[enrollment.learner_id] = enrollment
    # Query 3: the period's reviews.
    reviews = {
        r.learner_id: r
        for r in LearnerReview.objects.filter(period=period).select_related("signed_off_by")
    }
    # Query 4: current consensus of the period.
    ratings = {
        (r.review.learner_id, r.competency_id): r
        for r in ConsensusRating.objects.current()
        .filter(review__period=period)
        .select_related("review", "recorded_by")
    }
    rows: list[list[str]] = []
    for learner_id, enrollment in enrollments.items():
        learner = enrollment.learner
        review = reviews.get(learner_id)
        year = (
            review.training_year if review else enrollment.training_year_on(period.start_date)  # type: ignore[attr-defined]
        )
        for competency in competencies:
            rating = ratings.get((learner_id, competency.pk))
            rows.append(
                [
                    program.name,
                    period.name,
                    period.start_date.isoformat(),
                    period.end_date.isoformat(),
                    learner.contact_email,
                    learner.name,
                    str(year),
                    competency.framework.code,
                    competency.framework.version,
                    competency.code,
                    competency.title,
                    "" if rating is None else f"{rating.level.normalize():f}",
                    "" if rating is None else rating.rationale,
                    "" if rating is None else str(rating.version),
                    "" if rating is None else rating.amendment_reason,
                    ""
                    if rating is None or rating.recorded_by is None
                    else rating.recorded_by.contact_email,
                    "" if rating is None else rating.recorded_at.isoformat(),
                    "not started" if review is None else review.status,
                    ""
                    if review is None or review.signed_off_by is None
                    else review.signed_off_by.contact_email,
                    ""
                    if review is None or review.signed_off_at is None
                    else review.signed_off_at.isoformat(),
                ]
            )
    return rows


def consensus_csv_response(*, program: Program, period: ReviewPeriod) -> HttpResponse:
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer)
    writer.writerow(CONSENSUS_COLUMNS)
    writer.writerows(consensus_rows(program=program, period=period))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"consensus-{slugify(program.name)}-{slugify(period.name)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
