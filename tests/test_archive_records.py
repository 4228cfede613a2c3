"""The learner's page and API of records kept from imported archives (docs/portfolio-export.md):
their own only, read-only, with the authors' names as exported; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.urls import reverse

from portfolio.models import ImportedRecord

pytestmark = pytest.mark.django_db


def keep(learner: Any, n: int) -> None:
    ImportedRecord.objects.bulk_create(
        ImportedRecord(
            learner=learner,
            kind=ImportedRecord.Kind.RECORD,
            section="committee_reviews",
            item_id=uuid.uuid4(),
            payload={
                "id": str(uuid.uuid4()),
                "program": "IM residency",
                "period": f"Period {i}",
                "start_date": f"2025-{1 + i % 12:02d}-01",
                "signed_off_by": "Dr Margaret Okafor",
                "learner_response": "Thank you.",
                "ratings": [],
            },
        )
        for i in range(n)
    )


def test_the_learner_reads_their_kept_records_with_the_authors_names(client, learner):
    keep(learner, 1)
    ImportedRecord.objects.create(
        learner=learner,
        kind=ImportedRecord.Kind.RECORD,
        section="credentials",
        item_id=uuid.uuid4(),
        payload={"id": "x", "title": "Entrusted: EPA1", "issuer": "Northbridge", "issued_at": 3},
    )
    client.force_login(learner)
    page = client.get(reverse("kept-record-list")).content.decode()
    assert "Committee review: IM residency · Period 0" in page
    assert "By Dr Margaret Okafor" in page
    assert "Entrusted: EPA1" in page and "By Northbridge" in page

    body = client.get("/api/v1/imported-records/").json()
    sections = {r["section"]: r for r in body["results"]}
    assert sections["committee_reviews"]["author"] == "Dr Margaret Okafor"
    assert sections["committee_reviews"]["section_name"] == "committee review"
    assert sections["committee_reviews"]["record"]["learner_response"] == "Thank you."


def test_nobody_sees_another_persons_kept_records(client, learner, other_learner, director):
    keep(learner, 2)
    for person in (other_learner, director):
        client.force_login(person)
        assert "IM residency" not in client.get(reverse("kept-record-list")).content.decode()
        assert client.get("/api/v1/imported-records/").json()["results"] == []


def test_an_empty_page_says_where_records_come_from(client, learner):
    client.force_login(learner)
    assert "No records kept yet" in client.get(reverse("kept-record-list")).content.decode()


@pytest.mark.parametrize("size", [2, 30])
def test_the_kept_record_lists_run_a_fixed_number_of_queries(
    client, learner, size, django_assert_num_queries
):
    keep(learner, size)
    client.force_login(learner)
    # 1 session, 2 user, 3 count, 4 the page of records, 5 the person's roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("kept-record-list")).status_code == 200
    # 1 session, 2 user, 3 the page of records
    with django_assert_num_queries(3):
        response = client.get("/api/v1/imported-records/")
    assert len(response.json()["results"]) == min(size, 50)


def _export_queries(learner: Any, n: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cpd.services import cpd_activity_record
    from cpd.tests.factories import category_1
    from handovers.tests.factories import sent
    from portfolio import transfer
    from tests import factories as base

    program = base.ProgramFactory()
    for i in range(n):
        cpd_activity_record(
            learner=learner,
            occurred_on=dt.date(2026, 1, 1 + i),
            title=f"Course {i}",
            credit_type=category_1().code,
            hours="1",
        )
        sent(learner=learner, program=program)
    keep(learner, n)
    with CaptureQueriesContext(connection) as queries:
        document = transfer.portfolio_document(learner=learner).document
    assert len(document["cpd_activities"]) == n and len(document["committee_reviews"]) == n
    return len(queries)


def test_the_export_reads_the_sections_in_a_fixed_number_of_queries(learner, other_learner):
    assert _export_queries(learner, 2) == _export_queries(other_learner, 12)
