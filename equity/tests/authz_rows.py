"""Authorization-matrix rows for equity. A learner's characteristics are readable by their
owner only, through every page and API (the admin's counts are checked in test_privacy.py):
each row that touches one is set up with the learner's answer, and every other role sees
only their own (none) or a 404. The equity view is for directors (their program) and the
institution; the assessor signal is each person's own."""

from __future__ import annotations

from equity.models import EquityFit
from equity.services import characteristic_record
from equity.tests.factories import gender_category
from tests.authz import Row, same, signed_in


def _answered(w):
    gender_category(w.program.institution)
    characteristic_record(learner=w.learner, category_key="gender", option_key="woman")
    return w


def _delete_page(w):
    _answered(w)
    return "/equity/characteristics/gender/delete/"


def _delete_api(w):
    _answered(w)
    return "/api/v1/equity/characteristics/gender/"


def _fit_path(w):
    category = gender_category(w.program.institution)
    EquityFit.objects.get_or_create(
        institution=w.program.institution,
        program=w.program,
        category=category,
        defaults={"data_through": "2026-03-31"},
    )
    return f"/api/v1/equity/view/?program={w.program.pk}&category=gender"


ROWS = [
    Row(
        "equity-characteristics",
        lambda w: (_answered(w), "/equity/characteristics/")[1],
        signed_in(200),
        note="everyone sees their own answers only; the learner's are not on anyone else's",
    ),
    Row(
        "equity-characteristics",
        lambda w: (_answered(w), "/equity/characteristics/")[1],
        signed_in(302),
        method="POST",
        data=lambda w: {},
        note="saves the caller's own (nothing chosen clears them)",
    ),
    Row(
        "equity-characteristic-delete",
        _delete_page,
        same(404, anonymous=302, learner=302),
        method="POST",
        note="only the owner's answer exists for the owner",
    ),
    Row(
        "equity-view",
        lambda w: "/equity/",
        same(404, anonymous=302, director=200, other_director=200, admin=200),
        note="directors see their own program's; others have no scope at all",
    ),
    Row("equity-assessor-signal", lambda w: "/equity/my-ratings/", signed_in(200)),
    Row(
        "api-equity-characteristics",
        lambda w: (_answered(w), "/api/v1/equity/characteristics/")[1],
        same(200, anonymous=401),
        note="each caller's own; the learner's answer appears for the learner only "
        "(test_api.py checks the bodies)",
    ),
    Row(
        "api-equity-characteristics",
        lambda w: (gender_category(w.program.institution), "/api/v1/equity/characteristics/")[1],
        same(400, anonymous=401, learner=200),
        method="POST",
        data=lambda w: {"category": "gender", "option": "woman"},
        content_type="application/json",
        note="a category is only the learner's institution's to answer",
    ),
    Row(
        "api-equity-characteristic",
        _delete_api,
        same(404, anonymous=401, learner=204),
        method="DELETE",
    ),
    Row(
        "api-equity-view",
        _fit_path,
        same(404, anonymous=401, director=200, admin=200),
        note="the program's directors and administrators; the other director, 404",
    ),
    Row(
        "api-equity-assessor-signal",
        lambda w: "/api/v1/equity/assessor-signal/",
        same(200, anonymous=401),
    ),
]
