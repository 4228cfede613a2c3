"""Check-in pages: the phone-first form, double submits and bad input, the history."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import CheckIn, SelfAssessment
from assessments.services.checkins import (
    SelfAssessmentInput,
    checkin_record,
)
from portfolio.tests.factories import EvidenceFactory, framework_with_tree

pytestmark = pytest.mark.django_db


def test_the_check_in_page_shows_every_ratable_item_with_half_levels_and_descriptors(
    client, learner, framework, leaves
):
    client.force_login(learner)
    response = client.get(reverse("checkin-form", args=[framework.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for leaf in leaves:
        assert f'name="level-{leaf.pk}"' in html
    assert html.count('type="radio"') == len(leaves) * 11  # 0, 0.5 … 5
    assert "Looks like level 3" in html
    assert 'name="client_token"' in html
    assert "Private" in html


def test_the_start_page_goes_straight_to_the_only_framework(client, learner, framework):
    client.force_login(learner)
    response = client.get(reverse("checkin-start"))
    assert response.status_code == 302
    assert response["Location"] == reverse("checkin-form", args=[framework.pk])


def test_one_sub_competency_can_be_checked_in_alone(client, learner, framework, leaves):
    client.force_login(learner)
    url = reverse("checkin-form", args=[framework.pk]) + f"?competency={leaves[2].pk}"
    html = client.get(url).content.decode()
    assert f'name="level-{leaves[2].pk}"' in html
    assert f'name="level-{leaves[0].pk}"' not in html


def test_posting_the_page_records_the_rated_items_and_skips_the_rest(
    client, learner, framework, leaves
):
    client.force_login(learner)
    token = str(uuid.uuid4())
    response = client.post(
        reverse("checkin-form", args=[framework.pk]),
        {
            "client_token": token,
            f"level-{leaves[0].pk}": "1.5",
            f"level-{leaves[3].pk}": "3",
            f"note-{leaves[3].pk}": "Good week",
        },
    )
    checkin = CheckIn.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('checkin-detail', args=[checkin.pk])}?saved={token}"
    assert sorted((sa.competency_id, sa.level, sa.note) for sa in checkin.items.all()) == [
        (leaves[0].pk, Decimal("1.5"), ""),
        (leaves[3].pk, Decimal("3"), "Good week"),
    ]
    assert checkin.framework == framework


def test_a_double_submitted_page_creates_one_check_in(client, learner, framework, leaves):
    client.force_login(learner)
    data = {"client_token": str(uuid.uuid4()), f"level-{leaves[0].pk}": "2"}
    first = client.post(reverse("checkin-form", args=[framework.pk]), data)
    second = client.post(reverse("checkin-form", args=[framework.pk]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert CheckIn.objects.count() == 1
    assert SelfAssessment.objects.count() == 1


def test_a_tampered_level_gets_a_400_with_the_message_next_to_the_item(
    client, learner, framework, leaves
):
    client.force_login(learner)
    response = client.post(
        reverse("checkin-form", args=[framework.pk]),
        {
            "client_token": str(uuid.uuid4()),
            f"level-{leaves[0].pk}": "9",
            f"level-{leaves[1].pk}": "2",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="errors-{leaves[0].pk}"' in html
    assert "Level 9 is not on the" in html
    # What was posted is shown again, and nothing was saved.
    assert (
        f'name="level-{leaves[1].pk}" id="level-{leaves[1].pk}-5" value="2" '
        'data-text="Looks like level 2" checked'
    ) in html
    assert not CheckIn.objects.exists()


def test_a_note_without_a_level_asks_for_a_level(client, learner, framework, leaves):
    client.force_login(learner)
    response = client.post(
        reverse("checkin-form", args=[framework.pk]),
        {"client_token": str(uuid.uuid4()), f"note-{leaves[0].pk}": "A note"},
    )
    assert response.status_code == 400
    assert "Pick a level to save this note." in response.content.decode()


def test_a_missing_client_token_gets_a_400(client, learner, framework, leaves):
    client.force_login(learner)
    response = client.post(
        reverse("checkin-form", args=[framework.pk]), {f"level-{leaves[0].pk}": "2"}
    )
    assert response.status_code == 400
    assert not CheckIn.objects.exists()


def test_a_framework_the_learner_does_not_use_is_a_404(client, learner, framework):
    other, _ = framework_with_tree(code="other-fw")
    client.force_login(learner)
    assert client.get(reverse("checkin-form", args=[other.pk])).status_code == 404


def test_the_page_shows_the_last_level(client, learner, framework, leaves):
    checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "3.5")]
    )
    client.force_login(learner)
    html = client.get(reverse("checkin-form", args=[framework.pk])).content.decode()
    assert "Last time: <strong>3.5</strong>" in html


def test_nobody_else_opens_a_learners_check_in(client, learner, coach, leaves):
    checkin, _ = checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "3")]
    )
    client.force_login(coach)
    assert client.get(reverse("checkin-detail", args=[checkin.pk])).status_code == 404


def test_an_evidence_id_that_is_not_a_number_gets_a_400_next_to_the_item(
    client, learner, framework, leaves
):
    client.force_login(learner)
    url = reverse("checkin-form", args=[framework.pk]) + f"?competency={leaves[0].pk}"
    response = client.post(
        url,
        {
            "client_token": str(uuid.uuid4()),
            f"level-{leaves[0].pk}": "2",
            f"evidence-{leaves[0].pk}": "x",
        },
    )
    assert response.status_code == 400
    assert "Choose items from the list." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_evidence_of_another_learner_on_the_page_gets_a_400_and_nothing_is_saved(
    client, learner, other_learner, framework, leaves
):
    theirs = EvidenceFactory(learner=other_learner)
    client.force_login(learner)
    url = reverse("checkin-form", args=[framework.pk]) + f"?competency={leaves[0].pk}"
    response = client.post(
        url,
        {
            "client_token": str(uuid.uuid4()),
            f"level-{leaves[0].pk}": "2",
            f"evidence-{leaves[0].pk}": str(theirs.pk),
        },
    )
    assert response.status_code == 400
    assert "Link only evidence from your own portfolio." in response.content.decode()
    assert not CheckIn.objects.exists()
