"""Access-scoped reads for assessments by others: who may ask whom, who may rate whom, and who
sees which request and assessment. Every access rule for observations lives here.

The rules (DESIGN.md, "Ownership and access"):

- An assessor is someone holding a faculty, director or committee role in a program. They
  may rate, and be asked by, learners currently enrolled in that program.
- A request is seen by its learner and its assessor; nobody else.
- An assessment is seen by its learner, its author, and the director, coordinator and
  committee of a program where the learner is currently enrolled. It is a record: only its
  author changes it (see `assessments.services.observations`), the learner responds.
- Self-assessments stay private: calibration (`assessments.calibration`) goes through the
  portfolio's sharing selectors.
- Anyone else gets None or an empty QuerySet, which views turn into a 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
)
from frameworks.models import Competency, Framework
from programs.models import Enrollment, Program, ProgramRole

ASSESSOR_ROLES = ProgramRole.ASSESSOR_ROLES
# Who of a program reads its learners' assessments (as a committee does).
REVIEW_ROLES = ProgramRole.REVIEW_ROLES
# The comparison with colleagues is shown only when at least this many of them rated.
MIN_COLLEAGUES = 5


def _assessor_program_ids(assessor_id: int) -> QuerySet[ProgramRole, int]:
    return ProgramRole.objects.filter(user_id=assessor_id, role__in=ASSESSOR_ROLES).values_list(
        "program_id", flat=True
    )


# --- Who may ask and rate whom ------------------------------------------------------------


def assessor_programs_for_learner(
    *,
    assessor_id: int,
    learner: User | None = None,
    learner_id: int | None = None,
    program_ids: Sequence[int] | None = None,
) -> list[Program]:
    """Programs where the learner is enrolled now and the person assesses, newest enrollment
    first, frameworks loaded. Empty when the person may not rate (or be asked by) the learner.
    """
    learner_pk = learner.pk if learner is not None else learner_id
    if learner_pk is None or learner_pk == assessor_id:
        return []
    enrollments = Enrollment.objects.current().filter(
        learner_id=learner_pk, program_id__in=_assessor_program_ids(assessor_id)
    )
    if program_ids is not None:
        enrollments = enrollments.filter(program_id__in=list(program_ids))
    rows = enrollments.select_related("program").prefetch_related("program__frameworks")
    return [e.program for e in rows.order_by("-start_date", "-id")]


def assessors_for(*, learner: User) -> QuerySet[User]:
    """People the learner may ask for an observation: assessors of their current programs."""
    program_ids = Enrollment.objects.current().filter(learner=learner).values("program_id")
    return (
        User.objects.filter(
            is_active=True,
            program_roles__program_id__in=program_ids,
            program_roles__role__in=ASSESSOR_ROLES,
        )
        .exclude(pk=learner.pk)
        .distinct()
        .order_by("display_name", "email")
    )


def learners_assessable_by(*, assessor: User) -> QuerySet[User]:
    """Learners the assessor may observe unasked: current learners of programs they assess."""
    return (
        User.objects.filter(
            is_active=True,
            enrollments__end_date__isnull=True,
            enrollments__program_id__in=_assessor_program_ids(assessor.pk),
        )
        .exclude(pk=assessor.pk)
        .distinct()
        .order_by("display_name", "email")
    )


def ratable_competencies_in(
    *, framework_ids: Sequence[int], ids: Sequence[int]
) -> QuerySet[Competency]:
    """Of `ids`, the ratable ones (EPAs, sub-competencies) of the given frameworks."""
    return (
        Competency.objects.ratable()
        .filter(pk__in=list(ids), framework_id__in=list(framework_ids))
        .select_related("framework", "framework__scale")
    )


def observable_frameworks(*, learner: User) -> QuerySet[Framework]:
    """Frameworks of the learner's current programs, each with scale levels and its ratable
    competencies (four queries), for the request and observation forms."""
    return (
        Framework.objects.filter(
            programs__enrollments__learner=learner, programs__enrollments__end_date__isnull=True
        )
        .distinct()
        .select_related("scale")
        .prefetch_related(
            "scale__levels",
            Prefetch(
                "competencies",
                queryset=Competency.objects.ratable()
                .select_related("parent")
                .order_by("order", "id"),
                to_attr="ratable_items",
            ),
        )
        .order_by("kind", "code", "-version")
    )


# --- Requests -------------------------------------------------------------------------------


def _request_queryset() -> QuerySet[AssessmentRequest]:
    return AssessmentRequest.objects.select_related(
        "learner", "assessor", "program", "framework", "framework__scale", "form", "form__scale"
    ).prefetch_related(
        Prefetch(
            "competencies",
            queryset=Competency.objects.select_related("framework").order_by("order", "id"),
        )
    )


def requests_of_learner(*, learner: User) -> QuerySet[AssessmentRequest]:
    """The learner's own requests, newest first."""
    return _request_queryset().filter(learner=learner).order_by("-created_at", "-id")


