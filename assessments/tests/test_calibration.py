"""Calibration (self against assessors) and the assessor's private comparison with colleagues."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.calibration import clamp_window
from assessments.selectors.observations import MIN_COLLEAGUES, leniency_for
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObservedAssessmentFactory, ObsWorld
from portfolio.calibration import calibration_for
from portfolio.models import AccessLog
from portfolio.tests.factories import SelfAssessmentFactory, ShareGrantFactory
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date


def self_rate(obs: ObsWorld, competency, level: str, on: dt.date):
    return SelfAssessmentFactory(
        learner=obs.learner, competency=competency, level=Decimal(level), assessed_on=on
    )


def rated(obs: ObsWorld, competency, level: str, on: dt.date, assessor=None):
    return ObservedAssessmentFactory(
        learner=obs.learner,
        assessor=assessor or obs.assessor,
        competency=competency,
        level=Decimal(level),
        observed_on=on,
    )


# --- Pairing -----------------------------------------------------------------------------------


def test_each_assessor_rating_pairs_with_the_nearest_self_assessment_in_the_window(obs):
    pc1 = obs.subs[0]
    self_rate(obs, pc1, "2", D(2025, 1, 1))
    self_rate(obs, pc1, "3", D(2025, 3, 1))
    rated(obs, pc1, "2", D(2025, 2, 20))  # nearest: 1 Mar (9 days) → +1
    rated(obs, pc1, "3.5", D(2025, 1, 10))  # nearest: 1 Jan → −1.5
    rated(obs, pc1, "3", D(2025, 9, 1))  # nothing within 60 days: unpaired

    result = calibration_for(viewer=obs.learner, learner=obs.learner)

    assert result is not None
    (framework,) = result.frameworks
    (row,) = framework.competencies
    assert row.code == "PC1"
    assert row.n == 2
    assert row.difference == pytest.approx((1 - 1.5) / 2)
    assert (row.over, row.under, row.same) == (1, 1, 0)
    assert result.unpaired == 1
    assert (result.self_count, result.assessor_count) == (2, 3)


def test_on_a_tie_the_earlier_self_assessment_wins(obs):
    pc1 = obs.subs[0]
    self_rate(obs, pc1, "2", D(2025, 5, 1))
    self_rate(obs, pc1, "4", D(2025, 5, 21))
    rated(obs, pc1, "3", D(2025, 5, 11))

    (framework,) = calibration_for(viewer=obs.learner, learner=obs.learner).frameworks
    assert framework.competencies[0].self_mean == 2.0


def test_the_window_decides_what_pairs(obs):
    pc1 = obs.subs[0]
    self_rate(obs, pc1, "3", D(2025, 1, 1))
    rated(obs, pc1, "2", D(2025, 2, 15))  # 45 days apart

    assert calibration_for(viewer=obs.learner, learner=obs.learner, window_days=30).n == 0
    assert calibration_for(viewer=obs.learner, learner=obs.learner, window_days=60).n == 1


def test_calibration_never_pairs_across_competencies(obs):
    self_rate(obs, obs.subs[0], "3", D(2025, 1, 1))
    rated(obs, obs.subs[1], "2", D(2025, 1, 2))
    result = calibration_for(viewer=obs.learner, learner=obs.learner)
    assert result.n == 0
    assert result.unpaired == 1


def test_over_and_under_estimation_read_as_such_and_time_is_by_quarter(obs):
    pc1, pc2 = obs.subs[0], obs.subs[1]
    self_rate(obs, pc1, "4", D(2025, 1, 5))
    rated(obs, pc1, "3", D(2025, 1, 6))
    self_rate(obs, pc1, "4", D(2025, 4, 5))
    rated(obs, pc1, "2.5", D(2025, 4, 6))
    self_rate(obs, pc2, "2", D(2025, 4, 5))
    rated(obs, pc2, "3", D(2025, 4, 7))

    (framework,) = calibration_for(viewer=obs.learner, learner=obs.learner).frameworks
    by_code = {row.code: row for row in framework.competencies}
    assert by_code["PC1"].verdict == "over"
    assert by_code["PC1"].difference == pytest.approx(1.25)
    assert by_code["PC2"].verdict == "under"
    assert [(p.label, p.n) for p in framework.periods] == [("2025 Q1", 1), ("2025 Q2", 2)]
    assert framework.periods[1].difference == pytest.approx((1.5 - 1) / 2)


def test_epa_and_milestone_frameworks_are_kept_apart(obs):
    self_rate(obs, obs.subs[0], "3", D(2025, 1, 1))
    rated(obs, obs.subs[0], "3", D(2025, 1, 1))
    self_rate(obs, obs.epas[0], "4", D(2025, 1, 1))
    rated(obs, obs.epas[0], "2", D(2025, 1, 1))
    frameworks = calibration_for(viewer=obs.learner, learner=obs.learner).frameworks
    assert sorted((f.name, f.n) for f in frameworks) == [
        ("Core EPAs (test)", 1),
        ("Milestones (test)", 1),
    ]


@pytest.mark.parametrize(
    ("raw", "days"), [("60", 60), ("0", 1), ("9999", 365), ("x", 60), (None, 60)]
)
def test_window_parameter_is_clamped(raw, days):
    assert clamp_window(raw) == days


# --- Who sees it ------------------------------------------------------------------------------


def _some_pairs(obs: ObsWorld) -> None:
    self_rate(obs, obs.subs[0], "3", D(2025, 1, 1))
    rated(obs, obs.subs[0], "2", D(2025, 1, 3))


def test_a_coach_sees_calibration_only_when_check_ins_are_shared(client, obs, coach):
    _some_pairs(obs)
    client.force_login(coach)
    url = f"/assessments/calibration/{obs.learner.pk}/"
    assert client.get(url).status_code == 404

    grant = ShareGrantFactory(learner=obs.learner, grantee=coach, share_checkins=True)
    response = client.get(url)
    assert response.status_code == 200
    assert "PC1" in response.content.decode()
    log = AccessLog.objects.get(learner=obs.learner)
    assert (log.viewer, log.grant, log.scope) == (coach, grant, "checkins")

    grant.revoked_at = timezone.now()
    grant.save()
    assert client.get(url).status_code == 404


def test_a_share_of_goals_only_does_not_open_calibration(client, obs, coach):
    _some_pairs(obs)
    ShareGrantFactory(learner=obs.learner, grantee=coach, share_checkins=False, share_goals=True)
    client.force_login(coach)
    assert client.get(f"/assessments/calibration/{obs.learner.pk}/").status_code == 404


def test_the_committee_sees_calibration_through_a_program_share_only(client, obs, director):
    _some_pairs(obs)
    client.force_login(director)
    url = f"/assessments/calibration/{obs.learner.pk}/"
    assert client.get(url).status_code == 404
    ShareGrantFactory(learner=obs.learner, grantee=None, program=obs.program, share_checkins=True)
    assert client.get(url).status_code == 200


def test_the_learner_sees_their_own_calibration_without_logging(client, obs):
    _some_pairs(obs)
    client.force_login(obs.learner)
    assert client.get("/assessments/calibration/").status_code == 200
    assert client.get(f"/assessments/calibration/{obs.learner.pk}/").status_code == 200
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("size", [1, 15])
def test_calibration_page_runs_a_constant_number_of_queries(
    client, obs, django_assert_num_queries, size
):
    for i in range(size):
        competency = obs.subs[i % 3]
        day = D(2025, 1, 1) + dt.timedelta(days=7 * i)
        self_rate(obs, competency, "3", day)
        rated(obs, competency, "2.5", day + dt.timedelta(days=2))
    client.force_login(obs.learner)
    # 1 session, 2 user, 3 self-assessments, 4 assessor ratings (with competency and
    # framework), 5 the viewer's roles (navigation).
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        response = client.get("/assessments/calibration/")
    assert response.status_code == 200


# --- The assessor's comparison with colleagues ----------------------------------------------


def _colleagues_rate(obs: ObsWorld, how_many: int, level: str) -> None:
    for _ in range(how_many):
        colleague = factories.ProgramRoleFactory(program=obs.program).user
        rated(obs, obs.epas[0], level, timezone.localdate() - dt.timedelta(days=10), colleague)


def test_comparison_stays_hidden_below_five_colleagues(obs):
    rated(obs, obs.epas[0], "4", timezone.localdate() - dt.timedelta(days=5))
    _colleagues_rate(obs, MIN_COLLEAGUES - 1, "2")
    today = timezone.localdate()
    result = leniency_for(assessor=obs.assessor, since=today - dt.timedelta(days=365), until=today)
    assert result.colleagues == MIN_COLLEAGUES - 1
    assert not result.shown
    assert result.rows == []


def test_comparison_shows_how_much_more_lenient_i_am_with_five_colleagues(obs):
    rated(obs, obs.epas[0], "4", timezone.localdate() - dt.timedelta(days=5))
    _colleagues_rate(obs, MIN_COLLEAGUES, "2")
    # A colleague's rating of a learner I never rated does not count.
    stranger = factories.EnrollmentFactory(program=obs.program).learner
    ObservedAssessmentFactory(learner=stranger, competency=obs.epas[0], level=Decimal("5"))
    today = timezone.localdate()
    result = leniency_for(assessor=obs.assessor, since=today - dt.timedelta(days=365), until=today)
    assert result.shown
    (row,) = result.rows
    assert (row.n, row.mine, row.colleagues) == (1, 4.0, 2.0)
    assert row.difference == pytest.approx(2.0)


def test_comparison_page_is_private_to_the_assessor(client, obs):
    rated(obs, obs.epas[0], "4", timezone.localdate() - dt.timedelta(days=5))
    _colleagues_rate(obs, MIN_COLLEAGUES, "2")
    client.force_login(obs.assessor)
    mine = client.get("/assessments/given/comparison/").content.decode()
    assert "more lenient" in mine
    client.force_login(obs.learner)
    theirs = client.get("/assessments/given/comparison/").content.decode()
    assert "more lenient" not in theirs
    assert "Not enough colleagues" in theirs
