"""Fitting an institution from its rows: what is shown, what is hidden, what the models say,
who was counted, and each assessor's private signal."""

from __future__ import annotations

import pytest
import time_machine

from equity import tasks
from equity.fitting import CONSENSUS, FREQUENCY, NARRATIVE, RATING
from equity.models import AssessorSignal, CharacteristicUse, EquityFit
from equity.services import equity_fits_refresh
from equity.suppression import COMPLEMENT, SMALL
from equity.tests.factories import MEN_HIGHER, TODAY

pytestmark = pytest.mark.django_db


def _fit(world, program=None):
    if program is None:
        return EquityFit.objects.get(institution=world.program.institution, program__isnull=True)
    return EquityFit.objects.get(program=program)


def test_a_fit_is_stored_per_program_and_for_the_institution_with_a_freshness_stamp(fitted):
    assert EquityFit.objects.count() == 3
    fit = _fit(fitted, fitted.program)
    assert fit.computed_at is not None
    assert fit.data_through.isoformat() == "2026-03-31"
    assert [g["key"] for g in fit.groups] == ["woman", "man", "non-binary"]
    assert len(fit.periods) == 2


def test_a_group_under_five_is_suppressed_with_no_numbers(fitted):
    cells = _fit(fitted, fitted.program).cells
    small = [c for c in cells if c["group"] == "non-binary"]
    assert small and all(c["suppressed"] for c in small)
    assert all(c["reason"] == SMALL for c in small)
    assert all(c[k] is None for c in small for k in ("learners", "n", "mean", "median", "q1"))


def test_shown_cells_rest_on_five_learners_and_carry_quartiles(fitted):
    for fit in EquityFit.objects.all():
        shown = [c for c in fit.cells if not c["suppressed"]]
        assert shown
        assert all(c["learners"] >= 5 for c in shown)
        assert all(c["q1"] <= c["median"] <= c["q3"] for c in shown)
    measures = {c["measure"] for c in _fit(fitted, fitted.program).cells}
    assert measures == {RATING, NARRATIVE, CONSENSUS, FREQUENCY}


def test_the_adjusted_difference_finds_the_built_in_gap_with_its_interval_and_n(fitted):
    estimates = [
        e
        for e in _fit(fitted, fitted.program).estimates
        if e["measure"] == RATING and e["group"] == "man"
    ]
    assert len(estimates) == 2  # one per competency
    for e in estimates:
        assert e["reference"] == "woman"
        assert e["low"] < e["estimate"] < e["high"]
        assert e["low"] > 0  # men rated higher, as built in
        assert abs(e["estimate"] - MEN_HIGHER) < 0.5
        assert e["learners_group"] >= 5 and e["learners_reference"] >= 5
        assert e["n"] > e["learners"]
        assert [t["name"] for t in e["terms"]][:2] == ["intercept", "group man"]


def test_the_institution_shows_no_group_its_programs_hide_when_it_stays_small(fitted):
    # Two non-binary learners in one program and one in the other: three together.
    institution = _fit(fitted)
    non_binary = [c for c in institution.cells if c["group"] == "non-binary"]
    assert non_binary and all(c["suppressed"] for c in non_binary)
    shown = [c for c in institution.cells if not c["suppressed"]]
    assert shown and all(c["learners"] >= 5 for c in shown)


def test_learners_counted_in_a_shown_cell_see_an_aggregate_use_and_others_do_not(fitted):
    counted = set(CharacteristicUse.objects.values_list("learner_id", flat=True))
    assert {u.pk for u in fitted.learners["woman"]} <= counted
    assert not {u.pk for u in fitted.learners["non-binary"]} & counted
    assert not {u.pk for u in fitted.learners["pnts"]} & counted
    assert not {u.pk for u in fitted.learners[""]} & counted
    scopes = set(
        CharacteristicUse.objects.filter(learner=fitted.learners["woman"][0]).values_list(
            "scope", flat=True
        )
    )
    assert fitted.program.name in scopes


def test_the_strict_assessor_sees_their_gap_beyond_colleagues_and_only_theirs(fitted):
    strict = fitted.assessors[0]
    signals = AssessorSignal.objects.filter(assessor=strict, program=fitted.program)
    [signal] = signals
    [row] = [r for r in signal.rows if r["group"] == "man"]
    assert row["reference"] == "woman"
    assert row["beyond"]
    assert row["difference"] > 0  # their man-minus-woman gap is larger than colleagues'
    assert row["my_group"] >= 5 and row["my_reference"] >= 5


def test_refitting_stores_the_same_numbers(fitted):
    before = {f.pk: (f.cells, f.estimates) for f in EquityFit.objects.all()}
    equity_fits_refresh(institution=fitted.program.institution, today=TODAY)
    after = {f.pk: (f.cells, f.estimates) for f in EquityFit.objects.all()}
    assert before == after


def test_the_daily_task_fits_once_after_a_period_closes(fitted, django_capture_on_commit_callbacks):
    EquityFit.objects.all().delete()
    with time_machine.travel(TODAY):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.closed_periods_fit() == 1
        assert EquityFit.objects.count() == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.closed_periods_fit() == 0


def test_no_fit_before_any_period_closed(fitted):
    EquityFit.objects.all().delete()
    result = equity_fits_refresh(
        institution=fitted.program.institution, today=fitted.periods[0].start_date
    )
    assert result.fits == 0
    assert not EquityFit.objects.exists()


def test_complement_reason_is_recorded_when_used(fitted):
    reasons = [c["reason"] for f in EquityFit.objects.all() for c in f.cells]
    assert all(r in ("", SMALL, COMPLEMENT) for r in reasons)