def requests_to_assessor(*, assessor: User) -> QuerySet[AssessmentRequest]:
    """Requests addressed to the assessor, newest first."""
    return _request_queryset().filter(assessor=assessor).order_by("-created_at", "-id")


def request_counts_for(*, assessor: User, today: dt.date) -> tuple[int, int]:
    """(waiting, overdue) open requests addressed to the assessor, in one query."""
    overdue_ids = AssessmentRequest.objects.overdue(today).filter(assessor=assessor).values("pk")
    counts = (
        AssessmentRequest.objects.open()
        .filter(assessor=assessor)
        .aggregate(waiting=Count("pk"), overdue=Count("pk", filter=Q(pk__in=overdue_ids)))
    )
    return counts["waiting"], counts["overdue"]


def request_visible_to(*, viewer: User, pk: int) -> AssessmentRequest | None:
    """A request its learner or its assessor may open; None for anyone else."""
    if not viewer.is_authenticated:
        return None
    return (
        _request_queryset()
        .filter(Q(learner=viewer) | Q(assessor=viewer), pk=pk)
        .prefetch_related(
            Prefetch("assessments", queryset=Assessment.objects.select_related("competency"))
        )
        .first()
    )


def request_for_assessor(*, assessor: User, pk: int) -> AssessmentRequest | None:
    """A request the viewer may answer (they are its assessor); None otherwise."""
    if not assessor.is_authenticated:
        return None
    return _request_queryset().filter(assessor=assessor, pk=pk).first()


@dataclass
class Inbox:
    """An assessor's requests: overdue and open (oldest due first), done (newest first)."""

    overdue: list[AssessmentRequest]
    open: list[AssessmentRequest]
    done: list[AssessmentRequest]
    done_limit: int

    @property
    def waiting(self) -> int:
        return len(self.overdue) + len(self.open)


def inbox_for(*, assessor: User, today: dt.date | None = None, done_limit: int = 30) -> Inbox:
    """Three queries whatever the size: open requests, the latest done ones, and the
    competencies of both (one prefetch, shared by the two lists through one id list)."""
    today = today or timezone.localdate()
    base = AssessmentRequest.objects.filter(assessor=assessor).select_related(
        "learner", "framework"
    )
    open_rows = list(base.filter(status=AssessmentRequest.Status.OPEN).order_by("created_at"))
    done_rows = list(
        base.exclude(status=AssessmentRequest.Status.OPEN).order_by("-closed_at", "-id")[
            :done_limit
        ]
    )
    _attach_competencies(open_rows + done_rows)
    overdue = sorted(
        (r for r in open_rows if r.is_overdue(today)), key=lambda r: (r.due_date, r.pk)
    )
    waiting = sorted(
        (r for r in open_rows if not r.is_overdue(today)), key=lambda r: (r.due_date, r.pk)
    )
    return Inbox(overdue=overdue, open=waiting, done=done_rows, done_limit=done_limit)


def _attach_competencies(requests: list[AssessmentRequest]) -> None:
    """Set `items` on each request: its competencies in framework order (one query)."""
    if not requests:
        return
    through = AssessmentRequest.competencies.through
    by_request: dict[int, list[Competency]] = {r.pk: [] for r in requests}
    links = (
        through.objects.filter(assessmentrequest_id__in=list(by_request))
        .select_related("competency")
        .order_by("competency__order", "competency_id")
    )
    for link in links:
        by_request[link.assessmentrequest_id].append(link.competency)
    for request in requests:
        request.items = by_request[request.pk]  # type: ignore[attr-defined]


# --- Assessments ---------------------------------------------------------------------------


def _assessment_queryset() -> QuerySet[Assessment]:
    return Assessment.objects.select_related(
        "assessor", "learner", "competency", "competency__framework", "program", "form", "scale"
    )


def _reviewed_program_ids(viewer: User) -> QuerySet[ProgramRole, int]:
    return ProgramRole.objects.filter(user=viewer, role__in=REVIEW_ROLES).values_list(
        "program_id", flat=True
    )


def assessments_received(
    *,
    learner: User,
    competency_id: int | None = None,
    assessor_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Assessment]:
    """Every assessment of the learner (any source), filtered, newest observation first."""
    rows = _assessment_queryset().filter(learner=learner)
    if competency_id is not None:
        rows = rows.filter(competency_id=competency_id)
    if assessor_id is not None:
        rows = rows.filter(assessor_id=assessor_id)
    if since is not None:
        rows = rows.filter(observed_on__gte=since)
    if until is not None:
        rows = rows.filter(observed_on__lte=until)
    return rows.annotate(response_count=Count("responses")).order_by(
        "-observed_on", "-created_at", "-id"
    )


def assessments_given(*, assessor: User) -> QuerySet[Assessment]:
    """Assessments the person wrote, newest first, with the learner's response count."""
    return (
        _assessment_queryset()
        .filter(assessor=assessor)
        .annotate(response_count=Count("responses"))
        .order_by("-created_at", "-id")
    )


