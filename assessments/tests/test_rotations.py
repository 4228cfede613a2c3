"""Rotation schedules: the block-schedule import and its bad inputs, the end-of-rotation
evaluation beat task (once, on the institution's clock), nudges and the completion counts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.models import AssessmentRequest, Rotation, ScheduledRotation
from assessments.selectors.rotations import completion_of
from assessments.services import rotations as svc
from assessments.services.observations import (
    RatingInput,
    observation_request_complete,
    observation_requests_remind,
)
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObsWorld
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "learner,rotation,site,start,end,supervising_faculty\n"


@pytest.fixture
def rotation(obs: ObsWorld) -> Rotation:
    return svc.rotation_create(
        program=obs.program, name="Cardiology", competency_ids=[obs.epas[0].pk]
    )


def chunks(text: str | bytes, size: int = 64) -> list[bytes]:
    """The upload as Django hands it over: in pieces (small ones, to cross line boundaries)."""
    data = text.encode() if isinstance(text, str) else text
    return [data[i : i + size] for i in range(0, len(data), size)]


def row(start: str = "2026-07-01", end: str = "2026-07-28", **cells: str) -> str:
    values = {
        "learner": "learner@example.org",
        "rotation": "Cardiology",
        "site": "General",
        "start": start,
        "end": end,
        "supervising_faculty": "assessor@example.org",
    }
    values.update(cells)
    return ",".join(values.values()) + "\n"


def refused(program, text: str | bytes) -> list[svc.ScheduleError]:
    with pytest.raises(svc.ScheduleImportError) as caught:
        svc.schedule_import(program=program, chunks=chunks(text))
    assert not ScheduledRotation.objects.exists(), "a refused file writes nothing"
    return caught.value.errors


# --- Import ----------------------------------------------------------------------------------


def test_a_valid_schedule_is_imported_row_for_row(obs, rotation):
    second = factories.UserFactory(email="second@example.org")
    factories.EnrollmentFactory(learner=second, program=obs.program)
    text = HEADER + row() + row("2026-07-29", "2026-08-25") + row(learner="SECOND@example.org")

    created = svc.schedule_import(program=obs.program, chunks=chunks(text))

    assert len(created) == 3
    blocks = list(ScheduledRotation.objects.order_by("learner__email", "start_on"))
    assert [(b.learner.email, b.start_on.isoformat(), b.end_on.isoformat()) for b in blocks] == [
        ("learner@example.org", "2026-07-01", "2026-07-28"),
        ("learner@example.org", "2026-07-29", "2026-08-25"),
        ("second@example.org", "2026-07-01", "2026-07-28"),
    ]
    assert {b.supervisor for b in blocks} == {obs.assessor}
    assert {b.site for b in blocks} == {"General"}


def test_an_unknown_learner_is_refused_naming_the_line_and_column(obs, rotation):
    errors = refused(obs.program, HEADER + row() + row(learner="nobody@example.org"))
    assert [(e.line, e.column) for e in errors] == [(3, "learner")]
    assert "nobody@example.org" in errors[0].message


def test_a_learner_of_another_program_counts_as_unknown(obs, rotation, other_learner):
    errors = refused(obs.program, HEADER + row(learner=other_learner.email))
    assert [(e.line, e.column) for e in errors] == [(2, "learner")]


def test_overlapping_rows_for_one_learner_are_refused(obs, rotation):
    text = HEADER + row("2026-07-01", "2026-07-31") + row("2026-07-05", "2026-07-10")
    text += row("2026-07-20", "2026-08-10")
    errors = refused(obs.program, text)
    assert [(e.line, e.column) for e in errors] == [(3, "start"), (4, "start")]
    assert "line 2" in errors[0].message


def test_a_row_overlapping_the_existing_schedule_is_refused(obs, rotation):
    svc.schedule_import(program=obs.program, chunks=chunks(HEADER + row()))
    with pytest.raises(svc.ScheduleImportError) as caught:
        svc.schedule_import(
            program=obs.program, chunks=chunks(HEADER + row("2026-07-28", "2026-08-20"))
        )
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "start")]
    assert "Cardiology" in caught.value.errors[0].message
    assert ScheduledRotation.objects.count() == 1


def test_importing_the_same_file_twice_adds_nothing_the_second_time(obs, rotation):
    text = HEADER + row()
    svc.schedule_import(program=obs.program, chunks=chunks(text))
    with pytest.raises(svc.ScheduleImportError):
        svc.schedule_import(program=obs.program, chunks=chunks(text))
    assert ScheduledRotation.objects.count() == 1


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"rotation": "Dermatology"}, "rotation", "No rotation 'Dermatology'"),
        ({"supervising_faculty": "learner@example.org"}, "supervising_faculty", "not faculty"),
        ({"start": "01/07/2026"}, "start", "YYYY-MM-DD"),
        ({"end": "2026-02-30"}, "end", "YYYY-MM-DD"),
        ({"start": "2026-08-01", "end": "2026-07-01"}, "end", "before the start"),
        ({"site": "x" * 121}, "site", "At most 120"),
    ],
)
def test_a_bad_cell_is_refused_with_its_line_and_column(obs, rotation, cells, column, words):
    errors = refused(obs.program, HEADER + row("2026-09-01", "2026-09-30") + row(**cells))
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    assert words in errors[0].message


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("", 1, "", "empty"),
        (HEADER, 2, "", "no rows"),
        ("learner,rotation,start,end\n", 1, "supervising_faculty", "missing"),
        (HEADER.strip() + ",grade\n", 1, "grade", "Unknown column"),
        (
            "learner,learner,rotation,start,end,supervising_faculty\n",
            1,
            "learner",
            "more than once",
        ),
        (HEADER + "learner@example.org,Cardiology\n", 2, "", "Expected 6 fields"),
    ],
)
def test_a_malformed_file_is_refused_with_a_line(obs, rotation, text, line, column, words):
    errors = refused(obs.program, text)
    assert (errors[0].line, errors[0].column) == (line, column)
    assert words in errors[0].message


def test_a_file_that_is_not_utf8_text_is_refused(obs, rotation):
    assert "UTF-8" in refused(obs.program, (HEADER + row()).encode("utf-16"))[0].message
    latin = (HEADER + row() + row("2026-09-01", "2026-09-30", site="Hôpital")).encode("latin-1")
    errors = refused(obs.program, latin)
    assert (errors[0].line, "UTF-8" in errors[0].message) == (3, True)


def test_rows_past_the_cap_stop_the_import(obs, rotation, monkeypatch):
    monkeypatch.setattr(svc, "SCHEDULE_MAX_ROWS", 2)
    text = HEADER + row("2026-07-01", "2026-07-02") + row("2026-07-03", "2026-07-04")
    text += row("2026-07-05", "2026-07-06")
    errors = refused(obs.program, text)
    assert [(e.line, e.message) for e in errors] == [(4, "More than 2 rows.")]


def test_one_block_entered_by_hand_follows_the_same_rules(obs, rotation):
    values = {
        "program": obs.program,
        "learner_email": "learner@example.org",
        "rotation_name": "cardiology",
        "start_on": dt.date(2026, 7, 1),
        "end_on": dt.date(2026, 7, 28),
        "supervisor_email": "assessor@example.org",
    }
    block = svc.scheduled_rotation_add(**values)
    assert block.rotation == rotation
    with pytest.raises(ValidationError) as caught:
        svc.scheduled_rotation_add(**values)
    assert "start" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        svc.scheduled_rotation_add(**{**values, "learner_email": "nobody@example.org"})
    assert "learner" in caught.value.message_dict
    assert ScheduledRotation.objects.count() == 1


# --- The end-of-rotation evaluation -------------------------------------------------------------


def _block(obs, rotation, end: dt.date) -> ScheduledRotation:
    return ScheduledRotation.objects.create(
        rotation=rotation,
        learner=obs.learner,
        supervisor=obs.assessor,
        start_on=end - dt.timedelta(days=27),
        end_on=end,
    )


def test_a_rotation_that_ended_sends_its_supervisor_one_request_on_its_form(obs, rotation):
    ended = _block(obs, rotation, dt.date(2026, 7, 28))
    running = _block(obs, rotation, dt.date(2026, 8, 25))
    running.start_on = dt.date(2026, 7, 29)
    running.save()

    with time_machine.travel(dt.datetime(2026, 7, 29, 9, tzinfo=dt.UTC)):
        assert svc.rotation_evaluations_send() == 1
        assert svc.rotation_evaluations_send() == 0

    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.evaluation_state == ScheduledRotation.State.REQUESTED
    request = ended.evaluation
    assert request is not None
    assert (request.assessor, request.learner, request.form) == (
        obs.assessor,
        obs.learner,
        rotation.form,
    )
    assert list(request.competencies.all()) == [obs.epas[0]]
    assert request.due_on == dt.date(2026, 8, 11)
    assert running.evaluation is None
    assert AssessmentRequest.objects.count() == 1
    notes = Notification.objects.filter(recipient=obs.assessor)
    assert [n.title for n in notes] == [
        f"End-of-rotation evaluation: {obs.learner.name}, Cardiology"
    ]


def test_the_rotation_ends_at_midnight_on_the_institutions_clock(obs, rotation):
    institution = obs.program.institution
    institution.time_zone = "Pacific/Auckland"
    institution.save()
    _block(obs, rotation, dt.date(2026, 7, 28))
    # 11:30 UTC on the 28th is already 23:30 there: still the rotation's last day.
    with time_machine.travel(dt.datetime(2026, 7, 28, 11, 30, tzinfo=dt.UTC)):
        assert svc.rotation_evaluations_send() == 0
    # 12:30 UTC is 00:30 on the 29th in Auckland, while still the 28th in UTC.
    with time_machine.travel(dt.datetime(2026, 7, 28, 12, 30, tzinfo=dt.UTC)):
        assert svc.rotation_evaluations_send() == 1


def test_a_block_claimed_by_another_run_is_not_sent_again(obs, rotation):
    block = _block(obs, rotation, dt.date(2026, 7, 28))
    ScheduledRotation.objects.filter(pk=block.pk).update(
        evaluation_state=ScheduledRotation.State.REQUESTED
    )
    with time_machine.travel(dt.datetime(2026, 8, 1, 9, tzinfo=dt.UTC)):
        assert svc._evaluation_send(block.pk) is False
    assert not AssessmentRequest.objects.exists()


def _sent(obs, rotation) -> ScheduledRotation:
    block = _block(obs, rotation, dt.date(2026, 7, 28))
    with time_machine.travel(dt.datetime(2026, 7, 29, 9, tzinfo=dt.UTC)):
        svc.rotation_evaluations_send()
    block.refresh_from_db()
    return block


def test_a_nudge_reminds_once_a_day_and_never_after_completion(obs, rotation, director):
    block = _sent(obs, rotation)
    with time_machine.travel(dt.datetime(2026, 7, 30, 9, tzinfo=dt.UTC)):
        svc.rotation_evaluation_nudge(block=block, by=director)
        with pytest.raises(svc.NudgeRefusedError):
            svc.rotation_evaluation_nudge(block=block, by=director)
        reminders = Notification.objects.filter(title__startswith="Reminder:")
        assert reminders.count() == 1
        observation_request_complete(
            request=block.evaluation,
            assessor=obs.assessor,
            ratings=[RatingInput(obs.epas[0].pk, "3")],
            went_well="Ran the handover for the whole team with a clear structure.",
            next_step="Name the sickest patient first.",
            submission_key=uuid.uuid4(),
        )
    block.refresh_from_db()
    with (
        time_machine.travel(dt.datetime(2026, 8, 2, 9, tzinfo=dt.UTC)),
        pytest.raises(svc.NudgeRefusedError),
    ):
        svc.rotation_evaluation_nudge(block=block, by=director)


def test_completion_counts_move_when_the_supervisor_answers(obs, rotation):
    block = _sent(obs, rotation)
    today = dt.date(2026, 8, 20)  # past the due date (11 Aug)
    before = completion_of(program=obs.program, today=today)
    assert [
        (r.label, r.requested, r.completed, r.waiting, r.overdue) for r in before.by_rotation
    ] == [("Cardiology", 1, 0, 1, 1)]
    assert [w.block_id for w in before.waiting] == [block.pk]
    with time_machine.travel(dt.datetime(2026, 8, 20, 9, tzinfo=dt.UTC)):
        observation_request_complete(
            request=block.evaluation,
            assessor=obs.assessor,
            ratings=[RatingInput(obs.epas[0].pk, "4")],
            went_well="Ran the handover for the whole team with a clear structure.",
            next_step="Name the sickest patient first.",
            submission_key=uuid.uuid4(),
        )
    after = completion_of(program=obs.program, today=today)
    assert [(r.requested, r.completed, r.waiting, r.overdue) for r in after.by_faculty] == [
        (1, 1, 0, 0)
    ]
    assert after.waiting == [] and after.waiting_total == 0


def test_the_overdue_reminder_follows_the_institutions_day(obs, rotation):
    block = _sent(obs, rotation)
    institution = obs.program.institution
    institution.time_zone = "America/Vancouver"
    institution.save()
    # Due 11 Aug: overdue from the 12th, local time. 05:00 UTC on the 12th is still the 11th
    # in Vancouver, so nothing goes out; at 08:00 UTC (01:00 there) the one reminder does.
    with time_machine.travel(dt.datetime(2026, 8, 12, 5, tzinfo=dt.UTC)):
        assert observation_requests_remind() == 0
    with time_machine.travel(dt.datetime(2026, 8, 12, 8, tzinfo=dt.UTC)):
        assert observation_requests_remind() == 1
        assert observation_requests_remind() == 0
    assert block.evaluation is not None
