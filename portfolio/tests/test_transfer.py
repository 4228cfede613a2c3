"""The portable portfolio: export, import into an empty portfolio, export again — the same
document. Damaged, tampered and wrong-version archives are refused; unmatched framework
references are reported and kept."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import CheckIn, SelfAssessment
from assessments.services.checkins import SelfAssessmentInput, checkin_record
from portfolio import services, transfer
from portfolio.models import (
    Evidence,
    Goal,
    GoalProgressNote,
    ImportedRecord,
    PortfolioTransfer,
    TimelineEntry,
)
from portfolio.services import CheckInItem, checkin_record_with_evidence
from portfolio.tests.factories import AssessmentFactory
from tests import factories as base

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_portfolio(learner, program, leaves, assessor):
    """A portfolio with one of everything, across two stages of training."""
    school = base.ProgramFactory(stage="ume", name="MD program", duration_years=4)
    base.EnrollmentFactory(
        learner=learner,
        program=school,
        training_year=4,
        start_date=dt.date(2021, 8, 1),
        end_date=dt.date(2025, 5, 31),
    )
    services.learner_profile_update(
        learner=learner, headline="PGY-1, internal medicine", about="Likes nights."
    )
    document = services.evidence_create(
        learner=learner,
        kind="certificate",
        title="ACLS",
        occurred_on=dt.date(2025, 7, 2),
        competency_ids=[leaves[0].pk],
        upload=SimpleUploadedFile("acls.pdf", PDF),
        credit_hours=Decimal("8"),
    )
    reflection = services.evidence_create(
        learner=learner,
        kind="reflection",
        title="A hard conversation",
        body="What I learned.",
        occurred_on=dt.date(2025, 9, 1),
        competency_ids=[leaves[3].pk],
    )
    checkin_record_with_evidence(
        learner=learner,
        client_token=uuid.uuid4(),
        assessed_on=dt.date(2025, 8, 1),
        items=[
            CheckInItem(leaves[0].pk, "1.5", "First month", [document.pk]),
            CheckInItem(leaves[1].pk, "2"),
        ],
    )
    checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        assessed_on=dt.date(2025, 10, 1),
        items=[SelfAssessmentInput(leaves[0].pk, "2.5")],
    )
    SelfAssessment.objects.create(
        learner=learner,
        competency=leaves[2],
        level=Decimal("3"),
        assessed_on=dt.date(2025, 9, 9),
        note="Outside a check-in",
    )
    goal = services.goal_create(
        learner=learner,
        title="Lead a family meeting",
        measure="Observed twice",
        plan="Shadow first",
        target_date=dt.date(2026, 3, 1),
        competency_ids=[leaves[3].pk],
        evidence_ids=[reflection.pk],
    )
    services.goal_progress_note_add(goal=goal, text="Shadowed one", noted_on=dt.date(2025, 9, 15))
    AssessmentFactory(
        learner=learner,
        assessor=assessor,
        competency=leaves[0],
        level=Decimal("2"),
        observed_on=dt.date(2025, 9, 20),
        went_well="Clear plan",
        next_step="Close the loop",
    )


def comparable(document):
    """The document without what is expected to differ: when, and who is signed in."""
    return {key: value for key, value in document.items() if key not in ("exported_at", "learner")}


def round_trip(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    first = transfer.portfolio_document(learner=learner).document
    archive = transfer.archive_bytes(learner=learner)
    # An empty portfolio database: the learner and everything of theirs is gone; only the
    # reference data (frameworks, programs) remains, as in another deployment.
    learner.delete()
    newcomer = base.UserFactory(email="moved@example.org")
    job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
    job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))
    done = transfer.portfolio_import_run(transfer_id=job.pk)
    assert done.status == "done", done.report
    second = transfer.portfolio_document(learner=newcomer).document
    return first, second, done, newcomer


def test_export_then_import_into_an_empty_portfolio_then_export_gives_the_same_document(
    learner, program, leaves, assessor
):
    first, second, done, newcomer = round_trip(learner, program, leaves, assessor)
    assert comparable(second) == comparable(first)
    assert done.report["unmatched"] == []
    assert done.report["imported"]["checkins"] == 2
    # The files came along, byte for byte.
    copy = Evidence.objects.get(learner=newcomer, kind="certificate")
    assert copy.file.read() == PDF


@pytest.mark.postgres
def test_the_round_trip_holds_on_postgresql(learner, program, leaves, assessor):
    first, second, _, _ = round_trip(learner, program, leaves, assessor)
    assert comparable(second) == comparable(first)


def test_the_document_names_frameworks_by_code_and_version(
    learner, program, framework, leaves, assessor
):
    fill_portfolio(learner, program, leaves, assessor)
    document = transfer.portfolio_document(learner=learner).document
    assert document["schema"] == "continuum-portfolio"
    assert document["schema_version"] == transfer.SCHEMA_VERSION == 2
    assert document["frameworks"] == [
        {"framework": framework.code, "version": framework.version, "name": framework.name}
    ]
    item = document["checkins"][0]["items"][0]
    assert {k: item[k] for k in ("framework", "version", "code", "level")} == {
        "framework": framework.code,
        "version": framework.version,
        "code": leaves[0].code,
        "level": "1.5",
    }
    assert [t["program"] for t in document["timeline"]] == ["MD program", program.name]


def test_the_archive_holds_the_document_the_files_and_a_printable_summary(
    learner, program, leaves, assessor
):
    fill_portfolio(learner, program, leaves, assessor)
    with zipfile.ZipFile(io.BytesIO(transfer.archive_bytes(learner=learner))) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        summary = archive.read("summary.html").decode()
    assert {"manifest.json", "portfolio.json", "summary.html", "files/e1.pdf"} <= names
    assert manifest["files"]["files/e1.pdf"]
    assert "Lead a family meeting" in summary


# --- Refused archives -------------------------------------------------------------------------


def make_archive(
    learner, program, leaves, assessor, *, change=None, manifest_change=None, extra=None
):
    fill_portfolio(learner, program, leaves, assessor)
    source = zipfile.ZipFile(io.BytesIO(transfer.archive_bytes(learner=learner)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "portfolio.json" and change:
                document = json.loads(data)
                change(document)
                data = json.dumps(document).encode()
            if info.filename == "manifest.json" and manifest_change:
                manifest = json.loads(data)
                manifest_change(manifest)
                data = json.dumps(manifest).encode()
            if extra and info.filename in extra:
                data = extra[info.filename]
            target.writestr(info.filename, data)
    return SimpleUploadedFile("portfolio.zip", out.getvalue(), content_type="application/zip")


def test_a_tampered_document_is_refused_before_anything_is_stored(
    learner, program, leaves, assessor
):
    upload = make_archive(
        learner, program, leaves, assessor, change=lambda d: d["goals"][0].update(title="Changed")
    )
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.portfolio_import_start(learner=learner, upload=upload)
    assert "checksum" in str(error.value.message_dict)
    assert not PortfolioTransfer.objects.exists()


def test_a_tampered_file_is_refused(learner, program, leaves, assessor):
    upload = make_archive(
        learner, program, leaves, assessor, extra={"files/e1.pdf": PDF + b"%changed"}
    )
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.portfolio_import_start(learner=learner, upload=upload)
    assert "evidence[0].file" in error.value.message_dict


def test_a_newer_format_version_is_refused_with_a_clear_message(learner, program, leaves, assessor):
    upload = make_archive(
        learner, program, leaves, assessor, manifest_change=lambda m: m.update(schema_version=3)
    )
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.portfolio_import_start(learner=learner, upload=upload)
    message = error.value.message_dict["schema_version"][0]
    assert "newer than this deployment" in message
    assert "reads versions 1 to 2" in message
    assert not PortfolioTransfer.objects.exists()


def test_something_that_is_not_a_zip_is_refused(learner):
    with pytest.raises(transfer.ArchiveInvalidError):
        transfer.portfolio_import_start(
            learner=learner, upload=SimpleUploadedFile("x.zip", b"not a zip")
        )


def test_a_document_with_wrong_fields_names_each_one(learner):
    document = {
        "schema": "continuum-portfolio",
        "schema_version": 1,
        "profile": {"headline": 3, "about": ""},
        "timeline": [{"stage": "moon"}],
        "evidence": [],
        "checkins": [],
        "self_assessments": [],
        "goals": [
            {
                "title": "x",
                "measure": "y",
                "plan": "",
                "target_date": "someday",
                "status": "done",
                "competencies": [],
                "evidence": ["e9"],
                "progress_notes": [],
            }
        ],
        "assessments_received": [],
    }
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.validate_document(document)
    errors = error.value.message_dict
    assert {
        "profile.headline",
        "timeline[0].stage",
        "goals[0].target_date",
        "goals[0].status",
        "goals[0].evidence",
    } <= set(errors)


# --- Matching frameworks ----------------------------------------------------------------------


def test_references_to_an_unknown_framework_version_are_reported_kept_and_exported_again(
    learner, program, leaves, assessor
):
    def to_unknown_version(document):
        for checkin in document["checkins"]:
            for item in checkin["items"]:
                if item["code"] == leaves[1].code:
                    item["version"] = "9.9"
        document["goals"][0]["competencies"][0]["version"] = "9.9"

    fill_portfolio(learner, program, leaves, assessor)
    document = transfer.portfolio_document(learner=learner).document
    to_unknown_version(document)
    learner.delete()
    newcomer = base.UserFactory()
    report = transfer.ImportReport()
    from django.db import transaction

    with transaction.atomic():
        transfer._import_records(
            learner=newcomer,
            doc=transfer.validate_document(document),
            stored_files={"files/e1.pdf": ("evidence/x.pdf", len(PDF))},
            report=report,
        )
    assert len(report.unmatched) == 2
    assert "version 9.9 is not installed here" in report.unmatched[0]
    assert ImportedRecord.objects.filter(learner=newcomer, kind="self_assessment").count() == 1
    assert Goal.objects.get(learner=newcomer).unmatched_competencies == [
        {"framework": leaves[0].framework.code, "version": "9.9", "code": leaves[3].code}
    ]
    again = transfer.portfolio_document(learner=newcomer).document
    assert comparable(again)["checkins"] == document["checkins"]
    assert comparable(again)["goals"] == document["goals"]


def test_a_failed_import_leaves_nothing_half_written(
    learner, program, leaves, assessor, monkeypatch, settings
):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    newcomer = base.UserFactory()
    job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
    job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(GoalProgressNote.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        transfer.portfolio_import_run(transfer_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert not Evidence.objects.filter(learner=newcomer).exists()
    assert not CheckIn.objects.filter(learner=newcomer).exists()
    assert not TimelineEntry.objects.filter(learner=newcomer).exists()
    assert not list((settings.MEDIA_ROOT / "evidence" / str(newcomer.pk)).glob("*"))


def test_running_an_import_twice_imports_once(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    learner.delete()
    newcomer = base.UserFactory()
    job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
    job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))
    transfer.portfolio_import_run(transfer_id=job.pk)
    transfer.portfolio_import_run(transfer_id=job.pk)
    assert Goal.objects.filter(learner=newcomer).count() == 1


# --- Through the API and pages, as tasks --------------------------------------------------------


def test_export_and_import_run_as_tasks_through_the_api(
    client, learner, program, leaves, assessor, django_capture_on_commit_callbacks
):
    fill_portfolio(learner, program, leaves, assessor)
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/v1/exports/")
    assert started.status_code == 202
    status = client.get(f"/api/v1/exports/{started.json()['id']}/").json()
    assert status["status"] == "done"
    assert status["percent"] == 100
    archive = b"".join(client.get(status["download_url"]).streaming_content)

    other = base.UserFactory()
    client.force_login(other)
    with django_capture_on_commit_callbacks(execute=True):
        imported = client.post(
            "/api/v1/imports/", {"archive": SimpleUploadedFile("p.zip", archive)}
        )
    assert imported.status_code == 202
    report = client.get(f"/api/v1/imports/{imported.json()['id']}/").json()
    assert report["status"] == "done"
    assert report["report"]["imported"]["goals"] == 1


def test_a_tampered_archive_is_a_400_in_the_api(client, learner, program, leaves, assessor):
    upload = make_archive(learner, program, leaves, assessor, change=lambda d: d.update(goals=[]))
    client.force_login(learner)
    response = client.post("/api/v1/imports/", {"archive": upload})
    assert response.status_code == 400
    assert "detail" in response.json()


def test_the_transfer_page_shows_progress_and_the_report(
    client, learner, program, leaves, assessor, django_capture_on_commit_callbacks
):
    fill_portfolio(learner, program, leaves, assessor)
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/export/start/")
    page = client.get(response["Location"]).content.decode()
    assert "Download the archive" in page


def test_someone_else_cannot_download_an_export(client, learner, coach, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    job = PortfolioTransfer.objects.create(learner=learner, direction="export")
    transfer.portfolio_export_run(transfer_id=job.pk)
    client.force_login(coach)
    assert client.get(f"/export/{job.public_id}/download/").status_code == 404
    assert client.get(f"/api/v1/exports/{job.public_id}/download/").status_code == 404


def test_a_check_in_whose_token_someone_else_holds_is_imported_with_a_new_token(
    learner, program, leaves, assessor
):
    fill_portfolio(learner, program, leaves, assessor)
    document = transfer.portfolio_document(learner=learner).document
    newcomer = base.UserFactory()
    report = transfer.ImportReport()
    from django.db import transaction

    with transaction.atomic():
        transfer._import_records(
            learner=newcomer,
            doc=transfer.validate_document(document),
            stored_files={"files/e1.pdf": ("evidence/x.pdf", len(PDF))},
            report=report,
        )
    assert CheckIn.objects.filter(learner=newcomer).count() == 2
    assert CheckIn.objects.filter(learner=learner).count() == 2
    # Each imported check-in keeps the day its items were assessed on.
    assert sorted(
        CheckIn.objects.filter(learner=newcomer).values_list("assessed_on", flat=True)
    ) == [dt.date(2025, 8, 1), dt.date(2025, 10, 1)]
    assert sum("new token" in note for note in report.notes) == 2
