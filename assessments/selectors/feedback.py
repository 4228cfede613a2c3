"""Who sees multi-source feedback and teaching evaluations, and the anonymity thresholds.

- A learner's feedback is theirs alone. It is shown grouped by rater type, a group only once
  it holds at least `MIN_GROUP` (3) responses; smaller groups are pooled as "Other raters",
  shown once the pool reaches 3. Names appear only on named (not anonymous) forms; no dates,
  and comments are sorted, not in the order they came.
- Learners' evaluations of a teacher are seen by that teacher, and by the program's
  directors, only as aggregates over at least `MIN_EVALUATIONS` (5) responses; a rotation's,
  by the program's directors, only with at least 5 responses from a rotation that has had
  at least 5 learners on its schedule. Below that: nothing, not even the count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    AssessNowCode,
    FeedbackRequest,
    FeedbackResponse,
    RaterType,
    Rotation,
    ScheduledRotation,
    TeachingEvaluation,
)
from assessments.selectors.observations import assessors_for
from assessments.services.feedback import FORMS, ROTATION_FORM, TEACHER_FORM, FeedbackForm
from programs.models import Program, ProgramRole

MIN_GROUP = 3
MIN_EVALUATIONS = 5
OTHER = "other"


def feedback_requests_of(*, learner: User) -> QuerySet[FeedbackRequest]:
    """The learner's feedback links, newest first (what was asked, not what was answered)."""
    return FeedbackRequest.objects.filter(learner=learner).select_related("program")


def feedback_request_of(*, learner: User, pk: int) -> FeedbackRequest | None:
    return feedback_requests_of(learner=learner).filter(pk=pk).first()


def assess_now_code_of(*, learner: User, pk: int) -> AssessNowCode | None:
    """The learner's own code (nobody else sees the page that shows it)."""
    return (
        AssessNowCode.objects.filter(learner=learner, pk=pk)
        .select_related("program", "framework", "form")
        .prefetch_related("competencies")
        .first()
    )


@dataclass
class ItemMean:
    code: str
    text: str
    mean: float
    n: int


@dataclass
class FeedbackGroup:
    key: str
    label: str
    n: int
    items: list[ItemMean]
    comments: list[str]
    names: list[str]


@dataclass
class FeedbackSummary:
    groups: list[FeedbackGroup]
    waiting: int  # responses not shown yet (their group is still under 3)
    total: int


def _item_means(rows: Sequence[tuple[str, dict[str, int]]]) -> list[ItemMean]:
    """Mean per statement, per form, in the form's order."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(list)
    for form_code, ratings in rows:
        for code, value in ratings.items():
            sums[(form_code, code)].append(int(value))
    means = []
    for form in FORMS.values():
        for code, text in form.items:
            values = sums.get((form.code, code))
            if values:
                means.append(ItemMean(code, text, round(sum(values) / len(values), 2), len(values)))
    return means


def _group(key: str, label: str, responses: list[FeedbackResponse]) -> FeedbackGroup:
    return FeedbackGroup(
        key=key,
        label=label,
        n=len(responses),
        items=_item_means([(r.form_code, r.ratings) for r in responses]),
        comments=sorted(r.comment for r in responses if r.comment),
        names=sorted(
            r.request.rater_name
            for r in responses
            if not r.request.anonymous and r.request.rater_name
        ),
    )


def feedback_summary_for(*, learner: User) -> FeedbackSummary:
    """The learner's feedback as they may see it: groups of at least 3 (one query)."""
    responses = list(
        FeedbackResponse.objects.filter(learner=learner)
        .select_related("request")
        .only(
            "form_code",
            "ratings",
            "comment",
            "rater_type",
            "request__anonymous",
            "request__rater_name",
        )
    )
    by_type: dict[str, list[FeedbackResponse]] = defaultdict(list)
    for response in responses:
        by_type[response.rater_type].append(response)
    groups: list[FeedbackGroup] = []
    pooled: list[FeedbackResponse] = []
    for value, label in RaterType.choices:
        members = by_type.get(value, [])
        if len(members) >= MIN_GROUP:
            groups.append(_group(value, f"{label}s" if value != "staff" else label, members))
        else:
            pooled.extend(members)
    if len(pooled) >= MIN_GROUP:
        groups.append(_group(OTHER, "Other raters (smaller groups together)", pooled))
    shown = sum(g.n for g in groups)
    return FeedbackSummary(groups=groups, waiting=len(responses) - shown, total=len(responses))


# --- Teaching evaluations ---------------------------------------------------------------------


@dataclass
class EvaluationResult:
    """An aggregate over at least 5 responses."""

    subject_id: int
    name: str
    program: str
    n: int
    items: list[ItemMean]
    comments: list[str] = field(default_factory=list)


def _aggregate(form: FeedbackForm, evaluations: Iterable[TeachingEvaluation]) -> list[ItemMean]:
    return _item_means([(form.code, e.ratings) for e in evaluations])


