"""Check-ins: the service rules, the phone-first page, idempotency and history."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import CheckIn, SelfAssessment
from assessments.services.checkins import CheckInInvalidError, CheckInTokenConflictError, SelfAssessmentInput, checkin_record
from portfolio.services import CheckInItem, checkin_record_with_evidence
from portfolio.tests.factories import EvidenceFactory, framework_with_tree

pytestmark = pytest.mark.django_db


def test_a_check_in_records_one_dated_self_assessment_per_item(learner, leaves):
    checkin, created = checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[
            SelfAssessmentInput(leaves[0].pk, "2.5", "Ran the team huddle"),
            SelfAssessmentInput(leaves[1].pk, Decimal("3")),
        ],
    )
    assert created
    rows = {sa.competency_id: sa for sa in checkin.items.all()}
    assert rows[leaves[0].pk].level == Decimal("2.5")
    assert rows[leaves[0].pk].note == "Ran the team huddle"
    assert rows[leaves[1].pk].level == Decimal("3")
    assert all(sa.learner == learner for sa in rows.values())


def test_a_later_check_in_adds_to_history_and_never_overwrites(learner, leaves):
    checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "3")]
    )
    levels = sorted(
        SelfAssessment.objects.filter(competency=leaves[0]).values_list("level", flat=True)
    )
    assert levels == [Decimal("2"), Decimal("3")]
    assert CheckIn.objects.count() == 2


def test_the_same_client_token_twice_records_one_check_in(learner, leaves):
    token = uuid.uuid4()
    first, created_first = checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    second, created_second = checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "4")]
    )
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert SelfAssessment.objects.count() == 1


def test_someone_elses_client_token_is_a_conflict(learner, other_learner, leaves):
    token = uuid.uuid4()
    checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    with pytest.raises(CheckInTokenConflictError):
        checkin_record(learner=other_learner, client_token=token, items=[])


@pytest.mark.parametrize("level", ["2.3", "5.5", "-1", "abc", "NaN", "Infinity", ""])
def test_a_level_not_on_the_scale_is_refused_and_nothing_is_written(learner, leaves, level):
    with pytest.raises(CheckInInvalidError) as error:
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[
                SelfAssessmentInput(leaves[0].pk, "2"),
                SelfAssessmentInput(leaves[1].pk, level),
            ],
        )
    assert leaves[1].pk in error.value.item_errors
    assert "not on the" in error.value.item_errors[leaves[1].pk][0]
    assert not CheckIn.objects.exists()
    assert not SelfAssessment.objects.exists()


def test_a_competency_from_a_framework_the_learner_does_not_use_is_refused(learner, leaves):
    _, foreign = framework_with_tree(code="other-fw")
    with pytest.raises(CheckInInvalidError) as error:
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[SelfAssessmentInput(foreign[0].pk, "2")],
        )
    assert "not one you can rate" in error.value.item_errors[foreign[0].pk][0]
    assert not SelfAssessment.objects.exists()


def test_a_domain_is_not_ratable(learner, leaves):
    domain = leaves[0].parent
    with pytest.raises(CheckInInvalidError):
        checkin_record(
            learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(domain.pk, "2")]
        )


def test_a_former_programs_framework_is_no_longer_in_use(learner, program, leaves):
    learner.enrollments.update(end_date="2025-06-30")
    with pytest.raises(CheckInInvalidError):
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[SelfAssessmentInput(leaves[0].pk, "2")],
        )


def test_evidence_of_another_learner_cannot_be_linked(learner, other_learner, leaves):
    theirs = EvidenceFactory(learner=other_learner)
    with pytest.raises(CheckInInvalidError) as refused:
        checkin_record_with_evidence(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[CheckInItem(leaves[0].pk, "2", evidence_ids=[theirs.pk])],
        )
    assert refused.value.item_errors == {leaves[0].pk: ["Link only evidence from your own portfolio."]}
    assert not SelfAssessment.objects.exists()


def test_own_evidence_is_linked_to_the_self_assessment(learner, leaves):
    mine = EvidenceFactory(learner=learner)
    checkin, _ = checkin_record_with_evidence(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[CheckInItem(leaves[0].pk, "2", evidence_ids=[mine.pk])],
    )
    assert list(checkin.items.get().evidence.all()) == [mine]


def test_an_empty_check_in_is_refused(learner, leaves):
    with pytest.raises(CheckInInvalidError):
        checkin_record(learner=learner, client_token=uuid.uuid4(), items=[])


# --- The page ---------------------------------------------------------------------------------


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


@pytest.mark.parametrize("size", [10, 1000])
def test_the_check_in_list_runs_a_fixed_number_of_queries(
    client, learner, leaves, size, django_assert_num_queries
):
    checkins = CheckIn.objects.bulk_create(
        CheckIn(learner=learner, client_token=uuid.uuid4()) for _ in range(size)
    )
    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            competency=leaves[i % len(leaves)],
            level=Decimal("2"),
            assessed_on="2025-09-01",
            checkin=c,
        )
        for i, c in enumerate(checkins)
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 count, 5 page of check-ins, 6 their items,
    # 7 frameworks in use, 8 active grants (who can see this)
    with django_assert_num_queries(8):
        response = client.get(reverse("checkin-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("per_domain", [2, 20])
def test_the_check_in_page_runs_a_fixed_number_of_queries(
    client, learner, program, per_domain, django_assert_num_queries
):
    framework, _ = framework_with_tree(code="big", per_domain=per_domain)
    program.frameworks.add(framework)
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 framework in use, 5 competencies with last
    # levels, 6 their descriptors, 7 scale levels, 8 active grants
    with django_assert_num_queries(8):
        response = client.get(reverse("checkin-form", args=[framework.pk]))
    assert response.status_code == 200
