"""Importing a portfolio archive again adds nothing: items carry identifiers, matched only
against the importing learner's own items; a newer version of an item updates it; stored
files are not copied twice; archives without identifiers still import."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assessments.models import CheckIn, SelfAssessment
from portfolio import services, transfer
from portfolio.models import (
    Evidence,
    Goal,
    GoalProgressNote,
    ImportedRecord,
    PortfolioTransfer,
    TimelineEntry,
)
from portfolio.tests.test_transfer import PDF, fill_portfolio
from tests import factories as base

pytestmark = pytest.mark.django_db


def run_import(learner, archive: bytes, capture=None) -> PortfolioTransfer:
    job = PortfolioTransfer.objects.create(learner=learner, direction="import")
    job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))
    if capture is None:
        done = transfer.portfolio_import_run(transfer_id=job.pk)
    else:
        with capture(execute=True):
            done = transfer.portfolio_import_run(transfer_id=job.pk)
    assert done.status == "done", done.report
    return done


def rewritten(archive: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The archive with its document changed and the manifest's checksum recomputed, as
    anyone holding an archive can do (the checksum is not a signature)."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    document = json.loads(source.read("portfolio.json"))
    change(document)
    body = json.dumps(document).encode()
    manifest = json.loads(source.read("manifest.json"))
    manifest["document_sha256"] = hashlib.sha256(body).hexdigest()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "portfolio.json":
                data = body
            elif info.filename == "manifest.json":
                data = json.dumps(manifest).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def stored_files(settings) -> int:
    return sum(1 for path in (settings.MEDIA_ROOT / "evidence").rglob("*") if path.is_file())


def holdings(learner) -> dict[str, int]:
    return {
        "evidence": Evidence.objects.filter(learner=learner).count(),
        "goals": Goal.objects.filter(learner=learner).count(),
        "notes": GoalProgressNote.objects.filter(goal__learner=learner).count(),
        "checkins": CheckIn.objects.filter(learner=learner).count(),
        "self_assessments": SelfAssessment.objects.filter(learner=learner).count(),
        "timeline": TimelineEntry.objects.filter(learner=learner).count(),
        "records": ImportedRecord.objects.filter(learner=learner).count(),
    }


def snapshot(learner) -> list[tuple[Any, ...]]:
    """Every field of the learner's evidence and goals, to prove them untouched."""
    return [
        *Evidence.objects.filter(learner=learner).order_by("pk").values_list(),
        *Goal.objects.filter(learner=learner).order_by("pk").values_list(),
        *GoalProgressNote.objects.filter(goal__learner=learner).order_by("pk").values_list(),
    ]


def test_the_same_archive_three_times_adds_nothing_after_the_first(
    learner, program, leaves, assessor, settings
):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    learner.delete()  # another deployment: the archive's identifiers are free there
    newcomer = base.UserFactory()
    files_before = stored_files(settings)
    first = run_import(newcomer, archive)
    after_first = holdings(newcomer)
    files = stored_files(settings)
    assert after_first == {
        "evidence": 2,
        "goals": 1,
        "notes": 1,
        "checkins": 2,
        "self_assessments": 4,
        "timeline": 2,
        "records": 1,
    }
    assert files == files_before + 1  # the certificate's PDF
    assert first.report["summary"].startswith("Added 2 stages of training, 2 evidence items")

    for _ in range(2):
        again = run_import(newcomer, archive)
        assert holdings(newcomer) == after_first
        assert stored_files(settings) == files
        assert again.report["added"] == {}
        assert again.report["updated"] == {}
        assert again.report["summary"] == (
            "Nothing new: 2 stages of training, 2 evidence items, 2 check-ins, "
            "4 self-assessments, 1 goal, 1 progress note and 1 rating by others already here."
        )


def test_the_report_page_says_nothing_new(
    client, learner, program, leaves, assessor, django_capture_on_commit_callbacks
):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    job = run_import(learner, archive)
    client.force_login(learner)
    page = client.get(f"/export/{job.public_id}/").content.decode()
    assert "Nothing new: " in page
    assert "2 evidence items" in page


def test_importing_ones_own_archive_in_the_same_deployment_adds_nothing(
    learner, program, leaves, assessor, settings
):
    fill_portfolio(learner, program, leaves, assessor)
    before = holdings(learner), snapshot(learner), stored_files(settings)
    done = run_import(learner, transfer.archive_bytes(learner=learner))
    assert (holdings(learner), snapshot(learner), stored_files(settings)) == before
    assert done.report["summary"].startswith("Nothing new: ")


