"""The template backend: Django's own, except that a page's context is taken apart once the
page is written.

Django's context and the dictionaries it holds point at each other (each pushed dictionary
keeps its context, so it can pop itself), so a rendered context is a reference cycle, and
everything a view handed its template (a dashboard's rows, a heatmap's cells) stayed alive
until the garbage collector's next pass instead of being freed as the page was sent. Those
objects then counted towards the collector's next young-generation pass: on the benchmark's
progress page, 0.9 passes a request at about 0.5 ms each (0.65 ms a request in the collector
in all), against 0.45 passes (0.29 ms) once the context is emptied (docs/programs.md, runs
of 8 December 2026).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.backends import django as django_backend
from django.template.context import make_context
from django.utils.safestring import SafeString


class Template(django_backend.Template):
    def render(
        self, context: dict[str, Any] | None = None, request: HttpRequest | None = None
    ) -> SafeString:
        made = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(made)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self.backend)
        finally:
            made.dicts.clear()  # breaks the cycle: the context and its values are freed now


class DjangoTemplates(django_backend.DjangoTemplates):
    """Configured as Django's backend is (settings.TEMPLATES); hands out `Template`."""

    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self)
