from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "portfolio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up

        from portfolio.receivers import stage_set_up_on_sign_up

        user_signed_up.connect(stage_set_up_on_sign_up, dispatch_uid="portfolio.signup_stage")
