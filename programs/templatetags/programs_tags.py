from __future__ import annotations

from decimal import Decimal
from functools import cache

from django import template
from django.utils.safestring import SafeString

from core.fragments import RememberedFragment
from programs.context_processors import tab_urls

register = template.Library()

_SITE_HEADER = RememberedFragment("_site_header.html")


@cache
def _section_menu(template_name: str) -> RememberedFragment:
    return RememberedFragment(template_name)


@register.filter
def level(value: float | Decimal | None) -> str:
    """A level or median as people write it: 2, 2.5, 2.25 — never 2.50 or 2.0."""
    if value is None or value == "":
        return ""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


@register.simple_tag
def program_tab_urls(program_id: int) -> dict[str, str]:
    """The links of a program's tabs (`programs/_nav.html`), by tab."""
    return tab_urls(program_id)


@register.simple_tag(takes_context=True)
def site_header(context: template.Context, observations_current: bool = False) -> SafeString:
    """The site header (`_site_header.html`) for the person and page shown: the sections
    their roles open, the one they are in, their name and unread count. Rendered once per
    process for each such set of values (`core.fragments`); the links are fixed per script
    prefix, which the fragment's key holds."""
    user = context.get("user")
    authenticated = user is not None and bool(user.is_authenticated)
    # A context without the unread counter (no request) shows none, as the template did.
    counter = context.get("nav_unread")
    values = {
        "authenticated": authenticated,
        "user_name": user.name if user is not None and authenticated else "",
        "nav_section": context.get("nav_section", ""),
        "nav_is_assessor": bool(context.get("nav_is_assessor")),
        "nav_leads_program": bool(context.get("nav_leads_program")),
        "nav_is_admin": bool(context.get("nav_is_admin")),
        "unread": counter.count if authenticated and counter is not None else 0,
        "observations_current": observations_current,
    }
    return _SITE_HEADER.render(context, values, fixed={"nav_urls": context.get("nav_urls", {})})


@register.simple_tag(takes_context=True)
def section_menu(context: template.Context, template_name: str) -> SafeString:
    """A menu that shows only the navigation's links and marks the entry of the page shown
    (`portfolio/_subnav.html`: sixteen links), rendered once per process for each section."""
    return _section_menu(template_name).render(
        context,
        {"nav_section": context.get("nav_section", "")},
        fixed={"nav_urls": context.get("nav_urls", {})},
    )
