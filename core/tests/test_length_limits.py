"""Text over a limit is refused with the limit and its length, never cut (core.forms)."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.forms import text_within
from portfolio.models import Goal


class _TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


def test_a_form_field_refuses_text_over_its_limit_saying_both_numbers():
    form = _TitleForm({"title": "x" * 231})
    assert not form.is_valid()
    assert form.errors["title"] == ["At most 200 characters (you wrote 231)."]
    assert 'maxlength="200"' in str(_TitleForm()["title"])


def test_text_within_keeps_text_at_the_limit_and_refuses_one_more():
    assert text_within("  " + "y" * 500 + " ", limit=500, field="reason") == "y" * 500
    with pytest.raises(ValidationError) as refused:
        text_within("y" * 1501, limit=1500, field="reason")
    assert refused.value.message_dict == {"reason": ["At most 1,500 characters (you wrote 1,501)."]}


@pytest.mark.django_db
def test_the_goal_page_refuses_a_long_title_and_keeps_what_was_written(client, learner):
    client.force_login(learner)
    data = {"title": "t" * 231, "measure": "m", "target_date": "2026-02-01", "status": "active"}
    response = client.post(reverse("goal-create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "At most 200 characters (you wrote 231)." in page
    assert "t" * 231 in page  # given back whole, to shorten
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_model_refuses_text_over_its_limit_in_the_same_words(learner):
    goal = Goal(learner=learner, title="t" * 201, measure="m", target_date="2026-02-01")
    with pytest.raises(ValidationError) as refused:
        goal.full_clean()
    assert refused.value.message_dict["title"] == ["At most 200 characters (you wrote 201)."]
