"""Authorization matrix rows for programs: pages and API.

A director of `program` manages and reviews it; `other_director` directs `other_program` and
gets 404 for anything of `program`. Admins (superusers) manage every program but are not
reviewers: individual learner data (heatmap, packets, flags, consensus) is 404 for them, and
they see only aggregates under the small-cell rule (tested in test_small_cells.py).
"""

from __future__ import annotations

import datetime as dt

from programs.models import LearnerReview, ReviewPeriod
from tests.authz import Row, same, signed_in
from tests.factories import CompetencyFactory, FrameworkFactory, ProgramRoleFactory


def _period(w) -> ReviewPeriod:
    period, _ = ReviewPeriod.objects.get_or_create(
        program=w.program,
        start_date=dt.date(2025, 7, 1),
        defaults={"name": "2025–26 mid-year", "end_date": dt.date(2025, 12, 31)},
    )
    return period


def _framework_leaf(w):
    framework = FrameworkFactory()
    domain = CompetencyFactory(framework=framework, code="PC")
    leaf = CompetencyFactory(framework=framework, parent=domain, code="PC1")
    w.program.frameworks.add(framework)
    return leaf


def _packet(w, suffix: str = "") -> str:
    return f"/programs/{w.program.pk}/periods/{_period(w).pk}/learners/{w.learner.pk}/{suffix}"


def _signed_review(w) -> LearnerReview:
    review, _ = LearnerReview.objects.get_or_create(
        period=_period(w),
        learner=w.learner,
        defaults={"training_year": 1, "status": LearnerReview.Status.SIGNED_OFF},
    )
    return review


def _faculty_role(w) -> int:
    return ProgramRoleFactory(program=w.program, role="faculty").pk


def _new_program(w) -> dict[str, object]:
    """A program to create, for the page and the API alike."""
    return {
        "institution": w.program.institution_id,
        "name": "Anaesthesia Residency",
        "stage": "gme",
        "duration_years": 5,
        "review_months": 6,
        "year_start_month": 7,
    }


def _p(w) -> int:
    return w.program.pk


# Director of the program and admins may manage; every other signed-in person gets 404.
MANAGE = signed_in(404, director=200, admin=200)
# Only the program's reviewers (director, coordinator, committee) see individuals.
REVIEW = signed_in(404, director=200)
REVIEW_POST = signed_in(404, director=302)

