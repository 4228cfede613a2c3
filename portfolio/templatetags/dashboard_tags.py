"""Filters for the learner's dashboard page (home.html); the work is in portfolio.dashboard_html."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from frameworks.models import Competency
from portfolio import dashboard_html
from portfolio.dashboard import Dashboard, FrameworkSection

register = template.Library()


@register.filter
def levels_table(section: FrameworkSection) -> SafeString:
    return dashboard_html.levels_table_html(section)


@register.filter
def trajectory_table(dashboard: Dashboard, competency: Competency | None = None) -> SafeString:
    return dashboard_html.trajectory_table_html(dashboard, competency)


@register.filter
def figure_script(figure: dict[str, Any], element_id: str) -> SafeString:
    """Like `json_script`, for the large figure dicts of the dashboard."""
    return dashboard_html.figure_script(figure, element_id)
