"""Multi-source feedback by one-time link, the learner's groups of at least 3, and learners'
evaluations of teachers and rotations shown only in aggregate over at least 5."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments.models import FeedbackRequest, FeedbackResponse, ScheduledRotation
from assessments.models import TeachingEvaluation as Evaluation
from assessments.selectors.feedback import (
    feedback_summary_for,
    program_teaching_results,
    teaching_results_for,
)
from assessments.selectors.observations import assessors_for
from assessments.services import feedback as svc
from assessments.services import rotations as rotation_services
from assessments.tests.factories import *  # noqa: F403
from privacy.services import retention_enforce
from tests import factories

pytestmark = pytest.mark.django_db

COLLEAGUE = {"communication": 4, "respect": 5, "reliability": 4, "safety": 3}
PATIENT = {"listened": 4, "explained": 3, "respect": 4, "involved": 2}
TEACHING = {"time": 4, "feedback": 3, "climate": 5, "supervision": 4}
ROTATION = {"expectations": 3, "supervision": 4, "learning": 4, "workload": 2}


def ask(learner, rater_type, **fields):
    made, _ = svc.feedback_request_create(
        learner=learner, by=learner, rater_type=rater_type, **fields
    )
    return made


def answer(learner, rater_type, comment=""):
    made = ask(learner, rater_type)
    ratings = PATIENT if rater_type == "patient" else COLLEAGUE
    return svc.feedback_respond(request=made, ratings=ratings, comment=comment)


# --- Links and answers -----------------------------------------------------------------------


def test_a_link_works_once(obs):
    made = ask(obs.learner, "nurse")
    svc.feedback_respond(request=made, ratings=COLLEAGUE, comment="Calm at handover.")
    with pytest.raises(svc.FeedbackLinkError) as error:
        svc.feedback_respond(
            request=svc.feedback_request_from_token(svc.feedback_token(made)), ratings=COLLEAGUE
        )
    assert error.value.kind == "used"
    assert FeedbackResponse.objects.count() == 1


def test_a_closed_link_is_refused(obs, settings):
    settings.FEEDBACK_LINK_DAYS = 2
    made = ask(obs.learner, "peer")
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=3)),
        pytest.raises(svc.FeedbackLinkError) as error,
    ):
        svc.feedback_respond(request=made, ratings=COLLEAGUE)
    assert error.value.kind == "expired"
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize(
    "ratings",
    [
        {**PATIENT, "listened": 5},  # the patient form's scale is 1–4
        {**PATIENT, "listened": 0},
        {k: v for k, v in PATIENT.items() if k != "involved"},
        {**PATIENT, "surgery": 3},
        {**PATIENT, "listened": "4.5"},
    ],
)
def test_ratings_off_the_forms_scale_or_statements_are_refused(obs, ratings):
    made = ask(obs.learner, "patient")
    with pytest.raises(svc.ValidationError) as error:
        svc.feedback_respond(request=made, ratings=ratings)
    assert "ratings" in error.value.message_dict
    made.refresh_from_db()
    assert made.responded_at is None
    assert not FeedbackResponse.objects.exists()


def test_patients_links_carry_no_name_or_email(obs):
    with pytest.raises(svc.ValidationError) as error:
        ask(obs.learner, "patient", rater_email="pat@example.org")
    assert "rater_type" in error.value.message_dict
    made = ask(obs.learner, "patient", anonymous=False)
    assert made.anonymous and not made.rater_name and not made.rater_email


def test_an_emailed_link_goes_once_after_the_commit(obs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = ask(obs.learner, "nurse", rater_email="nurse@example.org")
    assert len(mail.outbox) == 1
    assert svc.feedback_token(made) in mail.outbox[0].body
    assert not svc.feedback_email_deliver(request_id=made.pk)
    assert len(mail.outbox) == 1


def test_retention_blanks_the_email_of_answered_links(obs):
    made = ask(obs.learner, "nurse", rater_email="nurse@example.org")
    svc.feedback_respond(request=made, ratings=COLLEAGUE)
    open_one = ask(obs.learner, "peer", rater_email="peer@example.org")
    retention_enforce()
    made.refresh_from_db()
    open_one.refresh_from_db()
    assert (made.rater_email, open_one.rater_email) == ("", "peer@example.org")


def test_the_program_may_ask_for_its_learner_but_not_another_programs(
    obs, director, other_director
):
    made, _ = svc.feedback_request_create(learner=obs.learner, by=director, rater_type="peer")
    assert made.asked_by == director and made.learner == obs.learner
    with pytest.raises(svc.ValidationError):
        svc.feedback_request_create(learner=obs.learner, by=other_director, rater_type="peer")


# --- The learner's groups of at least 3 -----------------------------------------------------


def test_a_group_shows_only_from_its_third_answer(obs):
    answer(obs.learner, "patient", "Kind.")
    answer(obs.learner, "patient", "Clear.")
    summary = feedback_summary_for(learner=obs.learner)
    assert (summary.groups, summary.waiting) == ([], 2)
    answer(obs.learner, "patient", "Patient.")
    summary = feedback_summary_for(learner=obs.learner)
    (group,) = summary.groups
    assert (group.key, group.n, summary.waiting) == ("patient", 3, 0)
    assert group.comments == ["Clear.", "Kind.", "Patient."]
    assert {i.code: i.mean for i in group.items}["listened"] == 4.0


def test_small_groups_are_pooled_as_other_from_three(obs):
    answer(obs.learner, "nurse")
    answer(obs.learner, "peer")
    assert feedback_summary_for(learner=obs.learner).groups == []
    answer(obs.learner, "staff")
    (group,) = feedback_summary_for(learner=obs.learner).groups
    assert (group.key, group.n) == ("other", 3)


def test_names_show_only_on_named_forms(obs):
    for name in ("Ines", "Bo"):
        made = ask(obs.learner, "nurse", anonymous=False, rater_name=name)
        svc.feedback_respond(request=made, ratings=COLLEAGUE)
    answer(obs.learner, "nurse")
    (group,) = feedback_summary_for(learner=obs.learner).groups
    assert group.names == ["Bo", "Ines"]


def test_feedback_page_and_api_show_groups_and_run_constant_queries(
    client, obs, django_assert_num_queries
):
    for size in (3, 9):
        for _ in range(size - FeedbackResponse.objects.count()):
            answer(obs.learner, "patient", "Fine.")
        client.force_login(obs.learner)
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(7):
            # 1 session, 2 user, 3 count and 4 a page of the learner's links, 5 the answers
            # with their links, 6 the navigation's roles.
            page = client.get("/assessments/feedback/")
        assert f"n={size}" in page.content.decode()
        with django_assert_num_queries(3):
            # 1 session, 2 user, 3 the answers with their links.
            body = client.get("/api/v1/me/feedback/").json()
        assert body["groups"][0]["n"] == size
        with django_assert_num_queries(4):
            # 1 session, 2 user, 3 count, 4 a page of links.
            listed = client.get("/api/v1/feedback-requests/").json()
        assert listed["count"] == size


def test_the_rater_page_needs_no_account_and_works_once(client, obs):
    made = ask(obs.learner, "patient")
    url = f"/assessments/feedback/answer/{svc.feedback_token(made)}/"
    page = client.get(url)
    assert page.status_code == 200 and "They listened to me" in page.content.decode()
    bad = client.post(url, {f"rating-{k}": "9" for k in PATIENT})
    assert bad.status_code == 400
    assert "not on this form" in bad.content.decode()
    assert not FeedbackResponse.objects.exists()
    done = client.post(url, {f"rating-{k}": v for k, v in PATIENT.items()})
    assert done.status_code == 200 and "Thank you" in done.content.decode()
    again = client.post(url, {f"rating-{k}": v for k, v in PATIENT.items()})
    assert again.status_code == 409
    assert FeedbackResponse.objects.count() == 1


def test_api_answers_through_the_link_without_an_account(client, obs):
    made = ask(obs.learner, "nurse")
    token = svc.feedback_token(made)
    off_scale = client.post(
        "/api/v1/feedback-answers/",
        {"link": token, "ratings": {**COLLEAGUE, "safety": 6}},
        content_type="application/json",
    )
    assert off_scale.status_code == 400 and "ratings" in off_scale.json()
    ok = client.post(
        "/api/v1/feedback-answers/",
        {"link": token, "ratings": COLLEAGUE},
        content_type="application/json",
    )
    assert ok.status_code == 201
    reused = client.post(
        "/api/v1/feedback-answers/",
        {"link": token, "ratings": COLLEAGUE},
        content_type="application/json",
    )
    assert reused.status_code == 409
    made_up = client.post(
        "/api/v1/feedback-answers/",
        {"link": "1:forged", "ratings": COLLEAGUE},
        content_type="application/json",
    )
    assert made_up.status_code == 404
    assert FeedbackResponse.objects.count() == 1


def test_api_asking_returns_the_link_and_repeats_on_the_same_token(client, obs):
    client.force_login(obs.learner)
    token = str(uuid.uuid4())
    first = client.post(
        "/api/v1/feedback-requests/",
        {"rater_type": "patient", "client_token": token},
        content_type="application/json",
    )
    assert first.status_code == 201 and "/assessments/feedback/answer/" in first.json()["url"]
    again = client.post(
        "/api/v1/feedback-requests/",
        {"rater_type": "patient", "client_token": token},
        content_type="application/json",
    )
    assert again.status_code == 200 and FeedbackRequest.objects.count() == 1


# --- Teaching evaluations: aggregates over at least 5 ----------------------------------------


def learners(program, n):
    made = []
    for _ in range(n):
        user = factories.UserFactory()
        factories.EnrollmentFactory(learner=user, program=program)
        made.append(user)
    return made


def test_a_teacher_sees_nothing_with_four_and_the_aggregate_with_five(obs):
    group = learners(obs.program, 5)
    for learner in group[:4]:
        svc.teacher_evaluation_create(author=learner, teacher_id=obs.assessor.pk, ratings=TEACHING)
    assert teaching_results_for(teacher=obs.assessor) == []
    svc.teacher_evaluation_create(author=group[4], teacher_id=obs.assessor.pk, ratings=TEACHING)
    (result,) = teaching_results_for(teacher=obs.assessor)
    assert result.n == 5
    assert {i.code: i.mean for i in result.items}["climate"] == 5.0


def test_a_learner_evaluates_a_teacher_once_and_only_their_own(obs, other_director):
    svc.teacher_evaluation_create(author=obs.learner, teacher_id=obs.assessor.pk, ratings=TEACHING)
    with pytest.raises(svc.EvaluationConflictError):
        svc.teacher_evaluation_create(
            author=obs.learner, teacher_id=obs.assessor.pk, ratings=TEACHING
        )
    with pytest.raises(svc.ValidationError) as error:
        svc.teacher_evaluation_create(
            author=obs.learner, teacher_id=other_director.pk, ratings=TEACHING
        )
    assert "teacher" in error.value.message_dict
    with pytest.raises(svc.ValidationError) as error:
        svc.teacher_evaluation_create(
            author=factories.UserFactory(),
            teacher_id=obs.assessor.pk,
            ratings={**TEACHING, "time": 7},
        )
    assert Evaluation.objects.count() == 1


def _rotation_with(obs, n_learners, n_answers):
    rotation = rotation_services.rotation_create(
        program=obs.program, name=f"Ward {uuid.uuid4().hex[:4]}", competency_ids=[obs.epas[0].pk]
    )
    group = learners(obs.program, n_learners)
    for learner in group:
        ScheduledRotation.objects.create(
            rotation=rotation,
            learner=learner,
            supervisor=obs.assessor,
            start_on=dt.date(2026, 1, 5),
            end_on=dt.date(2026, 2, 1),
        )
    for learner in group[:n_answers]:
        svc.rotation_evaluation_create(author=learner, rotation_id=rotation.pk, ratings=ROTATION)
    return rotation


def test_rotations_show_only_with_five_answers_and_five_learners(obs):
    _rotation_with(obs, 4, 4)
    five = _rotation_with(obs, 5, 5)
    _rotation_with(obs, 9, 4)
    results = program_teaching_results(program=obs.program)
    assert [r.subject_id for r in results.rotations] == [five.pk]


def test_director_results_page_and_api_run_constant_queries(
    client, obs, director, django_assert_num_queries
):
    client.force_login(director)
    for size in (5, 10):
        _rotation_with(obs, size, size)
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(7):
            # 1 session, 2 user, 3 program directed by the viewer, 4 evaluations with
            # teacher and rotation, 5 learners per rotation, 6 the navigation's roles.
            page = client.get(f"/assessments/evaluations/program/{obs.program.pk}/")
        assert page.status_code == 200
        with django_assert_num_queries(5):
            # 1 session, 2 user, 3 program, 4 evaluations, 5 learners per rotation.
            body = client.get(f"/api/v1/programs/{obs.program.pk}/teaching-results/").json()
        assert sorted(r["n"] for r in body["rotations"]) == sorted(
            r.n for r in program_teaching_results(program=obs.program).rotations
        )


def test_teacher_results_page_and_api_run_constant_queries(client, obs, django_assert_num_queries):
    client.force_login(obs.assessor)
    for size in (5, 10):
        for learner in learners(obs.program, 5):
            svc.teacher_evaluation_create(
                author=learner, teacher_id=obs.assessor.pk, ratings=TEACHING, comment="Good."
            )
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(5):
            # 1 session, 2 user, 3 evaluations of the viewer with programs, 4 navigation.
            page = client.get("/assessments/evaluations/results/")
        assert f"n={size}" in page.content.decode()
        with django_assert_num_queries(3):
            # 1 session, 2 user, 3 evaluations with programs.
            body = client.get("/api/v1/me/teaching-results/").json()
        assert body[0]["n"] == size


def test_api_evaluation_errors(client, obs):
    client.force_login(obs.learner)
    off = client.post(
        "/api/v1/teaching-evaluations/",
        {"teacher": obs.assessor.pk, "ratings": {**TEACHING, "time": 0}},
        content_type="application/json",
    )
    assert off.status_code == 400
    ok = client.post(
        "/api/v1/teaching-evaluations/",
        {"teacher": obs.assessor.pk, "ratings": TEACHING},
        content_type="application/json",
    )
    assert ok.status_code == 201
    twice = client.post(
        "/api/v1/teaching-evaluations/",
        {"teacher": obs.assessor.pk, "ratings": TEACHING},
        content_type="application/json",
    )
    assert twice.status_code == 409
    assert Evaluation.objects.count() == 1


def test_what_a_learner_may_evaluate_runs_constant_queries(client, obs, django_assert_num_queries):
    client.force_login(obs.learner)
    for size in (2, 8):
        while Evaluation.objects.filter(author=obs.learner).count() < size // 2:
            teacher = factories.UserFactory()
            factories.ProgramRoleFactory(user=teacher, program=obs.program, role="faculty")
            svc.teacher_evaluation_create(
                author=obs.learner, teacher_id=teacher.pk, ratings=TEACHING
            )
        for _ in range(size // 2):
            teacher = factories.UserFactory()
            factories.ProgramRoleFactory(user=teacher, program=obs.program, role="faculty")
        _rotation_with(obs, 1, 0)
        ScheduledRotation.objects.create(
            rotation=_rotation_with(obs, 0, 0),
            learner=obs.learner,
            supervisor=obs.assessor,
            start_on=dt.date(2026, 1, 5),
            end_on=dt.date(2026, 2, 1),
        )
        teachers = assessors_for(learner=obs.learner).count()
        rotations = ScheduledRotation.objects.filter(learner=obs.learner).count()
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(7):
            # 1 session, 2 user, 3 what the learner evaluated, 4 teachers of their programs,
            # 5 rotations they were on, 6 the navigation's roles.
            page = client.get("/assessments/evaluations/")
        assert page.content.decode().count("· evaluated") == size // 2
        with django_assert_num_queries(5):
            # 1 session, 2 user, 3 what the learner evaluated, 4 teachers, 5 rotations.
            body = client.get("/api/v1/teaching-evaluations/").json()
        assert [e["subject"] for e in body].count("teacher") == teachers
        assert [e["subject"] for e in body].count("rotation") == rotations
        assert sum(e["done"] for e in body) == size // 2


def test_program_feedback_page_asks_about_a_learner_and_runs_constant_queries(
    client, obs, director, django_assert_num_queries
):
    client.force_login(director)
    url = f"/assessments/feedback/program/{obs.program.pk}/"
    response = client.post(
        url,
        {
            "learner": obs.learner.pk,
            "rater_type": "peer",
            "anonymous": "on",
            "client_token": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    made = FeedbackRequest.objects.get()
    assert (made.learner, made.asked_by, made.program) == (obs.learner, director, obs.program)
    for size in (2, 9):
        while FeedbackRequest.objects.count() < size:
            svc.feedback_request_create(learner=obs.learner, by=director, rater_type="patient")
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(8):
            # 1 session, 2 user, 3 the managed program, 4 count and 5 a page of the links
            # with learners, 6 the program's learners to choose from, 7 the navigation's roles.
            page = client.get(url)
        assert (
            page.content.decode().count('<a href="http://testserver/assessments/feedback/answer/')
            == size
        )
