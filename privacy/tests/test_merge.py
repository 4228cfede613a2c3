"""Merging two accounts of one person: every relation to the user has a merge rule, every row
moves (or is resolved as its rule says), all at once, and the other account is closed."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import ApiToken, User
from assessments.summaries.monthly import monthly_summaries_differences
from assessments.summaries.periods import period_summaries_differences
from assessments.summaries.programs import (
    program_histogram_differences,
    program_learners_differences,
)
from committee.models import LearnerReview
from portfolio.counts import evidence_counts_differences
from portfolio.models import EvidenceCount, LearnerProfile
from portfolio.services import evidence_create
from privacy import merge
from privacy.merge import MERGE, Clash, MergeRefusedError, account_merge
from privacy.policy import RULES
from privacy.tests.test_coverage import _relations_to_user
from privacy.tests.world import build_dana_world
from programs.models import Enrollment, ProgramRole
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_relation_to_the_user_has_a_merge_rule():
    missing = sorted(_relations_to_user() - set(MERGE))
    assert not missing, (
        f"Relations to the user without a merge rule in privacy/merge.py: {missing}. Say what "
        "happens to these rows when a person merges two accounts (docs/sso.md)."
    )
    assert not sorted(set(MERGE) - _relations_to_user())
    assert set(merge.relations()) == {(rule.model, rule.field) for rule in RULES}


def _counts(user: User) -> dict[tuple[str, str], int]:
    return {
        (rule.model, rule.field): rule.rows(user.pk).count() for rule in RULES if rule.where is None
    }


def _keeper(world) -> User:
    keep = factories.UserFactory(email="dana.okafor@hospital.org")
    LearnerProfile.objects.create(learner=keep, headline="")
    program = Enrollment.objects.get(learner=world.dana).program
    Enrollment.objects.create(learner=keep, program=program, start_date=program_start(program))
    ProgramRole.objects.create(
        program=ProgramRole.objects.filter(user=world.dana).first().program,
        user=keep,
        role=ProgramRole.objects.filter(user=world.dana).first().role,
    )
    return keep


def program_start(program):
    return Enrollment.objects.filter(program=program).first().start_date


def test_merge_moves_every_row_and_closes_the_other_account():
    world = build_dana_world()
    dana = world.dana
    LearnerReview.objects.filter(learner=dana).delete()  # a clash case of its own, below
    keep = _keeper(world)
    evidence_create(learner=keep, kind="document", title="A letter of their own")
    before = _counts(dana)
    token = ApiToken.objects.get(user=dana)
    roles = set(ProgramRole.objects.filter(user=dana).values_list("program", "role"))

    moved = account_merge(keep=keep, other=dana)

    after = _counts(dana)
    for relation, count in after.items():
        if MERGE[relation].clash is Clash.STAY:
            assert count == before[relation], relation
        else:
            assert count == 0, f"{relation} still points at the merged-away account"
    assert sum(moved.values()) > 40
    # Conflicts, as documented: both enrolled in the same program → one open, one ended.
    program = Enrollment.objects.filter(learner=keep).first().program
    both = Enrollment.objects.filter(learner=keep, program=program)
    assert both.count() == 2 and both.filter(end_date__isnull=True).count() == 1
    # Both had a profile: the kept one stays, its blank headline filled from the other's.
    assert LearnerProfile.objects.get(learner=keep).headline == "PGY-3, internal medicine"
    # Both held one of these roles: the kept account holds it (once, as the constraint says),
    # and every other role of the other account too.
    assert set(ProgramRole.objects.filter(user=keep).values_list("program", "role")) == roles
    # The other account cannot be used; its address now leads to the kept account.
    dana.refresh_from_db()
    assert not dana.is_active and not dana.has_usable_password()
    assert dana.email.endswith("@merged.invalid")
    assert EmailAddress.objects.filter(user=keep, email="dana@example.org").exists()
    token.refresh_from_db()
    assert token.revoked_at is not None and token.user == keep
    # The summaries match the merged ratings.
    assert monthly_summaries_differences()[:2] == period_summaries_differences()[:2] == (0, 0)
    # ... and so do the institution overview's group summaries.
    assert program_histogram_differences()[:2] == program_learners_differences()[:2] == (0, 0)
    # ... and the evidence counts the kept account's items: its own and the other's.
    assert evidence_counts_differences() == (0, 0, [])
    assert EvidenceCount.objects.get(learner=keep, kind="document").n == 2


def test_a_clash_only_a_person_can_resolve_refuses_and_changes_nothing():
    world = build_dana_world()
    keep = factories.UserFactory()
    LearnerReview.objects.create(period=world.signed_review.period, learner=keep, training_year=3)
    before = _counts(world.dana)
    with pytest.raises(MergeRefusedError) as refused:
        account_merge(keep=keep, other=world.dana)
    assert "committee review for the same period" in str(refused.value)
    assert _counts(world.dana) == before
    world.dana.refresh_from_db()
    assert world.dana.is_active


def test_a_failure_half_way_leaves_both_accounts_as_they_were(monkeypatch):
    world = build_dana_world()
    keep = factories.UserFactory()
    before = _counts(world.dana)
    real_move = merge._move
    calls = {"n": 0}

    def failing(label, field, keep, other):
        calls["n"] += 1
        if calls["n"] == 20:
            raise RuntimeError("disk full")
        return real_move(label, field, keep, other)

    monkeypatch.setattr(merge, "_move", failing)
    with pytest.raises(RuntimeError):
        account_merge(keep=keep, other=world.dana)
    assert _counts(world.dana) == before
    assert calls["n"] == 20


def test_an_account_that_coaches_the_other_is_refused():
    from coaching.models import CoachingRelationship

    keep, other = factories.UserFactory(), factories.UserFactory()
    CoachingRelationship.objects.create(learner=other, coach=keep, status="active")
    with pytest.raises(MergeRefusedError, match="coaches the other"):
        account_merge(keep=keep, other=other)


def test_merge_page_query_count_is_constant():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for extra in (1, 5):
        user = factories.UserFactory()
        for _ in range(extra):
            factories.EnrollmentFactory(learner=user)
        client = _signed_in(user)
        client.get("/account/merge/")  # fills the identity providers' origins cache (CSP)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/account/merge/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_same_account_cannot_merge_into_itself():
    user = factories.UserFactory()
    with pytest.raises(MergeRefusedError):
        account_merge(keep=user, other=user)


# -------------------------------------------------------------------------- the page


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_merge_page_needs_the_other_accounts_password():
    keep = factories.UserFactory(email="resident@hospital.org")
    other = factories.UserFactory(email="student@school.edu")
    other.set_password("correct horse battery")
    other.save()
    client = _signed_in(keep)
    assert client.get("/account/merge/").status_code == 200

    for email, password in (
        ("student@school.edu", "wrong"),
        ("nobody@school.edu", "correct horse battery"),
        ("resident@hospital.org", "x"),
        ("", ""),
    ):
        response = client.post("/account/merge/", {"email": email, "password": password})
        assert response.status_code == 400, email
        other.refresh_from_db()
        assert other.is_active

    response = client.post(
        "/account/merge/",
        {"email": "STUDENT@school.edu", "password": "correct horse battery", "confirm": "on"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_active
    assert EmailAddress.objects.filter(user=keep, email="student@school.edu").exists()


def totp_for(user: User) -> str:
    """Give `user` allauth's TOTP authenticator; returns its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_merge_page_asks_an_account_with_two_factor_authentication_for_its_code():
    keep = factories.UserFactory()
    other = factories.UserFactory(email="mfa@school.edu")
    other.set_password("correct horse battery")
    other.save()
    secret = totp_for(other)
    client = _signed_in(keep)
    proof = {"email": "mfa@school.edu", "password": "correct horse battery", "confirm": "on"}

    missing = client.post("/account/merge/", proof)
    assert missing.status_code == 400
    assert "uses two-factor authentication" in missing.content.decode()
    wrong = client.post("/account/merge/", {**proof, "code": "000000"})
    assert wrong.status_code == 400
    assert "does not match the other account" in wrong.content.decode()
    # The right code, but with a wrong password: still the one answer for a wrong password.
    bad_password = client.post(
        "/account/merge/", {**proof, "password": "nope", "code": totp_code(secret)}
    )
    assert "That address and password do not open another account." in (
        bad_password.content.decode()
    )
    other.refresh_from_db()
    assert other.is_active

    response = client.post("/account/merge/", {**proof, "code": totp_code(secret)})
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_active


