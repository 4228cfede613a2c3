"""Authorization-matrix rows for the learning pages and API.

The catalogue is reference data for everyone signed in. Recommendations, feedback, visits and
anticipatory learning are each person's own: every signed-in person gets their own (possibly
empty) answer, and a visit of someone else is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from learning.tests.factories import LearningResourceFactory, UpcomingVisitFactory
from tests.authz import Row, same, signed_in

API = same(200, anonymous=401)
OWNER_ONLY_POST = same(404, anonymous=302, learner=302)
API_OWNER_ONLY = same(404, anonymous=401, learner=200)


def _resource(w):
    return LearningResourceFactory(key="authz-resource")


def _visit(w):
    return UpcomingVisitFactory(learner=w.learner, resource_id="authz-appt")


def _bundle(w):
    start = (timezone.localdate() + dt.timedelta(days=1)).isoformat() + "T09:00:00Z"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": "authz-1",
                    "status": "booked",
                    "start": start,
                    "reasonCode": [{"text": "Hypertension"}],
                    "participant": [
                        {"actor": {"reference": "Practitioner/pr-1"}, "status": "accepted"}
                    ],
                }
            }
        ],
    }


ROWS = [
    # Pages
    Row("learning-catalogue", lambda w: "/learning/", signed_in(200)),
    Row("learning-resource", lambda w: f"/learning/resources/{_resource(w).pk}/", signed_in(200)),
    Row(
        "learning-resource-file",
        lambda w: f"/learning/resources/{_resource(w).pk}/file/",
        signed_in(404),
        note="a resource without a file; downloads are tested in test_views",
    ),
    Row(
        "learning-feedback",
        lambda w: f"/learning/resources/{_resource(w).pk}/feedback/",
        signed_in(302),
        method="POST",
        data=lambda w: {"action": "helpful"},
        note="each person's own feedback",
    ),
    Row(
        "learning-evidence",
        lambda w: f"/learning/resources/{_resource(w).pk}/evidence/",
        signed_in(302),
        method="POST",
        data=lambda w: {},
        note="evidence in the caller's own portfolio",
    ),
    Row("learning-recommendations", lambda w: "/learning/recommendations/", signed_in(200)),
    Row("learning-upcoming", lambda w: "/learning/upcoming/", signed_in(200)),
    Row("learning-visits", lambda w: "/learning/visits/", signed_in(200)),
    Row(
        "learning-visit-remove",
        lambda w: f"/learning/visits/{_visit(w).pk}/remove/",
        OWNER_ONLY_POST,
        method="POST",
        data=lambda w: {},
        note="only the learner's own visit; others get 404",
    ),
    # API
    Row("api-learning-resources", lambda w: "/api/v1/learning/resources/", API),
    Row("api-learning-resource", lambda w: f"/api/v1/learning/resources/{_resource(w).pk}/", API),
    Row(
        "api-learning-feedback",
        lambda w: f"/api/v1/learning/resources/{_resource(w).pk}/feedback/",
        API,
        method="POST",
        data=lambda w: {"action": "not_relevant"},
        content_type="application/json",
    ),
    Row(
        "api-learning-evidence",
        lambda w: f"/api/v1/learning/resources/{_resource(w).pk}/evidence/",
        same(201, anonymous=401),
        method="POST",
        data=lambda w: {},
        content_type="application/json",
    ),
    Row("api-learning-recommendations", lambda w: "/api/v1/learning/recommendations/", API),
    Row("api-learning-visits", lambda w: "/api/v1/learning/visits/", API),
    Row(
        "api-learning-visit-upload",
        lambda w: "/api/v1/learning/visits/bundle/?practitioner=pr-1",
        API,
        method="POST",
        data=_bundle,
        content_type="application/json",
    ),
    Row("api-learning-visit", lambda w: f"/api/v1/learning/visits/{_visit(w).pk}/", API_OWNER_ONLY),
    Row(
        "api-learning-visit",
        lambda w: f"/api/v1/learning/visits/{_visit(w).pk}/",
        same(404, anonymous=401, learner=204),
        method="DELETE",
    ),
    Row("api-learning-upcoming", lambda w: "/api/v1/learning/upcoming/", API),
    Row(
        "api-learning-practitioner",
        lambda w: "/api/v1/learning/practitioner/",
        same(404, anonymous=401),
        note="nobody has set one in this world",
    ),
    Row(
        "api-learning-practitioner",
        lambda w: "/api/v1/learning/practitioner/",
        API,
        method="PUT",
        data=lambda w: {"practitioner_id": "pr-7"},
        content_type="application/json",
    ),
]

ROWS += [
    Row(
        "api-learning-catalogue-import",
        lambda w: "/api/v1/learning/catalogue/import/",
        same(404, anonymous=401, admin=400),
        method="POST",
        data=lambda w: {},
        note="administrators only; with no file the administrator gets 400",
    ),
]
