"""Authorization-matrix rows for assessments by others (observations, requests, calibration).

In the matrix world the program's director also assesses (directors, committee members and
faculty are assessors), so requests and assessments below are addressed to or written by the
director; the learner is enrolled in the same program. Nobody else may see them: 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from assessments.models import Assessment, AssessmentForm, AssessmentRequest, ScheduledRotation
from assessments.services import rotations as rotation_services
from assessments.services.forms import assessment_form_create, shipped_forms_ensure
from assessments.tests.factories import (
    ObservedAssessmentFactory,
    epa_framework,
    milestone_framework,
)
from portfolio.tests.factories import ShareGrantFactory
from tests.authz import Row, same, signed_in


def _epa(w: Any) -> Any:
    """An EPA of a framework the program uses (made once per test and kept on the world)."""
    if not hasattr(w, "obs_epa"):
        framework, epas = epa_framework()
        ms_framework, _ = milestone_framework()
        w.program.frameworks.add(framework, ms_framework)
        w.obs_epa = epas[0]
    return w.obs_epa


def _request(w: Any) -> AssessmentRequest:
    epa = _epa(w)
    request = AssessmentRequest.objects.create(
        learner=w.learner,
        assessor=w.director,
        program=w.program,
        framework=epa.framework,
        form=shipped_forms_ensure()[AssessmentForm.Rates.EPA],
        setting="ward",
    )
    request.competencies.set([epa])
    return request


def _assessment(w: Any, author: str = "assessor") -> Assessment:
    return ObservedAssessmentFactory(
        learner=w.learner, assessor=getattr(w, author), competency=_epa(w), program=w.program
    )


def _form(w: Any) -> AssessmentForm:
    """A form of the program, on the O-SCORE scale."""
    _epa(w)
    return assessment_form_create(
        program=w.program,
        by=w.director,
        name=f"O-SCORE {uuid.uuid4().hex[:6]}",
        rates="epa",
        scale="o-score",
    )


def _shared_with_coach(w: Any) -> str:
    ShareGrantFactory(learner=w.learner, grantee=w.coach, share_checkins=True)
    return f"/assessments/calibration/{w.learner.pk}/"


def _rotation_block(w: Any) -> ScheduledRotation:
    """A block of the learner under the program's faculty member, its evaluation asked for."""
    rotation = rotation_services.rotation_create(
        program=w.program, name=f"Ward {uuid.uuid4().hex[:6]}", competency_ids=[_epa(w).pk]
    )
    block = ScheduledRotation.objects.create(
        rotation=rotation,
        learner=w.learner,
        supervisor=w.assessor,
        start_on=dt.date(2026, 1, 5),
        end_on=dt.date(2026, 2, 1),
    )
    rotation_services._evaluation_send(block.pk)
    return block


def _scheduled_block(w: Any) -> ScheduledRotation:
    """A block of the learner still ahead: no evaluation asked for yet."""
    rotation = rotation_services.rotation_create(
        program=w.program, name=f"Ward {uuid.uuid4().hex[:6]}", competency_ids=[_epa(w).pk]
    )
    return ScheduledRotation.objects.create(
        rotation=rotation,
        learner=w.learner,
        supervisor=w.assessor,
        start_on=dt.date(2030, 1, 5),
        end_on=dt.date(2030, 2, 1),
    )


# Pages every signed-in person may open: each shows only the viewer's own items.
OWN = signed_in(200)
# Only the learner and the director (the request's assessor) see a request.
REQUEST_PARTIES = same(404, anonymous=302, learner=200, director=200)
ONLY_DIRECTOR = same(404, anonymous=302, director=200)
ONLY_LEARNER_POST = same(404, anonymous=302, learner=302)

