from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib.admin import AdminSite


def protect_admin_login(site: AdminSite) -> None:
    """Route the admin's login through allauth, so its rate limits and MFA apply."""
    site.login = secure_admin_login(site.login)  # type: ignore[method-assign]