def assessment_filter_choices(*, learner: User) -> tuple[list[Competency], list[User]]:
    """Competencies and assessors that occur in the learner's assessments (two queries)."""
    competencies = list(
        Competency.objects.filter(
            Exists(Assessment.objects.filter(learner=learner, competency=OuterRef("pk")))
        )
        .select_related("framework")
        .order_by("framework__code", "order")
    )
    assessors = list(
        User.objects.filter(
            Exists(Assessment.objects.filter(learner=learner, assessor=OuterRef("pk")))
        ).order_by("display_name", "email")
    )
    return competencies, assessors


def assessment_visible_to(*, viewer: User, pk: int) -> Assessment | None:
    """An assessment its learner, its author or a reviewer of the learner's current program
    may open, with its versions and responses; None for anyone else."""
    if not viewer.is_authenticated:
        return None
    reviewer = Exists(
        Enrollment.objects.current().filter(
            learner=OuterRef("learner"), program_id__in=_reviewed_program_ids(viewer)
        )
    )
    return (
        _assessment_queryset()
        .select_related("competency__framework__scale", "request")
        .filter(Q(learner=viewer) | Q(assessor=viewer) | reviewer, pk=pk)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=AssessmentVersion.objects.select_related("recorded_by").order_by(
                    "-version"
                ),
            ),
            Prefetch("responses", queryset=AssessmentResponse.objects.order_by("created_at", "id")),
        )
        .first()
    )


def assessment_for_author(*, author: User, pk: int) -> Assessment | None:
    """An assessment the viewer wrote (they may correct or amend it); None otherwise."""
    if not author.is_authenticated:
        return None
    return (
        _assessment_queryset()
        .select_related("competency__framework__scale")
        .filter(assessor=author, pk=pk)
        .first()
    )


def assessment_for_learner(*, learner: User, pk: int) -> Assessment | None:
    """An assessment of the viewer (they may acknowledge and respond); None otherwise."""
    if not learner.is_authenticated:
        return None
    return _assessment_queryset().filter(learner=learner, pk=pk).first()


# --- The assessor's private comparison with colleagues ---------------------------------------


@dataclass
class LeniencyRow:
    framework: str
    n: int  # my ratings that colleagues also rated (same learner, competency, period)
    mine: float  # my mean level on those
    colleagues: float  # colleagues' mean level on the same learner-competency pairs
    difference: float  # mine − colleagues: above 0 more lenient, below 0 more stringent


@dataclass
class Leniency:
    since: dt.date
    until: dt.date
    colleagues: int  # distinct colleagues who rated the same learners in the period
    shown: bool  # False below MIN_COLLEAGUES: too few to compare without exposing anyone
    rows: list[LeniencyRow] = field(default_factory=list)


def leniency_for(*, assessor: User, since: dt.date, until: dt.date) -> Leniency:
    """How the assessor's levels compare with colleagues' for the same learners, competencies
    and period. Two queries; the numbers are shown only to the assessor, and only when at
    least MIN_COLLEAGUES colleagues rated those learners (otherwise one colleague's ratings
    could be read off the difference)."""
    # Means only of counted levels: ratings on other scales are never averaged with them.
    mine = Assessment.objects.filter(
        assessor=assessor, observed_on__range=(since, until), counted_level__isnull=False
    )
    colleagues = (
        Assessment.objects.filter(
            observed_on__range=(since, until),
            assessor__isnull=False,
            learner_id__in=mine.values("learner_id"),
        )
        .exclude(assessor=assessor)
        .values("assessor_id")
        .distinct()
        .count()
    )
    result = Leniency(since=since, until=until, colleagues=colleagues, shown=False)
    if colleagues < MIN_COLLEAGUES:
        return result
    peer_mean = (
        Assessment.objects.filter(
            learner_id=OuterRef("learner_id"),
            competency_id=OuterRef("competency_id"),
            observed_on__range=(since, until),
            assessor__isnull=False,
            counted_level__isnull=False,
        )
        .exclude(assessor=assessor)
        .order_by()
        .values("learner_id")
        .annotate(mean=Avg("counted_level"))
        .values("mean")
    )
    rows = (
        mine.annotate(peer=Subquery(peer_mean, output_field=FloatField()))
        .filter(peer__isnull=False)
        .values("competency__framework__name")
        .annotate(
            n=Count("id"),
            mine_mean=Avg(ExpressionWrapper(F("counted_level") * 1.0, output_field=FloatField())),
            peer_mean=Avg("peer"),
        )
        .order_by("competency__framework__name")
    )
    result.shown = True
    result.rows = [
        LeniencyRow(
            framework=row["competency__framework__name"],
            n=row["n"],
            mine=float(row["mine_mean"]),
            colleagues=float(row["peer_mean"]),
            difference=float(row["mine_mean"]) - float(row["peer_mean"]),
        )
        for row in rows
    ]
    return result


def level_display(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)).normalize():f}"
