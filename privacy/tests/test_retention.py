"""The nightly retention task: accounts nobody ever used, old notifications, the access log."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from accounts.models import User
from config.celery import app
from core.models import FormSubmission
from notifications.models import Notification
from portfolio.models import AccessLog
from portfolio.tests.factories import AssessmentFactory
from privacy.services import retention_enforce
from privacy.tasks import retention_enforce as retention_task
from tests.factories import EnrollmentFactory, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2027, 1, 15, 3, 30))
LONG_AGO = NOW - dt.timedelta(days=400)


def _never_signed_in(email: str, joined: dt.datetime = LONG_AGO) -> User:
    user = UserFactory(email=email)
    User.objects.filter(pk=user.pk).update(last_login=None, date_joined=joined)
    return User.objects.get(pk=user.pk)


def test_an_unconfirmed_sign_up_goes_after_the_period_and_not_before(settings):
    settings.RETENTION_NEVER_SIGNED_IN_DAYS = 180
    stale = _never_signed_in("typo@example.org")
    fresh = _never_signed_in("new@example.org", joined=NOW - dt.timedelta(days=10))

    report = retention_enforce(now=NOW)

    assert report.accounts_erased == 1
    assert not User.objects.filter(pk=stale.pk).exists()
    assert User.objects.filter(pk=fresh.pk, erased_at__isnull=True).exists()


def test_a_roster_account_stays_while_a_program_needs_it(program, settings):
    settings.RETENTION_NEVER_SIGNED_IN_DAYS = 180
    enrolled = _never_signed_in("enrolled@example.org")
    EnrollmentFactory(learner=enrolled, program=program)
    ended_lately = _never_signed_in("lately@example.org")
    EnrollmentFactory(learner=ended_lately, program=program, end_date=NOW.date())
    with_role = _never_signed_in("faculty@example.org")
    ProgramRoleFactory(user=with_role, program=program)
    signed_in = UserFactory(email="active@example.org", last_login=LONG_AGO)
    User.objects.filter(pk=signed_in.pk).update(date_joined=LONG_AGO)

    assert retention_enforce(now=NOW).accounts_erased == 0
    assert User.objects.filter(erased_at__isnull=False).count() == 0


def test_an_old_roster_account_becomes_a_stub_that_keeps_its_assessments(program, settings):
    settings.RETENTION_NEVER_SIGNED_IN_DAYS = 180
    person = _never_signed_in("gone@example.org")
    EnrollmentFactory(learner=person, program=program, end_date=dt.date(2026, 1, 31))
    rating = AssessmentFactory(learner=person, observed_on=dt.date(2025, 10, 1))

    retention_enforce(now=NOW)

    rating.refresh_from_db()
    stub = rating.learner
    assert stub.is_erased and stub.name.startswith("Former learner ")
    assert not User.objects.filter(email="gone@example.org").exists()


def test_old_settled_notifications_go_and_the_rest_stay(learner, settings):
    settings.RETENTION_NOTIFICATION_DAYS = 365
    old_sent = Notification.objects.create(
        recipient=learner, kind="comment", title="old", created_at=LONG_AGO, email_status="sent"
    )
    old_pending = Notification.objects.create(
        recipient=learner, kind="comment", title="stuck", created_at=LONG_AGO
    )
    recent = Notification.objects.create(
        recipient=learner, kind="comment", title="new", created_at=NOW - dt.timedelta(days=3)
    )

    report = retention_enforce(now=NOW)

    assert report.notifications_deleted == 1
    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert remaining == {old_pending.pk, recent.pk} and old_sent.pk not in remaining


def test_the_access_log_stays_unless_a_period_is_set(learner, coach, settings):
    entry = AccessLog.objects.create(
        learner=learner,
        viewer=coach,
        viewer_name="Coach",
        scope="goals",
        item_type="goal",
        action="view",
        at=LONG_AGO,
    )

    retention_enforce(now=NOW)
    assert AccessLog.objects.filter(pk=entry.pk).exists()

    settings.RETENTION_ACCESS_LOG_DAYS = 365
    assert retention_enforce(now=NOW).access_log_deleted == 1
    assert not AccessLog.objects.filter(pk=entry.pk).exists()


def test_running_twice_does_nothing_the_second_time(program, settings):
    settings.RETENTION_NEVER_SIGNED_IN_DAYS = 180
    person = _never_signed_in("twice@example.org")
    EnrollmentFactory(learner=person, program=program, end_date=dt.date(2026, 1, 31))
    Notification.objects.create(
        recipient=UserFactory(),
        kind="comment",
        title="old",
        created_at=LONG_AGO,
        email_status="sent",
    )

    first = retention_enforce(now=NOW)
    second = retention_enforce(now=NOW)

    assert (first.accounts_erased, first.notifications_deleted) == (1, 1)
    assert (second.accounts_erased, second.notifications_deleted) == (0, 0)


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield
    app.conf.task_always_eager = True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_applies_the_periods_on_a_real_worker(real_worker, settings):
    assert settings.CELERY_BEAT_SCHEDULE["privacy-retention"]["task"] == retention_task.name
    settings.RETENTION_NEVER_SIGNED_IN_DAYS = 1
    person = _never_signed_in("beat@example.org", joined=timezone.now() - dt.timedelta(days=2))

    retention_task.delay()

    deadline = time.monotonic() + 15
    while User.objects.filter(pk=person.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not User.objects.filter(pk=person.pk).exists(), "the worker never erased the account"


def test_invitations_never_accepted_go_after_the_period_and_accepted_ones_stay(
    settings, program, director
):
    from programs.models import Invitation
    from programs.services import invitation_accept, invitation_create

    settings.RETENTION_INVITATION_DAYS = 90
    lapsed = invitation_create(
        program=program, by=director, email="lapsed@example.org", role="coach"
    )
    recent = invitation_create(
        program=program, by=director, email="recent@example.org", role="coach"
    )
    joined = UserFactory(email="joined@example.org")
    accepted = invitation_accept(
        invitation=invitation_create(
            program=program, by=director, email=joined.email, role="coach"
        ),
        user=joined,
    )
    Invitation.objects.filter(pk__in=[lapsed.pk, accepted.pk]).update(
        expires_at=NOW - dt.timedelta(days=100)
    )
    Invitation.objects.filter(pk=recent.pk).update(expires_at=NOW - dt.timedelta(days=10))

    report = retention_enforce(now=NOW)

    assert report.invitations_deleted == 1
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "recent@example.org",
        "joined@example.org",
    }


def test_spent_form_tokens_are_forgotten_after_thirty_days():
    person = UserFactory(email="forms@example.org", last_login=NOW)
    old = FormSubmission.objects.create(user=person, token=uuid.uuid4(), url="/goals/1/")
    recent = FormSubmission.objects.create(user=person, token=uuid.uuid4(), url="/goals/2/")
    FormSubmission.objects.filter(pk=old.pk).update(created_at=NOW - dt.timedelta(days=31))
    FormSubmission.objects.filter(pk=recent.pk).update(created_at=NOW - dt.timedelta(days=29))

    report = retention_enforce(now=NOW)

    assert report.form_tokens_deleted == 1
    assert list(FormSubmission.objects.values_list("url", flat=True)) == ["/goals/2/"]
