"""Check-ins: the recording service's rules and idempotency."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.services.checkins import (
    CheckInInvalidError,
    CheckInTokenConflictError,
    SelfAssessmentInput,
    checkin_dates_refresh,
    checkin_record,
)
from assessments.summaries.monthly import monthly_summaries_differences
from portfolio.services import CheckInItem, checkin_record_with_evidence
from portfolio.tests.factories import EvidenceFactory, framework_with_tree

pytestmark = pytest.mark.django_db


def test_a_check_in_records_one_dated_self_assessment_per_item(learner, leaves):
    checkin, created = checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[
            SelfAssessmentInput(leaves[0].pk, "2.5", "Ran the team huddle"),
            SelfAssessmentInput(leaves[1].pk, Decimal("3")),
        ],
    )
    assert created
    rows = {sa.competency_id: sa for sa in checkin.items.all()}
    assert rows[leaves[0].pk].level == Decimal("2.5")
    assert rows[leaves[0].pk].note == "Ran the team huddle"
    assert rows[leaves[1].pk].level == Decimal("3")
    assert all(sa.learner == learner for sa in rows.values())


@pytest.mark.parametrize("back", [0, 40])
def test_a_check_in_keeps_the_day_its_items_were_assessed_on(learner, leaves, back):
    day = timezone.localdate() - dt.timedelta(days=back)
    checkin, _ = checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[SelfAssessmentInput(leaves[0].pk, "2")],
        assessed_on=day,
    )
    stored = CheckIn.objects.get(pk=checkin.pk)
    assert checkin.assessed_on == stored.assessed_on == day
    assert stored.items.get().assessed_on == day


def test_check_ins_written_in_bulk_take_their_latest_items_day(learner, leaves):
    checkin = CheckIn.objects.create(learner=learner)
    empty = CheckIn.objects.create(learner=learner)
    for day in (dt.date(2025, 3, 1), dt.date(2025, 3, 9)):
        SelfAssessment.objects.create(
            learner=learner, competency=leaves[0], level=2, assessed_on=day, checkin=checkin
        )

    checkin_dates_refresh(checkin_ids=[checkin.pk, empty.pk])

    checkin.refresh_from_db()
    empty.refresh_from_db()
    assert (checkin.assessed_on, empty.assessed_on) == (dt.date(2025, 3, 9), None)


def test_a_later_check_in_adds_to_history_and_never_overwrites(learner, leaves):
    checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    checkin_record(
        learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(leaves[0].pk, "3")]
    )
    levels = sorted(
        SelfAssessment.objects.filter(competency=leaves[0]).values_list("level", flat=True)
    )
    assert levels == [Decimal("2"), Decimal("3")]
    assert CheckIn.objects.count() == 2


def test_the_same_client_token_twice_records_one_check_in(learner, leaves):
    token = uuid.uuid4()
    first, created_first = checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    second, created_second = checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "4")]
    )
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert SelfAssessment.objects.count() == 1


def test_someone_elses_client_token_is_a_conflict(learner, other_learner, leaves):
    token = uuid.uuid4()
    checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "2")]
    )
    with pytest.raises(CheckInTokenConflictError):
        checkin_record(learner=other_learner, client_token=token, items=[])


@pytest.mark.parametrize("level", ["2.3", "5.5", "-1", "abc", "NaN", "Infinity", ""])
def test_a_level_not_on_the_scale_is_refused_and_nothing_is_written(learner, leaves, level):
    with pytest.raises(CheckInInvalidError) as error:
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[
                SelfAssessmentInput(leaves[0].pk, "2"),
                SelfAssessmentInput(leaves[1].pk, level),
            ],
        )
    assert leaves[1].pk in error.value.item_errors
    assert "not on the" in error.value.item_errors[leaves[1].pk][0]
    assert not CheckIn.objects.exists()
    assert not SelfAssessment.objects.exists()


def test_a_competency_from_a_framework_the_learner_does_not_use_is_refused(learner, leaves):
    _, foreign = framework_with_tree(code="other-fw")
    with pytest.raises(CheckInInvalidError) as error:
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[SelfAssessmentInput(foreign[0].pk, "2")],
        )
    assert "not one you can rate" in error.value.item_errors[foreign[0].pk][0]
    assert not SelfAssessment.objects.exists()


def test_a_domain_is_not_ratable(learner, leaves):
    domain = leaves[0].parent
    with pytest.raises(CheckInInvalidError):
        checkin_record(
            learner=learner, client_token=uuid.uuid4(), items=[SelfAssessmentInput(domain.pk, "2")]
        )


def test_a_former_programs_framework_is_no_longer_in_use(learner, program, leaves):
    learner.enrollments.update(end_date="2025-06-30")
    with pytest.raises(CheckInInvalidError):
        checkin_record(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[SelfAssessmentInput(leaves[0].pk, "2")],
        )


def test_evidence_of_another_learner_cannot_be_linked(learner, other_learner, leaves):
    theirs = EvidenceFactory(learner=other_learner)
    with pytest.raises(CheckInInvalidError) as refused:
        checkin_record_with_evidence(
            learner=learner,
            client_token=uuid.uuid4(),
            items=[CheckInItem(leaves[0].pk, "2", evidence_ids=[theirs.pk])],
        )
    assert refused.value.item_errors == {
        leaves[0].pk: ["Link only evidence from your own portfolio."]
    }
    assert not SelfAssessment.objects.exists()


def test_own_evidence_is_linked_to_the_self_assessment(learner, leaves):
    mine = EvidenceFactory(learner=learner)
    checkin, _ = checkin_record_with_evidence(
        learner=learner,
        client_token=uuid.uuid4(),
        items=[CheckInItem(leaves[0].pk, "2", evidence_ids=[mine.pk])],
    )
    assert list(checkin.items.get().evidence.all()) == [mine]


def test_an_empty_check_in_is_refused(learner, leaves):
    with pytest.raises(CheckInInvalidError):
        checkin_record(learner=learner, client_token=uuid.uuid4(), items=[])


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 1000])
def test_the_check_in_list_runs_a_fixed_number_of_queries(
    client, learner, leaves, size, django_assert_num_queries
):
    checkins = CheckIn.objects.bulk_create(
        CheckIn(learner=learner, client_token=uuid.uuid4()) for _ in range(size)
    )
    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            competency=leaves[i % len(leaves)],
            level=Decimal("2"),
            assessed_on="2025-09-01",
            checkin=c,
        )
        for i, c in enumerate(checkins)
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 count, 5 page of check-ins, 6 their items,
    # 7 frameworks in use, 8 active grants (who can see this)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        response = client.get(reverse("checkin-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("per_domain", [2, 20])
def test_the_check_in_page_runs_a_fixed_number_of_queries(
    client, learner, program, per_domain, django_assert_num_queries
):
    framework, _ = framework_with_tree(code="big", per_domain=per_domain)
    program.frameworks.add(framework)
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 framework in use, 5 competencies with last
    # levels, 6 their descriptors, 7 scale levels, 8 active grants
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        response = client.get(reverse("checkin-form", args=[framework.pk]))
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_check_in_is_one_statement_that_commits_all_or_nothing(
    learner, leaves
):
    """On PostgreSQL the check-in, its items and the monthly summary upsert are one statement
    that commits itself; a repeated token fails the whole statement, summary included."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement write is PostgreSQL's")
    token = uuid.uuid4()
    items = [
        SelfAssessmentInput(leaves[0].pk, "2.5", " Huddle "),
        SelfAssessmentInput(leaves[1].pk, "3"),
    ]
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as context:
        checkin, created = checkin_record(learner=learner, client_token=token, items=items)
    # 1 the ratable competencies with their scales' levels, 2 the write (no BEGIN, no COMMIT)
    assert len(context.captured_queries) == 2
    assert created
    stored = CheckIn.objects.get(client_token=token)
    assert stored.pk == checkin.pk
    assert [(i.pk, i.competency_id, i.level, i.note) for i in checkin.items.all()] == list(
        stored.items.order_by("id").values_list("pk", "competency_id", "level", "note")
    )
    assert stored.items.get(competency=leaves[0]).note == "Huddle"
    assert monthly_summaries_differences() == (0, 0, [])
    cells = list(MonthlyRatingSummary.objects.values_list("competency_id", "n", "total_tenths"))

    again, created_again = checkin_record(
        learner=learner, client_token=token, items=[SelfAssessmentInput(leaves[0].pk, "4")]
    )
    assert (again.pk, created_again) == (checkin.pk, False)
    assert SelfAssessment.objects.count() == 2
    assert (
        list(MonthlyRatingSummary.objects.values_list("competency_id", "n", "total_tenths"))
        == cells
    )
    assert monthly_summaries_differences() == (0, 0, [])
