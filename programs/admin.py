from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Institution,
    InstitutionRole,
    Program,
    ProgramRole,
)
from programs.services import institution_role_grant, institution_role_revoke
from programs.signals import enrollments_changed


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "program_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Institution]:
        return super().get_queryset(request).annotate(n_programs=Count("programs"))

    @admin.display(description="Programs", ordering="n_programs")
    def program_count(self, obj: Any) -> int:
        return int(obj.n_programs)


@admin.register(InstitutionRole)
class InstitutionRoleAdmin(admin.ModelAdmin):
    """Institution administrators: granted and revoked here (recorded in the audit log); a
    grant is never edited, only revoked and granted again."""

    list_display = ("user", "institution", "role")
    list_filter = ("institution", "role")
    list_select_related = ("user", "institution")
    search_fields = ("user__email", "institution__name")
    autocomplete_fields = ("user",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: InstitutionRole, form: Any, change: bool
    ) -> None:
        held = institution_role_grant(
            institution=obj.institution,
            user=obj.user,
            role=obj.role,
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = held.pk

    def delete_model(self, request: HttpRequest, obj: InstitutionRole) -> None:
        institution_role_revoke(institution_role=obj, by=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[InstitutionRole]) -> None:
        for held in queryset.select_related("user", "institution"):
            institution_role_revoke(institution_role=held, by=request.user)  # type: ignore[arg-type]


class CohortInline(admin.TabularInline):
    model = Cohort
    fields = ("name", "start_year")
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "institution",
        "stage",
        "specialty",
        "duration_years",
        "framework_codes",
    )
    list_filter = ("stage", "institution")
    list_select_related = ("institution",)
    search_fields = ("name", "slug", "specialty", "institution__name")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("frameworks",)
    inlines = (CohortInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Program]:
        return super().get_queryset(request).prefetch_related("frameworks")

    @admin.display(description="Frameworks")
    def framework_codes(self, obj: Program) -> str:
        return ", ".join(f"{f.code} {f.version}" for f in obj.frameworks.all())


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "start_year", "learner_count")
    list_filter = ("program",)
    list_select_related = ("program",)
    search_fields = ("name", "program__name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cohort]:
        return super().get_queryset(request).annotate(n_learners=Count("enrollments"))

    @admin.display(description="Learners", ordering="n_learners")
    def learner_count(self, obj: Any) -> int:
        return int(obj.n_learners)


class EnrollmentStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("current", "Current"), ("ended", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "current":
            return queryset.filter(end_date__isnull=True)
        if self.value() == "ended":
            return queryset.filter(end_date__isnull=False)
        return queryset


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("learner", "program", "cohort", "year", "start_date", "end_date")
    list_filter = (EnrollmentStatusFilter, "program", "training_year")
    list_select_related = ("learner", "program", "cohort__program")
    search_fields = ("learner__email", "learner__display_name", "program__name", "cohort__name")
    autocomplete_fields = ("learner", "cohort")
    date_hierarchy = "start_date"

    @admin.display(description="Year", ordering="training_year")
    def year(self, obj: Enrollment) -> str:
        return obj.year_label

    # Enrollments decide whose ratings count in a program's periods: announce it when an admin
    # adds, moves or deletes one, so the period rating summary stays exact (services do the same).
    def save_model(self, request: Any, obj: Enrollment, form: Any, change: bool) -> None:
        before = (
            Enrollment.objects.filter(pk=obj.pk).values_list("learner_id", "program_id").first()
        )
        super().save_model(request, obj, form, change)
        pairs = {(obj.learner_id, obj.program_id)} | ({before} if before else set())
        for learner_id, program_id in pairs:
            enrollments_changed.send(
                sender=Enrollment, learner_ids=[learner_id], program_id=program_id
            )

    def delete_model(self, request: Any, obj: Enrollment) -> None:
        super().delete_model(request, obj)
        enrollments_changed.send(
            sender=Enrollment, learner_ids=[obj.learner_id], program_id=obj.program_id
        )

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        pairs = set(queryset.values_list("learner_id", "program_id"))
        super().delete_queryset(request, queryset)
        for learner_id, program_id in pairs:
            enrollments_changed.send(
                sender=Enrollment, learner_ids=[learner_id], program_id=program_id
            )


@admin.register(ProgramRole)
class ProgramRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "program")
    list_filter = ("role", "program")
    list_select_related = ("user", "program")
    search_fields = ("user__email", "user__display_name", "program__name")
    autocomplete_fields = ("user",)


@admin.register(Expectation)
class ExpectationAdmin(admin.ModelAdmin):
    list_display = ("program", "competency", "training_year", "level")
    list_filter = ("program", "training_year")
    list_select_related = ("program", "competency")
    search_fields = ("competency__code", "competency__title", "program__name")
    raw_id_fields = ("competency",)
