from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coaching.archive import register

        # Threads and meetings travel in the portable archive (portfolio's exporter).
        register()
