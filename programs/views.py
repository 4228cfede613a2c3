"""Pages for program staff: set-up, cohorts, learners, roles, expected levels, roster import
and review periods (committee review's pages are in `committee.views`).

Every page looks its program up through `programs.selectors` so that someone without a role
in that program gets a 404, never a hint that it exists.
"""

from __future__ import annotations

from decimal import Decimal

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from core.forms import apply_errors
from core.once import submit_once
from programs import forms, services
from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Invitation,
    Program,
    ProgramRole,
    ReviewPeriod,
)
from programs.selectors import (
    enrollments_in,
    institutions_administered_by,
    program_competencies,
    programs_managed_by,
    programs_visible_to,
    review_periods_of,
)

# A program's learners over the years run to thousands (a roster adds up to 5,000 at once).
ENROLLMENTS_PAGE_SIZE = 100


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _managed(request: HttpRequest, program_id: int) -> Program:
    return get_object_or_404(programs_managed_by(user=_user(request)), pk=program_id)


def _visible(request: HttpRequest, program_id: int) -> Program:
    return get_object_or_404(programs_visible_to(user=_user(request)), pk=program_id)


# --- Program set-up ----------------------------------------------------------------------


@login_required
def program_index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    programs = programs_visible_to(user=user).order_by("institution__name", "name")
    reads_audit_log = user.is_superuser or bool(institutions_administered_by(user=user))
    return render(
        request,
        "programs/list.html",
        {"programs": programs, "reads_audit_log": reads_audit_log},
    )