ROWS = [
    # The learner's requests.
    Row("observation-request-list", lambda w: "/assessments/requests/", OWN),
    Row("observation-request-create", lambda w: "/assessments/requests/new/", OWN),
    Row(
        "observation-request-create",
        lambda w: "/assessments/requests/new/",
        signed_in(200, learner=302),
        method="POST",
        data=lambda w: {
            "assessor": w.director.pk,
            "epa": _epa(w).pk,
            "client_token": str(uuid.uuid4()),
        },
        note="others see the form again: the director is not their assessor",
    ),
    Row(
        "observation-request-detail",
        lambda w: f"/assessments/requests/{_request(w).pk}/",
        REQUEST_PARTIES,
    ),
    Row(
        "observation-request-complete",
        lambda w: f"/assessments/requests/{_request(w).pk}/complete/",
        ONLY_DIRECTOR,
    ),
    Row(
        "observation-request-complete",
        lambda w: f"/assessments/requests/{_request(w).pk}/complete/",
        same(404, anonymous=302, director=302),
        method="POST",
        data=lambda w: {
            f"level-{_epa(w).pk}": "3",
            "went_well": "Clear summary.",
            "observed_on": "",
            "submission_key": str(uuid.uuid4()),
        },
    ),
    Row(
        "observation-request-decline",
        lambda w: f"/assessments/requests/{_request(w).pk}/decline/",
        ONLY_DIRECTOR,
    ),
    Row(
        "observation-request-decline",
        lambda w: f"/assessments/requests/{_request(w).pk}/decline/",
        same(404, anonymous=302, director=302),
        method="POST",
        data=lambda w: {"reason": "Away that week."},
    ),
    # The assessor's side.
    Row("assessor-inbox", lambda w: "/assessments/inbox/", OWN),
    Row("observation-start", lambda w: "/assessments/observe/", OWN),
    Row(
        "observation-create",
        lambda w: f"/assessments/observe/{w.learner.pk}/?competency={_epa(w).pk}",
        ONLY_DIRECTOR,
        note="only assessors of the learner's current program",
    ),
    Row(
        "observation-create",
        lambda w: f"/assessments/observe/{w.learner.pk}/",
        same(404, anonymous=302, director=302),
        method="POST",
        data=lambda w: {
            "competency": _epa(w).pk,
            f"level-{_epa(w).pk}": "4",
            "went_well": "Clear summary.",
            "observed_on": "",
            "submission_key": str(uuid.uuid4()),
        },
    ),
    Row("assessments-given", lambda w: "/assessments/given/", OWN),
    Row("assessor-comparison", lambda w: "/assessments/given/comparison/", OWN),
    # Records.
    Row("assessments-received", lambda w: "/assessments/received/", OWN),
    Row(
        "assessment-detail",
        lambda w: f"/assessments/{_assessment(w).pk}/",
        same(404, anonymous=302, learner=200, director=200),
        note="the learner, the author (not a matrix role here) and the program's reviewers",
    ),
    Row(
        "assessment-edit",
        lambda w: f"/assessments/{_assessment(w, 'director').pk}/edit/",
        ONLY_DIRECTOR,
        note="only the author",
    ),
    Row(
        "assessment-acknowledge",
        lambda w: f"/assessments/{_assessment(w).pk}/acknowledge/",
        ONLY_LEARNER_POST,
        method="POST",
    ),
    Row(
        "assessment-respond",
        lambda w: f"/assessments/{_assessment(w).pk}/respond/",
        ONLY_LEARNER_POST,
        method="POST",
        data=lambda w: {"text": "Thank you; I will try it.", "client_token": str(uuid.uuid4())},
    ),
    # Forms: the program's directors and coordinators (and admins) build them.
    Row(
        "assessment-form-list",
        lambda w: "/assessments/forms/",
        same(404, anonymous=302, director=200, other_director=200, admin=200),
        note="each program's staff see their own programs' forms and the shipped ones",
    ),
    Row(
        "assessment-form-create",
        lambda w: f"/assessments/forms/new/{w.program.pk}/",
        same(404, anonymous=302, director=200, admin=200),
    ),
    Row(
        "assessment-form-create",
        lambda w: f"/assessments/forms/new/{w.program.pk}/",
        same(404, anonymous=302, director=302, admin=302),
        method="POST",
        data=lambda w: {
            "name": "Zwisch OR form",
            "rates": "epa",
            "scale": "zwisch",
            "went_well_prompt": "What went well",
            "next_step_prompt": "One thing to work on next",
        },
    ),
    Row(
        "assessment-form-detail",
        lambda w: f"/assessments/forms/{_form(w).pk}/",
        same(404, anonymous=302, director=200, admin=200),
    ),
    Row(
        "assessment-form-retire",
        lambda w: f"/assessments/forms/{_form(w).pk}/retire/",
        same(404, anonymous=302, director=302, admin=302),
        method="POST",
    ),
    # Calibration.
    Row("calibration", lambda w: "/assessments/calibration/", OWN),
    Row(
        "calibration-learner",
        lambda w: f"/assessments/calibration/{w.learner.pk}/",
        same(404, anonymous=302, learner=200),
        note="self-assessments are private: nobody else without a share",
    ),
    Row(
        "calibration-learner",
        _shared_with_coach,
        same(404, anonymous=302, learner=200, coach=200),
        note="a grant covering check-ins opens it to that coach only",
    ),
]

