"""The learning pages' create forms create once per rendered page (core.once)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.once import FIELD
from frameworks.models import Competency
from learning.models import UpcomingVisit
from learning.tests.factories import LearningResourceFactory, fhir_text, im_framework
from portfolio.models import Evidence
from tests.once import assert_created_once, token_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


def test_add_as_evidence_sent_twice_from_one_page_is_one_item(client, learner, program):
    framework = im_framework()
    program.frameworks.add(framework)
    resource = LearningResourceFactory(
        title="Reasoning traps",
        competencies=[Competency.objects.get(framework=framework, code="PC3")],
    )
    client.force_login(learner)
    page = reverse("learning-resource", args=[resource.pk])
    where = assert_created_once(
        client,
        reverse("learning-evidence", args=[resource.pk]),
        {"reason": "PC3 gap", "next": page},
        Evidence.objects.count,
        "evidence",
        page=page,
        fresh_creates=False,  # the service also returns the evidence it made the first time
    )
    assert where == page


def test_a_visit_upload_sent_twice_from_one_page_is_read_once(client, learner):
    """The upload answers with its report, not a redirect; the replay goes back to the list."""
    client.force_login(learner)
    url = reverse("learning-visits")
    token = token_of(client.get(url).content.decode())

    def send():
        bundle = SimpleUploadedFile("bundle.json", fhir_text("bundle.json").encode())
        data = {"practitioner_id": "pr-learner", "bundle": bundle, FIELD: token}
        return client.post(url, data, follow=True)

    first = send()
    assert first.status_code == 200 and "3 upcoming visits kept" in first.content.decode()
    UpcomingVisit.objects.filter(learner=learner).first().delete()  # removed after reading
    again = send()
    assert again.redirect_chain == [(url, 302)]
    assert "Already saved — this is the visit import you created." in again.content.decode()
    assert "upcoming visits kept" not in again.content.decode()
    assert UpcomingVisit.objects.filter(learner=learner).count() == 2
