"""Each create form of the program pages creates once per rendered page (core.once)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.models import Cohort, Enrollment, Invitation, Program, ProgramRole, ReviewPeriod
from tests.factories import InstitutionFactory, UserFactory
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_the_program_form_sent_twice_makes_one_program(client, admin_user):
    institution = InstitutionFactory()
    client.force_login(admin_user)
    data = {
        "institution": institution.pk,
        "name": "Emergency Medicine Residency",
        "stage": "gme",
        "specialty": "",
        "duration_years": 5,
        "review_months": 6,
        "year_start_month": 7,
        "director_email": "new.director@example.org",
    }
    assert_created_once(
        client,
        reverse("program-create"),
        data,
        Program.objects.count,
        "program",
        fresh_creates=False,  # a second program of that name is refused
    )


def test_the_cohort_form_sent_twice_makes_one_cohort(client, director, program):
    client.force_login(director)
    url = reverse("program-cohorts", args=[program.pk])
    data = {"name": "Class of 2028", "start_year": 2024}
    assert_created_once(client, url, data, Cohort.objects.count, "cohort", fresh_creates=False)


def test_the_enrolment_form_sent_twice_enrols_once(client, director, program):
    client.force_login(director)
    url = reverse("program-enrollments", args=[program.pk])
    data = {
        "email": "new@example.org",
        "name": "New Person",
        "training_year": 1,
        "start_date": "2026-07-01",
        "cohort": "",
    }
    assert_created_once(
        client, url, data, Enrollment.objects.count, "enrolment", fresh_creates=False
    )


def test_the_role_form_sent_twice_gives_one_role(client, director, program):
    person = UserFactory(email="faculty@example.org")
    client.force_login(director)
    url = reverse("program-roles", args=[program.pk])
    data = {"email": person.email, "role": "faculty"}
    count = ProgramRole.objects.filter(user=person).count
    assert_created_once(client, url, data, count, "role", fresh_creates=False)


def test_the_invitation_form_sent_twice_sends_one_invitation(client, director, program):
    client.force_login(director)
    url = reverse("program-invitations", args=[program.pk])
    data = {
        "email": "invitee@example.org",
        "name": "",
        "role": "faculty",
        "training_year": "",
        "cohort": "",
    }
    assert_created_once(
        client, url, data, Invitation.objects.count, "invitation", fresh_creates=False
    )


def test_the_period_form_sent_twice_adds_one_period(client, director, program):
    client.force_login(director)
    url = reverse("program-periods", args=[program.pk])
    data = {"create": "1", "name": "Spring", "start_date": "2031-01-01", "end_date": "2031-06-30"}
    assert_created_once(
        client, url, data, ReviewPeriod.objects.count, "review period", fresh_creates=False
    )


def test_the_roster_sent_twice_from_one_page_is_imported_once(client, director, program):
    client.force_login(director)
    csv = "email,name,training_year,start_date,cohort\nnew.one@example.org,New One,1,2025-07-01,\n"
    where = assert_created_once(
        client,
        reverse("program-roster", args=[program.pk]),
        {"file": SimpleUploadedFile("roster.csv", csv.encode(), "text/csv")},
        Enrollment.objects.count,
        "roster import",
        fresh_creates=False,  # the same roster again updates, it does not enrol again
    )
    assert where == reverse("program-enrollments", args=[program.pk])
