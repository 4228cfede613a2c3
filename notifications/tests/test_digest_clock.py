"""Daily digests follow each person's clock: their institution's time zone (resolved by
programs through `notifications.zones`), else the deployment's. The hourly run sends a
person's digest for their local day once it is past DIGEST_LOCAL_HOUR there, and once only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from notifications import delivery
from notifications.models import Digest, Frequency, Kind
from notifications.services import notification_preference_set, notification_send
from notifications.zones import time_zones_of
from tests import factories

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def learner_in(zone: str, email: str):
    program = factories.ProgramFactory(institution=factories.InstitutionFactory(time_zone=zone))
    person = factories.UserFactory(email=email)
    factories.EnrollmentFactory(learner=person, program=program)
    notification_preference_set(user=person, kind=Kind.COMMENT, frequency=Frequency.DAILY)
    notification_send(recipient=person, kind=Kind.COMMENT, title="A comment", url="/")
    return person


def digest_days(person) -> list[dt.date]:
    return sorted(Digest.objects.filter(recipient=person).values_list("period_start", flat=True))


def test_each_person_gets_their_digest_after_six_on_their_own_clock(settings):
    settings.DIGEST_LOCAL_HOUR = 6
    honolulu = learner_in("Pacific/Honolulu", "hi@example.org")  # UTC-10
    tokyo = learner_in("Asia/Tokyo", "jp@example.org")  # UTC+9

    # 17:30 UTC: 07:30 on 10 March in Honolulu, 02:30 on 11 March in Tokyo.
    assert delivery.daily_digests_send(now=dt.datetime(2026, 3, 10, 17, 30, tzinfo=UTC)) == 1
    assert digest_days(honolulu) == [dt.date(2026, 3, 10)]
    assert digest_days(tokyo) == []

    notification_send(recipient=honolulu, kind=Kind.COMMENT, title="Later", url="/")
    # 21:30 UTC: 06:30 on 11 March in Tokyo; still 10 March in Honolulu, whose digest is sent.
    assert delivery.daily_digests_send(now=dt.datetime(2026, 3, 10, 21, 30, tzinfo=UTC)) == 1
    assert digest_days(tokyo) == [dt.date(2026, 3, 11)]
    assert digest_days(honolulu) == [dt.date(2026, 3, 10)]
    assert [m.to for m in mail.outbox] == [["hi@example.org"], ["jp@example.org"]]

    # The next local morning in Honolulu: the later comment goes out in that day's digest.
    assert delivery.daily_digests_send(now=dt.datetime(2026, 3, 11, 16, 30, tzinfo=UTC)) == 1
    assert digest_days(honolulu) == [dt.date(2026, 3, 10), dt.date(2026, 3, 11)]
    assert "Later" in mail.outbox[-1].body


def test_a_staff_member_follows_their_programs_institution_and_anyone_else_the_deployment(
    settings,
):
    settings.TIME_ZONE = "Europe/Paris"
    program = factories.ProgramFactory(
        institution=factories.InstitutionFactory(time_zone="America/Chicago")
    )
    faculty = factories.UserFactory()
    factories.ProgramRoleFactory(program=program, user=faculty, role="faculty")
    nobody = factories.UserFactory()

    zones = time_zones_of([faculty.pk, nobody.pk])

    assert str(zones[faculty.pk]) == "America/Chicago"
    assert str(zones[nobody.pk]) == "Europe/Paris"


def test_a_learner_in_two_programs_follows_the_newest_enrollment():
    older = factories.ProgramFactory(institution=factories.InstitutionFactory(time_zone="UTC"))
    newer = factories.ProgramFactory(
        institution=factories.InstitutionFactory(time_zone="Australia/Sydney")
    )
    person = factories.UserFactory()
    factories.EnrollmentFactory(learner=person, program=older, start_date=dt.date(2024, 7, 1))
    factories.EnrollmentFactory(learner=person, program=newer, start_date=dt.date(2025, 7, 1))

    assert str(time_zones_of([person.pk])[person.pk]) == "Australia/Sydney"
