"""A coordinator imports a block schedule; a rotation ends and the beat task (on a real Celery
worker) asks the supervising faculty member for the evaluation; they complete it on a phone;
the coordinator sees completion move, having nudged once while it was waiting."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import Page, expect

from assessments.models import AssessmentRequest, ScheduledRotation
from assessments.services.rotations import rotation_create
from assessments.tasks import rotation_evaluations_send
from assessments.tests.factories import epa_framework, milestone_framework
from config.celery import app
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield
    app.conf.task_always_eager = True


def _wait_for_requests(count: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if AssessmentRequest.objects.count() >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"expected {count} evaluation request(s) from the worker")


def test_schedule_import_to_completed_evaluation(
    page: Page, phone_page: Page, login_as, program, learner, assessor, real_worker, snapshot
):
    framework, epas = epa_framework()
    milestones, _ = milestone_framework()
    program.frameworks.add(framework, milestones)
    coordinator = factories.UserFactory(email="coordinator@example.org")
    factories.ProgramRoleFactory(user=coordinator, program=program, role="coordinator")
    rotation_create(program=program, name="Cardiology", competency_ids=[epas[0].pk])
    today = program.institution.local_today()
    start, end = today - dt.timedelta(days=28), today - dt.timedelta(days=1)
    header = "learner,rotation,site,start,end,supervising_faculty\n"

    # The coordinator uploads a schedule with a mistake: nothing is kept, the line is named.
    login_as(page, coordinator)
    page.goto(f"/assessments/rotations/{program.pk}/")
    bad = header + f"nobody@example.org,Cardiology,General,{start},{end},{assessor.email}\n"
    page.get_by_label("Block schedule CSV file").set_input_files(
        {"name": "schedule.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported: 1 problem")
    expect(alert.get_by_role("row", name="2 learner")).to_be_visible()
    assert not ScheduledRotation.objects.exists()
    good = header + f"{learner.email},Cardiology,General,{start},{end},{assessor.email}\n"
    page.get_by_label("Block schedule CSV file").set_input_files(
        {"name": "schedule.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 1 blocks.")).to_be_visible()
    expect(page.get_by_role("row", name=f"{learner.name} Cardiology General")).to_contain_text(
        "Scheduled"
    )
    snapshot(page, "rotations-schedule")

    # The rotation has ended: beat's task runs on the worker — twice, as beat may — and
    # the supervisor is asked once.
    rotation_evaluations_send.delay()
    _wait_for_requests(1)
    rotation_evaluations_send.delay()
    time.sleep(1.0)
    assert AssessmentRequest.objects.count() == 1

    page.goto(f"/assessments/rotations/{program.pk}/completion/")
    waiting = page.get_by_role("table", name="Waiting (1)")
    expect(waiting.get_by_role("row", name=f"{assessor.name} {learner.name}")).to_be_visible()
    page.get_by_role("button", name=f"Nudge {assessor.name} about {learner.name}").click()
    expect(page.get_by_text(f"{assessor.name} was reminded.")).to_be_visible()
    by_faculty = page.get_by_role("table", name="By supervising faculty")
    # Asked, completed, waiting, overdue.
    expect(by_faculty.get_by_role("row", name=f"{assessor.name} 1 0 1 0")).to_be_visible()

    # The faculty member answers on a phone, from the inbox.
    login_as(phone_page, assessor)
    phone_page.goto("/assessments/inbox/")
    phone_page.get_by_role("link", name=f"{learner.name} — {epas[0].code}").click()
    expect(phone_page.get_by_text("End of rotation: Cardiology")).to_be_visible()
    phone_page.get_by_text("Indirect supervision").click()
    phone_page.get_by_label("What went well").fill(
        "Led the morning handover and flagged the two sickest patients first."
    )
    phone_page.get_by_label("One thing to work on next").fill(
        "Write the plan for overnight issues before leaving, not after the call."
    )
    submit = phone_page.get_by_role("button", name="Submit observation")
    expect(submit).to_be_in_viewport()
    submit.click()
    expect(phone_page.get_by_text("Observation recorded")).to_be_visible()
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"

    # The coordinator sees completion move.
    page.reload()
    expect(page.get_by_text("Nothing is waiting.")).to_be_visible()
    by_faculty = page.get_by_role("table", name="By supervising faculty")
    expect(by_faculty.get_by_role("row", name=f"{assessor.name} 1 1 0 0")).to_be_visible()
    snapshot(page, "rotations-completion")
    assert AssessmentRequest.objects.get().status == AssessmentRequest.Status.COMPLETED
