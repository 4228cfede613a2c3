from django.apps import AppConfig


class HandoversConfig(AppConfig):
    name = "handovers"
    verbose_name = "Handovers"
