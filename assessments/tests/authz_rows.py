"""Authorization-matrix rows for assessments.

Self-assessment check-ins first: the learner's own, private unless shared (and then read
through the portfolio's shared pages, never these).
"""

from __future__ import annotations

from assessments.models import CheckIn
from assessments.tests.authz_rows_observations import ROWS as OBSERVATION_ROWS
from portfolio.tests.factories import framework_with_tree
from tests.authz import Row, same, signed_in


def _framework_of_program(w):
    framework, _ = framework_with_tree(code="authz-fw")
    w.program.frameworks.add(framework)
    return framework


def _checkin(w):
    return CheckIn.objects.create(learner=w.learner)


ROWS = [
    Row(
        "checkin-start",
        lambda w: "/assessments/check-in/",
        signed_in(200),
        note="no framework in use for anyone: a page that says so",
    ),
    Row(
        "checkin-form",
        lambda w: f"/assessments/check-in/{_framework_of_program(w).pk}/",
        same(404, anonymous=302, learner=200),
        note="only learners enrolled in a program using the framework",
    ),
    Row("checkin-list", lambda w: "/assessments/check-ins/", signed_in(200)),
    Row(
        "checkin-detail",
        lambda w: f"/assessments/check-ins/{_checkin(w).pk}/",
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
        lambda w: f"/api/v1/check-ins/{_checkin(w).pk}/",
        same(404, anonymous=401, learner=200),
    ),
    Row(
        "api-self-assessment-list", lambda w: "/api/v1/self-assessments/", same(200, anonymous=401)
    ),
]
ROWS += OBSERVATION_ROWS  # assessments by others: authz_rows_observations.py
