"""Observation pages: the request form, the one-minute form, records, inbox and lists."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentRequest, AssessmentResponse
from assessments.services.observations import (
    RatingInput,
    observation_record,
    observation_request_create,
)
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import (
    AssessmentRequestFactory,
    ObservedAssessmentFactory,
    ObsWorld,
)
from tests import factories

pytestmark = pytest.mark.django_db


def _ask(obs: ObsWorld, competency=None) -> AssessmentRequest:
    request, _ = observation_request_create(
        learner=obs.learner,
        assessor_id=obs.assessor.pk,
        competency_ids=[(competency or obs.epas[0]).pk],
        setting="ward",
        case_type="new chest pain",
        encounter_on=timezone.localdate(),
    )
    return request


# --- Asking ----------------------------------------------------------------------------------


def test_learner_asks_for_an_epa_observation_through_the_form(client, obs):
    client.force_login(obs.learner)
    page = client.get("/assessments/requests/new/")
    assert page.status_code == 200
    assert obs.assessor.name in page.content.decode()
    token = str(uuid.uuid4())
    data = {
        "assessor": obs.assessor.pk,
        "epa": obs.epas[2].pk,
        "setting": "emergency",
        "case_type": "abdominal pain",
        "encounter_on": timezone.localdate().isoformat(),
        "client_token": token,
    }
    response = client.post("/assessments/requests/new/", data)
    request = AssessmentRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/requests/{request.pk}/"
    # A double tap posts the same token again: still one request.
    client.post("/assessments/requests/new/", data)
    assert AssessmentRequest.objects.count() == 1
    assert list(request.competencies.all()) == [obs.epas[2]]


def test_request_form_refuses_an_epa_and_sub_competencies_together(client, obs):
    client.force_login(obs.learner)
    response = client.post(
        "/assessments/requests/new/",
        {
            "assessor": obs.assessor.pk,
            "epa": obs.epas[0].pk,
            "competencies": [obs.subs[0].pk],
            "client_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert AssessmentRequest.objects.count() == 0


def test_request_form_asks_what_to_observe_with_epas_and_sub_competencies_as_equal_choices(
    client, obs
):
    client.force_login(obs.learner)
    html = client.get("/assessments/requests/new/").content.decode()
    assert "<legend>What should they observe?</legend>" in html
    assert re.search(
        r'value="epa" id="id_observe_0" checked data-observe-choice> An EPA</label>', html
    )
    assert 'value="competencies" id="id_observe_1" data-observe-choice> Sub-competencies' in html
    assert '<label for="id_epa">Which EPA?</label>' in html
    assert '<legend class="label">Which sub-competencies?</legend>' in html
    assert "Or sub-competencies" not in html and "obs-descriptors" not in html


@pytest.mark.parametrize("observe", ["epa", "competencies"])
def test_the_chosen_kind_decides_and_what_was_picked_under_the_other_is_set_aside(
    client, obs, observe
):
    client.force_login(obs.learner)
    response = client.post(
        "/assessments/requests/new/",
        {
            "assessor": obs.assessor.pk,
            "observe": observe,
            "epa": obs.epas[0].pk,
            "competencies": [obs.subs[0].pk, obs.subs[1].pk],
            "client_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    asked = set(AssessmentRequest.objects.get().competencies.all())
    assert asked == ({obs.epas[0]} if observe == "epa" else {obs.subs[0], obs.subs[1]})


def test_request_form_offers_only_assessors_of_the_learners_programs(
    client, obs, coach, other_director
):
    client.force_login(obs.learner)
    html = client.get("/assessments/requests/new/").content.decode()
    assert obs.assessor.name in html
    assert other_director.name not in html
    assert coach.name not in html


# --- The one-minute form -------------------------------------------------------------------


def test_epa_form_shows_the_scale_with_its_anchors(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    html = client.get(f"/assessments/requests/{request.pk}/complete/").content.decode()
    for _, label, anchor in ENTRUSTMENT:  # noqa: F405
        assert label in html
        assert anchor in html
    assert html.count('type="radio"') == 5
    assert 'name="went_well"' in html and 'name="next_step"' in html


def test_assessor_completes_a_request_on_one_page_and_a_retry_lands_once(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    data = {
        f"level-{obs.epas[0].pk}": "3",
        "went_well": "Summarised the history and checked understanding.",
        "next_step": "Say the differential aloud before ordering tests.",
        "observed_on": timezone.localdate().isoformat(),
        "submission_key": str(uuid.uuid4()),
    }
    first = client.post(f"/assessments/requests/{request.pk}/complete/", data)
    second = client.post(f"/assessments/requests/{request.pk}/complete/", data)
    assessment = Assessment.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/assessments/{assessment.pk}/"
    assert assessment.level == Decimal("3")


def test_a_different_submission_for_a_completed_request_is_turned_away(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    base = {f"level-{obs.epas[0].pk}": "3", "observed_on": timezone.localdate().isoformat()}
    client.post(
        f"/assessments/requests/{request.pk}/complete/",
        {**base, "submission_key": str(uuid.uuid4())},
    )
    response = client.post(
        f"/assessments/requests/{request.pk}/complete/",
        {**base, "submission_key": str(uuid.uuid4())},
        follow=True,
    )
    assert "already completed" in response.content.decode()
    assert Assessment.objects.count() == 1


def test_level_off_the_scale_redisplays_the_form_with_400_and_keeps_the_text(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    response = client.post(
        f"/assessments/requests/{request.pk}/complete/",
        {
            f"level-{obs.epas[0].pk}": "9",
            "went_well": "Kept this text",
            "observed_on": timezone.localdate().isoformat(),
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "not on the" in html
    assert "Kept this text" in html
    assert Assessment.objects.count() == 0


def test_generic_feedback_is_accepted_with_a_tip(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    response = client.post(
        f"/assessments/requests/{request.pk}/complete/",
        {
            f"level-{obs.epas[0].pk}": "2",
            "went_well": "Good job",
            "next_step": "Read more",
            "observed_on": timezone.localdate().isoformat(),
            "submission_key": str(uuid.uuid4()),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "A tip for next time" in response.content.decode()
    assert Assessment.objects.get().went_well == "Good job"


def test_other_people_cannot_open_the_complete_page(client, obs, director, other_learner):
    request = _ask(obs)
    for person in (obs.learner, director, other_learner):
        client.force_login(person)
        assert client.get(f"/assessments/requests/{request.pk}/complete/").status_code == 404


def test_assessor_declines_with_a_reason(client, obs):
    request = _ask(obs)
    client.force_login(obs.assessor)
    response = client.post(
        f"/assessments/requests/{request.pk}/decline/", {"reason": "On nights this week."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "declined"


def test_assessor_observes_unasked_from_the_start_page(client, obs):
    client.force_login(obs.assessor)
    start = client.get(f"/assessments/observe/?learner={obs.learner.pk}").content.decode()
    assert f"/assessments/observe/{obs.learner.pk}/?competency={obs.epas[0].pk}" in start
    url = f"/assessments/observe/{obs.learner.pk}/?competency={obs.subs[0].pk}&competency={obs.subs[1].pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        f"/assessments/observe/{obs.learner.pk}/",
        {
            "competency": [obs.subs[0].pk, obs.subs[1].pk],
            f"level-{obs.subs[0].pk}": "2.5",
            f"level-{obs.subs[1].pk}": "3",
            "went_well": "Examined systematically and explained each step.",
            "next_step": "Start with the sickest patient on the list.",
            "setting": "ward",
            "observed_on": timezone.localdate().isoformat(),
            "submission_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    assert Assessment.objects.filter(learner=obs.learner).count() == 2


def test_assessor_cannot_open_the_form_for_a_learner_outside_their_programs(
    client, obs, other_learner
):
    client.force_login(obs.assessor)
    url = f"/assessments/observe/{other_learner.pk}/?competency={obs.epas[0].pk}"
    assert client.get(url).status_code == 404


# --- Records ---------------------------------------------------------------------------------


def test_narrative_is_stored_as_text_and_rendered_escaped(client, obs):
    payload = '<script>alert("x")</script><b>bold</b>'
    result = observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.epas[0].pk, "3")],
        went_well=payload,
        next_step="& then <i>this</i>",
        submission_key=uuid.uuid4(),
    )
    assessment = result.assessments[0]
    assessment.refresh_from_db()
    assert assessment.went_well == payload  # stored verbatim, not sanitised or encoded
    client.force_login(obs.learner)
    for url in (f"/assessments/{assessment.pk}/", "/assessments/received/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    detail = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "&amp; then &lt;i&gt;this&lt;/i&gt;" in detail


def test_learner_responds_on_the_record_page(client, obs):
    assessment = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    client.force_login(obs.learner)
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Add response" in page
    assert "/edit/" not in page  # the learner cannot change the record
    response = client.post(
        f"/assessments/{assessment.pk}/respond/",
        {"text": "I will name the differential first.", "client_token": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert AssessmentResponse.objects.get().text == "I will name the differential first."
    assessment.refresh_from_db()
    assert assessment.acknowledged_at is not None


def test_learner_cannot_edit_an_assessment_of_them(client, obs):
    assessment = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    client.force_login(obs.learner)
    assert client.get(f"/assessments/{assessment.pk}/edit/").status_code == 404
    assert client.post(f"/assessments/{assessment.pk}/edit/", {"level": "5"}).status_code == 404


def test_author_amends_after_24_hours_through_the_edit_page(client, obs):
    assessment = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    client.force_login(obs.assessor)
    page = client.get(f"/assessments/{assessment.pk}/edit/").content.decode()
    assert "Amend" in page
    form = {
        "level": "4",
        "went_well": assessment.went_well,
        "next_step": assessment.next_step,
        "observed_on": assessment.observed_on.isoformat(),
    }
    refused = client.post(f"/assessments/{assessment.pk}/edit/", form)
    assert refused.status_code == 200
    assert "needs a reason" in refused.content.decode()
    done = client.post(
        f"/assessments/{assessment.pk}/edit/", {**form, "reason": "Wrong level chosen."}
    )
    assert done.status_code == 302
    learner_view = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Wrong level chosen." in learner_view
    assert "Amendment" in learner_view


def test_program_reviewers_see_an_assessment_and_others_get_404(
    client, obs, director, coach, other_director
):
    assessment = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    expected = {director: 200, coach: 404, other_director: 404, obs.assessor: 200}
    for person, status in expected.items():
        client.force_login(person)
        assert client.get(f"/assessments/{assessment.pk}/").status_code == status, person


# --- Lists and their query counts --------------------------------------------------------------


def _fill_inbox(obs: ObsWorld, n: int) -> None:
    today = timezone.localdate()
    for i in range(n):
        AssessmentRequestFactory(
            learner=factories.EnrollmentFactory(program=obs.program).learner,
            assessor=obs.assessor,
            program=obs.program,
            framework=obs.epa_framework,
            competencies=[obs.epas[i % 3]],
            due_on=today - dt.timedelta(days=1) if i % 3 == 0 else today + dt.timedelta(days=5),
        )
        AssessmentRequestFactory(
            learner=obs.learner,
            assessor=obs.assessor,
            program=obs.program,
            framework=obs.milestones,
            competencies=obs.subs[:2],
            status="declined",
            decline_reason="Away",
            closed_at=timezone.now(),
        )


@pytest.mark.parametrize("size", [2, 12])
def test_inbox_runs_a_constant_number_of_queries(client, obs, django_assert_num_queries, size):
    _fill_inbox(obs, size)
    client.force_login(obs.assessor)
    # 1 session, 2 user, 3 open requests (with learner, framework), 4 latest done requests,
    # 5 competencies of all listed requests, 6 the viewer's roles (navigation).
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        response = client.get("/assessments/inbox/")
    html = response.content.decode()
    assert html.count('class="obs-card"') == 2 * size
    overdue = (size + 2) // 3
    assert f'Overdue <span class="obs-section-count">({overdue})' in html


def _fill_received(obs: ObsWorld, n: int) -> None:
    for i in range(n):
        assessor = factories.ProgramRoleFactory(program=obs.program).user
        item = ObservedAssessmentFactory(
            learner=obs.learner, assessor=assessor, competency=obs.epas[i % 3]
        )
        AssessmentResponse.objects.create(assessment=item, learner=obs.learner, text="Noted.")


@pytest.mark.parametrize("size", [2, 25])
def test_received_list_runs_a_constant_number_of_queries(
    client, obs, django_assert_num_queries, size
):
    _fill_received(obs, size)
    client.force_login(obs.learner)
    # 1 session, 2 user, 3 count for the paginator, 4 the page of assessments (with assessor,
    # learner, competency, framework, program and the response count), 5 competencies and
    # 6 assessors for the filters, 7 the viewer's roles (navigation).
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        response = client.get("/assessments/received/?period=365")
    assert response.content.decode().count('class="obs-card"') == min(size, 20)


def test_received_list_filters_by_competency_assessor_and_period(client, obs):
    other = factories.ProgramRoleFactory(program=obs.program).user
    a = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    b = ObservedAssessmentFactory(learner=obs.learner, assessor=other, competency=obs.epas[1])
    old = ObservedAssessmentFactory(
        learner=obs.learner,
        assessor=obs.assessor,
        competency=obs.epas[1],
        observed_on=timezone.localdate() - dt.timedelta(days=200),
    )
    client.force_login(obs.learner)

    def shown(query: str) -> set[int]:
        html = client.get(f"/assessments/received/?{query}").content.decode()
        return {int(pk) for pk in re.findall(r'href="/assessments/(\d+)/"', html)}

    assert shown("") == {a.pk, b.pk, old.pk}
    assert shown(f"competency={obs.epas[1].pk}") == {b.pk, old.pk}
    assert shown(f"assessor={obs.assessor.pk}") == {a.pk, old.pk}
    assert shown("period=90") == {a.pk, b.pk}
    assert shown("competency=abc&assessor=&period=nonsense") == {a.pk, b.pk, old.pk}


@pytest.mark.parametrize("size", [2, 25])
def test_given_list_runs_a_constant_number_of_queries(client, obs, django_assert_num_queries, size):
    for i in range(size):
        learner = factories.EnrollmentFactory(program=obs.program).learner
        ObservedAssessmentFactory(
            learner=learner, assessor=obs.assessor, competency=obs.epas[i % 3]
        )
    client.force_login(obs.assessor)
    # 1 session, 2 user, 3 count, 4 the page with learner, competency and response counts,
    # 5 the viewer's roles (navigation).
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        response = client.get("/assessments/given/")
    assert response.content.decode().count('class="obs-card"') == min(size, 20)


@pytest.mark.parametrize("size", [1, 8])
def test_learners_request_list_runs_a_constant_number_of_queries(
    client, obs, django_assert_num_queries, size
):
    for _ in range(size):
        _ask(obs)
    client.force_login(obs.learner)
    # 1 session, 2 user, 3 count, 4 the page with assessor, 5 competencies of the page,
    # 6 the viewer's roles (navigation).
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        response = client.get("/assessments/requests/")
    assert response.content.decode().count('class="obs-card"') == size
