"""The complete archive between two databases (issue 19, part 4; docs/portfolio-export.md).

A learner's whole record is filled in one database — evidence with a file, check-ins, a goal,
an amended observation with their response, a signed-off committee review with an amended
consensus rating and their response, a signed-off entrustment decision and its credential, a
coaching thread and a meeting, CPD activities and a licensing cycle, a sent handover — and
exported. A second, fresh database (another deployment: its own schema, nothing of the
first's rows, its own file storage) imports the archive; its export must equal the first in
every field, and every file byte for byte. The application code runs unchanged against the
second database: the test points Django's default connection at it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from assessments.models import Assessment
from assessments.services.checkins import SelfAssessmentInput, checkin_record
from assessments.services.forms import shipped_forms_ensure
from assessments.services.observations import assessment_respond, assessment_revise
from assessments.tests.factories import milestone_framework, observe
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting, Thread
from committee.models import LearnerReview
from committee.services import consensus_record, review_respond, review_sign_off
from cpd.models import BUILT_IN_CREDIT_TYPES, CpdActivity, LicensingCycle
from cpd.services import cpd_activity_record, licensing_cycle_save
from cpd.tests.factories import built_in_credit_type, category_1
from credentials.models import Credential
from credentials.tests.factories import issued
from frameworks.exporters import dump_json, framework_data
from frameworks.models import Framework
from frameworks.scales import shipped_scales_ensure
from frameworks.services import framework_import
from handovers.tests.factories import sent
from portfolio import services, transfer
from portfolio.models import Evidence, ImportedRecord, PortfolioTransfer
from programs.models import ReviewPeriod
from tests import factories as base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256))


def fill_everything(learner: Any, program: Any, director: Any, coach: Any) -> list[Framework]:
    """One of everything the learner may see about themselves."""
    framework, leaves = milestone_framework(per_domain=2)
    program.frameworks.add(framework)
    evidence = services.evidence_create(
        learner=learner,
        kind="certificate",
        title="ACLS",
        occurred_on=dt.date(2025, 7, 2),
        competency_ids=[leaves[0].pk],
        upload=SimpleUploadedFile("acls.pdf", PDF),
        credit_hours=Decimal("8"),
    )
    checkin = checkin_record(
        learner=learner,
        client_token=uuid.uuid4(),
        assessed_on=dt.date(2025, 8, 1),
        items=[SelfAssessmentInput(leaves[0].pk, "1.5")],
    )
    goal = services.goal_create(
        learner=learner,
        title="Lead a family meeting",
        measure="Observed twice",
        plan="Shadow first",
        target_date=dt.date(2026, 3, 1),
        competency_ids=[leaves[1].pk],
        evidence_ids=[evidence.pk],
    )

    # An observation amended after the correction window, and the learner's response.
    observation = observe(
        director, learner, leaves[0], "2", timezone.localdate() - dt.timedelta(days=40)
    )
    Assessment.objects.filter(pk=observation.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    observation.refresh_from_db()
    assessment_revise(
        assessment=observation, author=director, level="2.5", reason="Misread my notes."
    )
    assessment_respond(assessment=observation, learner=learner, text="Thank you, agreed.")

    # A signed-off committee review with an amended consensus rating and the response.
    period = ReviewPeriod.objects.create(
        program=program,
        name="Autumn 2025",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2025, 12, 31),
    )
    review = LearnerReview.objects.create(period=period, learner=learner, training_year=1)
    for leaf in leaves:
        consensus_record(
            review=review,
            competency_id=leaf.pk,
            level=Decimal("2"),
            rationale="Steady",
            by=director,
        )
    review_sign_off(review=review, by=director, summary="On track.")
    consensus_record(
        review=review,
        competency_id=leaves[0].pk,
        level=Decimal("2.5"),
        rationale="Late observations",
        by=director,
        amendment_reason="Two observations arrived after the meeting.",
    )
    review_respond(review=review, learner=learner, text="I will work on handovers.")

    # A signed-off entrustment decision and the credential it earned.
    credential = issued(program=program, learner=learner, by=director)

    # Coaching: a thread on the goal (both sides write), a held meeting with notes.
    relationship = CoachingRelationship.objects.create(
        learner=learner,
        coach=coach,
        program=program,
        origin=CoachingRelationship.Origin.PROGRAM,
        status=CoachingRelationship.Status.ACTIVE,
    )
    thread = Thread.objects.create(
        learner=learner, participant=coach, target_type=Thread.TargetType.GOAL, goal=goal
    )
    Comment.objects.create(thread=thread, author=coach, body="How did it go?", body_html="x")
    Comment.objects.create(
        thread=thread, author=learner, body="Better than expected.", body_html="x"
    )
    Comment.objects.create(
        thread=thread, author=coach, body="", body_html="", deleted_at=timezone.now()
    )
    meeting = Meeting.objects.create(
        relationship=relationship,
        learner=learner,
        coach=coach,
        starts_at=timezone.now() - dt.timedelta(days=2),
        status=Meeting.Status.HELD,
        agenda="Family meetings",
        shared_notes="Agreed to observe one.",
        private_notes="Seems anxious — never exported.",
    )
    ActionItem.objects.create(
        meeting=meeting,
        learner=learner,
        title="Book an observation",
        target_date=dt.date(2026, 1, 10),
        status=ActionItem.Status.CONFIRMED,
        created_by=coach,
    )

    # The CPD diary and a cycle; a handover sent to the next program.
    cpd_activity_record(
        learner=learner,
        occurred_on=dt.date(2025, 10, 3),
        title="Sepsis update",
        provider="State society",
        credit_type=category_1().code,
        hours=Decimal("1.5"),
        notes="Good refresher",
        competency_ids=[leaves[0].pk],
        evidence_ids=[evidence.pk],
    )
    licensing_cycle_save(
        learner=learner,
        name="State licence",
        start_date=dt.date(2025, 1, 1),
        length_months=24,
        credits_required=Decimal("50"),
        category_1_required=Decimal("20"),
    )
    sent(learner=learner, program=base.ProgramFactory(name="Cardiology fellowship"), note="Hi")
    assert checkin and credential
    return [framework, Framework.objects.get(pk=credential_framework_pk(credential))]


def credential_framework_pk(credential: Credential) -> int:
    return credential.decision.competency.framework_id


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {name: z.read(name) for name in z.namelist()}


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("exported_at", "learner")}


@contextmanager
def second_database() -> Iterator[str]:
    """A fresh database beside the test database, with its schema and nothing else."""
    first = connection.settings_dict["NAME"]
    second = f"{first}_second"
    connections.close_all()
    with connection._nodb_cursor() as cursor:
        # PostgreSQL copies a database only while nobody else is connected to it. A browser
        # journey run earlier by this test process leaves the live server's connection open
        # (CONN_MAX_AGE); it reconnects by itself on its next request (CONN_HEALTH_CHECKS).
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [first],
        )
        cursor.execute(f'DROP DATABASE IF EXISTS "{second}"')
        cursor.execute(f'CREATE DATABASE "{second}" TEMPLATE "{first}"')
    try:
        connection.settings_dict["NAME"] = second
        # The copy holds what the first held when it was made: empty it, as a new deployment.
        call_command("flush", interactive=False, verbosity=0)
        ContentType.objects.clear_cache()
        shipped_scales_ensure()
        shipped_forms_ensure()
        for code, *_ in BUILT_IN_CREDIT_TYPES:
            built_in_credit_type(code)
        yield second
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = first
        ContentType.objects.clear_cache()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{second}"')


def test_the_complete_archive_survives_a_move_to_a_fresh_database(
    learner, program, director, tmp_path
):
    coach = base.UserFactory(email="coach@example.org", display_name="Nadia Coach")
    frameworks = fill_everything(learner, program, director, coach)
    archive = transfer.archive_bytes(learner=learner)
    first = transfer.portfolio_document(learner=learner).document
    framework_files = [dump_json(framework_data(f)) for f in frameworks]

    # Everything the issue names is in the first export.
    [received] = first["assessments_received"]
    assert [v["kind"] for v in received["versions"]] == ["original", "amendment"]
    assert received["responses"][0]["text"] == "Thank you, agreed."
    [review] = first["committee_reviews"]
    assert review["learner_response"] == "I will work on handovers."
    assert len(review["ratings"]) == 3 and review["signed_off_by"] == director.name
    assert len(first["entrustment_decisions"]) == 1 and len(first["credentials"]) == 1
    [thread] = first["coaching_threads"]
    assert [c["author"] for c in thread["comments"]] == [coach.name, learner.name, coach.name]
    assert thread["comments"][2]["body"] == ""  # a deleted comment is a tombstone
    [meeting] = first["coaching_meetings"]
    assert meeting["shared_notes"] and "private_notes" not in meeting
    assert "anxious" not in json.dumps(first)
    assert len(first["cpd_activities"]) == 1 and len(first["licensing_cycles"]) == 1
    assert len(first["handovers"]) == 1

    with (
        second_database(),
        override_settings(MEDIA_ROOT=str(tmp_path / "second-deployment")),
    ):
        assert not Evidence.objects.exists() and not Framework.objects.exists()
        for text in framework_files:
            framework_import(file=io.BytesIO(text.encode()), filename="framework.json")
        newcomer = base.UserFactory(email="moved@example.org")
        job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
        job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))
        done = transfer.portfolio_import_run(transfer_id=job.pk)
        assert done.status == "done", done.report
        second = transfer.portfolio_document(learner=newcomer).document
        again = transfer.archive_bytes(learner=newcomer)

        # The learner's own CPD diary lives again; what others wrote is kept read-only.
        assert CpdActivity.objects.filter(learner=newcomer).count() == 1
        assert LicensingCycle.objects.filter(learner=newcomer).count() == 1
        kept = set(
            ImportedRecord.objects.filter(learner=newcomer, kind="record").values_list(
                "section", flat=True
            )
        )
        assert kept == {
            "committee_reviews",
            "entrustment_decisions",
            "credentials",
            "coaching_threads",
            "coaching_meetings",
            "handovers",
        }
        # A second import of the same archive adds nothing.
        job = PortfolioTransfer.objects.create(learner=newcomer, direction="import")
        job.archive.save("a.zip", SimpleUploadedFile("a.zip", archive))
        twice = transfer.portfolio_import_run(transfer_id=job.pk)
        assert twice.report["added"] == {}, twice.report
        assert comparable(transfer.portfolio_document(learner=newcomer).document) == comparable(
            second
        )

    # Every field, and every file byte for byte.
    assert comparable(second) == comparable(first)
    before, after = members(archive), members(again)
    files = sorted(name for name in before if name.startswith("files/"))
    assert files and files == sorted(name for name in after if name.startswith("files/"))
    assert all(before[name] == after[name] for name in files)
    assert after[files[0]] == PDF
