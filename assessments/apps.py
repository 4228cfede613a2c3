from django.apps import AppConfig

from programs.signals import enrollments_changed, review_period_dates_changed


class AssessmentsConfig(AppConfig):
    name = "assessments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assessments.summaries import periods, programs

        # Programs' enrollments and periods decide the period rating summary's cells.
        enrollments_changed.connect(
            periods.on_enrollments_changed, dispatch_uid="assessments_period_summaries"
        )
        # ... and, with training years, the overview's program summaries.
        enrollments_changed.connect(
            programs.on_enrollments_changed, dispatch_uid="assessments_program_summaries"
        )
        review_period_dates_changed.connect(
            periods.on_review_period_dates_changed, dispatch_uid="assessments_period_summaries"
        )
