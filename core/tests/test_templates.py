"""The template backend (core.templates) renders as Django's does and leaves no reference
cycle behind: what a page was given is freed when the page is written, without the
garbage collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.template import TemplateDoesNotExist, engines
from django.template.backends.django import DjangoTemplates as DjangosBackend
from django.test import RequestFactory

from core.templates import DjangoTemplates


class _Rows:
    def __str__(self) -> str:
        return "three rows"


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _request() -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return request


def test_the_configured_backend_is_ours():
    assert isinstance(engines["django"], DjangoTemplates)


@pytest.mark.usefixtures("collector_off")
def test_what_a_page_was_given_is_freed_once_it_is_written():
    rows = _Rows()
    given = weakref.ref(rows)
    page = engines["django"].from_string("<p>{{ rows }}</p>")
    assert page.render({"rows": rows}, request=_request()) == "<p>three rows</p>"
    del rows
    assert given() is None


@pytest.mark.usefixtures("collector_off")
def test_djangos_own_backend_keeps_it_until_the_collector_runs():
    """The reason for ours: without it the same render leaves a cycle (this fails if Django
    ever stops making one, and `core.templates` can go)."""
    django_own = DjangosBackend({"NAME": "plain", "DIRS": [], "APP_DIRS": False, "OPTIONS": {}})
    rows = _Rows()
    given = weakref.ref(rows)
    django_own.from_string("<p>{{ rows }}</p>").render({"rows": rows}, request=_request())
    del rows
    assert given() is not None
    gc.collect()
    assert given() is None


def test_a_missing_template_is_reported_by_our_backend():
    with pytest.raises(TemplateDoesNotExist) as raised:
        engines["django"].get_template("no/such/page.html")
    assert raised.value.backend is engines["django"]


def test_a_page_from_a_file_renders_with_the_context_processors():
    page = engines["django"].get_template("_pagination.html")
    html = page.render({"page": Paginator(range(30), 10).page(2)}, request=_request())
    assert "Page 2 of 3" in html
    tagged = engines["django"].from_string("{{ request.path }} {{ user.is_authenticated }}")
    assert tagged.render({}, request=_request()) == "/ False"