@login_required
@submit_once("program")
def program_create(request: HttpRequest) -> HttpResponse:
    """A new program, for institution administrators (superusers); 404 for anyone else."""
    user = _user(request)
    if not user.is_superuser:
        raise Http404
    form = forms.ProgramCreateForm(request.POST or None, initial=forms.program_defaults())
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(**form.cleaned_data, by=user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{program.name} created. Add its cohorts and learners next.")
            return redirect("program-detail", program_id=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/create.html", {"form": form}, status=status)


@login_required
def program_show(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _visible(request, program_id)
    form = None
    if program.viewer_can_manage or _user(request).is_superuser:  # type: ignore[attr-defined]
        form = forms.ProgramSettingsForm.for_program(
            program, request.POST if request.method == "POST" else None
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.program_update(program=program, by=_user(request), **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Program settings saved.")
                return redirect("program-detail", program_id=program.pk)
    elif request.method == "POST":
        raise Http404
    counts = {
        "learners": Enrollment.objects.current().filter(program=program).count(),
        "cohorts": Cohort.objects.filter(program=program).count(),
        "periods": ReviewPeriod.objects.filter(program=program).count(),
    }
    return render(
        request,
        "programs/detail.html",
        {
            "program": program,
            "form": form,
            "counts": counts,
            "frameworks": program.frameworks.select_related("scale"),
            "tab": "settings",
        },
    )


@login_required
@submit_once("cohort")
def cohort_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    form = forms.CohortForm(request.POST or None, initial={"start_year": timezone.now().year})
    if request.method == "POST" and form.is_valid():
        try:
            services.cohort_create(program=program, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Cohort added.")
            return redirect("program-cohorts", program_id=program.pk)
    cohorts = Cohort.objects.filter(program=program).order_by("-start_year", "name")
    return render(
        request,
        "programs/cohorts.html",
        {"program": program, "cohorts": cohorts, "form": form, "tab": "cohorts"},
    )


@login_required
@submit_once("enrolment")
def enrollment_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    form = forms.EnrollmentForm(request.POST or None)
    form.limit_cohorts(program)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_create(program=program, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Learner enrolled.")
            return redirect("program-enrollments", program_id=program.pk)
    return render(
        request,
        "programs/enrollments.html",
        {
            "program": program,
            "page": Paginator(enrollments_in(program=program), ENROLLMENTS_PAGE_SIZE).get_page(
                request.GET.get("page")
            ),
            "form": form,
            "tab": "enrollments",
        },
    )


@login_required
def enrollment_edit(request: HttpRequest, program_id: int, enrollment_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    enrollment = get_object_or_404(enrollments_in(program=program), pk=enrollment_id)
    form = forms.EnrollmentEditForm(
        request.POST or None,
        initial={
            "training_year": enrollment.training_year,
            "cohort": enrollment.cohort_id,
            "end_date": enrollment.end_date,
        },
    )
    form.limit_cohorts(program)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrollment_update(
                enrollment=enrollment, by=_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Enrollment updated.")
            return redirect("program-enrollments", program_id=program.pk)
    return render(
        request,
        "programs/enrollment_edit.html",
        {"program": program, "enrollment": enrollment, "form": form, "tab": "enrollments"},
    )


@login_required
@submit_once("role")
def role_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    form = forms.RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_role_grant(program=program, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Role given.")
            return redirect("program-roles", program_id=program.pk)
    roles = (
        ProgramRole.objects.filter(program=program)
        .select_related("user")
        .order_by("role", "user__email")
    )
    return render(
        request,
        "programs/roles.html",
        {"program": program, "roles": roles, "form": form, "tab": "roles"},
    )


@login_required
@require_POST
def role_revoke(request: HttpRequest, program_id: int, role_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    role = get_object_or_404(ProgramRole.objects.filter(program=program), pk=role_id)
    try:
        services.program_role_revoke(program_role=role, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Role removed.")
    return redirect("program-roles", program_id=program.pk)


@login_required
def expectation_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    competencies = list(program_competencies(program=program))
    years = list(range(1, program.duration_years + 1))
    overrides = {
        (e.competency_id, e.training_year): e.level
        for e in Expectation.objects.filter(program=program)
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        levels: dict[tuple[int, int], Decimal | None] = {}
        for competency in competencies:
            for year in years:
                raw = request.POST.get(f"level-{competency.pk}-{year}", "").strip()
                try:
                    levels[(competency.pk, year)] = Decimal(raw) if raw else None
                except ArithmeticError:
                    errors[f"{competency.pk}-{year}"] = "Give a number."
        if not errors:
            try:
                changed = services.expectations_update(
                    program=program, levels=levels, by=_user(request)
                )
            except ValidationError as error:
                errors = {k: " ".join(v) for k, v in error.message_dict.items()}
            else:
                messages.success(request, f"Expected levels saved ({changed} changed).")
                return redirect("program-expectations", program_id=program.pk)
        messages.error(request, "Some levels were not saved; see the marked cells.")
    defaults = {year: program.default_expected_level(year) for year in years}
    grid = [
        (
            competency,
            [
                (
                    year,
                    overrides.get((competency.pk, year), defaults[year]),
                    (competency.pk, year) in overrides,
                    errors.get(f"{competency.pk}-{year}", ""),
                )
                for year in years
            ],
        )
        for competency in competencies
    ]
    return render(
        request,
        "programs/expectations.html",
        {
            "program": program,
            "grid": grid,
            "years": [(y, program.year_label(y), defaults[y]) for y in years],
            "tab": "expectations",
        },
    )


@login_required
@submit_once("roster import")
def roster_import(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    form = forms.RosterForm(request.POST or None, request.FILES or None)
    errors: list[services.RosterError] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(services.ROSTER_MAX_BYTES + 1)
        try:
            result = services.roster_import(program=program, data=data, by=_user(request))
        except services.RosterImportError as error:
            errors = error.errors
        else:
            invited = []
            if form.cleaned_data["invite"]:
                invited = services.invitations_create_from_roster(
                    program=program, emails=result.emails, by=_user(request)
                )
            messages.success(
                request,
                f"Imported {result.rows} rows: {result.enrollments_created} enrolled, "
                f"{result.enrollments_updated} updated, {result.accounts_created} new accounts, "
                f"{len(invited)} invited by email.",
            )
            return redirect(
                "program-invitations" if invited else "program-enrollments", program_id=program.pk
            )
    return render(
        request,
        "programs/roster.html",
        {
            "program": program,
            "form": form,
            "errors": errors,
            "columns": services.ROSTER_REQUIRED + services.ROSTER_OPTIONAL,
            "required": services.ROSTER_REQUIRED,
            "tab": "roster",
        },
        status=400 if errors else 200,
    )


@login_required
@submit_once("review period")
def period_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _visible(request, program_id)
    can_manage = bool(program.viewer_can_manage or _user(request).is_superuser)  # type: ignore[attr-defined]
    form = forms.PeriodForm(request.POST if "create" in request.POST else None)
    generate = forms.GeneratePeriodsForm(
        request.POST if "generate" in request.POST else None,
        initial={"first_year": program.academic_year_of(timezone.localdate()), "years": 1},
    )
    if request.method == "POST":
        if not can_manage:
            raise Http404
        try:
            if form.is_bound and form.is_valid():
                services.review_period_create(
                    program=program, by=_user(request), **form.cleaned_data
                )
                messages.success(request, "Review period added.")
                return redirect("program-periods", program_id=program.pk)
            if generate.is_bound and generate.is_valid():
                created = services.review_periods_generate(program=program, **generate.cleaned_data)
                messages.success(request, f"{len(created)} review periods added.")
                return redirect("program-periods", program_id=program.pk)
        except ValidationError as error:
            apply_errors(form if form.is_bound else generate, error)
    return render(
        request,
        "programs/periods.html",
        {
            "program": program,
            "periods": review_periods_of(program=program),
            "form": form,
            "generate": generate,
            "can_manage": can_manage,
            "tab": "periods",
        },
    )


@login_required
def period_edit(request: HttpRequest, program_id: int, period_id: int) -> HttpResponse:
    """Correct a review period (directors, coordinators, admins)."""
    program = _managed(request, program_id)
    period = get_object_or_404(review_periods_of(program=program), pk=period_id)
    form = forms.PeriodForm(request.POST or None, initial=forms.period_values(period))
    if request.method == "POST" and form.is_valid():
        try:
            services.review_period_update(period=period, by=_user(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Review period saved.")
            return redirect("program-periods", program_id=program.pk)
    return render(
        request,
        "programs/period_edit.html",
        {"program": program, "period": period, "form": form, "tab": "periods"},
        status=400 if form.errors else 200,
    )


# --- Invitations -------------------------------------------------------------------------


@login_required
@submit_once("invitation")
def invitation_index(request: HttpRequest, program_id: int) -> HttpResponse:
    """Invite someone by email with a role; the program's invitations, newest first."""
    program = _managed(request, program_id)
    form = forms.InvitationForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                program=program, by=_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("program-invitations", program_id=program.pk)
    invitations = Invitation.objects.filter(program=program).select_related(
        "program", "accepted_by"
    )[:200]
    return render(
        request,
        "programs/invitations.html",
        {"program": program, "form": form, "invitations": invitations, "tab": "invitations"},
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, program_id: int, invitation_id: int) -> HttpResponse:
    program = _managed(request, program_id)
    invitation = get_object_or_404(Invitation.objects.filter(program=program), pk=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("program-invitations", program_id=program.pk)


def _refused(request: HttpRequest, refusal: services.InvitationRefused) -> HttpResponse:
    return render(
        request,
        "programs/invitation_refused.html",
        {"message": refusal.message},
        status=refusal.status,
    )


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens. Signed in with the invited email: join. Signed
    in as someone else: a clear refusal. Not signed in: sign in (any way), or, for an email
    without a password yet, choose a name and password here; either way the invitation is
    accepted as the person signs in."""
    try:
        invitation = services.invitation_from_token(token)
        if request.user.is_authenticated and invitation.accepted_by_id == request.user.pk:
            return redirect("home")
        services.invitation_check_usable(invitation)
    except services.InvitationRefused as refusal:
        return _refused(request, refusal)
    if request.user.is_authenticated:
        return _invitation_for_signed_in(request, invitation)
    request.session[services.PENDING_INVITATION] = token
    # A sign-up with this address needs no confirmation email: the link came through it.
    get_adapter(request).stash_verified_email(request, invitation.email)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    can_sign_in = existing is not None and existing.has_usable_password()
    form = forms.InvitationAccountForm(request.POST or None, initial={"name": invitation.name})
    if request.method == "POST" and not can_sign_in and form.is_valid():
        try:
            user = services.invitation_account_set_up(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password1"],
            )
        except services.InvitationRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            return redirect("home")
    return render(
        request,
        "programs/invitation.html",
        {"invitation": invitation, "form": form, "can_sign_in": can_sign_in},
        status=400 if form.errors else 200,
    )


def _invitation_for_signed_in(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    user = _user(request)
    if user.email.lower() != invitation.email.lower():
        return render(
            request,
            "programs/invitation_refused.html",
            {"message": services.invitation_mismatch_message(invitation, user), "sign_out": True},
            status=403,
        )
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=user)
        except services.InvitationRefused as refusal:
            return _refused(request, refusal)
        messages.success(request, services.invitation_welcome(invitation))
        return redirect("home")
    return render(request, "programs/invitation.html", {"invitation": invitation, "join": True})
