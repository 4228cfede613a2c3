"""Importing the catalogue from CSV and JSON: all rows or none, errors by line and field."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from learning.catalogue import CatalogueError
from learning.models import ICD10CM, SNOMED, CodePair, LearningResource, ResourceCode
from learning.services import catalogue_import
from learning.tests.factories import epa_framework, im_framework

pytestmark = pytest.mark.django_db

HEADER = "key,title,description,url,kind,duration_minutes,cme_credit,competencies,codes,level_min,level_max,stages,keywords,reviewed_on,active\n"


@pytest.fixture
def frameworks():
    return im_framework(), epa_framework()


def test_the_starter_catalogue_loads_whole_and_reloads_without_duplicates(frameworks):
    out = StringIO()
    call_command("load_learning_catalogue", stdout=out)
    assert "48 resources created, 0 updated, 30 code pairs added" in out.getvalue()

    call_command("load_learning_catalogue", stdout=out)
    assert "0 resources created, 48 updated, 0 code pairs added" in out.getvalue()
    assert LearningResource.objects.count() == 48
    diabetes = LearningResource.objects.get(key="t2dm-intensifying-therapy")
    assert {(c.system, c.code) for c in diabetes.codes.all()} == {
        (ICD10CM, "E11.9"),
        (SNOMED, "44054006"),
        (ICD10CM, "E11.65"),
    }
    assert sorted(c.code for c in diabetes.competencies.all()) == ["MK2", "PC5"]
    assert CodePair.objects.filter(snomed_code="84114007", icd10_code="I50.9").exists()


def test_every_starter_item_has_competencies_and_our_own_words():
    from learning.management.commands.load_learning_catalogue import STARTER

    document = json.loads(STARTER.read_text())
    assert 20 <= len(document["resources"]) <= 50
    for item in document["resources"]:
        assert item["competencies"], item["key"]
        assert len(item["description"]) > 60, item["key"]
        assert item["url"] == "" or item["url"].count("/") == 3, "links go to home pages only"


def test_a_csv_file_imports_resources_with_lists_in_cells(frameworks):
    content = HEADER + (
        'hf-1,Heart failure basics,"Short, our words",https://example.org/hf,video,12,0.5,'
        "im-milestones:PC4; im-milestones@2.0:MK2,snomed:84114007; icd10cm:I509,1,3,gme;cpd,heart,2026-01-31,yes\n"
    )

    result = catalogue_import(content=content.encode(), filename="catalogue.csv")

    assert (result.created, result.updated) == (1, 0)
    resource = LearningResource.objects.get(key="hf-1")
    assert resource.description == "Short, our words"
    assert resource.cme_credit == Decimal("0.5")
    assert resource.stages == ["cpd", "gme"]
    assert sorted(c.code for c in resource.competencies.all()) == ["MK2", "PC4"]
    # ICD-10-CM codes are stored with their dot.
    assert ResourceCode.objects.filter(resource=resource, system=ICD10CM, code="I50.9").exists()


def test_csv_errors_name_the_line_and_field_and_nothing_is_written(frameworks):
    content = HEADER + (
        "ok-1,Fine,,,article,10,,im-milestones:PC1,,,,,,,\n"
        "bad-1,,,,podcast,ten,,im-milestones:PC99,loinc:1234-5,3,2,residents,,31/01/2026,\n"
        "ok-1,Again,,,article,,,,,,,,,,\n"
    )

    with pytest.raises(CatalogueError) as caught:
        catalogue_import(content=content.encode(), filename="c.csv")

    messages = [str(e) for e in caught.value.errors]
    assert "line 3, field 'title': required, at most 200 characters" in messages
    assert any(m.startswith("line 3, field 'kind': must be one of") for m in messages)
    assert "line 3, field 'duration_minutes': a whole number of minutes from 1 to 600" in messages
    assert "line 3, field 'level_max': must not be below level_min" in messages
    assert any(m.startswith("line 3, field 'stages': unknown ['residents']") for m in messages)
    assert "line 3, field 'reviewed_on': a date like 2025-01-31" in messages
    assert "line 3, field 'codes': unknown code system 'loinc' (use snomed or icd10cm)" in messages
    assert any(m.startswith("line 3, field 'competencies': no competency 'PC99'") for m in messages)
    assert "line 4, field 'key': 'ok-1' repeats line 2" in messages
    assert LearningResource.objects.count() == 0


def test_json_errors_name_the_item_and_field(frameworks):
    document = {
        "format": "continuum-learning-catalogue",
        "resources": [
            {"key": "a", "title": "A", "kind": "article", "competencies": ["im-milestones:PC1"]},
            {
                "key": "b c",
                "title": "B",
                "kind": "article",
                "url": "ftp://x",
                "competencies": ["nope:PC1", "PC1"],
                "codes": [{"system": "snomed", "code": "E11.9"}],
            },
        ],
        "code_pairs": [{"snomed": "44054006"}],
    }

    with pytest.raises(CatalogueError) as caught:
        catalogue_import(content=json.dumps(document).encode(), filename="c.json")

    messages = [str(e) for e in caught.value.errors]
    assert (
        "resources[1], field 'key': required: letters, digits, '-' or '_', at most 80 characters"
        in messages
    )
    assert "resources[1], field 'url': must be an http(s) address" in messages
    assert (
        "resources[1], field 'competencies': 'PC1' is not 'framework:CODE' (or 'framework@version:CODE')"
        in messages
    )
    assert "resources[1], field 'competencies': framework in 'nope:PC1' is not loaded" in messages
    assert "resources[1], field 'codes': 'E11.9' is not a valid SNOMED CT concept id" in messages
    assert "code_pairs[0], field 'icd10cm': an ICD-10-CM code is required" in messages
    assert LearningResource.objects.count() == 0


def test_a_file_that_is_not_json_or_has_unknown_columns_is_refused(frameworks):
    with pytest.raises(CatalogueError) as caught:
        catalogue_import(content=b'{"resources": [', filename="c.json")
    assert str(caught.value.errors[0]).startswith("line 1, field '-': not valid JSON")

    with pytest.raises(CatalogueError) as caught:
        catalogue_import(content=b"key,title,colour\nx,y,z\n", filename="c.csv")
    assert "unknown columns ['colour']" in str(caught.value.errors[0])


def test_a_csv_of_code_pairs_is_recognised_by_its_header():
    result = catalogue_import(
        content=b"snomed,icd10cm,display\n38341003,I10,Hypertension\n", filename="pairs.csv"
    )

    assert result.pairs_created == 1
    assert CodePair.objects.get().icd10_code == "I10"


def test_a_newer_framework_version_is_used_unless_a_version_is_named():
    old, new = im_framework(version="1.0"), im_framework(version="2.0")
    document = {
        "resources": [
            {"key": "a", "title": "A", "kind": "article", "competencies": ["im-milestones:PC1"]},
            {
                "key": "b",
                "title": "B",
                "kind": "article",
                "competencies": ["im-milestones@1.0:PC1"],
            },
        ]
    }

    catalogue_import(content=json.dumps(document).encode())

    assert LearningResource.objects.get(key="a").competencies.get().framework == new
    assert LearningResource.objects.get(key="b").competencies.get().framework == old


def test_the_command_lists_every_error_and_imports_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "x,,,,article,,,,,,,,,,\n")

    with pytest.raises(CommandError) as caught:
        call_command("load_learning_catalogue", str(path))

    assert "nothing imported" in str(caught.value)
    assert "line 2, field 'title'" in str(caught.value)


def _csv_upload(content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("catalogue.csv", content.encode(), content_type="text/csv")


def test_an_administrator_imports_the_catalogue_over_the_api_and_it_is_audited(
    client, admin_user, frameworks
):
    from audit.models import AuditEvent

    client.force_login(admin_user)
    content = HEADER + "ok-1,Fine,,,article,10,,im-milestones:PC1,,,,,,,\n"

    response = client.post("/api/v1/learning/catalogue/import/", {"file": _csv_upload(content)})

    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "pairs_created": 0}
    event = AuditEvent.objects.get(action="catalogue.import")
    assert event.actor == admin_user and event.after["created"] == 1


def test_a_bad_catalogue_over_the_api_names_line_and_field_and_writes_nothing(
    client, admin_user, frameworks
):
    client.force_login(admin_user)
    content = HEADER + "bad-1,,,,podcast,ten,,,,,,,,,\n"

    response = client.post("/api/v1/learning/catalogue/import/", {"file": _csv_upload(content)})

    assert response.status_code == 400
    assert {(e["where"], e["field"]) for e in response.json()["errors"]} >= {
        ("line 2", "duration_minutes")
    }
    assert not LearningResource.objects.exists()
