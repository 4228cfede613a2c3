from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from programs.receivers import invitation_accept_on_sign_in

        user_logged_in.connect(invitation_accept_on_sign_in, dispatch_uid="programs.invitation")
