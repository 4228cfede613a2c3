from django.apps import AppConfig


class HandoversConfig(AppConfig):
    name = "handovers"
    verbose_name = "Handovers"

    def ready(self) -> None:
        from handovers.archive import register

        # Sent handovers travel in the portable archive (portfolio's exporter).
        register()