ROWS = [
    Row("program-list", lambda w: "/programs/", signed_in(200)),
    Row(
        "program-overview",
        lambda w: "/programs/overview/",
        signed_in(404, director=200, other_director=200, admin=200),
        note="aggregates only; small cells withheld (test_small_cells.py)",
    ),
    Row(
        "program-create",
        lambda w: "/programs/new/",
        signed_in(404, admin=200),
        note="institution administrators (superusers) only",
    ),
    Row(
        "program-create",
        lambda w: "/programs/new/",
        signed_in(404, admin=302),
        method="POST",
        data=_new_program,
    ),
    Row("my-review-list", lambda w: "/programs/reviews/", signed_in(200)),
    Row(
        "my-review-detail",
        lambda w: f"/programs/reviews/{_signed_review(w).pk}/",
        signed_in(404, learner=200),
    ),
    Row(
        "my-review-detail",
        lambda w: f"/programs/reviews/{_signed_review(w).pk}/",
        signed_in(404, learner=302),
        method="POST",
        data=lambda w: {"text": "Thank you; I will work on PC1."},
    ),
    Row("program-detail", lambda w: f"/programs/{_p(w)}/", MANAGE),
    Row("program-cohorts", lambda w: f"/programs/{_p(w)}/cohorts/", MANAGE),
    Row(
        "program-cohorts",
        lambda w: f"/programs/{_p(w)}/cohorts/",
        signed_in(404, director=302, admin=302),
        method="POST",
        data=lambda w: {"name": "Class of 2029", "start_year": 2026},
    ),
    Row("program-enrollments", lambda w: f"/programs/{_p(w)}/enrollments/", MANAGE),
    Row(
        "program-enrollment-edit",
        lambda w: f"/programs/{_p(w)}/enrollments/{w.learner.enrollments.get().pk}/",
        MANAGE,
    ),
    Row(
        "program-enrollment-edit",
        lambda w: f"/programs/{_p(w)}/enrollments/{w.other_learner.enrollments.get().pk}/",
        signed_in(404),
        note="an enrollment of another program is 404 even for its own program's URL",
    ),
    Row("program-roles", lambda w: f"/programs/{_p(w)}/roles/", MANAGE),
    Row(
        "program-role-revoke",
        lambda w: f"/programs/{_p(w)}/roles/{_faculty_role(w)}/revoke/",
        signed_in(404, director=302, admin=302),
        method="POST",
    ),
    Row("program-expectations", lambda w: f"/programs/{_p(w)}/expectations/", MANAGE),
    Row("program-roster", lambda w: f"/programs/{_p(w)}/roster/", MANAGE),
    Row("program-periods", lambda w: f"/programs/{_p(w)}/periods/", MANAGE),
    Row(
        "program-period-edit",
        lambda w: f"/programs/{_p(w)}/periods/{_period(w).pk}/edit/",
        MANAGE,
    ),
    Row(
        "program-period-edit",
        lambda w: f"/programs/{_p(w)}/periods/{_period(w).pk}/edit/",
        signed_in(404, director=302, admin=302),
        method="POST",
        data=lambda w: {
            "name": "2025–26 first half",
            "start_date": "2025-07-01",
            "end_date": "2025-12-31",
        },
    ),
    Row("program-heatmap", lambda w: f"/programs/{_p(w)}/heatmap/", REVIEW),
    Row("program-distributions", lambda w: f"/programs/{_p(w)}/distributions/", REVIEW),
    Row("program-flags", lambda w: f"/programs/{_p(w)}/flags/", REVIEW),
    Row(
        "program-consensus-csv",
        lambda w: f"/programs/{_p(w)}/periods/{_period(w).pk}/consensus.csv",
        REVIEW,
    ),
    Row("program-packet", lambda w: _packet(w), REVIEW),
    Row("program-packet-print", lambda w: _packet(w, "print/"), REVIEW),
    Row(
        "program-packet",
        lambda w: f"/programs/{_p(w)}/periods/{_period(w).pk}/learners/{w.other_learner.pk}/",
        signed_in(404),
        note="a learner of another program is 404 inside this program's packet URL",
    ),
    Row(
        "program-consensus-record",
        lambda w: _packet(w, "consensus/"),
        REVIEW_POST,
        method="POST",
        data=lambda w: {"competency": _framework_leaf(w).pk, "level": "2", "rationale": "Agreed."},
    ),
    Row(
        "program-review-sign-off",
        lambda w: _packet(w, "sign-off/"),
        REVIEW_POST,
        method="POST",
        data=lambda w: {"summary": ""},
        note="an incomplete review is refused with a message, not an error page",
    ),
]


def _api(w, suffix: str = "") -> str:
    return f"/api/v1/programs/{w.program.pk}/{suffix}"


def _api_packet(w, suffix: str) -> str:
    return (
        f"/api/v1/programs/{w.program.pk}/periods/{_period(w).pk}/learners/{w.learner.pk}/{suffix}"
    )


API_MANAGE = same(404, anonymous=401, director=200, admin=200)
API_REVIEW = same(404, anonymous=401, director=200)

