"""Pages with one large fragment of HTML built outside the template engine."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

_SLOT = "<!--continuum-fragment-->"


def render_with_fragment(
    request: HttpRequest, template: str, context: dict[str, Any], *, name: str, fragment: SafeString
) -> HttpResponse:
    """Like `render()`, with `fragment` in `{{ <name> }}`. The fragment's bytes are spliced into
    the rendered page rather than passed through every nested template block and a second
    encoding pass: for the heatmap's half a megabyte of cells that costs more than the
    database's work (measured by `make bench`). `fragment` must already be safe HTML."""
    slot = mark_safe(_SLOT)  # noqa: S308 — a constant comment
    page = render_to_string(template, {**context, name: slot}, request)
    before, found, after = page.partition(_SLOT)
    if not found:  # the template showed no fragment (no period, no rows)
        return HttpResponse(page.encode())
    return HttpResponse(b"".join((before.encode(), fragment.encode(), after.encode())))
