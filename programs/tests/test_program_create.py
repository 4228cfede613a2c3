"""Institution administrators create programs in the app: settings, frameworks and a
director in one step; nothing is saved when anything is wrong; nobody else may."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from programs import services
from programs.models import Program, ProgramRole
from tests.factories import FrameworkFactory, InstitutionFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def _form(institution, **overrides):
    data = {
        "institution": institution.pk,
        "name": "Emergency Medicine Residency",
        "stage": "gme",
        "specialty": "Emergency medicine",
        "duration_years": 5,
        "review_months": 6,
        "year_start_month": 7,
        "director_email": "new.director@example.org",
    }
    data.update(overrides)
    return data


def test_an_administrator_creates_a_program_with_its_frameworks_and_director(client, admin_user):
    institution = InstitutionFactory()
    framework = FrameworkFactory()
    client.force_login(admin_user)
    response = client.post(reverse("program-create"), _form(institution, frameworks=[framework.pk]))
    program = Program.objects.get(name="Emergency Medicine Residency")
    assert response.status_code == 302
    assert response["Location"] == reverse("program-detail", args=[program.pk])
    assert (program.institution, program.stage, program.duration_years) == (institution, "gme", 5)
    assert program.slug == "emergency-medicine-residency"
    assert list(program.frameworks.all()) == [framework]
    director = ProgramRole.objects.get(program=program)
    assert (director.user.email, director.role) == ("new.director@example.org", "director")
    page = client.get(reverse("program-list")).content.decode()
    assert f'href="{reverse("program-create")}"' in page


def test_a_taken_name_is_refused_in_place_and_nothing_is_saved(client, admin_user):
    institution = InstitutionFactory()
    ProgramFactory(institution=institution, name="Emergency Medicine Residency")
    client.force_login(admin_user)
    response = client.post(
        reverse("program-create"), _form(institution, name="emergency medicine residency")
    )
    assert response.status_code == 400
    assert "already has a program named" in response.content.decode()
    assert Program.objects.filter(institution=institution).count() == 1
    assert not User.objects.filter(email="new.director@example.org").exists()


def test_a_bad_director_email_saves_no_program(admin_user):
    institution = InstitutionFactory()
    with pytest.raises(ValidationError) as error:
        services.program_create(
            institution=institution,
            name="Family Medicine Residency",
            stage="gme",
            specialty="",
            duration_years=2,
            review_months=6,
            year_start_month=7,
            frameworks=[],
            director_email="not an address",
            by=admin_user,
        )
    assert "email" in error.value.message_dict
    assert not Program.objects.filter(name="Family Medicine Residency").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_years", 11, "between 1 and 10 years"),
        ("stage", "postdoc", "listed stages"),
        ("name", "   ", "name"),
    ],
)
def test_settings_outside_the_rules_are_refused(admin_user, field, value, message):
    arguments = {
        "institution": InstitutionFactory(),
        "name": "Surgery Residency",
        "stage": "gme",
        "specialty": "",
        "duration_years": 5,
        "review_months": 6,
        "year_start_month": 7,
        "frameworks": [],
        "by": admin_user,
        field: value,
    }
    with pytest.raises(ValidationError) as error:
        services.program_create(**arguments)
    assert message in str(error.value.message_dict[field])
    assert not Program.objects.exists()


def test_two_programs_whose_names_make_the_same_slug_get_different_slugs(admin_user):
    institution = InstitutionFactory()
    arguments = {
        "institution": institution,
        "stage": "ume",
        "specialty": "",
        "duration_years": 4,
        "review_months": 6,
        "year_start_month": 8,
        "frameworks": [],
        "by": admin_user,
    }
    first = services.program_create(name="MD Program", **arguments)
    second = services.program_create(name="MD program (2027 curriculum)", **arguments)
    third = services.program_create(name="MD-Program", **arguments)
    assert first.slug == "md-program"
    assert second.slug == "md-program-2027-curriculum"
    assert third.slug == "md-program-2"


def test_only_administrators_may_create_programs(client, director):
    client.force_login(director)
    assert client.get(reverse("program-create")).status_code == 404
    response = client.post(reverse("program-create"), _form(InstitutionFactory()))
    assert response.status_code == 404
    assert not Program.objects.filter(name="Emergency Medicine Residency").exists()


def test_the_api_creates_a_program_and_refuses_a_retry_with_a_clear_error(client, admin_user):
    institution = InstitutionFactory()
    framework = FrameworkFactory()
    client.force_login(admin_user)
    body = {
        "institution": institution.pk,
        "name": "Psychiatry Residency",
        "stage": "gme",
        "duration_years": 4,
        "frameworks": [framework.pk],
        "director_email": "lead@example.org",
    }
    created = client.post("/api/v1/programs/", body, content_type="application/json")
    assert created.status_code == 201
    data = created.json()
    assert (data["name"], data["slug"], data["duration_years"]) == (
        "Psychiatry Residency",
        "psychiatry-residency",
        4,
    )
    assert [f["id"] for f in data["frameworks"]] == [framework.pk]
    assert (data["review_months"], data["year_start_month"], data["can_manage"]) == (6, 7, True)
    retried = client.post("/api/v1/programs/", body, content_type="application/json")
    assert retried.status_code == 400
    assert "already has a program named" in retried.json()["name"][0]
    assert Program.objects.filter(name="Psychiatry Residency").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stage": "postdoc"}, "stage"),
        ({"duration_years": 0}, "duration_years"),
        ({"institution": 999_999}, "institution"),
        ({"director_email": "nobody"}, "director_email"),
        ({"review_months": 5}, "review_months"),
    ],
)
def test_the_api_names_the_field_at_fault_and_saves_nothing(client, admin_user, change, field):
    client.force_login(admin_user)
    body = {"institution": InstitutionFactory().pk, "name": "Urology", "stage": "gme"}
    body |= {"duration_years": 5, **change}
    response = client.post("/api/v1/programs/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Program.objects.filter(name="Urology").exists()


def test_the_api_hides_program_creation_from_everyone_else(client, director):
    client.force_login(director)
    body = {"institution": InstitutionFactory().pk, "name": "Urology", "stage": "gme"}
    response = client.post("/api/v1/programs/", body, content_type="application/json")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert not Program.objects.filter(name="Urology").exists()