def test_a_recovery_code_of_the_other_account_proves_its_second_factor_once():
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    keep = factories.UserFactory()
    other = factories.UserFactory(email="mfa@school.edu")
    other.set_password("correct horse battery")
    other.save()
    totp_for(other)
    recovery = RecoveryCodes.activate(other).get_unused_codes()[0]
    response = _signed_in(keep).post(
        "/api/v1/me/merge/",
        {
            "email": "mfa@school.edu",
            "password": "correct horse battery",
            "code": recovery,
            "confirm": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    other.refresh_from_db()
    assert not other.is_active


def test_the_api_asks_for_the_code_too_and_changes_nothing_without_it():
    keep = factories.UserFactory()
    other = factories.UserFactory(email="mfa@school.edu")
    other.set_password("correct horse battery")
    other.save()
    totp_for(other)
    response = _signed_in(keep).post(
        "/api/v1/me/merge/",
        {"email": "mfa@school.edu", "password": "correct horse battery", "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "code" in response.json()
    other.refresh_from_db()
    assert other.is_active


def test_without_a_password_or_a_proof_in_the_session_the_api_refuses():
    keep = factories.UserFactory()
    response = _signed_in(keep).post(
        "/api/v1/me/merge/", {"confirm": True}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "identity provider" in response.json()["email"][0]


def test_a_proof_left_by_another_account_or_too_old_does_not_count():
    import time

    from accounts.sessions import MERGE_PROOF_KEY, MERGE_PROOF_SECONDS

    keep = factories.UserFactory()
    other = factories.UserFactory(email="sso-only@school.edu")
    other.set_unusable_password()
    other.save()
    client = _signed_in(keep)
    for entry in (
        {"user": other.pk, "other": keep.pk, "provider": "X", "at": time.time()},
        {
            "user": keep.pk,
            "other": other.pk,
            "provider": "X",
            "at": time.time() - 1 - MERGE_PROOF_SECONDS,
        },
    ):
        session = client.session
        session[MERGE_PROOF_KEY] = entry
        session.save()
        response = client.post(
            "/api/v1/me/merge/", {"confirm": True}, content_type="application/json"
        )
        assert response.status_code == 400
    other.refresh_from_db()
    assert other.is_active


def test_proving_through_an_unknown_or_disabled_provider_is_not_found():
    response = _signed_in(factories.UserFactory()).post("/account/merge/", {"prove": "nowhere"})
    assert response.status_code == 404


def test_merging_moves_the_other_accounts_ratings_into_the_kept_accounts_group():
    from assessments.models import ProgramMonthLearners, ProgramRatingHistogram
    from assessments.tests.factories import AssessmentFactory
    from programs.tests.factories import program_with_framework

    program = factories.ProgramFactory()
    _, leaves = program_with_framework(program)
    keep, other = factories.UserFactory(), factories.UserFactory()
    factories.EnrollmentFactory(learner=keep, program=program, training_year=2)
    elsewhere = factories.EnrollmentFactory(learner=other, training_year=1)
    for person in (keep, other):
        AssessmentFactory(learner=person, competency=leaves[0], level=3)
    assert ProgramRatingHistogram.objects.get(program=elsewhere.program).n == 1

    account_merge(keep=keep, other=other)

    # Both ratings are now the kept account's, in each program it is in (its own, and the
    # other's, which moved to it), each counted once per learner and month.
    assert {(h.program_id, h.training_year, h.n) for h in ProgramRatingHistogram.objects.all()} == {
        (program.pk, 2, 2),
        (elsewhere.program_id, 1, 2),
    }
    assert {m.learners for m in ProgramMonthLearners.objects.all()} == {1}
    assert program_histogram_differences()[:2] == program_learners_differences()[:2] == (0, 0)
