"""Observation services: requests, the one-minute observation, corrections and amendments,
the learner's response, reminders — and every bad input the issue lists."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
)
from assessments.services.observations import (
    NARRATIVE_MAX,
    ObservationConflictError,
    RatingInput,
    assessment_acknowledge,
    assessment_respond,
    assessment_revise,
    narrative_hints,
    observation_record,
    observation_request_complete,
    observation_request_create,
    observation_request_decline,
    observation_requests_remind,
)
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObsWorld
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def ask(obs: ObsWorld, **overrides):
    values = {
        "learner": obs.learner,
        "assessor_id": obs.assessor.pk,
        "competency_ids": [obs.epas[0].pk],
        "setting": "ward",
        "case_type": "new chest pain",
        "encounter_on": timezone.localdate(),
        "client_token": uuid.uuid4(),
    }
    values.update(overrides)
    return observation_request_create(**values)


def complete(obs: ObsWorld, request: AssessmentRequest, **overrides):
    values = {
        "request": request,
        "assessor": obs.assessor,
        "ratings": [RatingInput(request.competencies.first().pk, "3")],
        "went_well": "Summarised the history back to the patient and checked understanding.",
        "next_step": "Say the differential out loud before ordering tests.",
        "submission_key": uuid.uuid4(),
    }
    values.update(overrides)
    return observation_request_complete(**values)


# --- Requests --------------------------------------------------------------------------------


def test_learner_asks_an_assessor_of_their_program_and_the_assessor_is_notified(obs):
    request, created = ask(obs)

    assert created
    assert request.status == AssessmentRequest.Status.OPEN
    assert request.program == obs.program
    assert list(request.competencies.all()) == [obs.epas[0]]
    note = Notification.objects.get(recipient=obs.assessor)
    assert note.kind == "observation_request"
    assert obs.epas[0].code in note.title
    assert note.url == f"/assessments/requests/{request.pk}/complete/"


def test_request_email_leaves_only_after_commit(obs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask(obs)
    assert mail.outbox == []
    assert callbacks, "the email must be queued on commit"
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[obs.assessor.email]]


def test_same_client_token_twice_makes_one_request(obs):
    token = uuid.uuid4()
    first, created_first = ask(obs, client_token=token)
    second, created_second = ask(obs, client_token=token)

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert AssessmentRequest.objects.count() == 1
    assert Notification.objects.count() == 1


def test_request_to_someone_who_is_not_an_assessor_in_the_program_is_refused(obs, coach):
    with pytest.raises(ValidationError) as error:
        ask(obs, assessor_id=coach.pk)
    assert "assessor" in error.value.message_dict
    assert AssessmentRequest.objects.count() == 0
    assert Notification.objects.count() == 0


def test_request_to_the_director_of_another_program_is_refused(obs, other_director):
    with pytest.raises(ValidationError):
        ask(obs, assessor_id=other_director.pk)
    assert AssessmentRequest.objects.count() == 0


def test_request_to_an_unknown_person_is_refused_without_saying_so(obs):
    with pytest.raises(ValidationError) as error:
        ask(obs, assessor_id=999_999)
    assert error.value.message_dict["assessor"] == [
        "Choose an assessor of a program you are enrolled in."
    ]


def test_director_of_the_program_counts_as_an_assessor(obs, director):
    request, _ = ask(obs, assessor_id=director.pk)
    assert request.assessor == director


@pytest.mark.parametrize(
    "bad",
    ["two_epas", "two_frameworks", "domain", "foreign", "none"],
)
def test_request_for_the_wrong_things_is_refused(obs, bad):
    domain = obs.subs[0].parent
    foreign = factories.CompetencyFactory()
    ids = {
        "two_epas": [obs.epas[0].pk, obs.epas[1].pk],
        "two_frameworks": [obs.epas[0].pk, obs.subs[0].pk],
        "domain": [domain.pk],
        "foreign": [foreign.pk],
        "none": [],
    }[bad]
    with pytest.raises(ValidationError) as error:
        ask(obs, competency_ids=ids)
    assert "competencies" in error.value.message_dict
    assert AssessmentRequest.objects.count() == 0


def test_request_for_several_sub_competencies_is_fine(obs):
    request, _ = ask(obs, competency_ids=[s.pk for s in obs.subs[:2]])
    assert request.framework == obs.milestones
    assert request.competencies.count() == 2


def test_request_with_a_due_date_in_the_past_or_an_overlong_note_is_refused(obs):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        ask(obs, due_on=yesterday, note="x" * 501, setting="spaceship")
    assert set(error.value.message_dict) == {"due_on", "note", "setting"}
    assert AssessmentRequest.objects.count() == 0


def test_learner_cannot_ask_themself(obs):
    with pytest.raises(ValidationError):
        ask(obs, assessor_id=obs.learner.pk)


# --- Completing and declining --------------------------------------------------------------


def test_assessor_completes_a_request_with_a_record_and_its_first_version(obs):
    request, _ = ask(obs)
    result = complete(obs, request)

    assert result.created
    (assessment,) = result.assessments
    assert assessment.level == Decimal("3")
    assert assessment.source == Assessment.Source.REQUEST
    assert assessment.request == request
    assert assessment.program == obs.program
    assert assessment.context == "Ward / inpatient · new chest pain"
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.COMPLETED
    assert request.closed_at is not None
    (version,) = assessment.versions.all()
    assert (version.version, version.kind, version.level) == (1, "original", Decimal("3"))
    assert Notification.objects.filter(recipient=obs.learner, kind="assessment").count() == 1


def test_double_submit_with_one_key_gives_one_record(obs):
    request, _ = ask(obs)
    key = uuid.uuid4()
    first = complete(obs, request, submission_key=key)
    request.refresh_from_db()
    again = complete(obs, request, submission_key=key)

    assert first.created and not again.created
    assert [a.pk for a in again.assessments] == [a.pk for a in first.assessments]
    assert Assessment.objects.count() == 1
    assert AssessmentVersion.objects.count() == 1


def test_completing_an_already_completed_request_is_a_conflict(obs):
    request, _ = ask(obs)
    complete(obs, request)
    stale = AssessmentRequest.objects.get(pk=request.pk)
    with pytest.raises(ObservationConflictError):
        complete(obs, stale)
    assert Assessment.objects.count() == 1


def test_completing_with_a_stale_copy_of_an_open_request_is_a_conflict(obs):
    """Two devices had the form open; the second one's copy still says open."""
    request, _ = ask(obs)
    stale = AssessmentRequest.objects.get(pk=request.pk)
    complete(obs, request)
    with pytest.raises(ObservationConflictError):
        complete(obs, stale)
    assert Assessment.objects.count() == 1
    assert AssessmentVersion.objects.count() == 1


