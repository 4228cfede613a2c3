"""The monthly rating summary stays equal to the raw ratings through every write path —
check-ins, portfolio imports, observations recorded and revised, deletes in the admin — and
the full rebuild, the migration's fill and `check_summaries` agree with it."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.services.checkins import SelfAssessmentInput, checkin_record
from assessments.services.observations import assessment_revise
from assessments.services.ratings import ratings_delete
from assessments.summaries.monthly import monthly_summaries_differences, monthly_summaries_rebuild
from assessments.summaries.periods import period_summaries_differences
from assessments.tests.factories import observe
from frameworks.models import Competency
from portfolio import transfer
from portfolio.models import PortfolioTransfer
from portfolio.tests.factories import SelfAssessmentFactory
from programs.tests.factories import ReviewPeriodFactory
from tests import factories as base

# Check-ins cannot be dated in the future, observations only within the last year: today is
# 30 June 2026 here.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]

SELF = MonthlyRatingSummary.RatedBy.SELF
ASSESSOR = MonthlyRatingSummary.RatedBy.ASSESSOR
MARCH = dt.date(2026, 3, 1)
APRIL = dt.date(2026, 4, 1)
MAY = dt.date(2026, 5, 1)

Cells = dict[tuple[int, dt.date], tuple[Decimal, int, Decimal, dt.date]]


def assert_exact() -> None:
    assert monthly_summaries_differences() == (0, 0, [])


def cells(learner: User, rated_by: int) -> Cells:
    """(competency id, month) → (total, n, last level, last on) of the stored rows, the
    levels (stored in tenths) as decimals."""
    return {
        (s.competency_id, s.month): (
            Decimal(s.total_tenths) / 10,
            s.n,
            Decimal(s.last_tenths) / 10,
            s.last_on,
        )
        for s in MonthlyRatingSummary.objects.filter(learner=learner, rated_by=rated_by)
    }


def check_in(learner: User, day: dt.date, *items: tuple[Competency, str]) -> CheckIn:
    checkin, created = checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        assessed_on=day,
        items=[SelfAssessmentInput(competency.pk, level) for competency, level in items],
    )
    assert created
    return checkin


@pytest.fixture
def staff_client(client, admin_user, settings):
    settings.ENFORCE_STAFF_MFA = False
    client.force_login(admin_user)
    return client


# --- Check-ins ----------------------------------------------------------------------------------


def test_check_ins_in_two_months_make_a_row_per_month_and_competency(learner, leaves):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"), (leaves[1], "3"))
    check_in(learner, dt.date(2026, 4, 10), (leaves[0], "4"))

    assert cells(learner, SELF) == {
        (leaves[0].pk, MARCH): (Decimal(2), 1, Decimal(2), dt.date(2026, 3, 5)),
        (leaves[1].pk, MARCH): (Decimal(3), 1, Decimal(3), dt.date(2026, 3, 5)),
        (leaves[0].pk, APRIL): (Decimal(4), 1, Decimal(4), dt.date(2026, 4, 10)),
    }
    assert cells(learner, ASSESSOR) == {}
    assert_exact()


def test_of_two_check_ins_on_one_day_the_later_entered_is_the_months_latest(learner, leaves):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "3"))
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"))

    assert cells(learner, SELF) == {
        (leaves[0].pk, MARCH): (Decimal(5), 2, Decimal(2), dt.date(2026, 3, 5)),
    }
    assert_exact()


def test_a_backdated_check_in_entered_later_does_not_become_the_months_latest(learner, leaves):
    check_in(learner, dt.date(2026, 3, 20), (leaves[0], "3"))
    check_in(learner, dt.date(2026, 3, 10), (leaves[0], "1"))

    assert cells(learner, SELF) == {
        (leaves[0].pk, MARCH): (Decimal(4), 2, Decimal(3), dt.date(2026, 3, 20)),
    }
    assert_exact()


@pytest.mark.postgres  # the upsert needs the cell's unique index, which only PostgreSQL builds
def test_a_check_in_folds_into_its_own_month_and_leaves_other_months_rows_untouched(
    learner, leaves
):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"))
    march_row = MonthlyRatingSummary.objects.get(learner=learner, month=MARCH)

    check_in(learner, dt.date(2026, 4, 10), (leaves[0], "4"))
    check_in(learner, dt.date(2026, 4, 12), (leaves[0], "3"))

    # Not deleted and re-inserted: the March row is the same row, and April has one row.
    assert MonthlyRatingSummary.objects.get(learner=learner, month=MARCH).pk == march_row.pk
    assert cells(learner, SELF)[(leaves[0].pk, APRIL)] == (
        Decimal(7),
        2,
        Decimal(3),
        dt.date(2026, 4, 12),
    )
    assert_exact()


def test_many_check_ins_in_any_order_of_days_keep_the_summary_exact(learner, leaves):
    days = [
        dt.date(2026, 3, 20),
        dt.date(2026, 3, 2),
        dt.date(2026, 5, 1),
        dt.date(2026, 3, 20),
        dt.date(2026, 4, 30),
        dt.date(2026, 3, 1),
        dt.date(2026, 5, 1),
    ]
    for i, day in enumerate(days):
        check_in(learner, day, (leaves[0], str(1 + i % 4)), (leaves[1], str(4 - i % 4)))
    assert_exact()


# --- Portfolio import ---------------------------------------------------------------------------


def test_an_imported_portfolio_brings_its_self_ratings_into_the_summary(learner, leaves):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"), (leaves[1], "3"))
    check_in(learner, dt.date(2026, 4, 10), (leaves[0], "4"))
    SelfAssessmentFactory(  # outside a check-in: the document's loose self_assessments
        learner=learner, competency=leaves[0], level=Decimal(1), assessed_on=dt.date(2026, 4, 2)
    )
    archive = transfer.archive_bytes(learner=learner)
    newcomer = User.objects.create(email="newcomer@example.org")
    job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
    job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))

    done = transfer.portfolio_import_run(transfer_id=job.pk)

    assert done is not None and done.status == "done", done and done.report
    assert cells(newcomer, SELF) == {
        (leaves[0].pk, MARCH): (Decimal(2), 1, Decimal(2), dt.date(2026, 3, 5)),
        (leaves[1].pk, MARCH): (Decimal(3), 1, Decimal(3), dt.date(2026, 3, 5)),
        (leaves[0].pk, APRIL): (Decimal(5), 2, Decimal(4), dt.date(2026, 4, 10)),
    }
    assert cells(newcomer, SELF) == cells(learner, SELF)
    assert_exact()


# --- Observations ---------------------------------------------------------------------------------


def test_recorded_observations_are_summarised_as_assessor_ratings(learner, leaves, assessor):
    observe(assessor, learner, leaves[0], "2", dt.date(2026, 5, 4))
    observe(assessor, learner, leaves[0], "4", dt.date(2026, 5, 20))

    assert cells(learner, ASSESSOR) == {
        (leaves[0].pk, MAY): (Decimal(6), 2, Decimal(4), dt.date(2026, 5, 20)),
    }
    assert cells(learner, SELF) == {}
    assert_exact()


def test_revising_an_observation_into_another_month_empties_the_old_month(
    learner, leaves, assessor
):
    moved = observe(assessor, learner, leaves[0], "2", dt.date(2026, 3, 10))
    observe(assessor, learner, leaves[0], "3", dt.date(2026, 4, 10))
    assert (leaves[0].pk, MARCH) in cells(learner, ASSESSOR)

    assessment_revise(
        assessment=moved, author=assessor, level="1", observed_on=dt.date(2026, 4, 20), reason="r"
    )

    assert cells(learner, ASSESSOR) == {
        (leaves[0].pk, APRIL): (Decimal(4), 2, Decimal(1), dt.date(2026, 4, 20)),
    }
    assert_exact()


def test_revising_only_the_level_updates_the_months_total_and_latest(learner, leaves, assessor):
    observe(assessor, learner, leaves[0], "2", dt.date(2026, 5, 4))
    latest = observe(assessor, learner, leaves[0], "4", dt.date(2026, 5, 20))

    assessment_revise(assessment=latest, author=assessor, level="3", reason="r")

    assert cells(learner, ASSESSOR) == {
        (leaves[0].pk, MAY): (Decimal(5), 2, Decimal(3), dt.date(2026, 5, 20)),
    }
    assert_exact()


# --- Deletes in the admin -------------------------------------------------------------------------


def test_the_admin_deleting_a_check_in_removes_its_months(staff_client, learner, leaves):
    gone = check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"), (leaves[1], "3"))
    check_in(learner, dt.date(2026, 4, 10), (leaves[0], "4"))
    assert len(cells(learner, SELF)) == 3

    response = staff_client.post(f"/admin/assessments/checkin/{gone.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not CheckIn.objects.filter(pk=gone.pk).exists()
    assert cells(learner, SELF) == {
        (leaves[0].pk, APRIL): (Decimal(4), 1, Decimal(4), dt.date(2026, 4, 10)),
    }
    assert_exact()


def test_the_admin_bulk_deleting_check_ins_removes_their_months(staff_client, learner, leaves):
    first = check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"))
    second = check_in(learner, dt.date(2026, 3, 6), (leaves[0], "3"))
    check_in(learner, dt.date(2026, 4, 10), (leaves[0], "4"))

    response = staff_client.post(
        "/admin/assessments/checkin/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert CheckIn.objects.filter(learner=learner).count() == 1
    assert cells(learner, SELF) == {
        (leaves[0].pk, APRIL): (Decimal(4), 1, Decimal(4), dt.date(2026, 4, 10)),
    }
    assert_exact()


def test_the_admin_bulk_deleting_one_of_two_self_ratings_in_a_month_updates_it(
    staff_client, learner, leaves
):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"))
    check_in(learner, dt.date(2026, 3, 20), (leaves[0], "4"))
    latest = SelfAssessment.objects.get(learner=learner, assessed_on=dt.date(2026, 3, 20))

    response = staff_client.post(
        "/admin/assessments/selfassessment/",
        {"action": "delete_selected", "_selected_action": [latest.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert cells(learner, SELF) == {
        (leaves[0].pk, MARCH): (Decimal(2), 1, Decimal(2), dt.date(2026, 3, 5)),
    }
    assert_exact()


def test_the_admin_deleting_one_of_two_assessments_in_a_month_updates_total_n_and_latest(
    staff_client, program, learner, leaves, assessor
):
    # A review period over May, so the period summary has a cell the delete must change too.
    ReviewPeriodFactory(program=program, start_date=MAY, end_date=dt.date(2026, 5, 31))
    observe(assessor, learner, leaves[0], "2", dt.date(2026, 5, 4))
    latest = observe(assessor, learner, leaves[0], "4", dt.date(2026, 5, 20))

    response = staff_client.post(
        f"/admin/assessments/assessment/{latest.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Assessment.objects.filter(pk=latest.pk).exists()
    assert cells(learner, ASSESSOR) == {
        (leaves[0].pk, MAY): (Decimal(2), 1, Decimal(2), dt.date(2026, 5, 4)),
    }
    assert_exact()
    assert period_summaries_differences() == (0, 0, [])


def test_the_admin_bulk_deleting_assessments_of_two_learners_refreshes_each(
    staff_client, program, learner, leaves, assessor
):
    second = User.objects.create(email="second.learner@example.org")
    base.EnrollmentFactory(learner=second, program=program)
    keep = observe(assessor, learner, leaves[0], "2", dt.date(2026, 3, 10))
    mine = observe(assessor, learner, leaves[0], "3", dt.date(2026, 4, 10))
    theirs = observe(assessor, second, leaves[1], "4", dt.date(2026, 5, 10))

    response = staff_client.post(
        "/admin/assessments/assessment/",
        {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Assessment.objects.values_list("pk", flat=True)) == [keep.pk]
    assert cells(learner, ASSESSOR) == {
        (leaves[0].pk, MARCH): (Decimal(2), 1, Decimal(2), dt.date(2026, 3, 10)),
    }
    assert cells(second, ASSESSOR) == {}
    assert_exact()


def test_ratings_delete_refuses_a_queryset_of_something_other_than_ratings(learner):
    with pytest.raises(TypeError, match="User is not a rating"):
        ratings_delete(User.objects.filter(pk=learner.pk))

    assert User.objects.filter(pk=learner.pk).exists()


# --- Rebuild, migration and check ---------------------------------------------------------------


def test_the_full_rebuild_and_the_migrations_fill_equal_the_incremental_state(
    learner, leaves, assessor
):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"), (leaves[1], "3"))
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "1"))
    observe(assessor, learner, leaves[0], "3", dt.date(2026, 4, 10))
    moved = observe(assessor, learner, leaves[1], "2", dt.date(2026, 4, 12))
    assessment_revise(assessment=moved, author=assessor, observed_on=dt.date(2026, 5, 2))
    incremental = (cells(learner, SELF), cells(learner, ASSESSOR))
    assert sum(len(part) for part in incremental) == 4

    assert monthly_summaries_rebuild() == 4
    assert (cells(learner, SELF), cells(learner, ASSESSOR)) == incremental

    fill = importlib.import_module("assessments.migrations.0007_monthly_rating_summary_tenths").fill
    fill(None, SimpleNamespace(connection=connection))
    assert (cells(learner, SELF), cells(learner, ASSESSOR)) == incremental
    assert_exact()


def test_check_summaries_names_a_monthly_cell_changed_behind_the_services_back(
    learner, leaves, capsys
):
    check_in(learner, dt.date(2026, 3, 5), (leaves[0], "2"))
    call_command("check_summaries")
    assert "monthly rating summary equals the raw ratings" in capsys.readouterr().out

    MonthlyRatingSummary.objects.update(n=9)

    with pytest.raises(CommandError, match=r"^Monthly rating summary differ"):
        call_command("check_summaries")
    err = capsys.readouterr().err
    assert re.search(
        rf"learner {learner.pk}, self ratings of competency {leaves[0].pk} in 2026-03: "
        r"total 2\.0 of 1, latest 2\.0 on 2026-03-05 is missing or different",
        err,
    )
    assert "1 cells missing or different, 1 cells that should not be there" in err

    call_command("check_summaries", "--rebuild")
    assert "monthly rating summary equals the raw ratings" in capsys.readouterr().out
    assert cells(learner, SELF)[(leaves[0].pk, MARCH)][1] == 1