def test_another_learner_of_the_same_deployment_gets_everything_once(
    learner, program, leaves, assessor, settings
):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    original = holdings(learner), snapshot(learner)
    other = base.UserFactory()
    first = run_import(other, archive)
    assert first.report["added"]["evidence"] == 2
    assert first.report["added"]["checkins"] == 2
    added = holdings(other)
    files = stored_files(settings)
    # Their items carry identifiers of their own: the original learner's are taken.
    assert not Evidence.objects.filter(learner=other).filter(
        public_id__in=Evidence.objects.filter(learner=learner).values("public_id")
    )

    second = run_import(other, archive)
    assert holdings(other) == added
    assert stored_files(settings) == files
    assert second.report["summary"].startswith("Nothing new: ")
    assert (holdings(learner), snapshot(learner)) == original

    # Their own export, imported back, is recognised too.
    third = run_import(other, transfer.archive_bytes(learner=other))
    assert holdings(other) == added
    assert third.report["summary"].startswith("Nothing new: ")


def test_a_newer_export_updates_the_changed_item_and_leaves_the_others(
    learner, program, leaves, assessor, settings, django_capture_on_commit_callbacks
):
    fill_portfolio(learner, program, leaves, assessor)
    other = base.UserFactory()
    run_import(other, transfer.archive_bytes(learner=learner))
    files = stored_files(settings)

    certificate = Evidence.objects.get(learner=learner, kind="certificate")
    services.evidence_update(
        evidence=certificate,
        title="ACLS, renewed",
        body="",
        occurred_on=certificate.occurred_on,
        competency_ids=[leaves[1].pk],
        credit_hours=Decimal("8"),
    )
    done = run_import(
        other, transfer.archive_bytes(learner=learner), capture=django_capture_on_commit_callbacks
    )
    assert done.report["updated"] == {"evidence": 1}
    assert done.report["added"] == {}
    assert done.report["unchanged"]["evidence"] == 1
    assert done.report["unchanged"]["goals"] == 1
    assert done.report["summary"].startswith("Updated 1 evidence item (the archive's version")
    copy = Evidence.objects.get(learner=other, kind="certificate")
    assert copy.title == "ACLS, renewed"
    assert list(copy.competencies.all()) == [leaves[1]]
    assert copy.updated_at == Evidence.objects.get(pk=certificate.pk).updated_at
    # The file is the same: the copy keeps its own, storage does not grow.
    assert stored_files(settings) == files
    assert copy.file.read() == PDF

    # A new file replaces the copy's; the old one goes once the import commits.
    old_name = copy.file.name
    services.evidence_update(
        evidence=Evidence.objects.get(pk=certificate.pk),
        title="ACLS, renewed",
        body="",
        occurred_on=certificate.occurred_on,
        competency_ids=[leaves[1].pk],
        credit_hours=Decimal("8"),
        upload=SimpleUploadedFile("acls2.pdf", PDF + b"%2"),
    )
    source_files = stored_files(settings)
    with django_capture_on_commit_callbacks(execute=True):
        run_import(other, transfer.archive_bytes(learner=learner))
    copy.refresh_from_db()
    assert copy.file.name != old_name
    assert copy.file.read() == PDF + b"%2"
    assert stored_files(settings) == source_files


