"""The packet shows self-assessments and goals only when the learner shared them with this
program's committee, and every item shown lands in the learner's access log."""

import datetime as dt

import pytest

from portfolio.models import AccessLog, ShareGrant
from portfolio.tests.factories import GoalFactory, SelfAssessmentFactory
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def packet_url(program, learner):
    _, leaves = program_with_framework(program, domains=1, per_domain=1)
    period = ReviewPeriodFactory(program=program)
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], assessed_on=dt.date(2025, 9, 1), note="Felt rushed"
    )
    SelfAssessmentFactory(learner=learner, competency=leaves[0], assessed_on=dt.date(2024, 9, 1))
    GoalFactory(learner=learner, title="Lead a family meeting")
    return f"/api/v1/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/packet/"


def test_nothing_shared_means_no_private_item_shown_or_logged(
    client, director, learner, packet_url
):
    client.force_login(director)

    data = client.get(packet_url).json()

    assert data["competencies"][0]["self_assessments"] == []
    assert data["goals"] == []
    assert "has not shared" in data["sharing_note"]
    assert not AccessLog.objects.exclude(scope="records").exists()
    # The packet itself is the learner's official record: its read is logged for them.
    packet_read = AccessLog.objects.get(scope="records")
    assert (packet_read.learner, packet_read.viewer) == (learner, director)
    assert packet_read.item_type == "reviewpacket"


def test_shared_items_of_the_period_are_shown_and_logged(
    client, director, learner, program, packet_url
):
    grant = ShareGrant.objects.create(
        learner=learner, program=program, share_checkins=True, share_goals=True
    )
    client.force_login(director)

    data = client.get(packet_url).json()

    assert [s["note"] for s in data["competencies"][0]["self_assessments"]] == ["Felt rushed"]
    assert [g["title"] for g in data["goals"]] == ["Lead a family meeting"]
    logged = AccessLog.objects.filter(learner=learner, viewer=director).exclude(scope="records")
    assert sorted(logged.values_list("item_type", flat=True)) == ["goal", "selfassessment"]
    assert {entry.grant_id for entry in logged} == {grant.pk}


def test_a_share_with_another_programs_committee_does_not_open_this_packet(
    client, director, learner, program, packet_url
):
    elsewhere = ProgramFactory()
    director.program_roles.create(program=elsewhere, role="committee")
    ShareGrant.objects.create(
        learner=learner, program=elsewhere, share_checkins=True, share_goals=True
    )
    client.force_login(director)

    data = client.get(packet_url).json()

    assert data["goals"] == [] and data["competencies"][0]["self_assessments"] == []
    assert not AccessLog.objects.exclude(scope="records").exists()
