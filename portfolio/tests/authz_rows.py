"""Authorization-matrix rows for the portfolio's pages and API.

`learner` owns the items; `coach` gets a share grant where a row says so. Everyone who may
not see an item gets 404, never a hint that it exists.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from assessments.models import CheckIn
from portfolio.models import PortfolioTransfer
from portfolio.tests.factories import (
    EvidenceFactory,
    GoalFactory,
    ShareGrantFactory,
    framework_with_tree,
)
from tests.authz import Row, same, signed_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FILE_NAME = "authz-fixture/evidence.pdf"

OWNER_ONLY = same(404, anonymous=302, learner=200)
OWNER_ONLY_POST = same(404, anonymous=302, learner=302)
# Shared with the coach by a grant; the owner sees it too.
SHARED = same(404, anonymous=302, learner=200, coach=200)
API_OWNER_ONLY = same(404, anonymous=401, learner=200)


def _evidence(w):
    return EvidenceFactory(learner=w.learner)


def _evidence_with_file(w):
    if not default_storage.exists(FILE_NAME):
        default_storage.save(FILE_NAME, ContentFile(PDF))
    return EvidenceFactory(
        learner=w.learner, file=FILE_NAME, file_name="note.pdf", file_type="application/pdf"
    )


def _goal(w):
    return GoalFactory(learner=w.learner)


def _share_with_coach(w, **scopes):
    ShareGrantFactory(learner=w.learner, grantee=w.coach, **scopes)


def _shared_evidence_path(w, suffix=""):
    evidence = _evidence_with_file(w)
    _share_with_coach(w, share_evidence=True)
    return f"/shared/{w.learner.pk}/evidence/{evidence.pk}/{suffix}"


def _shared_goal_path(w):
    goal = _goal(w)
    _share_with_coach(w, share_goals=True)
    return f"/shared/{w.learner.pk}/goals/{goal.pk}/"


def _grant_path(w):
    grant = ShareGrantFactory(learner=w.learner, grantee=w.coach)
    return f"/sharing/{grant.pk}/revoke/"


def _export(w):
    return PortfolioTransfer.objects.create(
        learner=w.learner, direction=PortfolioTransfer.Direction.EXPORT
    )


def _finished_export(w):
    from portfolio.transfer import portfolio_export_run

    job = _export(w)
    return portfolio_export_run(transfer_id=job.pk)


ROWS = [
    # Everyone signed in has a progress page of their own (empty without a program).
    Row("progress", lambda w: "/progress/", signed_in(200)),
    Row("progress-monthly", lambda w: "/progress/monthly/", signed_in(200)),
    Row("portfolio-timeline", lambda w: "/timeline/", signed_in(200)),
    Row("evidence-list", lambda w: "/evidence/", signed_in(200)),
    Row("evidence-create", lambda w: "/evidence/new/", signed_in(200)),
    Row("evidence-detail", lambda w: f"/evidence/{_evidence(w).pk}/", OWNER_ONLY),
    Row("evidence-edit", lambda w: f"/evidence/{_evidence(w).pk}/edit/", OWNER_ONLY),
    Row(
        "evidence-delete",
        lambda w: f"/evidence/{_evidence(w).pk}/delete/",
        OWNER_ONLY_POST,
        method="POST",
    ),
    Row("evidence-file", lambda w: f"/evidence/{_evidence_with_file(w).pk}/file/", OWNER_ONLY),
    Row("goal-list", lambda w: "/goals/", signed_in(200)),
    Row("goal-create", lambda w: "/goals/new/", signed_in(200)),
    Row("goal-detail", lambda w: f"/goals/{_goal(w).pk}/", OWNER_ONLY),
    Row("goal-edit", lambda w: f"/goals/{_goal(w).pk}/edit/", OWNER_ONLY),
    Row("goal-delete", lambda w: f"/goals/{_goal(w).pk}/delete/", OWNER_ONLY_POST, method="POST"),
    Row("share-list", lambda w: "/sharing/", signed_in(200)),
    Row("share-revoke", _grant_path, OWNER_ONLY_POST, method="POST"),
    Row("access-log", lambda w: "/access-log/", signed_in(200)),
    Row("shared-index", lambda w: "/shared/", signed_in(200)),
    Row(
        "shared-portfolio",
        lambda w: (_share_with_coach(w, share_goals=True), f"/shared/{w.learner.pk}/")[1],
        SHARED,
        note="coach holds a grant; the committee of the program does not",
    ),
    Row(
        "shared-portfolio",
        lambda w: (
            ShareGrantFactory(learner=w.learner, grantee=None, program=w.program),
            f"/shared/{w.learner.pk}/",
        )[1],
        same(404, anonymous=302, learner=200, director=200),
        note="a committee grant reaches the program's director, not its coach",
    ),
    Row(
        "shared-self-assessments",
        lambda w: (
            _share_with_coach(w, share_checkins=True),
            f"/shared/{w.learner.pk}/self-assessments/",
        )[1],
        SHARED,
    ),
    Row(
        "shared-self-assessments",
        lambda w: (
            _share_with_coach(w, share_checkins=False, share_goals=True),
            f"/shared/{w.learner.pk}/self-assessments/",
        )[1],
        same(404, anonymous=302, learner=200),
        note="a grant without the check-ins scope does not open them",
    ),
    Row("shared-evidence", lambda w: _shared_evidence_path(w), SHARED),
    Row("shared-evidence-file", lambda w: _shared_evidence_path(w, "file/"), SHARED),
    Row("shared-goal", _shared_goal_path, SHARED),
    Row(
        "shared-goal",
        lambda w: (
            ShareGrantFactory(learner=w.learner, grantee=w.coach, revoked_at="2025-01-01T00:00Z"),
            f"/shared/{w.learner.pk}/goals/{_goal(w).pk}/",
        )[1],
        same(404, anonymous=302, learner=200),
        note="a revoked grant opens nothing",
    ),
    Row("transfer-list", lambda w: "/export/", signed_in(200)),
    Row("export-start", lambda w: "/export/start/", signed_in(302), method="POST"),
    Row(
        "kept-record-list",
        lambda w: "/export/records/",
        signed_in(200),
        note="each person sees only their own kept records (tests/test_archive_records.py)",
    ),
    Row(
        "import-start",
        lambda w: "/export/import/",
        signed_in(400),
        method="POST",
        data=lambda w: {},
        note="no archive: the form says so",
    ),
    Row("transfer-detail", lambda w: f"/export/{_export(w).public_id}/", OWNER_ONLY),
    Row(
        "transfer-download",
        lambda w: f"/export/{_finished_export(w).public_id}/download/",
        OWNER_ONLY,
    ),
    # --- API ---
    Row("api-me-enrollments", lambda w: "/api/v1/me/enrollments/", same(200, anonymous=401)),
    Row(
        "api-me-carried-evidence",
        lambda w: "/api/v1/me/carried-evidence/",
        same(200, anonymous=401),
        note="each person's own evidence only",
    ),
    Row("api-me-profile", lambda w: "/api/v1/me/profile/", same(200, anonymous=401)),
    Row("api-me-dashboard", lambda w: "/api/v1/me/dashboard/", same(200, anonymous=401)),
    Row("api-me-trajectory", lambda w: "/api/v1/me/trajectory/", same(200, anonymous=401)),
    Row("api-evidence-list", lambda w: "/api/v1/evidence/", same(200, anonymous=401)),
    Row(
        "api-evidence-list",
        lambda w: "/api/v1/evidence/",
        same(400, anonymous=401),
        method="POST",
        data=lambda w: {"title": "no kind"},
        content_type="application/json",
    ),
    Row("api-evidence-detail", lambda w: f"/api/v1/evidence/{_evidence(w).pk}/", API_OWNER_ONLY),
    Row(
        "api-evidence-detail",
        lambda w: f"/api/v1/evidence/{_evidence(w).pk}/",
        same(404, anonymous=401, learner=204),
        method="DELETE",
    ),
    Row(
        "api-evidence-file",
        lambda w: f"/api/v1/evidence/{_evidence_with_file(w).pk}/file/",
        API_OWNER_ONLY,
    ),
    Row("api-goal-list", lambda w: "/api/v1/goals/", same(200, anonymous=401)),
    Row("api-goal-detail", lambda w: f"/api/v1/goals/{_goal(w).pk}/", API_OWNER_ONLY),
    Row(
        "api-goal-progress-note-create",
        lambda w: f"/api/v1/goals/{_goal(w).pk}/progress-notes/",
        same(404, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"text": "Progress"},
        content_type="application/json",
    ),
    Row("api-share-grant-list", lambda w: "/api/v1/share-grants/", same(200, anonymous=401)),
    Row(
        "api-share-grant-revoke",
        lambda w: (
            f"/api/v1/share-grants/{ShareGrantFactory(learner=w.learner, grantee=w.coach).pk}/revoke/"
        ),
        same(404, anonymous=401, learner=200),
        method="POST",
    ),
    Row("api-access-log", lambda w: "/api/v1/access-log/", same(200, anonymous=401)),
    Row("api-export-list", lambda w: "/api/v1/exports/", same(200, anonymous=401)),
    Row(
        "api-export-detail",
        lambda w: f"/api/v1/exports/{_export(w).public_id}/",
        API_OWNER_ONLY,
    ),
    Row(
        "api-export-download",
        lambda w: f"/api/v1/exports/{_finished_export(w).public_id}/download/",
        API_OWNER_ONLY,
    ),
    Row("api-import-list", lambda w: "/api/v1/imports/", same(200, anonymous=401)),
    Row(
        "api-kept-record-list",
        lambda w: "/api/v1/imported-records/",
        same(200, anonymous=401),
        note="each person's own records only",
    ),
    Row(
        "api-import-detail",
        lambda w: (
            f"/api/v1/imports/{PortfolioTransfer.objects.create(learner=w.learner, direction='import').public_id}/"
        ),
        API_OWNER_ONLY,
    ),
]


# --- Check-ins: the learner's own, private unless shared (and then read through the shared
# pages above, never these).


def _checkin_framework(w):
    framework, _ = framework_with_tree(code="authz-fw")
    w.program.frameworks.add(framework)
    return framework


def _own_checkin(w):
    return CheckIn.objects.create(learner=w.learner)


ROWS += [
    Row(
        "checkin-start",
        lambda w: "/assessments/check-in/",
        signed_in(200),
        note="no framework in use for anyone: a page that says so",
    ),
    Row(
        "checkin-form",
        lambda w: f"/assessments/check-in/{_checkin_framework(w).pk}/",
        same(404, anonymous=302, learner=200),
        note="only learners enrolled in a program using the framework",
    ),
    Row("checkin-list", lambda w: "/assessments/check-ins/", signed_in(200)),
    Row(
        "checkin-detail",
        lambda w: f"/assessments/check-ins/{_own_checkin(w).pk}/",
        same(404, anonymous=302, learner=200),
    ),
    Row("api-checkin-list", lambda w: "/api/v1/check-ins/", same(200, anonymous=401)),
    Row(
        "api-checkin-list",
        lambda w: "/api/v1/check-ins/",
        same(400, anonymous=401),
        method="POST",
        data=lambda w: {"client_token": "not-a-uuid", "items": []},
        content_type="application/json",
    ),
    Row(
        "api-checkin-detail",
        lambda w: f"/api/v1/check-ins/{_own_checkin(w).pk}/",
        same(404, anonymous=401, learner=200),
    ),
    Row(
        "api-self-assessment-list", lambda w: "/api/v1/self-assessments/", same(200, anonymous=401)
    ),
]
