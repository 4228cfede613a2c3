"""Each create form of the portfolio pages creates once per rendered page (core.once)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.shortcuts import redirect
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import ApiToken
from assessments.models import CheckIn
from core.models import FormSubmission
from core.once import FIELD, submit_once
from portfolio import services, transfer
from portfolio.models import Evidence, Goal, GoalProgressNote, PortfolioTransfer, ShareGrant
from portfolio.tests.factories import GoalFactory
from tests.once import assert_created_once, token_of

pytestmark = pytest.mark.django_db

GOAL = {
    "title": "Present at morning report",
    "measure": "Feedback from two attendings",
    "plan": "",
    "target_date": "2026-02-01",
    "status": "active",
}


def test_the_goal_form_creates_one_goal_when_sent_twice(client, learner, leaves):
    client.force_login(learner)
    data = {**GOAL, "competencies": [leaves[2].pk]}
    where = assert_created_once(
        client, reverse("goal-create"), data, lambda: Goal.objects.count(), "goal"
    )
    assert where == reverse("goal-detail", args=[Goal.objects.earliest("pk").pk])


def test_the_evidence_form_creates_one_item_when_sent_twice(client, learner, leaves):
    client.force_login(learner)
    data = {
        "kind": "case_log",
        "title": "Sepsis admission",
        "body": "Early antibiotics.",
        "occurred_on": "2025-10-02",
        "competencies": [leaves[1].pk],
    }
    count = Evidence.objects.exclude(kind="reflection").count
    assert_created_once(client, reverse("evidence-create"), data, count, "evidence")


def test_the_reflection_form_creates_one_reflection_when_sent_twice(client, learner, leaves):
    client.force_login(learner)
    data = {
        "kind": "reflection",
        "title": "A hard night",
        "body": "What I learnt.",
        "occurred_on": "2025-10-02",
        "competencies": [leaves[1].pk],
    }
    page = reverse("evidence-create") + "?kind=reflection"
    count = Evidence.objects.filter(kind="reflection").count
    assert_created_once(client, reverse("evidence-create"), data, count, "reflection", page=page)


def test_the_progress_note_form_adds_one_note_when_sent_twice(client, learner):
    goal = GoalFactory(learner=learner)
    client.force_login(learner)
    url = reverse("goal-detail", args=[goal.pk])
    data = {"text": "Halfway", "noted_on": "2025-11-01"}
    assert_created_once(client, url, data, GoalProgressNote.objects.count, "progress note")


def test_the_sharing_form_grants_once_when_sent_twice(client, learner, coach):
    client.force_login(learner)
    data = {"audience": "person", "grantee_email": coach.email, "scopes": ["goals"]}
    assert_created_once(
        client,
        reverse("share-list"),
        data,
        ShareGrant.objects.count,
        "share",
        fresh_creates=False,
    )


# --- The machinery, through the goal form ----------------------------------------------------


def test_a_form_with_errors_spends_no_token(client, learner):
    client.force_login(learner)
    token = str(uuid.uuid4())
    bad = client.post(reverse("goal-create"), {**GOAL, "title": "", FIELD: token})
    assert bad.status_code == 400
    good = client.post(reverse("goal-create"), {**GOAL, FIELD: token})
    assert good.status_code == 302 and Goal.objects.count() == 1


def test_a_token_is_spent_for_its_sender_only(client, learner, other_learner):
    token = str(uuid.uuid4())
    for person in (learner, other_learner):
        client.force_login(person)
        assert client.post(reverse("goal-create"), {**GOAL, FIELD: token}).status_code == 302
    assert Goal.objects.filter(learner__in=[learner, other_learner]).count() == 2


def test_a_post_without_a_token_behaves_as_before(client, learner):
    client.force_login(learner)
    client.post(reverse("goal-create"), GOAL)
    client.post(reverse("goal-create"), GOAL)
    assert Goal.objects.count() == 2
    assert not FormSubmission.objects.exists()


def test_a_redirect_with_an_error_message_spends_no_token(learner):
    """A refusal that redirects back (as the group page's actions do) leaves the token usable."""
    made = []

    @submit_once("thing")
    def view(request):
        if not made:
            made.append(1)
            messages.error(request, "No.")
        return redirect("/somewhere/")

    token = str(uuid.uuid4())
    for _ in range(2):
        request = RequestFactory().post("/", {FIELD: token})
        request.user = learner
        request.session = {}
        request._messages = FallbackStorage(request)
        view(request)
    assert FormSubmission.objects.filter(user=learner).count() == 1
    assert [m.message for m in get_messages(request)] == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_token_create_one_goal(learner):
    """Both posts pass the first look-up before either commits; the unique constraint stops
    the second, whose goal is rolled back, and it is sent to the first one's goal."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    token = str(uuid.uuid4())
    inside = threading.Barrier(2, timeout=20)
    original = services.goal_create
    responses = {}

    def goal_create_in_step(**kwargs):
        inside.wait()  # both requests are inside the view, neither has committed
        return original(**kwargs)

    def send(name):
        try:
            client = Client()
            client.force_login(learner)
            responses[name] = client.post(reverse("goal-create"), {**GOAL, FIELD: token})
        finally:
            connection.close()

    services.goal_create = goal_create_in_step
    try:
        threads = [threading.Thread(target=send, args=(n,)) for n in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        services.goal_create = original
    assert Goal.objects.count() == 1
    goal = Goal.objects.get()
    assert {r["Location"] for r in responses.values()} == {reverse("goal-detail", args=[goal.pk])}


def test_the_check_in_form_records_one_check_in_when_sent_twice(client, learner, framework, leaves):
    client.force_login(learner)
    url = reverse("checkin-form", args=[framework.pk])
    data = {"client_token": str(uuid.uuid4()), f"level-{leaves[0].pk}": "1.5"}
    assert_created_once(client, url, data, CheckIn.objects.count, "check-in", fresh_creates=False)


def test_the_api_token_form_makes_one_token_when_sent_twice(client, learner):
    client.force_login(learner)
    url = reverse("api-token-list")
    token = token_of(client.get(url).content.decode())
    first = client.post(url, {"name": "script", FIELD: token})
    assert first.status_code == 200 and ApiToken.objects.count() == 1
    again = client.post(url, {"name": "script", FIELD: token}, follow=True)
    assert ApiToken.objects.count() == 1
    assert again.redirect_chain == [(url, 302)]
    assert "Already created — your new token is in the list below." in again.content.decode()


def test_the_export_button_pressed_twice_starts_one_export(client, learner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(learner)
    assert_created_once(
        client,
        reverse("export-start"),
        {},
        PortfolioTransfer.objects.count,
        "export",
        page=reverse("transfer-list"),
        fresh_creates=False,  # one export runs at a time
    )


def test_the_import_form_sent_twice_starts_one_import(client, learner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    archive = transfer.archive_bytes(learner=learner)
    client.force_login(learner)
    imports = PortfolioTransfer.objects.filter(direction="import").count
    where = assert_created_once(
        client,
        reverse("import-start"),
        {"archive": SimpleUploadedFile("portfolio.zip", archive, "application/zip")},
        imports,
        "import",
        page=reverse("transfer-list"),
        fresh_creates=False,  # the client has read the file by then; the test needs one import
    )
    job = PortfolioTransfer.objects.get(direction="import")
    assert where == reverse("transfer-detail", kwargs={"public_id": job.public_id})
