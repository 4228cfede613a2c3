"""Bad archives for the complete archive's sections (docs/portfolio-export.md): each refused
with the JSON path of the field at fault, and an import that fails half-way leaves nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from cpd.models import CpdActivity, LicensingCycle
from cpd.services import cpd_activity_record, licensing_cycle_save
from cpd.tests.factories import category_1
from portfolio import archive, services, transfer
from portfolio.models import Evidence, ImportedRecord, PortfolioTransfer

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CREDENTIAL_ID = "6a0b0a5e-3f4f-4f57-9d7e-6c1f4b0f2a11"


def document(**sections: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "continuum-portfolio",
        "schema_version": 2,
        "profile": {"headline": "", "about": ""},
        "timeline": [],
        "evidence": [],
        "checkins": [],
        "self_assessments": [],
        "goals": [],
        "assessments_received": [],
    }
    for section in archive.archive_sections():
        base[section.key] = []
    base.update(sections)
    return base


def errors_of(doc: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.validate_document(doc)
    return error.value.message_dict


def test_a_section_item_with_wrong_fields_names_each_one():
    errors = errors_of(
        document(
            cpd_activities=[
                {
                    "id": str(uuid.uuid4()),
                    "occurred_on": "soon",
                    "title": "x",
                    "provider": "",
                    "notes": "",
                    "source": "",
                    "credit_type": {"code": "ama-pra-category-1", "name": "Cat 1"},
                    "hours": "1.234",
                    "competencies": [],
                    "evidence": ["e7"],
                }
            ],
            licensing_cycles=[
                {
                    "id": str(uuid.uuid4()),
                    "name": "Licence",
                    "start_date": "2026-01-01",
                    "length_months": 999,
                    "credits_required": "10",
                    "category_1_required": "20",
                }
            ],
            committee_reviews=[{"id": str(uuid.uuid4()), "signed_off_at": "yesterday"}],
            credentials=[{"title": "No id"}],
        )
    )
    assert "cpd_activities[0].occurred_on" in errors
    assert "to the hundredth" in errors["cpd_activities[0].hours"][0]
    assert "Unknown evidence reference 'e7'." in errors["cpd_activities[0].evidence"]
    assert "licensing_cycles[0].length_months" in errors
    assert errors["licensing_cycles[0].category_1_required"] == [
        "Category 1 credits are part of the total."
    ]
    assert "committee_reviews[0].signed_off_at" in errors
    assert "committee_reviews[0].ratings" in errors
    assert errors["credentials[0].id"] == ["Expected a UUID."]


def test_two_items_of_a_section_with_one_identifier_are_refused():
    item = {
        "id": CREDENTIAL_ID,
        "title": "Entrusted",
        "issuer": "Northbridge",
        "issued_at": "2026-01-01T00:00:00Z",
        "revoked_at": None,
        "revocation_reason": "",
        "document": {"id": f"urn:uuid:{CREDENTIAL_ID}"},
    }
    errors = errors_of(document(credentials=[item, dict(item)]))
    assert errors["credentials[1].id"] == ["Each item needs its own identifier."]


def test_a_credential_whose_document_names_another_id_is_refused():
    errors = errors_of(
        document(
            credentials=[
                {
                    "id": CREDENTIAL_ID,
                    "title": "Entrusted",
                    "issuer": "Northbridge",
                    "issued_at": "2026-01-01T00:00:00Z",
                    "revoked_at": None,
                    "revocation_reason": "",
                    "document": {"id": f"urn:uuid:{uuid.uuid4()}"},
                }
            ]
        )
    )
    assert "does not match" in errors["credentials[0].document"][0]


def test_a_version_1_document_has_no_sections_and_still_reads():
    doc = document()
    doc["schema_version"] = 1
    for section in archive.archive_sections():
        del doc[section.key]
    checked = transfer.validate_document(doc)
    assert all(checked[section.key] == [] for section in archive.archive_sections())


def test_a_version_2_document_must_carry_its_sections():
    doc = document()
    del doc["cpd_activities"]
    assert errors_of(doc)["cpd_activities"] == ["Expected a list."]


def _upload(learner: Any, change: Any = None) -> SimpleUploadedFile:
    source = zipfile.ZipFile(io.BytesIO(transfer.archive_bytes(learner=learner)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        doc = json.loads(source.read("portfolio.json"))
        manifest = json.loads(source.read("manifest.json"))
        if change:
            change(doc)
            body = json.dumps(doc).encode()
            manifest["document_sha256"] = hashlib.sha256(body).hexdigest()
        else:
            body = source.read("portfolio.json")
        for info in source.infolist():
            if info.filename not in ("portfolio.json", "manifest.json"):
                target.writestr(info.filename, source.read(info.filename))
        target.writestr("portfolio.json", body)
        target.writestr("manifest.json", json.dumps(manifest).encode())
    return SimpleUploadedFile("portfolio.zip", out.getvalue(), content_type="application/zip")


def _fill(learner: Any) -> None:
    evidence = services.evidence_create(
        learner=learner,
        kind="certificate",
        title="ACLS",
        occurred_on=dt.date(2026, 1, 2),
        upload=SimpleUploadedFile("acls.pdf", PDF),
    )
    cpd_activity_record(
        learner=learner,
        occurred_on=dt.date(2026, 1, 3),
        title="Sepsis update",
        credit_type=category_1().code,
        hours=Decimal("2"),
        evidence_ids=[evidence.pk],
    )
    licensing_cycle_save(
        learner=learner,
        name="Licence",
        start_date=dt.date(2026, 1, 1),
        length_months=24,
        credits_required=Decimal("50"),
        category_1_required=Decimal("20"),
    )


def test_an_import_that_fails_in_a_section_leaves_no_row_and_no_file(
    learner, other_learner, monkeypatch
):
    _fill(learner)
    upload = _upload(learner)
    files_before = (
        set(default_storage.listdir(f"evidence/{other_learner.pk}")[1])
        if (default_storage.exists(f"evidence/{other_learner.pk}"))
        else set()
    )
    cycles = next(s for s in archive.archive_sections() if s.key == "licensing_cycles")

    def restore_then_fail(context: Any, items: Any) -> Any:
        assert cycles.restore is not None
        cycles.restore(context, items)  # rows are written …
        raise RuntimeError("the disk filled up")  # … and then the import breaks

    monkeypatch.setitem(
        archive._SECTIONS,
        "licensing_cycles",
        archive.ArchiveSection(**{**cycles.__dict__, "restore": restore_then_fail}),
    )
    job = transfer.portfolio_import_start(learner=other_learner, upload=upload)
    with pytest.raises(RuntimeError):
        transfer.portfolio_import_run(transfer_id=job.pk)

    job.refresh_from_db()
    assert job.status == PortfolioTransfer.Status.FAILED
    assert not Evidence.objects.filter(learner=other_learner).exists()
    assert not CpdActivity.objects.filter(learner=other_learner).exists()
    assert not LicensingCycle.objects.filter(learner=other_learner).exists()
    assert not ImportedRecord.objects.filter(learner=other_learner).exists()
    files_after = (
        set(default_storage.listdir(f"evidence/{other_learner.pk}")[1])
        if (default_storage.exists(f"evidence/{other_learner.pk}"))
        else set()
    )
    assert files_after == files_before


def test_an_activity_whose_credit_type_is_unknown_here_is_kept_as_a_record(learner, other_learner):
    _fill(learner)

    def rename(doc: dict[str, Any]) -> None:
        doc["cpd_activities"][0]["credit_type"]["code"] = "royal-college-section-3"

    job = transfer.portfolio_import_start(learner=other_learner, upload=_upload(learner, rename))
    done = transfer.portfolio_import_run(transfer_id=job.pk)

    assert done.status == "done", done.report
    assert not CpdActivity.objects.filter(learner=other_learner).exists()
    [record] = ImportedRecord.objects.filter(learner=other_learner, section="cpd_activities")
    assert record.payload["evidence"] == [] and record.payload["evidence_titles"] == ["ACLS"]
    assert any("royal-college-section-3" in note for note in done.report["notes"])
    # It travels on: the next export carries it, and importing that adds nothing twice.
    again = transfer.portfolio_document(learner=other_learner).document
    assert [a["title"] for a in again["cpd_activities"]] == ["Sepsis update"]


def test_the_same_learner_importing_their_own_archive_adds_nothing(learner):
    _fill(learner)
    job = transfer.portfolio_import_start(learner=learner, upload=_upload(learner))
    done = transfer.portfolio_import_run(transfer_id=job.pk)
    assert done.report["added"] == {}, done.report
    assert done.report["unchanged"]["cpd_activities"] == 1
    assert done.report["unchanged"]["licensing_cycles"] == 1
    assert CpdActivity.objects.filter(learner=learner).count() == 1
