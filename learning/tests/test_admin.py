"""The admin's catalogue import page and the FHIR source token handling."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from learning.models import FhirSource, LearningResource
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

GOOD = b"key,title,kind\nadmin-1,Imported in the admin,article\n"
BAD = b"key,title,kind\nadmin-1,,podcast\n"


def test_the_admin_imports_a_catalogue_file(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin/learning/learningresource/import/", {"file": SimpleUploadedFile("c.csv", GOOD)}
    )

    assert response.status_code == 302
    assert LearningResource.objects.get().title == "Imported in the admin"


def test_the_admin_lists_every_row_error_and_imports_nothing(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin/learning/learningresource/import/", {"file": SimpleUploadedFile("c.csv", BAD)}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "line 2, field &#x27;title&#x27;" in page
    assert "line 2, field &#x27;kind&#x27;" in page
    assert not LearningResource.objects.exists()


def test_a_person_without_permission_cannot_import(client, learner):
    client.force_login(learner)

    response = client.post(
        "/admin/learning/learningresource/import/", {"file": SimpleUploadedFile("c.csv", GOOD)}
    )

    assert response.status_code == 302  # to the admin login
    assert not LearningResource.objects.exists()


def test_the_source_token_is_never_shown_and_kept_when_left_empty(client, admin_user):
    client.force_login(admin_user)
    source = FhirSource.objects.create(
        name="EHR",
        institution=InstitutionFactory(),
        base_url="https://ehr.example.org/fhir",
        token="s3cret-token",
    )

    page = client.get(f"/admin/learning/fhirsource/{source.pk}/change/").content.decode()
    assert "s3cret-token" not in page

    client.post(
        f"/admin/learning/fhirsource/{source.pk}/change/",
        {
            "name": "EHR 2",
            "institution": source.institution_id,
            "base_url": source.base_url,
            "is_active": "on",
            "new_token": "",
        },
    )
    source.refresh_from_db()
    assert (source.name, source.token) == ("EHR 2", "s3cret-token")
