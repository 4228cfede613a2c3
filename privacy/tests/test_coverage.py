"""Every relation to the user model is handled by erasure, and handled as the policy says.

The first test walks every installed model: a new foreign key (or many-to-many) to the user
without a rule in `privacy.policy` fails it, so a feature cannot forget the people who leave.
The last erases a person who has rows through every rule and checks each row's fate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models

from accounts.models import User
from assessments.models import AssessmentRequest
from assessments.summaries.monthly import monthly_summaries_differences
from assessments.summaries.periods import period_summaries_differences
from coaching.models import CommentRevision, Meeting
from committee.models import LearnerReview
from portfolio.models import AccessLog, ShareGrant
from privacy.policy import EMAIL_KEYED, RULES, Fate
from privacy.services import account_erase
from privacy.tests.world import build_dana_world, rows_of
from programs.models import Enrollment


def _relations_to_user() -> set[tuple[str, str]]:
    """Every forward relation to the user, and the user's own many-to-many relations (their
    link rows, such as group memberships, are the person's too)."""
    user_model = get_user_model()
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            forward = isinstance(field, models.ForeignKey | models.ManyToManyField)
            if not forward or field.auto_created:
                continue
            own_links = model is user_model and isinstance(field, models.ManyToManyField)
            if field.related_model is user_model or own_links:
                found.add((model._meta.label, field.name))
    return found


def test_every_relation_to_the_user_has_an_erasure_rule():
    ruled = {(rule.model, rule.field) for rule in RULES}
    missing = sorted(_relations_to_user() - ruled)
    assert not missing, (
        f"Relations to the user without an erasure rule in privacy/policy.py: {missing}. "
        "Say whether erasing an account deletes these rows or keeps them (docs/privacy.md)."
    )


def test_every_rule_names_a_relation_to_the_user():
    unknown = sorted({(rule.model, rule.field) for rule in RULES} - _relations_to_user())
    assert not unknown


def test_every_email_field_has_a_retention_rule():
    emails = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.EmailField)
    }
    missing = sorted(emails - set(EMAIL_KEYED))
    assert not missing, (
        f"E-mail fields without a retention rule: {missing}. Data about people who may "
        "never sign up needs a period in privacy.services.retention_enforce (docs/privacy.md)."
    )


@pytest.mark.django_db
def test_erasure_leaves_every_row_as_the_policy_says(
    settings, tmp_path: Path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    world = build_dana_world()
    dana = world.dana
    before = {rule: rows_of(rule, dana.pk) for rule in RULES}
    empty = [
        f"{rule.model}.{rule.field} ({rule.label})" for rule, rows in before.items() if not rows
    ]
    assert not empty, f"the world has no rows for these rules; add some: {empty}"
    files = [world.evidence.file.name, world.export.archive.name]
    assert all(default_storage.exists(name) for name in files)

    assert User.objects.filter(email="dana@example.org").exists()
    assert monthly_summaries_differences()[:2] == period_summaries_differences()[:2] == (0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        result = account_erase(user=dana)

    # A row two rules cover (a relationship Dana proposed for herself) follows the erasing one.
    erased_rows = {
        (rule.rows(dana.pk).model, pk)
        for rule, rows in before.items()
        if rule.fate == Fate.ERASED
        for pk in rows
    }
    for rule, rows in before.items():
        table = rule.rows(dana.pk).model
        name = f"{rule.model}.{rule.field} ({rule.fate})"
        if rule.fate == Fate.ERASED:
            assert not table._default_manager.filter(pk__in=rows).exists(), name
        else:
            expected = {pk for pk in rows if (table, pk) not in erased_rows}
            assert expected, f"{name}: the world keeps none of these rows"
            # Still there, and still pointing at the person, who is now the stub.
            assert expected <= rows_of(rule, dana.pk), name

    stub = User.objects.get(pk=dana.pk)
    assert stub.is_erased and not stub.is_active and not stub.has_usable_password()
    assert stub.email.endswith("@erased.invalid")
    assert stub.display_name == result.stub_label
    assert stub.display_name.startswith("Former learner ")
    assert (stub.first_name, stub.last_name, stub.last_login) == ("", "", None)
    assert not stub.is_staff and not stub.is_superuser

    # What stays has lost the person's own words and name.
    review = LearnerReview.objects.get(pk=world.signed_review.pk)
    assert (review.learner_response, review.responded_at) == ("", None)
    assert review.summary == "On track."  # the committee's words stay
    assert not LearnerReview.objects.filter(pk=world.draft_review.pk).exists()
    comment = world.comment_on_mentee
    comment.refresh_from_db()
    assert (comment.body, comment.body_html) == ("", "") and comment.is_deleted
    assert not CommentRevision.objects.filter(comment=comment).exists()
    meeting = Meeting.objects.get(pk=world.mentee_meeting.pk)
    assert (meeting.private_notes, meeting.private_notes_html) == ("", "")
    assert meeting.shared_notes == "We agreed on a plan."
    assert AccessLog.objects.get(pk=world.dana_read.pk).viewer_name == result.stub_label
    assert not ShareGrant.objects.filter(grantee=dana, revoked_at__isnull=True).exists()
    request = AssessmentRequest.objects.get(pk=world.open_request_to_dana.pk)
    assert request.status == AssessmentRequest.Status.DECLINED
    assert world.mentee.notifications.filter(kind="observation_request").exists()
    assert not Enrollment.objects.filter(learner=dana, end_date__isnull=True).exists()
    # Entries about the account: the user's content type too, as a group may share its pk.
    admin_history = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(dana.pk)
    ).values_list("object_repr", flat=True)
    assert list(admin_history) == [result.stub_label]

    # Stored files are gone, the summaries still equal the raw ratings, and the address is
    # free for a fresh account.
    assert not any(default_storage.exists(name) for name in files)
    assert monthly_summaries_differences()[:2] == (0, 0)
    assert period_summaries_differences()[:2] == (0, 0)
    assert User.objects.create_user(email="dana@example.org").pk != dana.pk
