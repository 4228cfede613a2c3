"""The benchmark's generator and its raw "limit" queries, checked on a micro institution.

The raw SQL is what the endpoints are compared with, so it must compute the same numbers as
the endpoints; the full benchmark checks this on every run, these tests keep it true in CI.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from bench.generate import Scale, build
from bench.measure import (
    DASHBOARD_SQL,
    EVIDENCE_API_PAGE,
    EVIDENCE_PAGE_SQL,
    HEATMAP_SQL,
    _check_evidence,
    _check_heatmap,
    _check_overview,
)
from committee.overview import overview_reference_sql, overview_window

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

MICRO = Scale("micro", programs=2, learners=18, big_program=9, small_learners=4)


@pytest.fixture
def world():
    return build(MICRO, dt.date.today(), log=lambda message: None)


def _client(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _raw(sql: str, params: dict) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_generator_makes_one_rating_per_learner_competency_and_period(world):
    # 22 sub-competencies × 12 periods for the main institution, 2 periods for the small one.
    expected = (MICRO.learners * 12 + MICRO.small_learners * 2) * 22
    assert world.counts["assessments"] == world.counts["self_assessments"] == expected
    assert world.counts["consensus"] > 0


def test_heatmap_endpoint_returns_the_raw_querys_numbers(world):
    from programs.models import ReviewPeriod

    period = ReviewPeriod.objects.get(pk=world.current_period_id)
    raw = _raw(
        HEATMAP_SQL,
        {
            "program": world.big_program_id,
            "period": period.pk,
            "start": period.start_date,
            "end": period.end_date,
        },
    )
    url = f"/api/v1/programs/{world.big_program_id}/heatmap/?period={period.pk}"

    assert _check_heatmap(_client(world.big_director_email), url, raw) == f"{len(raw)} cells match"
    assert len(raw) == MICRO.big_program * 22


def test_overview_endpoint_returns_the_raw_querys_numbers(world):
    since, until = overview_window(timezone.localdate())
    sql = overview_reference_sql(
        "postgresql", institutions="%(institution)s", since="%(since)s", until="%(until)s"
    )
    raw = _raw(sql, {"institution": world.institution_id, "since": since, "until": until})

    note = _check_overview(_client(world.big_director_email), "/api/v1/institution/overview/", raw)

    # The director reviews only the big program; the other one's small cells are withheld.
    assert note.endswith("withheld (< 5)") and "groups match" in note


def test_dashboard_query_covers_every_rated_competency(world):
    learner = User.objects.get(email=world.learner_email)
    rows = _raw(DASHBOARD_SQL, {"learner": learner.pk})
    assert {r[0] for r in rows} == {"self", "assessor", "self-month", "assessor-month"}
    assert sum(1 for r in rows if r[0] == "assessor") == 22


def test_evidence_page_query_returns_the_api_first_page(world):
    learner = User.objects.get(email=world.learner_email)
    raw = _raw(EVIDENCE_PAGE_SQL, {"learner": learner.pk, "limit": EVIDENCE_API_PAGE})

    assert _check_evidence(_client(world.learner_email), raw) == "first 50 items match"
    assert world.counts["evidence"] == MICRO.evidence + 10
    # Newest first, each with its one sub-competency.
    assert [r[5] for r in raw] == sorted((r[5] for r in raw), reverse=True)
    assert all(len(r[-1]) == 1 for r in raw)
