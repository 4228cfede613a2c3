from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from programs.dbfunctions import register_sqlite_median

        connection_created.connect(register_sqlite_median, dispatch_uid="programs_sqlite_median")