# --- API -------------------------------------------------------------------------------------

API_OWN = same(200, anonymous=401)
API_PARTIES = same(404, anonymous=401, learner=200, director=200)


def _complete_body(w: Any) -> dict[str, Any]:
    return {
        "ratings": [{"competency": _epa(w).pk, "level": "3"}],
        "went_well": "Clear summary of the history.",
        "submission_key": str(uuid.uuid4()),
    }


ROWS += [
    Row("api-observation-request-list", lambda w: "/api/v1/observation-requests/", API_OWN),
    Row(
        "api-observation-request-list",
        lambda w: "/api/v1/observation-requests/",
        same(400, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"assessor": w.director.pk, "competencies": [_epa(w).pk]},
        content_type="application/json",
        note="only the director's own learner may ask them",
    ),
    Row(
        "api-observation-request-detail",
        lambda w: f"/api/v1/observation-requests/{_request(w).pk}/",
        API_PARTIES,
    ),
    Row(
        "api-observation-request-complete",
        lambda w: f"/api/v1/observation-requests/{_request(w).pk}/complete/",
        same(404, anonymous=401, director=201),
        method="POST",
        data=_complete_body,
        content_type="application/json",
    ),
    Row(
        "api-observation-request-decline",
        lambda w: f"/api/v1/observation-requests/{_request(w).pk}/decline/",
        same(404, anonymous=401, director=200),
        method="POST",
        data=lambda w: {"reason": "Away that week."},
        content_type="application/json",
    ),
    Row("api-observation-assessor-list", lambda w: "/api/v1/observation-assessors/", API_OWN),
    Row("api-observation-learner-list", lambda w: "/api/v1/observation-learners/", API_OWN),
    Row("api-assessment-list", lambda w: "/api/v1/assessments/", API_OWN),
    Row(
        "api-assessment-list",
        lambda w: "/api/v1/assessments/",
        same(400, anonymous=401, director=201),
        method="POST",
        data=lambda w: {**_complete_body(w), "learner": w.learner.pk},
        content_type="application/json",
        note="only assessors of the learner's program may rate them",
    ),
    Row(
        "api-assessment-detail",
        lambda w: f"/api/v1/assessments/{_assessment(w).pk}/",
        API_PARTIES,
    ),
    Row(
        "api-assessment-detail",
        lambda w: f"/api/v1/assessments/{_assessment(w, 'director').pk}/",
        same(404, anonymous=401, learner=403, director=200),
        method="PATCH",
        data=lambda w: {"level": "5"},
        content_type="application/json",
        note="the learner sees it but only the author changes it",
    ),
    Row(
        "api-assessment-acknowledge",
        lambda w: f"/api/v1/assessments/{_assessment(w).pk}/acknowledge/",
        same(404, anonymous=401, learner=200, director=403),
        method="POST",
    ),
    Row(
        "api-assessment-response-list",
        lambda w: f"/api/v1/assessments/{_assessment(w).pk}/responses/",
        API_PARTIES,
    ),
    Row(
        "api-assessment-response-list",
        lambda w: f"/api/v1/assessments/{_assessment(w).pk}/responses/",
        same(404, anonymous=401, learner=201, director=403),
        method="POST",
        data=lambda w: {"text": "Thank you."},
        content_type="application/json",
    ),
    Row("api-assessment-form-list", lambda w: "/api/v1/assessment-forms/", API_OWN),
    Row(
        "api-assessment-form-list",
        lambda w: "/api/v1/assessment-forms/",
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {
            "program": w.program.pk,
            "name": "Chen",
            "rates": "epa",
            "scale": "chen-entrustment",
        },
        content_type="application/json",
        note="a program's directors and coordinators (and admins) build its forms",
    ),
    Row(
        "api-assessment-form-detail",
        lambda w: f"/api/v1/assessment-forms/{_form(w).pk}/",
        same(404, anonymous=401, learner=200, coach=200, director=200, admin=200),
        note="everyone of the program may meet its forms; nobody else",
    ),
    Row(
        "api-assessment-form-retire",
        lambda w: f"/api/v1/assessment-forms/{_form(w).pk}/retire/",
        same(404, anonymous=401, director=200, admin=200),
        method="POST",
        note="only those who build the program's forms retire them",
    ),
    Row("api-calibration", lambda w: "/api/v1/calibration/", API_OWN),
    Row(
        "api-calibration-learner",
        lambda w: f"/api/v1/calibration/{w.learner.pk}/",
        same(404, anonymous=401, learner=200),
    ),
    # Rotation schedules: the program's directors and coordinators (and admins) only.
    Row(
        "rotation-schedule",
        lambda w: f"/assessments/rotations/{w.program.pk}/",
        signed_in(404, director=200, admin=200),
    ),
    Row(
        "rotation-schedule",
        lambda w: f"/assessments/rotations/{w.program.pk}/",
        signed_in(404, director=400, admin=400),
        method="POST",
        data=lambda w: {"action": "add"},
        note="an empty block: 400 with field errors for those who run the schedule",
    ),
    Row(
        "rotation-block-edit",
        lambda w: f"/assessments/rotations/{w.program.pk}/blocks/{_scheduled_block(w).pk}/",
        signed_in(404, director=200, admin=200),
    ),
    Row(
        "rotation-block-edit",
        lambda w: f"/assessments/rotations/{w.program.pk}/blocks/{_scheduled_block(w).pk}/",
        signed_in(404, director=400, admin=400),
        method="POST",
        data=lambda w: {},
        note="an empty block: 400 with field errors for those who run the schedule",
    ),
    Row(
        "rotation-block-delete",
        lambda w: f"/assessments/rotations/{w.program.pk}/blocks/{_scheduled_block(w).pk}/delete/",
        signed_in(404, director=302, admin=302),
        method="POST",
    ),
    Row(
        "api-rotation-block",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotation-schedule/{_scheduled_block(w).pk}/",
        same(404, anonymous=401, director=204, admin=204),
        method="DELETE",
    ),
    Row(
        "rotation-completion",
        lambda w: f"/assessments/rotations/{w.program.pk}/completion/",
        signed_in(404, director=200, admin=200),
    ),
    Row(
        "rotation-nudge",
        lambda w: f"/assessments/rotations/{w.program.pk}/nudge/",
        signed_in(404, director=302, admin=302),
        method="POST",
        data=lambda w: {"block": _rotation_block(w).pk},
    ),
    Row(
        "api-rotation-list",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotations/",
        same(404, anonymous=401, director=200, admin=200),
    ),
    Row(
        "api-rotation-list",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotations/",
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {"name": "Cardiology", "competencies": [_epa(w).pk]},
        content_type="application/json",
    ),
    Row(
        "api-rotation-schedule",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotation-schedule/",
        same(404, anonymous=401, director=200, admin=200),
    ),
    Row(
        "api-rotation-schedule",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotation-schedule/",
        same(404, anonymous=401, director=400, admin=400),
        method="POST",
        data=lambda w: {},
        content_type="application/json",
    ),
    Row(
        "api-rotation-schedule-import",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotation-schedule/import/",
        same(404, anonymous=401, director=400, admin=400),
        method="POST",
        data=lambda w: {},
        note="no file: 400 for those who may import, 404 for everyone else",
    ),
    Row(
        "api-rotation-completion",
        lambda w: f"/api/v1/programs/{w.program.pk}/rotation-completion/",
        same(404, anonymous=401, director=200, admin=200),
    ),
    Row(
        "api-rotation-nudge",
        lambda w: f"/api/v1/rotation-blocks/{_rotation_block(w).pk}/nudge/",
        same(404, anonymous=401, director=200, admin=200),
        method="POST",
    ),
]
