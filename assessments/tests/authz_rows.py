"""Authorization-matrix rows for assessments by others (observations, requests, calibration).

In the matrix world the program's director also assesses (directors, committee members and
faculty are assessors), so requests and assessments below are addressed to or written by the
director; the learner is enrolled in the same program. Nobody else may see them: 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessNowLink,
    ScheduledRotation,
)
from assessments.services import rotations as rotation_services
from assessments.services.assess_now import (
    assess_now_code_create,
    assess_now_link_request,
    code_token,
    link_token,
)
from assessments.services.feedback import (
    feedback_request_create,
    feedback_respond,
    feedback_token,
    rotation_evaluation_create,
    teacher_evaluation_create,
)
from assessments.services.forms import assessment_form_create, shipped_forms_ensure
from assessments.tests.factories import (
    ObservedAssessmentFactory,
    epa_framework,
    milestone_framework,
)
from portfolio.tests.factories import ShareGrantFactory
from tests import factories
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
    Row("assessor-turnaround", lambda w: "/assessments/inbox/turnaround/", OWN),
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
        "api-observation-request-turnaround",
        lambda w: "/api/v1/observation-requests/turnaround/",
        API_OWN,
        note="the caller's own numbers as an assessor",
    ),
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


# --- Assess me now, multi-source feedback, teaching evaluations --------------------------------
# The director is an assessor of the learner's program: they redeem the learner's code and are
# the teacher learners evaluate. The anonymity thresholds show as statuses on the result
# endpoints: one response short of the threshold is a 404 for everyone.


def _code(w: Any) -> Any:
    made, _ = assess_now_code_create(learner=w.learner, competency_ids=[_epa(w).pk])
    return made


def _code_token(w: Any) -> str:
    return code_token(_code(w))


def _link_token(w: Any) -> str:
    code = _code(w)
    assess_now_link_request(code=code, email=w.director.email)
    return link_token(AssessNowLink.objects.get(code=code))


def _feedback(w: Any, rater_type: str = "patient") -> Any:
    made, _ = feedback_request_create(learner=w.learner, by=w.learner, rater_type=rater_type)
    return made


def _feedback_token(w: Any) -> str:
    return feedback_token(_feedback(w))


PATIENT_ANSWERS = {"listened": 4, "explained": 3, "respect": 4, "involved": 3}
TEACHING_ANSWERS = {"time": 4, "feedback": 3, "climate": 5, "supervision": 4}


def _patients_answered(w: Any, n: int) -> str:
    for _ in range(n):
        feedback_respond(request=_feedback(w), ratings=PATIENT_ANSWERS)
    return "/api/v1/me/feedback/patient/"


def _new_learners(w: Any, n: int) -> list[Any]:
    made = []
    for _ in range(n):
        user = factories.UserFactory()
        factories.EnrollmentFactory(learner=user, program=w.program)
        made.append(user)
    return made


def _director_evaluated_by(w: Any, n: int) -> str:
    for author in _new_learners(w, n):
        teacher_evaluation_create(author=author, teacher_id=w.director.pk, ratings=TEACHING_ANSWERS)
    return f"/api/v1/me/teaching-results/{w.program.pk}/"


def _rotation_evaluated(w: Any, learners: int, answers: int) -> str:
    rotation = rotation_services.rotation_create(
        program=w.program, name=f"Ward {uuid.uuid4().hex[:6]}", competency_ids=[_epa(w).pk]
    )
    group = _new_learners(w, learners)
    for learner in group:
        ScheduledRotation.objects.create(
            rotation=rotation,
            learner=learner,
            supervisor=w.assessor,
            start_on=dt.date(2026, 1, 5),
            end_on=dt.date(2026, 2, 1),
        )
    for learner in group[:answers]:
        rotation_evaluation_create(
            author=learner,
            rotation_id=rotation.pk,
            ratings={"expectations": 3, "supervision": 4, "learning": 4, "workload": 2},
        )
    return f"/api/v1/programs/{w.program.pk}/teaching-results/rotations/{rotation.pk}/"


ONLY_LEARNER = same(404, anonymous=302, learner=200)
API_NOBODY = same(404, anonymous=401)

ROWS += [
    Row("assess-now-start", lambda w: "/assessments/now/", OWN),
    Row(
        "assess-now-start",
        lambda w: "/assessments/now/",
        signed_in(200, learner=302),
        method="POST",
        data=lambda w: {"epa": _epa(w).pk, "client_token": str(uuid.uuid4())},
        note="others are enrolled nowhere with this EPA: the form again",
    ),
    Row("assess-now-show", lambda w: f"/assessments/now/{_code(w).pk}/", ONLY_LEARNER),
    Row(
        "assess-now-scan",
        lambda w: f"/assessments/now/scan/{_code_token(w)}/",
        same(403, anonymous=200, director=302, admin=403),
        note="the director (faculty there) lands on the form; a visitor is offered sign-in; "
        "anyone else is told only faculty of the program may answer",
    ),
    Row(
        "assess-now-email",
        lambda w: f"/assessments/now/scan/{_code_token(w)}/email/",
        same(200),
        method="POST",
        data=lambda w: {"email": "someone@example.org"},
        note="the same answer whoever asks, whatever the address",
    ),
    Row(
        "assess-now-link",
        lambda w: f"/assessments/now/link/{_link_token(w)}/",
        same(200),
        note="a button, spending nothing; pressing it signs in the link's person",
    ),
    Row("feedback-home", lambda w: "/assessments/feedback/", OWN),
    Row(
        "feedback-home",
        lambda w: "/assessments/feedback/",
        signed_in(400, learner=302, other_learner=302),
        method="POST",
        data=lambda w: {"rater_type": "patient", "client_token": str(uuid.uuid4())},
        note="anyone enrolled in a program may ask about themself; others see the form again",
    ),
    Row("feedback-link", lambda w: f"/assessments/feedback/{_feedback(w).pk}/", ONLY_LEARNER),
    Row(
        "feedback-respond",
        lambda w: f"/assessments/feedback/answer/{_feedback_token(w)}/",
        same(200),
        note="the rater needs no account",
    ),
    Row(
        "feedback-respond",
        lambda w: f"/assessments/feedback/answer/{_feedback_token(w)}/",
        same(200),
        method="POST",
        data=lambda w: {f"rating-{k}": v for k, v in PATIENT_ANSWERS.items()},
    ),
    Row("teaching-evaluations", lambda w: "/assessments/evaluations/", OWN),
    Row(
        "teaching-evaluation-create",
        lambda w: f"/assessments/evaluations/teacher/{w.director.pk}/",
        same(404, anonymous=302, learner=200),
        note="only learners of a program where the person teaches",
    ),
    Row(
        "teaching-evaluation-create",
        lambda w: f"/assessments/evaluations/teacher/{w.director.pk}/",
        same(404, anonymous=302, learner=302),
        method="POST",
        data=lambda w: {f"rating-{k}": v for k, v in TEACHING_ANSWERS.items()},
    ),
    Row("teaching-results", lambda w: "/assessments/evaluations/results/", OWN),
    Row(
        "teaching-program-results",
        lambda w: f"/assessments/evaluations/program/{w.program.pk}/",
        same(404, anonymous=302, director=200),
        note="the program's directors only",
    ),
    # API.
    Row(
        "api-assess-now-create",
        lambda w: "/api/v1/assess-now/",
        same(400, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"competencies": [_epa(w).pk]},
        content_type="application/json",
    ),
    Row(
        "api-assess-now-redeem",
        lambda w: "/api/v1/assess-now/redeem/",
        same(403, anonymous=401, director=201),
        method="POST",
        data=lambda w: {"code": _code_token(w)},
        content_type="application/json",
    ),
    Row(
        "api-assess-now-sign-in-link",
        lambda w: "/api/v1/assess-now/sign-in-link/",
        same(202),
        method="POST",
        data=lambda w: {"code": _code_token(w), "email": "someone@example.org"},
        content_type="application/json",
    ),
    Row("api-feedback-request-list", lambda w: "/api/v1/feedback-requests/", API_OWN),
    Row(
        "api-feedback-request-list",
        lambda w: "/api/v1/feedback-requests/",
        same(400, anonymous=401, learner=201, director=201),
        method="POST",
        data=lambda w: {"rater_type": "nurse", "learner": w.learner.pk},
        content_type="application/json",
        note="the learner, or a director of the learner's program",
    ),
    Row(
        "api-feedback-answer",
        lambda w: "/api/v1/feedback-answers/",
        same(201),
        method="POST",
        data=lambda w: {"link": _feedback_token(w), "ratings": PATIENT_ANSWERS},
        content_type="application/json",
        note="the rater needs no account",
    ),
    Row("api-me-feedback", lambda w: "/api/v1/me/feedback/", API_OWN),
    Row(
        "api-me-feedback-group",
        lambda w: _patients_answered(w, 2),
        API_NOBODY,
        note="threshold: two patients' answers are not shown, even to the learner",
    ),
    Row(
        "api-me-feedback-group",
        lambda w: _patients_answered(w, 3),
        same(404, anonymous=401, learner=200),
        note="threshold: from the third answer the learner sees the group",
    ),
    Row("api-teaching-evaluation-list", lambda w: "/api/v1/teaching-evaluations/", API_OWN),
    Row(
        "api-teaching-evaluation-list",
        lambda w: "/api/v1/teaching-evaluations/",
        same(400, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"teacher": w.director.pk, "ratings": TEACHING_ANSWERS},
        content_type="application/json",
    ),
    Row("api-me-teaching-results", lambda w: "/api/v1/me/teaching-results/", API_OWN),
    Row(
        "api-me-teaching-result",
        lambda w: _director_evaluated_by(w, 4),
        API_NOBODY,
        note="threshold: a teacher with 4 responses sees nothing",
    ),
    Row(
        "api-me-teaching-result",
        lambda w: _director_evaluated_by(w, 5),
        same(404, anonymous=401, director=200),
        note="threshold: with 5 the teacher sees the aggregate (and nobody else does here)",
    ),
    Row(
        "api-program-teaching-results",
        lambda w: f"/api/v1/programs/{w.program.pk}/teaching-results/",
        same(404, anonymous=401, director=200),
    ),
    Row(
        "api-program-rotation-result",
        lambda w: _rotation_evaluated(w, learners=4, answers=4),
        API_NOBODY,
        note="threshold: a rotation with 4 learners is never shown",
    ),
    Row(
        "api-program-rotation-result",
        lambda w: _rotation_evaluated(w, learners=9, answers=4),
        API_NOBODY,
        note="threshold: 9 learners but 4 responses is not shown",
    ),
    Row(
        "api-program-rotation-result",
        lambda w: _rotation_evaluated(w, learners=5, answers=5),
        same(404, anonymous=401, director=200),
        note="threshold: 5 learners and 5 responses: the director sees the aggregate",
    ),
]

ROWS += [
    Row(
        "feedback-program",
        lambda w: f"/assessments/feedback/program/{w.program.pk}/",
        same(404, anonymous=302, director=200, admin=200),
        note="the program's directors and coordinators (and admins)",
    ),
    Row(
        "feedback-program",
        lambda w: f"/assessments/feedback/program/{w.program.pk}/",
        same(404, anonymous=302, director=302, admin=400),
        method="POST",
        data=lambda w: {
            "learner": w.learner.pk,
            "rater_type": "nurse",
            "anonymous": "on",
            "client_token": str(uuid.uuid4()),
        },
        note="an admin without a role in the program may look but not ask",
    ),
]