def test_completing_a_declined_request_is_a_conflict(obs):
    request, _ = ask(obs)
    observation_request_decline(request=request, assessor=obs.assessor, reason="On leave.")
    with pytest.raises(ObservationConflictError):
        complete(obs, request)
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("level", ["0", "6", "2.5", "abc", "", "NaN", "Infinity"])
def test_level_outside_the_scale_is_refused_and_nothing_is_written(obs, level):
    request, _ = ask(obs)
    with pytest.raises(ValidationError) as error:
        complete(obs, request, ratings=[RatingInput(obs.epas[0].pk, level)])
    assert "ratings" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.OPEN
    assert Assessment.objects.count() == 0
    assert AssessmentVersion.objects.count() == 0


def test_milestone_levels_take_half_steps_and_not_quarters(obs):
    request, _ = ask(obs, competency_ids=[s.pk for s in obs.subs[:2]])
    with pytest.raises(ValidationError):
        complete(
            obs,
            request,
            ratings=[RatingInput(obs.subs[0].pk, "2.5"), RatingInput(obs.subs[1].pk, "2.25")],
        )
    assert Assessment.objects.count() == 0
    result = complete(
        obs,
        request,
        ratings=[RatingInput(obs.subs[0].pk, "2.5"), RatingInput(obs.subs[1].pk, "0")],
    )
    assert sorted(a.level for a in result.assessments) == [Decimal("0"), Decimal("2.5")]
    # One submission, two ratings: one key, one notification.
    assert len({a.submission_key for a in result.assessments}) == 1
    assert Notification.objects.filter(recipient=obs.learner).count() == 1


def test_rating_something_the_request_did_not_ask_for_is_refused(obs):
    request, _ = ask(obs)
    with pytest.raises(ValidationError):
        complete(obs, request, ratings=[RatingInput(obs.epas[1].pk, "3")])
    assert Assessment.objects.count() == 0


