from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Database plumbing and shared API helpers, below every domain app."""

    name = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from core.db import register_fast_timestamps, register_sqlite_median
        from core.forms import too_long_message_install

        too_long_message_install()

        connection_created.connect(register_sqlite_median, dispatch_uid="core_sqlite_median")
        connection_created.connect(register_fast_timestamps, dispatch_uid="core_fast_timestamps")
