"""URLs reversed once per kind (`core.reversing`) are the URLs `reverse` gives for each id."""

from __future__ import annotations

from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from core.reversing import url_by_id


def test_a_url_by_id_is_the_reversed_url_of_every_id():
    evidence_url = url_by_id("evidence-detail")
    for pk in (1, 42, 987654320, 10**12):
        assert evidence_url(pk) == reverse("evidence-detail", args=[pk])


def test_a_url_by_id_follows_the_script_prefix_it_is_served_under():
    try:
        set_script_prefix("/continuum/")
        under_prefix = url_by_id("evidence-detail")(7)
    finally:
        set_script_prefix("/")
    assert under_prefix == "/continuum" + reverse("evidence-detail", args=[7])
    assert url_by_id("evidence-detail")(7) == reverse("evidence-detail", args=[7])


def test_the_url_with_id_filter_writes_what_the_url_tag_writes():
    template = Template(
        "{% load core_tags %}{{ pk|url_with_id:'checkin-form' }}|{% url 'checkin-form' pk %}"
    )
    ours, djangos = template.render(Context({"pk": 5})).split("|")
    assert ours == djangos == reverse("checkin-form", args=[5])
