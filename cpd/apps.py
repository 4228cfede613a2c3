from django.apps import AppConfig


class CpdConfig(AppConfig):
    name = "cpd"
    verbose_name = "Practice and CPD"

    def ready(self) -> None:
        from cpd.archive import register

        # The diary and cycles travel in the portable archive (portfolio's exporter).
        register()