def teaching_results_for(*, teacher: User) -> list[EvaluationResult]:
    """The teacher's own results, per program, only where at least 5 learners answered."""
    evaluations = list(
        TeachingEvaluation.objects.filter(
            subject=TeachingEvaluation.Subject.TEACHER, teacher=teacher
        )
        .select_related("program")
        .only("ratings", "comment", "program__name", "program_id")
    )
    by_program: dict[int, list[TeachingEvaluation]] = defaultdict(list)
    for evaluation in evaluations:
        by_program[evaluation.program_id].append(evaluation)
    results = []
    for program_id, members in by_program.items():
        if len(members) < MIN_EVALUATIONS:
            continue
        results.append(
            EvaluationResult(
                subject_id=program_id,
                name=teacher.name,
                program=members[0].program.name,
                n=len(members),
                items=_aggregate(TEACHER_FORM, members),
                comments=sorted(e.comment for e in members if e.comment),
            )
        )
    return sorted(results, key=lambda r: r.program)


def program_directed_by(*, user: User, program_id: int) -> Program | None:
    """The program if `user` is one of its directors (teaching results are theirs to read)."""
    return (
        Program.objects.filter(
            pk=program_id,
            roles__user=user,
            roles__role=ProgramRole.Role.DIRECTOR,
        )
        .select_related("institution")
        .first()
    )


@dataclass
class ProgramResults:
    teachers: list[EvaluationResult]
    rotations: list[EvaluationResult]


def program_teaching_results(*, program: Program) -> ProgramResults:
    """Teachers' and rotations' aggregates in the program, each over at least 5 responses;
    a rotation only if at least 5 learners have been scheduled on it. Three queries."""
    evaluations = list(
        TeachingEvaluation.objects.filter(program=program).select_related("teacher", "rotation")
    )
    learners_on = dict(
        ScheduledRotation.objects.filter(rotation__program=program)
        .values("rotation_id")
        .annotate(n=Count("learner_id", distinct=True))
        .values_list("rotation_id", "n")
    )
    teachers: dict[int, list[TeachingEvaluation]] = defaultdict(list)
    rotations: dict[int, list[TeachingEvaluation]] = defaultdict(list)
    for evaluation in evaluations:
        if evaluation.subject == TeachingEvaluation.Subject.TEACHER:
            assert evaluation.teacher_id is not None
            teachers[evaluation.teacher_id].append(evaluation)
        else:
            assert evaluation.rotation_id is not None
            rotations[evaluation.rotation_id].append(evaluation)
    teacher_rows = [
        EvaluationResult(
            subject_id=teacher_id,
            name=members[0].teacher.name if members[0].teacher else "",
            program=program.name,
            n=len(members),
            items=_aggregate(TEACHER_FORM, members),
        )
        for teacher_id, members in teachers.items()
        if len(members) >= MIN_EVALUATIONS
    ]
    rotation_rows = [
        EvaluationResult(
            subject_id=rotation_id,
            name=members[0].rotation.name if members[0].rotation else "",
            program=program.name,
            n=len(members),
            items=_aggregate(ROTATION_FORM, members),
            comments=sorted(e.comment for e in members if e.comment),
        )
        for rotation_id, members in rotations.items()
        if len(members) >= MIN_EVALUATIONS and learners_on.get(rotation_id, 0) >= MIN_EVALUATIONS
    ]
    return ProgramResults(
        teachers=sorted(teacher_rows, key=lambda r: r.name),
        rotations=sorted(rotation_rows, key=lambda r: r.name),
    )


@dataclass
class Evaluable:
    subject: str
    pk: int
    name: str
    done: bool


def evaluable_by(*, learner: User, today: dt.date | None = None) -> list[Evaluable]:
    """Teachers (assessors of the learner's current programs) and rotations (with a block of
    theirs that has started) the learner may evaluate, and whether they have. Three queries."""
    today = today or timezone.localdate()
    done = set(
        TeachingEvaluation.objects.filter(author=learner).values_list(
            "subject", "teacher_id", "rotation_id"
        )
    )
    done_teachers = {t for s, t, _ in done if s == "teacher"}
    done_rotations = {r for s, _, r in done if s == "rotation"}
    teachers = [
        Evaluable("teacher", t.pk, t.name, t.pk in done_teachers)
        for t in assessors_for(learner=learner)
    ]
    rotations = [
        Evaluable("rotation", r.pk, r.name, r.pk in done_rotations)
        for r in Rotation.objects.filter(blocks__learner=learner, blocks__start_on__lte=today)
        .distinct()
        .order_by("name")
        .only("pk", "name")
    ]
    return teachers + rotations


def feedback_requests_made_by(*, asker: User, program: Program) -> QuerySet[FeedbackRequest]:
    """The links a director or coordinator made for the program's learners (what was asked;
    the answers are the learners' alone)."""
    return (
        FeedbackRequest.objects.filter(program=program, asked_by=asker)
        .exclude(learner=asker)
        .select_related("learner")
    )


def program_learners(*, program: Program) -> QuerySet[User]:
    """The program's current learners, for choosing whom a feedback link is about."""
    return (
        User.objects.filter(enrollments__program=program, enrollments__end_date__isnull=True)
        .distinct()
        .order_by("display_name", "email")
    )
