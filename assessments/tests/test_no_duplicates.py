"""The assessment pages' create forms create once per rendered page (core.once)."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessmentResponse,
    AssessNowCode,
    FeedbackRequest,
    Rotation,
    ScheduledRotation,
    TeachingEvaluation,
)
from assessments.services.rotations import rotation_create
from assessments.tests.factories import *  # noqa: F403
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_an_observation_request_sent_twice_from_one_page_is_one_request(client, obs):
    client.force_login(obs.learner)
    data = {
        "assessor": obs.assessor.pk,
        "epa": obs.epas[2].pk,
        "setting": "emergency",
        "case_type": "abdominal pain",
        "encounter_on": timezone.localdate().isoformat(),
        "client_token": str(uuid.uuid4()),
    }
    assert_created_once(
        client,
        "/assessments/requests/new/",
        data,
        AssessmentRequest.objects.count,
        "observation request",
        fresh_creates=False,  # the form's own client token also holds it to one
    )


def test_an_observation_sent_twice_from_one_page_is_one_observation(client, obs):
    client.force_login(obs.assessor)
    url = f"/assessments/observe/{obs.learner.pk}/"
    data = {
        "competency": [obs.subs[0].pk],
        f"level-{obs.subs[0].pk}": "2.5",
        "went_well": "Examined systematically.",
        "next_step": "Start with the sickest patient.",
        "setting": "ward",
        "observed_on": timezone.localdate().isoformat(),
        "submission_key": str(uuid.uuid4()),
    }
    assert_created_once(
        client,
        url,
        data,
        Assessment.objects.count,
        "observation",
        page=f"{url}?competency={obs.subs[0].pk}",
        fresh_creates=False,  # its submission key also holds it to one
    )


def test_a_response_sent_twice_from_one_page_is_one_response(client, obs):
    assessment = ObservedAssessmentFactory(  # noqa: F405
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    client.force_login(obs.learner)
    where = assert_created_once(
        client,
        f"/assessments/{assessment.pk}/respond/",
        {"text": "I will name the differential first.", "client_token": str(uuid.uuid4())},
        AssessmentResponse.objects.count,
        "response",
        page=f"/assessments/{assessment.pk}/",
        fresh_creates=False,  # its client token also holds it to one
    )
    assert where == f"/assessments/{assessment.pk}/"


def test_the_form_builder_sent_twice_makes_one_form(client, obs, director):
    client.force_login(director)
    where = assert_created_once(
        client,
        f"/assessments/forms/new/{obs.program.pk}/",
        {
            "name": "Ward round",
            "rates": "milestones",
            "scale": "custom",
            "scale_name": "Ward readiness",
            "levels": "1 | Not yet | Needs me.\n2 | Nearly | Checks in.\n3 | Ready | Runs it.",
            "went_well_prompt": "What went well",
            "next_step_prompt": "One thing to work on next",
            "milestone_mapping": "1 = 1\n2 = 2\n3 = 3",
        },
        AssessmentForm.objects.count,
        "assessment form",
        fresh_creates=False,  # a second form of that name is refused
    )
    assert where == f"/assessments/forms/{AssessmentForm.objects.get(name='Ward round').pk}/"


def test_a_rotation_defined_twice_from_one_page_is_one_rotation(client, obs, director):
    client.force_login(director)
    url = f"/assessments/rotations/{obs.program.pk}/"
    data = {
        "action": "define",
        "name": "Cardiology",
        "competencies": [obs.epas[0].pk],
        "due_days": "14",
    }
    assert_created_once(client, url, data, Rotation.objects.count, "rotation", fresh_creates=False)


def test_a_block_added_twice_from_one_page_is_one_block(client, obs, director):
    rotation_create(program=obs.program, name="Cardiology", competency_ids=[obs.epas[0].pk])
    client.force_login(director)
    data = {
        "action": "add",
        "learner_email": obs.learner.email,
        "rotation_name": "Cardiology",
        "site": "General",
        "start_on": "2026-07-01",
        "end_on": "2026-07-28",
        "supervisor_email": obs.assessor.email,
    }
    assert_created_once(
        client,
        f"/assessments/rotations/{obs.program.pk}/",
        data,
        ScheduledRotation.objects.count,
        "block",
        fresh_creates=False,  # the same dates again would overlap the first block
    )


def test_assess_me_now_started_twice_from_one_page_is_one_code(client, obs):
    client.force_login(obs.learner)
    assert_created_once(
        client,
        "/assessments/now/",
        {"epa": obs.epas[0].pk, "client_token": str(uuid.uuid4())},
        AssessNowCode.objects.count,
        "assess-me-now code",
        fresh_creates=False,  # its client token also holds it to one
    )


def test_a_feedback_link_asked_twice_from_one_page_is_one_request(client, obs):
    client.force_login(obs.learner)
    assert_created_once(
        client,
        "/assessments/feedback/",
        {"rater_type": "patient", "client_token": str(uuid.uuid4())},
        FeedbackRequest.objects.count,
        "feedback request",
        fresh_creates=False,  # its client token also holds it to one
    )


def test_a_program_feedback_link_asked_twice_from_one_page_is_one_request(client, obs, director):
    client.force_login(director)
    url = f"/assessments/feedback/program/{obs.program.pk}/"
    data = {
        "learner": obs.learner.pk,
        "rater_type": "nurse",
        "anonymous": "on",
        "client_token": str(uuid.uuid4()),
    }
    where = assert_created_once(
        client, url, data, FeedbackRequest.objects.count, "feedback request", fresh_creates=False
    )
    assert where == url


def test_a_teaching_evaluation_sent_twice_from_one_page_is_one_evaluation(client, obs):
    observe(obs.assessor, obs.learner, obs.epas[0], 3, timezone.localdate())  # noqa: F405
    client.force_login(obs.learner)
    assert_created_once(
        client,
        f"/assessments/evaluations/teacher/{obs.assessor.pk}/",
        {"rating-time": 4, "rating-feedback": 3, "rating-climate": 5, "rating-supervision": 4},
        TeachingEvaluation.objects.count,
        "evaluation",
        fresh_creates=False,  # one evaluation of a teacher per learner
    )


def test_a_schedule_imported_twice_from_one_page_is_imported_once(client, obs, director):
    rotation_create(program=obs.program, name="Cardiology", competency_ids=[obs.epas[0].pk])
    client.force_login(director)
    text = (
        "learner,rotation,site,start,end,supervising_faculty\n"
        f"{obs.learner.email},Cardiology,General,2026-07-01,2026-07-28,{obs.assessor.email}\n"
    )
    assert_created_once(
        client,
        f"/assessments/rotations/{obs.program.pk}/",
        {"action": "import", "file": SimpleUploadedFile("schedule.csv", text.encode(), "text/csv")},
        ScheduledRotation.objects.count,
        "schedule import",
        fresh_creates=False,  # the client has read the file by then
    )
