"""Admin: read-only framework pages, the import page and the export actions."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frameworks import importers
from frameworks.models import Framework
from frameworks.tests.factories import CSV_TEXT, DOC, as_bytes, framework_tree, row_counts

pytestmark = pytest.mark.django_db

IMPORT = "/admin/frameworks/framework/import/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(name: str, raw: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, content_type="application/octet-stream")


def test_the_framework_list_links_to_the_import_page(admin_client):
    page = admin_client.get("/admin/frameworks/framework/").content.decode()

    assert f'href="{IMPORT}"' in page


def test_the_import_page_shows_a_form(admin_client):
    response = admin_client.get(IMPORT)

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_uploading_a_framework_imports_it_and_shows_the_result(admin_client):
    response = admin_client.post(IMPORT, {"file": upload("tiny.json", as_bytes(DOC))}, follow=True)

    framework = Framework.objects.get(code="tiny")
    assert response.redirect_chain[-1][0] == f"/admin/frameworks/framework/{framework.pk}/change/"
    # (the admin capitalises the first letter of messages)
    assert "Tiny 1.0: imported (1 domain, 3 ratable items, 3 level descriptors)." in (
        response.content.decode()
    )


def test_uploading_csv_with_an_explicit_format(admin_client):
    response = admin_client.post(
        IMPORT, {"file": upload("export.txt", CSV_TEXT.encode()), "format": "csv"}
    )

    assert response.status_code == 302
    assert Framework.objects.filter(code="tiny").exists()


def test_a_bad_upload_shows_the_message_and_writes_nothing(admin_client):
    framework_tree(domains=1, items=1)
    before = row_counts()
    raw = CSV_TEXT.replace("level,A1,,,3,Finishes.", "level,A1,,,7,Finishes.").encode()

    response = admin_client.post(IMPORT, {"file": upload("tiny.csv", raw)})

    assert response.status_code == 200
    assert (
        "line 19, column &quot;level&quot;: level 7 is not on the scale &quot;three-step&quot;"
        in response.content.decode()
    )
    assert row_counts() == before


def test_an_upload_over_the_limit_is_refused_on_the_page(admin_client, settings):
    settings.FRAMEWORK_IMPORT_MAX_BYTES = 1000

    response = admin_client.post(IMPORT, {"file": upload("big.json", b" " * 5000)})

    assert "the file is 5,000 bytes; the limit is 1,000 bytes" in response.content.decode()
    assert row_counts()["Framework"] == 0


def test_staff_without_the_add_permission_cannot_import(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.post(IMPORT, {"file": upload("tiny.json", as_bytes(DOC))})

    assert response.status_code == 403
    assert not Framework.objects.exists()


def test_framework_pages_are_read_only(admin_client):
    framework = framework_tree(domains=1, items=2)

    change = admin_client.get(f"/admin/frameworks/framework/{framework.pk}/change/")
    add = admin_client.get("/admin/frameworks/framework/add/")

    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert "D0.1" in change.content.decode()  # the competency inline
    assert add.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/admin/frameworks/ratingscale/",
        "/admin/frameworks/competency/",
        "/admin/frameworks/framework/",
    ],
)
def test_admin_lists_open(admin_client, path):
    framework_tree(domains=1, items=2)

    assert admin_client.get(path).status_code == 200


def test_competency_page_shows_its_level_descriptors(admin_client):
    framework = framework_tree(domains=1, items=1)
    item = framework.competencies.get(code="D0.0")

    page = admin_client.get(f"/admin/frameworks/competency/{item.pk}/change/").content.decode()

    assert "Level 5 of D0.0" in page


def test_export_action_downloads_one_framework_as_its_file(admin_client):
    framework = framework_tree(domains=1, items=2, code="small")

    response = admin_client.post(
        "/admin/frameworks/framework/",
        {"action": "export_json", "_selected_action": [framework.pk]},
    )

    assert response["Content-Disposition"] == 'attachment; filename="small-1.0.json"'
    assert importers.parse_json(response.content.decode()).code == "small"


def test_export_action_zips_several_frameworks(admin_client):
    first = framework_tree(domains=1, items=1, code="first")
    second = framework_tree(domains=1, items=1, code="second")

    response = admin_client.post(
        "/admin/frameworks/framework/",
        {"action": "export_csv", "_selected_action": [first.pk, second.pk]},
    )

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["first-1.0.csv", "second-1.0.csv"]
    assert importers.parse_csv(archive.read("second-1.0.csv").decode()).code == "second"


# --- Exchange formats, the public flag and links (issue 21) -----------------------------------


@pytest.mark.parametrize(("action", "fmt"), [("export_case", "case"), ("export_medbiq", "medbiq")])
def test_the_exchange_export_actions_give_importable_files(admin_client, action, fmt):
    framework = framework_tree(domains=1, items=2, code="small")

    response = admin_client.post(
        "/admin/frameworks/framework/",
        {"action": action, "_selected_action": [framework.pk]},
    )

    assert response.status_code == 200
    data = importers.parse(response.content, fmt)
    assert [c.code for c in data.competencies] == ["D0", "D0.0", "D0.1"]


def test_the_public_actions_set_the_flag_and_are_audited(admin_client):
    from audit.models import AuditEvent

    framework = framework_tree(domains=1, items=1)

    admin_client.post(
        "/admin/frameworks/framework/",
        {"action": "make_public", "_selected_action": [framework.pk]},
    )
    framework.refresh_from_db()
    assert framework.public
    admin_client.post(
        "/admin/frameworks/framework/",
        {"action": "make_not_public", "_selected_action": [framework.pk]},
    )
    framework.refresh_from_db()
    assert not framework.public
    assert list(
        AuditEvent.objects.filter(action__startswith="framework.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["framework.publish", "framework.unpublish"]


def test_an_administrator_links_items_of_two_frameworks_in_the_admin(admin_client):
    from frameworks.models import CompetencyLink

    left = framework_tree(domains=1, items=1).competencies.get(code="D0.0")
    right = framework_tree(domains=1, items=1).competencies.get(code="D0.0")
    same = left.framework.competencies.get(code="D0")
    add = "/admin/frameworks/competencylink/add/"

    refused = admin_client.post(
        add, {"origin": left.pk, "destination": same.pk, "kind": "isRelatedTo"}
    )
    made = admin_client.post(
        add, {"origin": left.pk, "destination": right.pk, "kind": "isRelatedTo"}
    )

    assert refused.status_code == 200
    assert "same framework version" in refused.content.decode()
    assert made.status_code == 302
    link = CompetencyLink.objects.get()
    assert (link.origin, link.destination) == (left, right)

    admin_client.post(f"/admin/frameworks/competencylink/{link.pk}/delete/", {"post": "yes"})
    assert not CompetencyLink.objects.exists()
