"""Practice as a stage of its own: a learner whose training ended, or a physician who never
had a program, carries on with check-ins, goals, targets and recommendations by themself."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.services.checkins import CheckInInvalidError
from learning.ranking import rank_resources
from learning.tests.factories import LearningResourceFactory
from portfolio.dashboard import learner_dashboard, timeline_of
from portfolio.services import CheckInItem, checkin_record_with_evidence, goal_create
from portfolio.tests.factories import framework_with_tree
from programs.models import Enrollment, PracticeStage, PracticeTarget
from programs.services import (
    PracticeTargetsInvalidError,
    practice_start,
    practice_targets_set,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def check_in(learner, competency, level="3"):
    return checkin_record_with_evidence(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[CheckInItem(competency_id=competency.pk, level=level)],
    )


def targets_of(learner):
    return {
        t.competency.code: (t.level, t.floor)
        for t in PracticeTarget.objects.filter(stage__learner=learner).select_related("competency")
    }


def test_a_graduate_checks_in_and_sets_goals_again_once_they_continue_into_practice(
    graduate, framework, leaves
):
    with pytest.raises(CheckInInvalidError):
        check_in(graduate, leaves[0])
    with pytest.raises(ValidationError):
        goal_create(
            learner=graduate,
            title="Teach",
            measure="m",
            target_date=dt.date(2026, 12, 1),
            competency_ids=[leaves[0].pk],
        )

    stage, created = practice_start(
        learner=graduate, specialty="Hospital medicine", framework_ids=[framework.pk]
    )

    assert created and stage.start_date == dt.date(2026, 6, 30)
    checkin, _ = check_in(graduate, leaves[0])
    assert checkin.items.get().level == Decimal(3)
    goal = goal_create(
        learner=graduate,
        title="Teach",
        measure="m",
        target_date=dt.date(2026, 12, 1),
        competency_ids=[leaves[0].pk],
    )
    assert list(goal.competencies.all()) == [leaves[0]]


def test_targets_start_at_the_graduation_level_and_never_go_below_it(graduate, framework, leaves):
    stage, _ = practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])

    targets = targets_of(graduate)
    assert targets["D1.1"] == (Decimal("4.5"), Decimal("4.5"))  # the program's own level
    assert targets["D1.2"] == (Decimal(4), Decimal(4))  # the default at graduation
    with pytest.raises(PracticeTargetsInvalidError) as caught:
        practice_targets_set(stage=stage, levels={leaves[0].pk: "4", leaves[1].pk: "5"})
    assert caught.value.item_errors == {
        leaves[0].pk: ["At graduation you were expected at 4.5: a target does not go below that."]
    }
    assert targets_of(graduate)["D1.2"][0] == Decimal(4)  # nothing was written

    practice_targets_set(stage=stage, levels={leaves[0].pk: "5", leaves[1].pk: "4.5"})
    assert targets_of(graduate)["D1.1"][0] == Decimal(5)
    assert targets_of(graduate)["D1.2"][0] == Decimal("4.5")


def test_targets_must_be_on_the_scale_and_of_a_followed_framework(graduate, framework, leaves):
    stage, _ = practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])
    _, elsewhere = framework_with_tree(code="other")

    with pytest.raises(PracticeTargetsInvalidError) as caught:
        practice_targets_set(
            stage=stage, levels={leaves[1].pk: "4.3", leaves[2].pk: "x", elsewhere[0].pk: "4"}
        )

    assert set(caught.value.item_errors) == {leaves[1].pk, leaves[2].pk, elsewhere[0].pk}
    assert "Choose a level on the scale" in caught.value.item_errors[leaves[1].pk][0]


def test_expected_levels_do_not_drop_when_a_resident_graduates_into_practice(
    graduate, framework, leaves
):
    Enrollment.objects.filter(learner=graduate).update(end_date=None)
    before = {row.competency.code: row.expected for row in learner_dashboard(learner=graduate).rows}
    Enrollment.objects.filter(learner=graduate).update(end_date=dt.date(2026, 6, 30))
    assert learner_dashboard(learner=graduate).rows == []  # training over, nothing followed

    practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])

    after = {row.competency.code: row.expected for row in learner_dashboard(learner=graduate).rows}
    assert before["D1.1"] == after["D1.1"] == Decimal("4.5")
    assert before["D1.2"] == after["D1.2"] == Decimal(4)


def test_the_expected_trajectory_rises_through_training_and_holds_the_target(
    graduate, framework, leaves
):
    practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])
    dashboard = learner_dashboard(learner=graduate)

    line = dashboard.expected_trajectory(leaves[0])

    levels = [level for _, level in line]
    assert levels == sorted(levels)  # never drops
    assert line[0][0] == dt.date(2023, 7, 1)
    assert (dt.date(2024, 6, 30), Decimal(2)) in line  # end of year 1 of 3: the default
    assert line[-1] == (dt.date(2026, 6, 30), Decimal("4.5"))


def test_practice_does_not_start_while_training_is_open(learner, framework):
    with pytest.raises(ValidationError) as caught:
        practice_start(learner=learner, specialty="", framework_ids=[framework.pk])
    assert "training is still open" in caught.value.message_dict["__all__"][0]
    assert not PracticeStage.objects.exists()


def test_practice_start_names_every_problem_and_writes_nothing(graduate, framework):
    with pytest.raises(ValidationError) as caught:
        practice_start(
            learner=graduate,
            specialty="x" * 121,
            framework_ids=[framework.pk, 999999],
            start_date=dt.date(2026, 6, 1),
        )
    assert set(caught.value.message_dict) == {"specialty", "frameworks", "start_date"}
    with pytest.raises(ValidationError) as caught:
        practice_start(learner=graduate, specialty="", framework_ids=[])
    assert "at least one" in caught.value.message_dict["frameworks"][0]
    assert not PracticeStage.objects.exists()


def test_starting_practice_twice_keeps_one_stage(graduate, framework):
    first, created = practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])
    again, created_again = practice_start(
        learner=graduate, specialty="", framework_ids=[framework.pk]
    )
    assert created and not created_again and again.pk == first.pk
    assert PracticeStage.objects.count() == 1


def test_a_physician_without_any_program_follows_a_framework_on_their_own(at_year_end):
    framework, leaves = framework_with_tree(code="acgme-harmonized")
    physician = UserFactory(email="dr.own@example.org")

    stage, _ = practice_start(
        learner=physician, specialty="Family medicine", framework_ids=[framework.pk]
    )

    assert targets_of(physician)["D1.1"] == (Decimal(4), Decimal(1))
    practice_targets_set(stage=stage, levels={leaves[0].pk: "2"})  # their own choice
    check_in(physician, leaves[0], level="1.5")
    rows = {row.competency.code: row for row in learner_dashboard(learner=physician).rows}
    assert rows["D1.1"].expected == Decimal(2)
    assert rows["D1.1"].gap == Decimal("0.5")
    assert rows["D2.3"].expected == Decimal(4)


def test_recommendations_go_on_in_practice(graduate, framework, leaves):
    resource = LearningResourceFactory(competencies=[leaves[0]], stages=["cpd"])
    practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])
    check_in(graduate, leaves[0], level="2")

    ranked = rank_resources(learner=graduate)

    assert [item.resource for item in ranked] == [resource]
    assert ranked[0].standing.expected == Decimal("4.5")


def test_the_timeline_shows_practice_as_a_stage_and_the_chart_marks_its_start(graduate, framework):
    practice_start(learner=graduate, specialty="Hospital medicine", framework_ids=[framework.pk])

    stages = timeline_of(learner=graduate)
    assert [(s.stage, s.current) for s in stages] == [("gme", False), ("cpd", True)]
    assert stages[-1].program == "Practice · Hospital medicine"
    boundaries = learner_dashboard(learner=graduate).boundaries
    assert [(b.on, b.label) for b in boundaries] == [
        (dt.date(2026, 6, 30), "Practice / CPD starts")
    ]


@pytest.mark.parametrize("size", [2, 40])
def test_the_progress_page_in_practice_keeps_its_query_count(
    client, graduate, framework, leaves, size, django_assert_num_queries
):
    practice_start(learner=graduate, specialty="", framework_ids=[framework.pk])
    for day in range(size):
        checkin_record_with_evidence(
            learner=graduate,
            client_token=uuid.uuid4(),
            items=[CheckInItem(competency_id=c.pk, level="3") for c in leaves],
            assessed_on=dt.date(2026, 6, 30) - dt.timedelta(days=20 * day),
        )
    client.force_login(graduate)
    # The same eight as in training: session, user, the dashboard's five (enrollments,
    # competencies, programs' levels with practice targets and stages, ratings, timeline
    # entries), the person's roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        response = client.get(reverse("progress"))
    assert response.status_code == 200
    # 1 session, 2 user, then the dashboard's four.
    with django_assert_num_queries(6):
        assert client.get("/api/v1/me/dashboard/").status_code == 200


def test_the_practice_page_takes_a_graduate_into_practice(client, graduate, framework, leaves):
    client.force_login(graduate)
    page = client.get(reverse("practice")).content.decode()
    assert "Continue into practice" in page

    response = client.post(
        reverse("practice"), {"specialty": "Hospital medicine", "frameworks": [framework.pk]}
    )

    assert response.status_code == 302
    page = client.get(reverse("practice")).content.decode()
    assert "Practice · Hospital medicine" in page
    assert f'name="target-{leaves[0].pk}"' in page
    response = client.post(reverse("practice-targets"), {f"target-{leaves[0].pk}": "3"})
    assert response.status_code == 400
    assert "a target does not go below that" in response.content.decode()


def test_the_practice_page_tells_an_enrolled_learner_to_wait(client, learner):
    client.force_login(learner)
    assert "still enrolled" in client.get(reverse("practice")).content.decode()
    response = client.post(reverse("practice"), {"frameworks": []})
    assert response.status_code == 400


def test_the_practice_api_starts_reads_and_sets_targets(client, graduate, framework, leaves):
    client.force_login(graduate)
    assert client.get("/api/v1/me/practice/").status_code == 404

    body = {"specialty": "Hospital medicine", "frameworks": [framework.pk]}
    response = client.post("/api/v1/me/practice/", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["frameworks"][0]["code"] == framework.code
    again = client.post("/api/v1/me/practice/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]

    targets = client.get("/api/v1/me/practice/targets/").json()
    first = next(t for t in targets if t["competency"]["id"] == leaves[0].pk)
    assert first["level"] == "4.5" and first["graduation_level"] == "4.5"
    put = client.put(
        "/api/v1/me/practice/targets/",
        {"targets": [{"competency": leaves[0].pk, "level": "5.0"}]},
        content_type="application/json",
    )
    assert put.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"frameworks": []}, "frameworks"),
        ({"frameworks": ["x"]}, "frameworks"),
        ({"frameworks": [999999]}, "frameworks"),
        ({"frameworks": "1"}, "frameworks"),
        ({"specialty": "x" * 500}, "specialty"),
        ({"start_date": "tomorrow"}, "start_date"),
    ],
)
def test_the_practice_api_answers_bad_input_with_400(client, graduate, framework, body, field):
    client.force_login(graduate)
    payload = {"frameworks": [framework.pk], **body}
    response = client.post("/api/v1/me/practice/", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not PracticeStage.objects.exists()


def test_the_targets_api_refuses_a_level_below_graduation(client, graduate, framework, leaves):
    client.force_login(graduate)
    client.post(
        "/api/v1/me/practice/", {"frameworks": [framework.pk]}, content_type="application/json"
    )
    for targets in (
        [{"competency": leaves[0].pk, "level": "1.0"}],
        [{"competency": leaves[0].pk, "level": "abc"}],
        [],
        "nope",
    ):
        response = client.put(
            "/api/v1/me/practice/targets/", {"targets": targets}, content_type="application/json"
        )
        assert response.status_code == 400, targets
        assert "detail" in response.json()
    assert targets_of(graduate)["D1.1"][0] == Decimal("4.5")
