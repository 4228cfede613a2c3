"""Rotation schedule and completion pages and API: uploads through the page and the API,
nudges, and constant query counts at two sizes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import AssessmentRequest, Rotation, ScheduledRotation
from assessments.services import rotations as svc
from assessments.tests.factories import *  # noqa: F403
from tests import factories

pytestmark = pytest.mark.django_db

SIZES = (2, 12)
HEADER = "learner,rotation,site,start,end,supervising_faculty\n"


@pytest.fixture
def rotation(obs):
    return svc.rotation_create(
        program=obs.program, name="Cardiology", competency_ids=[obs.epas[0].pk]
    )


def grow(obs, size: int) -> None:
    """`size` learners, each with a block under a different faculty member on one of two
    rotations, every evaluation asked for and half answered."""
    second = svc.rotation_create(
        program=obs.program, name="Nephrology", competency_ids=[obs.epas[0].pk]
    )
    rotations = [second, *Rotation.objects.filter(program=obs.program, name="Cardiology")]
    for index in range(size):
        learner = factories.UserFactory()
        factories.EnrollmentFactory(learner=learner, program=obs.program)
        faculty = factories.UserFactory()
        factories.ProgramRoleFactory(user=faculty, program=obs.program, role="faculty")
        block = ScheduledRotation.objects.create(
            rotation=rotations[index % len(rotations)],
            learner=learner,
            supervisor=faculty,
            site="General",
            start_on=dt.date(2026, 6, 1),
            end_on=dt.date(2026, 6, 28),
        )
        svc._evaluation_send(block.pk)
        if index % 2:
            AssessmentRequest.objects.filter(scheduled_rotation=block).update(
                status=AssessmentRequest.Status.COMPLETED
            )


@pytest.mark.parametrize("size", SIZES)
def test_schedule_page_and_api_run_constant_queries(
    client, obs, rotation, director, size, django_assert_num_queries
):
    grow(obs, size)
    client.force_login(director)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(11):
        # 1 session, 2 user, 3 program with the viewer's rights, 4 count of blocks,
        # 5 navigation roles, 6 rotations with form, 7 their items, 8 a page of blocks with
        # people, rotation and evaluation, 9 item and 10 form choices of "define a rotation".
        response = client.get(f"/assessments/rotations/{obs.program.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count("<td>General</td>") == size
    with django_assert_num_queries(5):
        # 1 session, 2 user, 3 program, 4 count, 5 a page of blocks with people and evaluation.
        response = client.get(f"/api/v1/programs/{obs.program.pk}/rotation-schedule/")
    assert response.json()["count"] == size


@pytest.mark.parametrize("size", SIZES)
def test_completion_page_and_api_run_constant_queries(
    client, obs, rotation, director, size, django_assert_num_queries
):
    grow(obs, size)
    client.force_login(director)
    with time_machine.travel(dt.datetime(2026, 7, 20, 9, tzinfo=dt.UTC)):
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(7):
            # 1 session, 2 user, 3 program with rights and institution, 4 counts per faculty
            # and rotation pair, 5 the first waiting evaluations, 6 navigation roles.
            response = client.get(f"/assessments/rotations/{obs.program.pk}/completion/")
        page = response.content.decode()
        assert page.count("overdue</strong>") == size - size // 2
        with django_assert_num_queries(5):
            # 1 session, 2 user, 3 program, 4 counts per pair, 5 the waiting evaluations.
            response = client.get(f"/api/v1/programs/{obs.program.pk}/rotation-completion/")
    body = response.json()
    assert body["waiting_total"] == size - size // 2
    assert all(row["overdue"] for row in body["waiting"])
    assert sum(r["completed"] for r in body["by_rotation"]) == size // 2


def test_a_bad_upload_on_the_page_lists_each_problem_and_keeps_nothing(
    client, obs, rotation, director
):
    client.force_login(director)
    text = HEADER + "nobody@example.org,Cardiology,,2026-07-01,2026-07-28,assessor@example.org\n"
    upload = SimpleUploadedFile("schedule.csv", text.encode(), content_type="text/csv")
    response = client.post(
        f"/assessments/rotations/{obs.program.pk}/", {"action": "import", "file": upload}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported: 1 problem" in page
    assert "<td>2</td><td>learner</td>" in page
    assert not ScheduledRotation.objects.exists()


def test_the_api_import_answers_each_problem_as_json(client, obs, rotation, director):
    client.force_login(director)
    text = HEADER + "learner@example.org,Cardiology,,2026-07-28,2026-07-01,assessor@example.org\n"
    upload = SimpleUploadedFile("schedule.csv", text.encode(), content_type="text/csv")
    response = client.post(
        f"/api/v1/programs/{obs.program.pk}/rotation-schedule/import/", {"file": upload}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "column": "end", "message": "The end is before the start."}
    ]
    good = text.replace("2026-07-28,2026-07-01", "2026-07-01,2026-07-28")
    upload = SimpleUploadedFile("schedule.csv", good.encode(), content_type="text/csv")
    response = client.post(
        f"/api/v1/programs/{obs.program.pk}/rotation-schedule/import/", {"file": upload}
    )
    assert (response.status_code, response.json()) == (201, {"imported": 1})


def test_the_api_refuses_an_overlapping_block_as_400_json(client, obs, rotation, director):
    client.force_login(director)
    url = f"/api/v1/programs/{obs.program.pk}/rotation-schedule/"
    body = {
        "learner": "learner@example.org",
        "rotation": "Cardiology",
        "start": "2026-07-01",
        "end": "2026-07-28",
        "supervising_faculty": "assessor@example.org",
    }
    assert client.post(url, body, content_type="application/json").status_code == 201
    response = client.post(
        url, {**body, "start": "2026-07-15", "end": "2026-08-15"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "start" in response.json()
    assert ScheduledRotation.objects.count() == 1


def test_a_second_nudge_the_same_day_is_a_409(client, obs, rotation, director):
    grow(obs, 1)
    block = ScheduledRotation.objects.get(evaluation__status=AssessmentRequest.Status.OPEN)
    client.force_login(director)
    url = f"/api/v1/rotation-blocks/{block.pk}/nudge/"
    assert client.post(url).status_code == 200
    assert client.post(url).status_code == 409


def test_the_nudge_page_action_reminds_once_and_refuses_another_programs_block(
    client, obs, rotation, director, other_program
):
    grow(obs, 1)
    block = ScheduledRotation.objects.get(evaluation__status=AssessmentRequest.Status.OPEN)
    other_director = factories.UserFactory()
    factories.ProgramRoleFactory(user=other_director, program=other_program, role="director")
    client.force_login(other_director)
    # Their own program's URL, someone else's block: 404, nothing sent.
    response = client.post(f"/assessments/rotations/{other_program.pk}/nudge/", {"block": block.pk})
    assert response.status_code == 404
    client.force_login(director)
    url = f"/assessments/rotations/{obs.program.pk}/nudge/"
    response = client.post(url, {"block": block.pk}, follow=True)
    assert "was reminded." in response.content.decode()
    response = client.post(url, {"block": block.pk}, follow=True)
    assert "already reminded today" in response.content.decode()
    assert client.post(url, {"block": "x"}).status_code == 404


# --- Changing and deleting a block --------------------------------------------------------


def _block(obs, rotation, start=dt.date(2030, 3, 1), end=dt.date(2030, 3, 28)):
    return ScheduledRotation.objects.create(
        rotation=rotation, learner=obs.learner, supervisor=obs.assessor, start_on=start, end_on=end
    )


def _form(obs, rotation, **changes):
    values = {
        "learner_email": obs.learner.email,
        "rotation_name": rotation.name,
        "site": "Northbridge General",
        "start_on": "2030-03-02",
        "end_on": "2030-03-29",
        "supervisor_email": obs.assessor.email,
    }
    values.update(changes)
    return values


def test_a_director_changes_a_block_on_the_page(client, obs, rotation, director):
    block = _block(obs, rotation)
    client.force_login(director)
    page = client.get(f"/assessments/rotations/{obs.program.pk}/")
    assert f'/assessments/rotations/{obs.program.pk}/blocks/{block.pk}/"' in page.content.decode()

    response = client.post(
        f"/assessments/rotations/{obs.program.pk}/blocks/{block.pk}/", _form(obs, rotation)
    )

    assert response.status_code == 302
    block.refresh_from_db()
    assert (block.site, block.start_on, block.end_on) == (
        "Northbridge General",
        dt.date(2030, 3, 2),
        dt.date(2030, 3, 29),
    )


def test_a_change_that_overlaps_another_block_is_refused_and_nothing_changes(
    client, obs, rotation, director
):
    block = _block(obs, rotation)
    _block(obs, rotation, start=dt.date(2030, 4, 1), end=dt.date(2030, 4, 28))
    client.force_login(director)

    response = client.put(
        f"/api/v1/programs/{obs.program.pk}/rotation-schedule/{block.pk}/",
        {
            "learner": obs.learner.email,
            "rotation": rotation.name,
            "start": "2030-03-01",
            "end": "2030-04-10",
            "supervising_faculty": obs.assessor.email,
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "start" in response.json()
    block.refresh_from_db()
    assert block.end_on == dt.date(2030, 3, 28)
    page = client.post(
        f"/assessments/rotations/{obs.program.pk}/blocks/{block.pk}/",
        _form(obs, rotation, end_on="2030-04-10"),
    )
    assert page.status_code == 400 and "Overlaps" in page.content.decode()


def test_a_block_keeps_its_own_dates_when_changed(client, obs, rotation, director):
    block = _block(obs, rotation)
    client.force_login(director)
    response = client.put(
        f"/api/v1/programs/{obs.program.pk}/rotation-schedule/{block.pk}/",
        {
            "learner": obs.learner.email,
            "rotation": rotation.name,
            "site": "Ward 3",
            "start": "2030-03-01",
            "end": "2030-03-28",
            "supervising_faculty": obs.assessor.email,
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["site"] == "Ward 3"


def test_a_block_whose_evaluation_went_out_is_neither_changed_nor_deleted(
    client, obs, rotation, director
):
    block = _block(obs, rotation, start=dt.date(2026, 1, 5), end=dt.date(2026, 2, 1))
    svc._evaluation_send(block.pk)
    client.force_login(director)
    url = f"/api/v1/programs/{obs.program.pk}/rotation-schedule/{block.pk}/"

    assert client.delete(url).status_code == 409
    changed = client.put(
        url,
        {
            "learner": obs.learner.email,
            "rotation": rotation.name,
            "start": "2026-01-05",
            "end": "2026-02-03",
            "supervising_faculty": obs.assessor.email,
        },
        content_type="application/json",
    )
    assert changed.status_code == 409
    page = client.get(f"/assessments/rotations/{obs.program.pk}/blocks/{block.pk}/")
    assert "can no longer be changed" in page.content.decode()
    block.refresh_from_db()
    assert block.end_on == dt.date(2026, 2, 1)


def test_a_block_still_ahead_is_deleted_on_the_page(client, obs, rotation, director):
    block = _block(obs, rotation)
    client.force_login(director)
    response = client.post(f"/assessments/rotations/{obs.program.pk}/blocks/{block.pk}/delete/")
    assert response.status_code == 302
    assert not ScheduledRotation.objects.filter(pk=block.pk).exists()


def test_another_programs_director_cannot_touch_a_block(client, obs, rotation, other_director):
    block = _block(obs, rotation)
    client.force_login(other_director)
    url = f"/api/v1/programs/{obs.program.pk}/rotation-schedule/{block.pk}/"
    assert client.delete(url).status_code == 404
    assert ScheduledRotation.objects.filter(pk=block.pk).exists()
