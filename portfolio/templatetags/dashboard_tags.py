"""The progress page's levels table (portfolio.dashboard_html writes it)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from portfolio import dashboard_html
from portfolio.dashboard import FrameworkSection

register = template.Library()


@register.filter
def levels_table(section: FrameworkSection) -> SafeString:
    return dashboard_html.levels_table_html(section)
