from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from notifications.zones import RESOLVERS
        from programs.receivers import invitation_accept_on_sign_in
        from programs.selectors import institution_time_zones

        user_logged_in.connect(invitation_accept_on_sign_in, dispatch_uid="programs.invitation")
        # Daily digests follow the clock of the person's institution.
        if institution_time_zones not in RESOLVERS:
            RESOLVERS.append(institution_time_zones)