def test_narrative_over_the_limit_is_refused_and_nothing_is_written(obs):
    request, _ = ask(obs)
    with pytest.raises(ValidationError) as error:
        complete(obs, request, went_well="a" * (NARRATIVE_MAX + 1))
    assert "went_well" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.OPEN
    assert Assessment.objects.count() == 0


def test_observation_dated_in_the_future_is_refused(obs):
    request, _ = ask(obs)
    with pytest.raises(ValidationError) as error:
        complete(obs, request, observed_on=timezone.localdate() + dt.timedelta(days=1))
    assert "observed_on" in error.value.message_dict


def test_only_the_addressed_assessor_may_complete_or_decline(obs, director):
    request, _ = ask(obs)
    with pytest.raises(PermissionDenied):
        complete(obs, request, assessor=director)
    with pytest.raises(PermissionDenied):
        observation_request_decline(request=request, assessor=obs.learner, reason="no")


def test_assessor_whose_role_ended_cannot_complete(obs):
    request, _ = ask(obs)
    obs.assessor.program_roles.all().delete()
    with pytest.raises(ValidationError) as error:
        complete(obs, request)
    assert "learner" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.OPEN


def test_declining_needs_a_reason_and_tells_the_learner(obs):
    request, _ = ask(obs)
    with pytest.raises(ValidationError):
        observation_request_decline(request=request, assessor=obs.assessor, reason="  ")
    observation_request_decline(
        request=request, assessor=obs.assessor, reason="Not on that ward this month."
    )
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.DECLINED
    assert request.decline_reason == "Not on that ward this month."
    assert Notification.objects.filter(recipient=obs.learner).count() == 1
    with pytest.raises(ObservationConflictError):
        observation_request_decline(request=request, assessor=obs.assessor, reason="Again.")


# --- Unasked observations ------------------------------------------------------------------


def record(obs: ObsWorld, **overrides):
    values = {
        "assessor": obs.assessor,
        "learner_id": obs.learner.pk,
        "ratings": [RatingInput(obs.epas[1].pk, "4")],
        "went_well": "Led the family meeting and checked what they had understood.",
        "next_step": "Offer a pause after the hard news before moving on.",
        "setting": "clinic",
        "submission_key": uuid.uuid4(),
    }
    values.update(overrides)
    return observation_record(**values)


def test_assessor_observes_a_learner_of_their_program_unasked_and_the_learner_is_told(obs):
    result = record(obs)
    (assessment,) = result.assessments
    assert assessment.source == Assessment.Source.OBSERVATION
    assert assessment.request is None
    assert assessment.context == "Clinic / outpatient"
    note = Notification.objects.get(recipient=obs.learner)
    assert note.kind == "assessment"
    assert note.url == f"/assessments/{assessment.pk}/"


def test_rating_a_learner_outside_your_program_is_refused(obs, other_learner):
    with pytest.raises(ValidationError) as error:
        record(obs, learner_id=other_learner.pk)
    assert "learner" in error.value.message_dict
    assert Assessment.objects.count() == 0
    assert Notification.objects.count() == 0


def test_a_coach_is_not_an_assessor(obs, coach):
    with pytest.raises(ValidationError):
        record(obs, assessor=coach)
    assert Assessment.objects.count() == 0


def test_a_learner_who_left_the_program_cannot_be_rated(obs):
    obs.learner.enrollments.update(end_date=timezone.localdate())
    with pytest.raises(ValidationError):
        record(obs)


def test_unasked_double_submit_gives_one_record(obs):
    key = uuid.uuid4()
    first = record(obs, submission_key=key)
    second = record(obs, submission_key=key)
    assert first.created and not second.created
    assert Assessment.objects.count() == 1
    assert Notification.objects.filter(recipient=obs.learner).count() == 1


def test_submission_without_a_key_is_refused(obs):
    with pytest.raises(ValidationError):
        record(obs, submission_key="")
    with pytest.raises(ValidationError):
        record(obs, submission_key="not-a-uuid")


# --- Corrections and amendments ------------------------------------------------------------


