from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Assessment, CheckIn, SelfAssessment
from assessments.tests.factories import on_shipped_form
from tests import factories

CHANGELISTS = ("checkin", "selfassessment", "assessment")


@pytest.fixture
def admin_client_(client, admin_user, settings):
    settings.ENFORCE_STAFF_MFA = False
    client.force_login(admin_user)
    return client


def _make_ratings(count: int) -> Assessment:
    competency = factories.CompetencyFactory()
    assessment = None
    for _ in range(count):
        learner = factories.UserFactory()
        checkin = CheckIn.objects.create(learner=learner)
        SelfAssessment.objects.create(
            learner=learner,
            competency=competency,
            level=Decimal("2.0"),
            assessed_on=dt.date(2026, 1, 5),
            checkin=checkin,
        )
        assessment = Assessment.objects.create(
            **on_shipped_form(
                dict(
                    assessor=factories.UserFactory(),
                    learner=learner,
                    competency=competency,
                    level=Decimal("2.5"),
                    went_well="Clear handover.",
                    next_step="Name the sickest patient first.",
                    observed_on=dt.date(2026, 1, 6),
                )
            )
        )
    assert assessment is not None
    return assessment


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_admin_changelist_runs_as_many_queries_for_six_rows_as_for_two(admin_client_, model):
    url = f"/admin/assessments/{model}/"
    _make_ratings(2)
    small = _queries(admin_client_, url)

    _make_ratings(4)

    assert _queries(admin_client_, url) == small


def test_admin_shows_an_assessment_with_its_narrative_but_offers_no_edit(admin_client_):
    assessment = _make_ratings(1)
    url = f"/admin/assessments/assessment/{assessment.pk}/change/"

    page = admin_client_.get(url)
    attempt = admin_client_.post(url, {"level": "5.0"})

    assert page.status_code == 200
    assert b"Name the sickest patient first." in page.content
    assert b'name="_save"' not in page.content
    assert attempt.status_code == 403
    assessment.refresh_from_db()
    assert assessment.level == Decimal("2.5")


@pytest.mark.parametrize("model", CHANGELISTS)
def test_admin_cannot_add_ratings_by_hand(admin_client_, model):
    assert admin_client_.get(f"/admin/assessments/{model}/add/").status_code == 403


def test_check_in_page_lists_its_self_assessments(admin_client_):
    _make_ratings(1)
    checkin = CheckIn.objects.get()

    page = admin_client_.get(f"/admin/assessments/checkin/{checkin.pk}/change/")

    assert page.status_code == 200
    assert page.context["inline_admin_formsets"][0].formset.queryset.count() == 1
