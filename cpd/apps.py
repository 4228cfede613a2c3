from django.apps import AppConfig


class CpdConfig(AppConfig):
    name = "cpd"
    verbose_name = "Practice and CPD"