def test_author_corrects_within_24_hours_and_the_first_version_is_kept(obs):
    (assessment,) = record(obs).assessments
    version = assessment_revise(
        assessment=assessment, author=obs.assessor, level="3", went_well="Clearer words."
    )
    assessment.refresh_from_db()
    assert (assessment.version, assessment.level, assessment.went_well) == (
        2,
        Decimal("3"),
        "Clearer words.",
    )
    assert version.kind == AssessmentVersion.Kind.CORRECTION
    versions = list(assessment.versions.order_by("version"))
    assert [(v.version, v.kind, v.level) for v in versions] == [
        (1, "original", Decimal("4")),
        (2, "correction", Decimal("3")),
    ]
    assert versions[0].went_well.startswith("Led the family meeting")


def test_after_24_hours_a_change_needs_a_reason_and_is_logged_as_an_amendment(obs):
    (assessment,) = record(obs).assessments
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    assessment.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        assessment_revise(assessment=assessment, author=obs.assessor, level="3")
    assert "reason" in error.value.message_dict
    assessment.refresh_from_db()
    assert (assessment.version, assessment.level) == (1, Decimal("4"))

    assessment_revise(
        assessment=assessment,
        author=obs.assessor,
        level="3",
        reason="I rated the wrong EPA level; the supervisor was in the room.",
    )
    assessment.refresh_from_db()
    assert assessment.level == Decimal("3")
    amendment = assessment.versions.get(version=2)
    assert amendment.kind == AssessmentVersion.Kind.AMENDMENT
    assert amendment.reason.startswith("I rated the wrong")
    assert amendment.recorded_by == obs.assessor
    assert assessment.versions.get(version=1).level == Decimal("4")
    titles = list(
        Notification.objects.filter(recipient=obs.learner).values_list("title", flat=True)
    )
    assert any("amended" in title for title in titles)


def test_just_inside_the_window_is_still_a_correction(obs):
    (assessment,) = record(obs).assessments
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=23, minutes=59)
    )
    assessment.refresh_from_db()
    version = assessment_revise(assessment=assessment, author=obs.assessor, level="5")
    assert version.kind == AssessmentVersion.Kind.CORRECTION


def test_only_the_author_may_change_an_assessment(obs, director):
    (assessment,) = record(obs).assessments
    for person in (obs.learner, director):
        with pytest.raises(PermissionDenied):
            assessment_revise(assessment=assessment, author=person, level="1")
    assessment.refresh_from_db()
    assert assessment.version == 1


def test_a_change_that_changes_nothing_or_leaves_the_scale_is_refused(obs):
    (assessment,) = record(obs).assessments
    with pytest.raises(ValidationError):
        assessment_revise(assessment=assessment, author=obs.assessor, level="4")
    with pytest.raises(ValidationError):
        assessment_revise(assessment=assessment, author=obs.assessor, level="7")
    assert AssessmentVersion.objects.filter(assessment=assessment).count() == 1


def test_two_edits_from_the_same_stale_copy_do_not_both_land(obs):
    (assessment,) = record(obs).assessments
    stale = Assessment.objects.get(pk=assessment.pk)
    assessment_revise(assessment=assessment, author=obs.assessor, level="3")
    with pytest.raises(ObservationConflictError):
        assessment_revise(assessment=stale, author=obs.assessor, level="2")
    assessment.refresh_from_db()
    assert assessment.level == Decimal("3")
    assert assessment.versions.count() == 2


# --- The learner's voice --------------------------------------------------------------------


def test_learner_acknowledges_and_responds_and_the_author_is_told(obs):
    (assessment,) = record(obs).assessments
    assessment_acknowledge(assessment=assessment, learner=obs.learner)
    assert assessment.acknowledged_at is not None
    first_read = assessment.acknowledged_at
    assessment_acknowledge(assessment=assessment, learner=obs.learner)
    assert assessment.acknowledged_at == first_read

    token = uuid.uuid4()
    response, created = assessment_respond(
        assessment=assessment,
        learner=obs.learner,
        text="I will pause next time.",
        client_token=token,
    )
    again, created_again = assessment_respond(
        assessment=assessment,
        learner=obs.learner,
        text="I will pause next time.",
        client_token=token,
    )
    assert created and not created_again
    assert response.pk == again.pk
    assert AssessmentResponse.objects.count() == 1
    assert Notification.objects.filter(recipient=obs.assessor, kind="assessment").count() == 1