ROWS += [
    Row("api-program-list", lambda w: "/api/v1/programs/", same(200, anonymous=401)),
    Row(
        "api-program-list",
        lambda w: "/api/v1/programs/",
        same(404, anonymous=401, admin=201),
        method="POST",
        data=_new_program,
        content_type="application/json",
        note="creating programs: institution administrators only",
    ),
    Row("api-program-detail", lambda w: _api(w), API_MANAGE),
    Row(
        "api-program-detail",
        lambda w: f"/api/v1/programs/{w.other_program.pk}/",
        same(404, anonymous=401, other_director=200, admin=200),
        note="cross-program: the director of `program` gets 404 for `other_program`",
    ),
    Row("api-cohort-list", lambda w: _api(w, "cohorts/"), API_MANAGE),
    Row(
        "api-cohort-list",
        lambda w: _api(w, "cohorts/"),
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {"name": "Class of 2030", "start_year": 2027},
        content_type="application/json",
    ),
    Row("api-enrollment-list", lambda w: _api(w, "enrollments/"), API_MANAGE),
    Row(
        "api-enrollment-list",
        lambda w: _api(w, "enrollments/"),
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {
            "email": "new.resident@example.org",
            "training_year": 1,
            "start_date": "2025-07-01",
        },
        content_type="application/json",
    ),
    Row(
        "api-roster-import",
        lambda w: _api(w, "roster/"),
        same(404, anonymous=401, director=400, admin=400),
        method="POST",
        data=lambda w: {},
        note="no file: 400 for managers (who may import), 404 for everyone else",
    ),
    Row("api-expectation-list", lambda w: _api(w, "expectations/"), API_MANAGE),
    Row(
        "api-expectation-list",
        lambda w: _api(w, "expectations/"),
        same(404, anonymous=401, director=200, admin=200),
        method="PUT",
        data=lambda w: {"levels": []},
        content_type="application/json",
    ),
    Row("api-period-list", lambda w: _api(w, "periods/"), API_MANAGE),
    Row(
        "api-period-list",
        lambda w: _api(w, "periods/"),
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {"start_date": "2026-01-01", "end_date": "2026-06-30", "is_year_end": True},
        content_type="application/json",
    ),
    Row("api-period-detail", lambda w: _api(w, f"periods/{_period(w).pk}/"), API_MANAGE),
    Row(
        "api-period-detail",
        lambda w: _api(w, f"periods/{_period(w).pk}/"),
        same(404, anonymous=401, director=200, admin=200),
        method="PATCH",
        data=lambda w: {"name": "2025–26 first half"},
        content_type="application/json",
    ),
    Row(
        "api-consensus-list",
        lambda w: _api(w, f"periods/{_period(w).pk}/consensus/"),
        API_REVIEW,
    ),
    Row("api-packet-detail", lambda w: _api_packet(w, "packet/"), API_REVIEW),
    Row(
        "api-packet-detail",
        lambda w: (
            f"/api/v1/programs/{w.program.pk}/periods/{_period(w).pk}/learners/{w.other_learner.pk}/packet/"
        ),
        same(404, anonymous=401),
        note="a learner of another program inside this program's URL",
    ),
    Row(
        "api-consensus-record",
        lambda w: _api_packet(w, "consensus/"),
        same(404, anonymous=401, director=201),
        method="POST",
        data=lambda w: {
            "competency_id": _framework_leaf(w).pk,
            "level": "2.5",
            "rationale": "Agreed.",
        },
        content_type="application/json",
    ),
    Row(
        "api-review-sign-off",
        lambda w: _api_packet(w, "sign-off/"),
        same(404, anonymous=401, director=400),
        method="POST",
        data=lambda w: {"summary": ""},
        content_type="application/json",
        note="incomplete review: 400 with the missing sub-competencies",
    ),
    Row("api-heatmap", lambda w: _api(w, "heatmap/"), API_REVIEW),
    Row("api-flags", lambda w: _api(w, "flags/"), API_REVIEW),
    Row(
        "api-institution-overview",
        lambda w: "/api/v1/institution/overview/",
        same(404, anonymous=401, director=200, other_director=200, admin=200),
        note="aggregates; small cells withheld for non-reviewers (test_small_cells.py)",
    ),
    Row("api-my-review-list", lambda w: "/api/v1/me/reviews/", same(200, anonymous=401)),
    Row(
        "api-my-review-detail",
        lambda w: f"/api/v1/me/reviews/{_signed_review(w).pk}/",
        same(404, anonymous=401, learner=200),
    ),
    Row(
        "api-my-review-respond",
        lambda w: f"/api/v1/me/reviews/{_signed_review(w).pk}/response/",
        same(404, anonymous=401, learner=200),
        method="POST",
        data=lambda w: {"text": "I agree and will practise handovers."},
        content_type="application/json",
    ),
]
