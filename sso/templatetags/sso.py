from __future__ import annotations

from django import template

from sso.selectors import providers_enabled
from sso.socialapps import login_url

register = template.Library()


@register.simple_tag
def sso_sign_in_choices() -> list[dict[str, str]]:
    """The enabled identity providers as sign-in buttons: label and where the button posts."""
    return [
        {
            "name": provider.name,
            "institution": provider.institution.name,
            "url": login_url(provider),
        }
        for provider in providers_enabled()
    ]