def test_responding_also_marks_as_read(obs):
    (assessment,) = record(obs).assessments
    assessment_respond(assessment=assessment, learner=obs.learner, text="Thanks, agreed.")
    assessment.refresh_from_db()
    assert assessment.acknowledged_at is not None


def test_nobody_but_the_learner_responds_and_responses_have_limits(obs):
    (assessment,) = record(obs).assessments
    with pytest.raises(PermissionDenied):
        assessment_respond(assessment=assessment, learner=obs.assessor, text="Me too")
    with pytest.raises(PermissionDenied):
        assessment_acknowledge(assessment=assessment, learner=obs.assessor)
    with pytest.raises(ValidationError):
        assessment_respond(assessment=assessment, learner=obs.learner, text="x" * 2001)
    with pytest.raises(ValidationError):
        assessment_respond(assessment=assessment, learner=obs.learner, text="   ")
    assert AssessmentResponse.objects.count() == 0


# --- Reminders -------------------------------------------------------------------------------


def _overdue_request(obs: ObsWorld) -> AssessmentRequest:
    request, _ = ask(obs, due_on=timezone.localdate())
    Notification.objects.all().delete()
    return request


def test_reminder_task_run_twice_sends_one_reminder_per_request_per_day(
    obs, django_capture_on_commit_callbacks
):
    from assessments.tasks import observation_requests_remind as task

    request = _overdue_request(obs)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        first = task.apply(args=[tomorrow.isoformat()]).get()
        second = task.apply(args=[tomorrow.isoformat()]).get()

    assert (first, second) == (1, 0)
    reminders = Notification.objects.filter(recipient=obs.assessor, kind="observation_request")
    assert reminders.count() == 1
    assert "Reminder" in reminders.get().title
    assert [m.to for m in mail.outbox] == [[obs.assessor.email]]
    request.refresh_from_db()
    assert request.last_reminded_on == tomorrow

    # The next day brings the next reminder, still only one.
    day_after = tomorrow + dt.timedelta(days=1)
    assert observation_requests_remind(today=day_after) == 1
    assert observation_requests_remind(today=day_after) == 0
    assert reminders.count() == 2


def test_a_second_run_that_lost_the_claim_race_sends_nothing(obs):
    """Two workers picked the same request: the day's claim is already taken by the first."""
    request = _overdue_request(obs)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    AssessmentRequest.objects.filter(pk=request.pk).update(last_reminded_on=tomorrow)
    assert observation_requests_remind(today=tomorrow) == 0
    assert Notification.objects.count() == 0


def test_requests_not_yet_due_completed_or_declined_are_not_reminded(obs):
    ask(obs, due_on=timezone.localdate() + dt.timedelta(days=3))
    done, _ = ask(obs, due_on=timezone.localdate())
    complete(obs, done)
    declined, _ = ask(obs, due_on=timezone.localdate())
    observation_request_decline(request=declined, assessor=obs.assessor, reason="Away.")
    Notification.objects.all().delete()

    assert observation_requests_remind(today=timezone.localdate() + dt.timedelta(days=1)) == 0
    assert Notification.objects.count() == 0


def test_a_request_without_a_due_date_is_reminded_after_two_weeks(obs):
    ask(obs)
    Notification.objects.all().delete()
    today = timezone.localdate()
    assert observation_requests_remind(today=today + dt.timedelta(days=14)) == 0
    assert observation_requests_remind(today=today + dt.timedelta(days=15)) == 1


# --- Hints -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("went_well", "next_step", "fields"),
    [
        ("Good job!", "Read more.", {"went_well", "next_step"}),
        ("", "", {"went_well", "next_step"}),
        ("Nice", "Keep it up", {"went_well", "next_step"}),
        ("Clear plan", "Faster", {"went_well", "next_step"}),
        (
            "Explained the plan to the patient in plain words and checked understanding.",
            "Name the red flags out loud before the examination next time.",
            set(),
        ),
    ],
)
def test_generic_or_empty_feedback_earns_a_hint(went_well, next_step, fields):
    assert set(narrative_hints(went_well=went_well, next_step=next_step)) == fields


def test_generic_feedback_is_saved_all_the_same(obs):
    request, _ = ask(obs)
    result = complete(obs, request, went_well="Good job", next_step="Read more")
    assert result.assessments[0].went_well == "Good job"
