"""Authorization-matrix rows for practice and the CPD diary: everything is the signed-in
learner's own; anyone else's object is a 404."""

from __future__ import annotations

from cpd.tests.factories import CpdActivityFactory, LicensingCycleFactory, PracticeStageFactory
from tests.authz import Row, same, signed_in

OWNER_ONLY = same(404, anonymous=302, learner=200)
OWNER_ONLY_POST = same(404, anonymous=302, learner=302)
API_OWNER_ONLY = same(404, anonymous=401, learner=200)


def _activity(w):
    return CpdActivityFactory(learner=w.learner)


def _cycle(w):
    return LicensingCycleFactory(learner=w.learner)


def _in_practice(w, path):
    PracticeStageFactory(learner=w.learner)
    return path


ROWS = [
    Row("practice", lambda w: "/practice/", signed_in(200)),
    Row(
        "practice-targets",
        lambda w: _in_practice(w, "/practice/targets/"),
        signed_in(302),
        method="POST",
        note="saved for the learner; everyone else is sent to continue into practice first",
    ),
    Row("cpd-diary", lambda w: "/cpd/", signed_in(200)),
    Row("cpd-activity-create", lambda w: "/cpd/activities/new/", signed_in(200)),
    Row("cpd-activity-edit", lambda w: f"/cpd/activities/{_activity(w).pk}/edit/", OWNER_ONLY),
    Row(
        "cpd-activity-delete",
        lambda w: f"/cpd/activities/{_activity(w).pk}/delete/",
        OWNER_ONLY_POST,
        method="POST",
    ),
    Row("cpd-cycles", lambda w: "/cpd/cycles/", signed_in(200)),
    Row("cpd-cycle-edit", lambda w: f"/cpd/cycles/{_cycle(w).pk}/", OWNER_ONLY),
    Row(
        "cpd-cycle-delete",
        lambda w: f"/cpd/cycles/{_cycle(w).pk}/delete/",
        OWNER_ONLY_POST,
        method="POST",
    ),
    Row("cpd-transcript", lambda w: "/cpd/transcript/", signed_in(200)),
    Row("cpd-transcript", lambda w: f"/cpd/transcript/?cycle={_cycle(w).pk}", OWNER_ONLY),
    Row("cpd-transcript-csv", lambda w: "/cpd/transcript.csv", signed_in(200)),
    Row("cpd-transcript-csv", lambda w: f"/cpd/transcript.csv?cycle={_cycle(w).pk}", OWNER_ONLY),
    Row(
        "api-me-practice",
        lambda w: _in_practice(w, "/api/v1/me/practice/"),
        same(404, anonymous=401, learner=200),
        note="only the learner is in practice here",
    ),
    Row(
        "api-me-practice-targets",
        lambda w: _in_practice(w, "/api/v1/me/practice/targets/"),
        same(404, anonymous=401, learner=200),
    ),
    Row("api-cpd-credit-types", lambda w: "/api/v1/cpd/credit-types/", same(200, anonymous=401)),
    Row("api-cpd-activity-list", lambda w: "/api/v1/cpd/activities/", same(200, anonymous=401)),
    Row(
        "api-cpd-activity-detail",
        lambda w: f"/api/v1/cpd/activities/{_activity(w).pk}/",
        API_OWNER_ONLY,
    ),
    Row("api-cpd-cycle-list", lambda w: "/api/v1/cpd/cycles/", same(200, anonymous=401)),
    Row("api-cpd-cycle-detail", lambda w: f"/api/v1/cpd/cycles/{_cycle(w).pk}/", API_OWNER_ONLY),
    Row(
        "api-cpd-summary",
        lambda w: (_cycle(w), "/api/v1/cpd/summary/")[1],
        same(404, anonymous=401, learner=200),
        note="only the learner has a cycle",
    ),
]
