"""Frameworks in /api/v1/: export in every format, import by administrators (the same
importer and messages as the command line), the public flag, links between frameworks."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from frameworks import exporters, importers
from frameworks.models import Competency, CompetencyLink, Framework
from frameworks.services import frameworks_load_shipped
from frameworks.tests.factories import framework_tree, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def as_learner(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def shipped(db) -> dict[str, Framework]:
    frameworks_load_shipped()
    return {f.code: f for f in Framework.objects.with_tree()}


# --- Export -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("json", "application/json", "im-milestones-2.0.json"),
        ("csv", "text/csv; charset=utf-8", "im-milestones-2.0.csv"),
        ("case", "application/json", "im-milestones-2.0.case.json"),
        ("medbiq", "application/xml", "im-milestones-2.0.medbiq.xml"),
    ],
)
def test_export_in_every_format_reads_back_as_the_same_framework(
    as_learner, shipped, fmt, content_type, filename
):
    response = as_learner.get(f"/api/v1/frameworks/im-milestones/2.0/export/{fmt}/")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    data = importers.parse(response.content, fmt)  # type: ignore[arg-type]
    assert data == exporters.framework_data(shipped["im-milestones"])


def test_export_in_an_unknown_format_or_of_an_unknown_version_is_404(as_learner, shipped):
    assert as_learner.get("/api/v1/frameworks/im-milestones/2.0/export/pdf/").status_code == 404
    assert as_learner.get("/api/v1/frameworks/im-milestones/9.9/export/case/").status_code == 404


def test_the_page_offers_the_exchange_formats_too(as_learner, shipped):
    for fmt in ("case", "medbiq"):
        response = as_learner.get(f"/frameworks/aamc-core-epas/2014/download.{fmt}")
        assert response.status_code == 200
        assert importers.parse(response.content, fmt) == exporters.framework_data(  # type: ignore[arg-type]
            shipped["aamc-core-epas"]
        )


# --- Import -----------------------------------------------------------------------------------


def upload(client, content: bytes, name: str, **fields: str):
    return client.post(
        "/api/v1/frameworks/import/",
        {"file": SimpleUploadedFile(name, content), **fields},
    )


def test_an_administrator_imports_a_case_package_and_a_second_send_changes_nothing(
    as_admin, shipped
):
    package = exporters.export_file(shipped["acgme-harmonized"], "case", case_base="http://x/")
    changed = json.loads(package)
    changed["CFDocument"]["version"] = "2.1"
    raw = json.dumps(changed).encode()

    first = upload(as_admin, raw, "harmonized.json")
    counts = row_counts()
    again = upload(as_admin, raw, "harmonized.json")

    assert first.status_code == 201
    assert first.json() == {
        "code": "acgme-harmonized",
        "version": "2.1",
        "created": True,
        "message": "acgme-harmonized 2.1: imported (4 domains, 11 ratable items, "
        "55 level descriptors).",
        "warnings": [],
    }
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert row_counts() == counts
    assert AuditEvent.objects.filter(action="framework.import", actor__isnull=False).count() == 1


def test_an_administrator_imports_medbiquitous_xml(as_admin, shipped):
    raw = exporters.export_file(shipped["aamc-core-epas"], "medbiq", case_base="")
    Framework.objects.filter(code="aamc-core-epas").delete()

    response = upload(as_admin, raw, "epas.xml")

    assert response.status_code == 201
    assert Framework.objects.get(code="aamc-core-epas").competencies.count() == 13


def test_a_bad_file_is_a_400_naming_the_place_and_nothing_is_written(as_admin, shipped):
    counts = row_counts()
    package = {"CFDocument": {"identifier": "not-a-uuid", "title": "x"}}

    response = upload(as_admin, json.dumps(package).encode(), "bad.json", format="case")

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'CFDocument, field identifier: identifier "not-a-uuid" is not a UUID',
        "where": "CFDocument, field identifier",
    }
    assert row_counts() == counts


def test_a_csv_error_names_the_line_as_on_the_command_line(as_admin, db):
    raw = b"record,code,parent,title,level,text\nmeta,colour,,,,blue\n"

    response = upload(as_admin, raw, "tiny.csv")

    assert response.status_code == 400
    assert response.json()["detail"].startswith('line 2, column "code": unknown meta field')


def test_an_unknown_format_is_a_400(as_admin, db):
    response = upload(as_admin, b"{}", "x.json", format="pdf")

    assert response.status_code == 400
    assert "format" in response.json()


def test_a_file_over_the_limit_is_a_413(as_admin, db, settings):
    settings.FRAMEWORK_IMPORT_MAX_BYTES = 1000
    counts = row_counts()

    response = upload(as_admin, b" " * 1001, "big.json")

    assert response.status_code == 413
    assert row_counts() == counts


def test_someone_who_is_not_an_administrator_cannot_import(as_learner, shipped):
    raw = exporters.export_file(shipped["aamc-core-epas"], "case", case_base="http://x/")

    response = upload(as_learner, raw, "epas.json")

    assert response.status_code == 403


def test_warnings_of_a_foreign_package_come_back_with_the_import(as_admin, shipped):
    from frameworks.tests.interop import require_case_dir

    raw = (require_case_dir() / "SequenceNumberFramework.json").read_bytes()

    body = upload(as_admin, raw, "SequenceNumberFramework.json").json()

    assert body["created"] is True
    assert any("coded" in w for w in body["warnings"])


# --- Public flag ------------------------------------------------------------------------------


def test_an_administrator_makes_a_version_public_for_the_case_api(as_admin, client, shipped):
    framework = shipped["im-milestones"]

    response = as_admin.post(
        "/api/v1/frameworks/im-milestones/2.0/public/",
        {"public": True},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["public"] is True
    assert AuditEvent.objects.filter(action="framework.publish").count() == 1
    client.logout()
    assert client.get(f"/ims/case/v1p0/CFDocuments/{framework.uuid}").status_code == 200


def test_a_learner_cannot_change_the_public_flag(as_learner, shipped):
    response = as_learner.post(
        "/api/v1/frameworks/im-milestones/2.0/public/",
        {"public": True},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert not Framework.objects.get(code="im-milestones").public


# --- Links ------------------------------------------------------------------------------------


def test_an_administrator_links_an_epa_to_sub_competencies_once(as_admin, shipped):
    epa = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")
    body = {"origin": epa.pk, "destination": pc1.pk, "kind": "isRelatedTo"}

    first = as_admin.post("/api/v1/frameworks/links/", body, content_type="application/json")
    again = as_admin.post("/api/v1/frameworks/links/", body, content_type="application/json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert CompetencyLink.objects.count() == 1
    made = first.json()
    assert (made["origin"]["code"], made["destination"]["code"], made["kind"]) == (
        "EPA1",
        "PC1",
        "isRelatedTo",
    )
    assert made["destination"]["framework"] == "im-milestones"

    not_an_id = as_admin.delete("/api/v1/frameworks/links/abc/")
    removed = as_admin.delete(f"/api/v1/frameworks/links/{made['id']}/")

    # A segment that is not a number is this operation's 404, not another route's 405
    # (the fuzzer found that).
    assert not_an_id.status_code == 404 and not_an_id.json()["detail"]
    assert removed.status_code == 204
    assert not CompetencyLink.objects.exists()
    assert AuditEvent.objects.filter(action__in=["framework.link", "framework.unlink"]).count() == 2


def test_a_link_inside_one_framework_is_a_400(as_admin, shipped):
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")
    pc2 = Competency.objects.get(framework__code="im-milestones", code="PC2")

    response = as_admin.post(
        "/api/v1/frameworks/links/",
        {"origin": pc1.pk, "destination": pc2.pk},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not CompetencyLink.objects.exists()


def test_a_learner_reads_links_but_cannot_make_them(as_learner, shipped):
    epa = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")

    response = as_learner.post(
        "/api/v1/frameworks/links/",
        {"origin": epa.pk, "destination": pc1.pk},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert as_learner.get("/api/v1/frameworks/links/").json()["count"] == 0


@pytest.mark.parametrize("count", [1, 6])
def test_the_link_list_runs_a_fixed_number_of_queries(as_learner, django_assert_num_queries, count):
    left = framework_tree(domains=1, items=count)
    right = framework_tree(domains=1, items=count)
    pairs = zip(
        left.competencies.filter(parent__isnull=False),
        right.competencies.filter(parent__isnull=False),
        strict=True,
    )
    CompetencyLink.objects.bulk_create(CompetencyLink(origin=a, destination=b) for a, b in pairs)

    # 1 session, 2 user, 3 count for the pagination, 4 links with both items and frameworks
    with django_assert_num_queries(4):
        response = as_learner.get("/api/v1/frameworks/links/")

    assert response.json()["count"] == count
