from django.apps import AppConfig


class CaselogConfig(AppConfig):
    name = "caselog"
    verbose_name = "Procedure and case log"
