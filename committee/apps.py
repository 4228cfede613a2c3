from django.apps import AppConfig

from programs.signals import review_period_dates_changing


class CommitteeConfig(AppConfig):
    """Committee review: reviews, consensus and sign-off, packets, heatmap, flags, reports."""

    name = "committee"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from committee.archive import register
        from committee.services import refuse_new_dates_after_consensus

        # Signed-off reviews and decisions travel in the portable archive.
        register()

        review_period_dates_changing.connect(
            refuse_new_dates_after_consensus, dispatch_uid="committee_period_dates"
        )
