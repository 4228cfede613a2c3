"""Access-scoped reads for assessment forms.

- The shipped forms ("Milestone levels", "EPA entrustment") are offered in every program.
- A program's own forms are offered to that program's requests and observations, and are
  built and changed by the program's directors and coordinators (`programs_managed_by`).
- Anyone else gets None or an empty QuerySet, which views turn into a 404.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from assessments.models import AssessmentForm
from frameworks.models import Competency, Framework, RatingScale
from frameworks.scales import shipped_scales_ensure
from programs.selectors import programs_managed_by


def _with_parts(queryset: QuerySet[AssessmentForm]) -> QuerySet[AssessmentForm]:
    """Each form with its program, scale and levels, and chosen items (three queries)."""
    return queryset.select_related("program", "scale").prefetch_related(
        "scale__levels",
        Prefetch("competencies", queryset=Competency.objects.order_by("order", "id")),
    )


def forms_managed_by(*, user: User) -> QuerySet[AssessmentForm]:
    """The forms of programs `user` manages, and the shipped ones (read-only to them)."""
    programs = programs_managed_by(user=user).values("pk")
    return _with_parts(
        AssessmentForm.objects.filter(Q(program__isnull=True) | Q(program__in=programs))
    ).order_by("program__name", "name", "id")


def form_managed_by(*, user: User, pk: int) -> AssessmentForm | None:
    return forms_managed_by(user=user).filter(pk=pk).first()


def forms_available(*, program_id: int) -> QuerySet[AssessmentForm]:
    """What a request or observation in the program may use: shipped and the program's own."""
    return _with_parts(AssessmentForm.objects.available_in(program_id)).order_by(
        "program_id", "name", "id"
    )


def shipped_form_for(*, framework: Framework) -> AssessmentForm:
    """The shipped form rating this framework's kind of item on its own scale."""
    code = (
        AssessmentForm.SHIPPED_EPA
        if framework.kind == Framework.Kind.EPA
        else AssessmentForm.SHIPPED_MILESTONES
    )
    form = AssessmentForm.objects.filter(code=code).first()
    if form is None:  # emptied by a bulk loader or a test flush; migration 0011 made it
        rates = AssessmentForm.Rates.EPA if code == AssessmentForm.SHIPPED_EPA else "milestones"
        form, _ = AssessmentForm.objects.get_or_create(
            code=code, defaults={"name": AssessmentForm.SHIPPED_NAMES[code], "rates": rates}
        )
    return form


def shipped_scales() -> QuerySet[RatingScale]:
    """The scales a program may pick for a form without defining its own."""
    shipped_scales_ensure()
    return (
        RatingScale.objects.filter(kind__in=RatingScale.SHIPPED_KINDS)
        .prefetch_related("levels")
        .order_by("name")
    )


def program_forms_for_learner(*, learner: User) -> QuerySet[AssessmentForm]:
    """The active forms of the programs the learner is currently enrolled in (the shipped ones
    are the default and need no choosing)."""
    return (
        AssessmentForm.objects.filter(
            program__enrollments__learner=learner,
            program__enrollments__end_date__isnull=True,
            is_active=True,
        )
        .distinct()
        .select_related("program", "scale")
        .order_by("program__name", "name", "id")
    )


def forms_visible_to(*, user: User) -> QuerySet[AssessmentForm]:
    """The shipped forms and the forms of every program where `user` holds a role or is
    currently enrolled: what they may be asked to fill in or may ask for. Admins see all."""
    if user.is_superuser:
        return _with_parts(AssessmentForm.objects.all()).order_by("program_id", "name", "id")
    in_program = Q(program__roles__user=user) | Q(
        program__enrollments__learner=user, program__enrollments__end_date__isnull=True
    )
    ids = AssessmentForm.objects.filter(Q(program__isnull=True) | in_program).values("pk")
    return _with_parts(AssessmentForm.objects.filter(pk__in=ids)).order_by(
        "program_id", "name", "id"
    )
