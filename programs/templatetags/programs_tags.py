from __future__ import annotations

from decimal import Decimal

from django import template

from programs.context_processors import tab_urls

register = template.Library()


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