def test_an_older_export_does_not_overwrite_a_newer_item(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    archive = transfer.archive_bytes(learner=learner)
    goal = Goal.objects.get(learner=learner)
    Goal.objects.filter(pk=goal.pk).update(title="Lead two family meetings")
    goal.refresh_from_db()
    goal.save()  # a later edit here
    done = run_import(learner, archive)
    assert Goal.objects.get(pk=goal.pk).title == "Lead two family meetings"
    assert done.report["unchanged"]["goals"] == 1
    assert "1 goal is newer here than in the archive; kept as it is." in done.report["notes"]


def test_a_new_progress_note_in_a_newer_export_is_added(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    other = base.UserFactory()
    run_import(other, transfer.archive_bytes(learner=learner))
    services.goal_progress_note_add(goal=Goal.objects.get(learner=learner), text="Led one")
    done = run_import(other, transfer.archive_bytes(learner=learner))
    assert done.report["added"] == {"progress_notes": 1}
    assert GoalProgressNote.objects.filter(goal__learner=other).count() == 2


def test_a_forged_archive_with_another_learners_identifiers_leaves_their_items_alone(
    learner, program, leaves, assessor, other_learner
):
    fill_portfolio(learner, program, leaves, assessor)
    victim_before = holdings(learner), snapshot(learner)
    victim_evidence = Evidence.objects.filter(learner=learner).order_by("pk")
    victim_goal = Goal.objects.get(learner=learner)

    attacker = base.UserFactory()
    services.evidence_create(learner=attacker, kind="reflection", title="Mine", body="x")
    archive = transfer.archive_bytes(learner=attacker)

    def forge(document):
        entry = document["evidence"][0]
        entry.update(
            id=str(victim_evidence[0].public_id),
            updated_at="2999-01-01T00:00:00.000000Z",
            title="Forged",
        )
        document["goals"] = [
            {
                "id": str(victim_goal.public_id),
                "updated_at": "2999-01-01T00:00:00.000000Z",
                "title": "Forged",
                "measure": "-",
                "plan": "",
                "target_date": "2030-01-01",
                "status": "dropped",
                "competencies": [],
                "evidence": [entry["ref"]],
                "progress_notes": [],
            }
        ]

    forged = rewritten(archive, forge)
    done = run_import(attacker, forged)
    assert (holdings(learner), snapshot(learner)) == victim_before
    # The forged items are new items of the attacker's, under identifiers of their own.
    assert done.report["added"] == {"evidence": 1, "goals": 1}
    copy = Evidence.objects.get(learner=attacker, title="Forged")
    assert copy.public_id != victim_evidence[0].public_id
    assert Goal.objects.get(learner=attacker).public_id != victim_goal.public_id

    again = run_import(attacker, forged)
    assert again.report["summary"].startswith("Nothing new: ")
    assert (holdings(learner), snapshot(learner)) == victim_before


def test_an_archive_without_identifiers_still_imports(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)

    def as_before_identifiers(document):
        for section in ("timeline", "evidence", "goals"):
            for entry in document[section]:
                entry.pop("id")
                entry.pop("updated_at", None)
        for note in document["goals"][0]["progress_notes"]:
            note.pop("id")

    old = rewritten(transfer.archive_bytes(learner=learner), as_before_identifiers)
    learner.delete()
    newcomer = base.UserFactory()
    done = run_import(newcomer, old)
    assert done.report["added"]["evidence"] == 2
    assert done.report["added"]["goals"] == 1
    assert holdings(newcomer)["timeline"] == 2
    # Without identifiers, evidence and goals cannot be recognised: a second import adds them
    # again, as it always did; check-ins (their token), stages and ratings are recognised.
    again = run_import(newcomer, old)
    assert again.report["added"] == {"evidence": 2, "goals": 1, "progress_notes": 1}
    assert holdings(newcomer)["checkins"] == 2


def test_malformed_identifiers_are_refused_with_their_path(learner, program, leaves, assessor):
    fill_portfolio(learner, program, leaves, assessor)
    document = transfer.portfolio_document(learner=learner).document
    document["evidence"][0]["id"] = "not-a-uuid"
    document["evidence"][1]["updated_at"] = "2026-01-01T10:00:00"
    document["goals"][0]["progress_notes"][0]["id"] = document["goals"][0]["id"]
    document["timeline"][1]["id"] = document["timeline"][0]["id"]
    before = holdings(learner)
    with pytest.raises(transfer.ArchiveInvalidError) as error:
        transfer.validate_document(document)
    errors = error.value.message_dict
    assert errors["evidence[0].id"] == ["Expected a UUID."]
    assert "time zone" in errors["evidence[1].updated_at"][0]
    assert errors["timeline[1].id"] == ["Each item needs its own identifier."]
    assert holdings(learner) == before


def test_a_re_import_reads_in_batches_not_per_item(learner, program, leaves, assessor):
    """The queries of an import do not grow with the number of items already here."""
    fill_portfolio(learner, program, leaves, assessor)

    def queries_of_reimport() -> int:
        document = transfer.validate_document(transfer.portfolio_document(learner=learner).document)
        stored = {
            e["file"]["path"]: ("evidence/x.pdf", 1) for e in document["evidence"] if e["file"]
        }
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            transfer._import_records(
                learner=learner, doc=document, stored_files=stored, report=transfer.ImportReport()
            )
        return len(queries)

    few = queries_of_reimport()
    for n in range(20):
        goal = services.goal_create(
            learner=learner,
            title=f"Goal {n}",
            measure="m",
            plan="",
            target_date=Goal.objects.first().target_date,
            competency_ids=[],
            evidence_ids=[],
        )
        services.goal_progress_note_add(goal=goal, text="note", noted_on=goal.target_date)
        services.evidence_create(learner=learner, kind="reflection", title=f"R{n}", body="b")
    assert queries_of_reimport() == few
