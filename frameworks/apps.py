from django.apps import AppConfig


class FrameworksConfig(AppConfig):
    name = "frameworks"
    default_auto_field = "django.db.models.BigAutoField"
