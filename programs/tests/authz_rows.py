"""Authorization matrix rows for programs: pages and API (committee review's rows are in
committee/tests/authz_rows.py).

A director of `program` manages it; `other_director` directs `other_program` and gets 404 for
anything of `program`. Admins (superusers) manage every program.
"""

from __future__ import annotations

import datetime as dt

from programs.models import ReviewPeriod
from tests.authz import Row, same, signed_in
from tests.factories import ProgramRoleFactory


def _period(w) -> ReviewPeriod:
    period, _ = ReviewPeriod.objects.get_or_create(
        program=w.program,
        start_date=dt.date(2025, 7, 1),
        defaults={"name": "2025–26 mid-year", "end_date": dt.date(2025, 12, 31)},
    )
    return period


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

ROWS = [
    Row("program-list", lambda w: "/programs/", signed_in(200)),
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
]


def _api(w, suffix: str = "") -> str:
    return f"/api/v1/programs/{w.program.pk}/{suffix}"


API_MANAGE = same(404, anonymous=401, director=200, admin=200)

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
]


def _invitation(w, email: str = "invited@example.org"):
    from programs.services import invitation_create

    return invitation_create(program=w.program, by=w.director, email=email, role="coach")


def _invitation_link(w) -> str:
    from programs.services import invitation_token

    return f"/programs/invitations/{invitation_token(_invitation(w))}/"


def _learners_invitation_link(w) -> str:
    from programs.services import invitation_token

    invitation = _invitation(w, email=w.learner.email)
    return f"/programs/invitations/{invitation_token(invitation)}/"


ROWS += [
    Row("program-invitations", lambda w: f"/programs/{_p(w)}/invitations/", MANAGE),
    Row(
        "program-invitations",
        lambda w: f"/programs/{_p(w)}/invitations/",
        signed_in(404, director=302, admin=302),
        method="POST",
        data=lambda w: {"email": "someone.new@example.org", "role": "faculty"},
    ),
    Row(
        "program-invitation-revoke",
        lambda w: f"/programs/{_p(w)}/invitations/{_invitation(w).pk}/revoke/",
        signed_in(404, director=302, admin=302),
        method="POST",
    ),
    Row(
        "invitation-accept",
        _invitation_link,
        same(403, anonymous=200),
        note="the link is the credential: anyone may open it; signed in as another email, 403",
    ),
    Row(
        "invitation-accept",
        _learners_invitation_link,
        same(403, anonymous=200, learner=302),
        method="POST",
        data=lambda w: {},
        note="only the invited email joins; anonymous gets the account form back (200)",
    ),
    Row("api-invitation-list", lambda w: _api(w, "invitations/"), API_MANAGE),
    Row(
        "api-invitation-list",
        lambda w: _api(w, "invitations/"),
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {"email": "someone.new@example.org", "role": "faculty"},
        content_type="application/json",
    ),
    Row(
        "api-invitation-revoke",
        lambda w: _api(w, f"invitations/{_invitation(w).pk}/"),
        API_MANAGE,
        method="DELETE",
    ),
]


def _learners_enrollment(w) -> int:
    return w.learner.enrollments.get(program=w.program).pk


def _learners_invitation_token(w) -> dict[str, str]:
    from programs.services import invitation_token

    return {"token": invitation_token(_invitation(w, email=w.learner.email))}


ROWS += [
    Row(
        "api-program-detail",
        lambda w: _api(w),
        same(404, anonymous=401, director=200, admin=200),
        method="PATCH",
        data=lambda w: {"specialty": "Internal medicine"},
        content_type="application/json",
    ),
    Row(
        "api-enrollment-detail",
        lambda w: _api(w, f"enrollments/{_learners_enrollment(w)}/"),
        same(404, anonymous=401, director=200, admin=200),
        method="PATCH",
        data=lambda w: {"training_year": 2},
        content_type="application/json",
    ),
    Row("api-program-role-list", lambda w: _api(w, "roles/"), API_MANAGE),
    Row(
        "api-program-role-list",
        lambda w: _api(w, "roles/"),
        same(404, anonymous=401, director=201, admin=201),
        method="POST",
        data=lambda w: {"email": "new.faculty@example.org", "role": "faculty"},
        content_type="application/json",
    ),
    Row(
        "api-program-role-revoke",
        lambda w: _api(w, f"roles/{_faculty_role(w)}/"),
        same(404, anonymous=401, director=204, admin=204),
        method="DELETE",
    ),
    Row(
        "api-invitation-accept",
        lambda w: "/api/v1/invitations/accept/",
        same(403, anonymous=401, learner=200),
        method="POST",
        data=_learners_invitation_token,
        content_type="application/json",
        note="only the invited email accepts; anyone else gets 403 with the reason",
    ),
]
