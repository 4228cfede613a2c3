from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's own app is also labelled "Accounts" in the admin; keep the two apart.
    verbose_name = "People and API tokens"
    default_auto_field = "django.db.models.BigAutoField"
