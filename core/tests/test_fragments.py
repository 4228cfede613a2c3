"""`RememberedFragment`: a fragment rendered once per distinct set of values, its CSRF field
each request's own."""

from __future__ import annotations

from unittest import mock

import pytest
from django.middleware.csrf import get_token
from django.template import Context
from django.test import RequestFactory, override_settings

from core import fragments
from core.fragments import RememberedFragment

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "greeting.html": "<p>Hello {{ name }} at {{ link }}</p><form>{{ csrf_input }}</form>"
                    },
                )
            ],
        },
    }
]


def _context() -> Context:
    """A page's context as a template tag meets it: with the request's CSRF token."""
    return Context({"csrf_token": get_token(RequestFactory().get("/"))})


@override_settings(TEMPLATES=TEMPLATES, DEBUG=False)
def test_a_fragment_is_rendered_once_per_set_of_values_and_shows_them():
    fragment = RememberedFragment("greeting.html")
    with mock.patch.object(fragments, "get_template", wraps=fragments.get_template) as loads:
        first = fragment.render(_context(), {"name": "Ada"}, fixed={"link": "/home/"})
        again = fragment.render(_context(), {"name": "Ada"}, fixed={"link": "/home/"})
        other = fragment.render(_context(), {"name": "Grace"}, fixed={"link": "/home/"})
    assert loads.call_count == 2
    assert first.startswith("<p>Hello Ada at /home/</p>") and "Grace" in other
    assert again.split("<form>")[0] == first.split("<form>")[0]
    assert len(fragment) == 2


@override_settings(TEMPLATES=TEMPLATES, DEBUG=False)
def test_each_request_gets_its_own_csrf_field():
    fragment = RememberedFragment("greeting.html")
    first = fragment.render(_context(), {"name": "Ada"}, fixed={})
    again = fragment.render(_context(), {"name": "Ada"}, fixed={})
    assert 'name="csrfmiddlewaretoken"' in first and 'name="csrfmiddlewaretoken"' in again
    assert first != again  # a masked token differs per response
    assert "<!--csrf-input-->" not in first + again


@override_settings(TEMPLATES=TEMPLATES, DEBUG=False)
def test_a_value_cannot_open_a_hole_for_the_csrf_field():
    fragment = RememberedFragment("greeting.html")
    text = fragment.render(_context(), {"name": "<!--csrf-input-->"}, fixed={})
    assert text.count("csrfmiddlewaretoken") == 1
    assert "&lt;!--csrf-input--&gt;" in text


@override_settings(TEMPLATES=TEMPLATES, DEBUG=False)
def test_the_least_recently_used_fragment_goes_first_when_full():
    fragment = RememberedFragment("greeting.html", size=2)
    for name in ("Ada", "Grace", "Ada", "Hedy"):
        fragment.render(_context(), {"name": name}, fixed={})
    assert len(fragment) == 2
    with mock.patch.object(fragments, "get_template", wraps=fragments.get_template) as loads:
        fragment.render(_context(), {"name": "Ada"}, fixed={})  # kept: used after Grace
        fragment.render(_context(), {"name": "Grace"}, fixed={})  # dropped
    assert loads.call_count == 1


@override_settings(TEMPLATES=TEMPLATES, DEBUG=True)
def test_nothing_is_kept_while_debugging():
    fragment = RememberedFragment("greeting.html")
    fragment.render(_context(), {"name": "Ada"}, fixed={})
    assert len(fragment) == 0


@pytest.mark.parametrize("prefix", ["/", "/portfolio/"])
@override_settings(TEMPLATES=TEMPLATES, DEBUG=False)
def test_the_script_prefix_is_part_of_the_key(prefix):
    fragment = RememberedFragment("greeting.html")
    with mock.patch("core.fragments.get_script_prefix", return_value=prefix):
        fragment.render(_context(), {"name": "Ada"}, fixed={"link": f"{prefix}home/"})
    with mock.patch("core.fragments.get_script_prefix", return_value="/elsewhere/"):
        text = fragment.render(_context(), {"name": "Ada"}, fixed={"link": "/elsewhere/home/"})
    assert "/elsewhere/home/" in text and len(fragment) == 2
