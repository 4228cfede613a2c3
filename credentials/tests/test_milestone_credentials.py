"""Credentials for graduation-level milestone achievements (docs/credentials.md): a signed-off
committee review whose consensus on a milestone sub-competency reaches the program's
graduation target earns the learner one credential per achievement — once, whichever review
reaches it first; an amendment below the target revokes it; one that reaches it issues it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assessments.tests.factories import epa_framework
from committee.achievements import achievement_key, graduation_achievements
from committee.services import consensus_record
from credentials.models import Credential
from credentials.services import (
    REVOKED_BY_AMENDMENT,
    credential_verify,
    credentials_issue_waiting,
)
from credentials.tests.factories import issuer_key, milestones, reviewed
from programs.models import Expectation

pytestmark = pytest.mark.django_db


def test_a_review_at_the_graduation_target_earns_one_credential_per_sub_competency(
    program, learner, director
):
    issuer_key(program)
    leaves = milestones(program)
    # Three years: the default graduation target is level 4.
    review = reviewed(
        program=program,
        learner=learner,
        by=director,
        levels={leaves[0].pk: "4", leaves[1].pk: "3.5"},
    )

    [credential] = Credential.objects.filter(learner=learner)
    assert credential.kind == Credential.Kind.MILESTONE
    assert credential.consensus.competency == leaves[0]
    assert credential.program == program
    assert credential.achievement == achievement_key(
        program_id=program.pk, competency_id=leaves[0].pk
    )
    achievement = credential.document["credentialSubject"]["achievement"]
    assert achievement["name"] == f"Graduation level reached: PC1 {leaves[0].title}"
    assert "level 4" in achievement["criteria"]["narrative"]
    assert credential_verify(document=credential.document).verified
    assert [r.competency_id for r in graduation_achievements(review=review)] == [leaves[0].pk]


def test_a_later_review_at_the_target_is_the_same_achievement(program, learner, director):
    issuer_key(program)
    leaves = milestones(program)
    levels = {leaves[0].pk: "4", leaves[1].pk: "4.5"}
    reviewed(program=program, learner=learner, by=director, levels=levels)
    reviewed(
        program=program, learner=learner, by=director, levels=levels, start=dt.date(2026, 1, 1)
    )
    assert Credential.objects.filter(learner=learner).count() == 2


def test_the_programs_own_final_year_expectation_is_the_target(program, learner, director):
    issuer_key(program)
    leaves = milestones(program)
    Expectation.objects.create(
        program=program, competency=leaves[0], training_year=program.duration_years, level=4.5
    )
    reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "4"}
    )
    [credential] = Credential.objects.filter(learner=learner)
    assert credential.consensus.competency == leaves[1]


def test_entrustment_scale_ratings_in_a_review_are_not_milestone_achievements(
    program, learner, director
):
    issuer_key(program)
    framework, epas = epa_framework(count=1)
    program.frameworks.add(framework)
    reviewed(program=program, learner=learner, by=director, levels={epas[0].pk: "5"})
    assert not Credential.objects.exists()


def test_an_amendment_below_the_target_revokes_and_one_reaching_it_issues(
    program, learner, director
):
    issuer_key(program)
    leaves = milestones(program)
    review = reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "3"}
    )
    consensus_record(
        review=review,
        competency_id=leaves[0].pk,
        level=Decimal("3.5"),
        rationale="Re-read",
        by=director,
        amendment_reason="A late observation changed the picture.",
    )
    earned = Credential.objects.get(consensus__competency=leaves[0])
    assert earned.revoked_at is not None and earned.revocation_reason == REVOKED_BY_AMENDMENT
    assert not credential_verify(document=earned.document).verified

    consensus_record(
        review=review,
        competency_id=leaves[1].pk,
        level=Decimal("4"),
        rationale="Re-read",
        by=director,
        amendment_reason="Two observations arrived after the meeting.",
    )
    raised = Credential.objects.get(consensus__competency=leaves[1])
    assert raised.revoked_at is None and credential_verify(document=raised.document).verified


def test_achievements_signed_off_before_any_key_are_issued_when_the_key_is_made(
    program, learner, director
):
    leaves = milestones(program)
    reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "4"}
    )
    assert not Credential.objects.exists()
    issuer_key(program)
    assert credentials_issue_waiting(institution=program.institution) == 2
    assert credentials_issue_waiting(institution=program.institution) == 0
    assert Credential.objects.filter(learner=learner, kind="milestone").count() == 2


def test_the_programs_director_may_revoke_a_milestone_credential(
    client, program, learner, director, other_director
):
    issuer_key(program)
    leaves = milestones(program)
    reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "1"}
    )
    credential = Credential.objects.get()
    url = f"/api/v1/credentials/{credential.public_id}/revoke/"
    client.force_login(other_director)
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    client.force_login(learner)
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 404
    client.force_login(director)
    response = client.post(url, {"reason": "Issued in error"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["revoked"]
