"""Fragments of a page that many requests render alike, rendered once per process for each
distinct set of values they show (`RememberedFragment`).

Why: the site header is half of an HTML page's template time (0.64 of 1.3 ms on the progress
page, 7 December): some sixty nodes of links and flags that are the same for every page a
person opens in the same part of the site. A remembered copy costs a lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from functools import cache
from threading import Lock
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

# Where a request's own CSRF field goes. A value a template writes cannot contain it: every
# `<` the fragment's values hold is escaped.
_CSRF_HOLE = mark_safe("<!--csrf-input-->")


@cache
def _csrf_field() -> Template:
    """Django's own `{% csrf_token %}` (built on first use: the engine loads the tag libraries
    that import this module)."""
    return Engine.get_default().from_string("{% csrf_token %}")


class RememberedFragment:
    """`template_name` rendered with only the values given, never the request's context, and
    remembered by them: what it shows is a function of those values (and of the script
    prefix, also in the key), so a remembered copy is what rendering again would give.

    `fixed` values are what the fragment needs that the key already decides (the navigation's
    links, fixed per script prefix): they are passed, not compared. The CSRF field is never
    remembered (a masked token must differ per response): the fragment writes
    `{{ csrf_input }}` and each request's own field goes in its place. At most `size`
    fragments are kept, the least recently used dropped first. With DEBUG on nothing is kept,
    so an edited template shows at once."""

    def __init__(self, template_name: str, size: int = 1024) -> None:
        self._template_name = template_name
        self._size = size
        self._kept: OrderedDict[tuple[Hashable, ...], str] = OrderedDict()
        self._lock = Lock()

    def render(
        self,
        context: Context,
        values: Mapping[str, Hashable],
        fixed: Mapping[str, Any],
    ) -> SafeString:
        key = (get_script_prefix(), *values.items())
        with self._lock:
            text = self._kept.get(key)
            if text is not None:
                self._kept.move_to_end(key)
        if text is None:
            text = get_template(self._template_name).render(
                {**fixed, **values, "csrf_input": _CSRF_HOLE}
            )
            if not settings.DEBUG:
                self._keep(key, text)
        if _CSRF_HOLE not in text:
            return mark_safe(text)  # noqa: S308 — rendered by the template engine, escaped
        field = _csrf_field().render(context)
        return mark_safe(text.replace(_CSRF_HOLE, field))  # noqa: S308 — both rendered, escaped

    def _keep(self, key: tuple[Hashable, ...], text: str) -> None:
        with self._lock:
            self._kept[key] = text
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
