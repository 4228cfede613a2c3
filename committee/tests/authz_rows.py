"""Authorization matrix rows for committee review: pages and API.

A director of `program` reviews it; `other_director` directs `other_program` and gets 404 for
anything of `program`. Admins (superusers) manage every program but are not reviewers:
individual learner data (heatmap, packets, flags, consensus) is 404 for them, and they see
only aggregates under the small-cell rule (tested in test_small_cells.py).
"""

from __future__ import annotations

import datetime as dt

from assessments.tests.factories import epa_framework
from committee.entrustment import entrustment_decision_record
from committee.models import EntrustmentDecision, LearnerReview
from programs.models import ReviewPeriod
from tests.authz import Row, same, signed_in
from tests.factories import CompetencyFactory, FrameworkFactory


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


def _p(w) -> int:
    return w.program.pk


# Only the program's reviewers (director, coordinator, committee) see individuals.
REVIEW = signed_in(404, director=200)
REVIEW_POST = signed_in(404, director=302)

ROWS = [
    Row(
        "program-overview",
        lambda w: "/programs/overview/",
        signed_in(404, director=200, other_director=200, admin=200),
        note="aggregates only; small cells withheld (test_small_cells.py)",
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
    Row("program-heatmap", lambda w: f"/programs/{_p(w)}/heatmap/", REVIEW),
    Row(
        "program-meeting",
        lambda w: f"/programs/{_p(w)}/meeting/?period={_period(w).pk}&learner={w.learner.pk}",
        REVIEW,
        note="meeting mode reads a learner's packet: reviewers only",
    ),
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


API_REVIEW = same(404, anonymous=401, director=200)

ROWS += [
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


# --- Entrustment decisions -------------------------------------------------------------------


def _epa(w):
    """An EPA of an entrustment framework the program uses (made once per world)."""
    if not hasattr(w, "entrust_epa"):
        framework, epas = epa_framework()
        w.program.frameworks.add(framework)
        w.entrust_epa = epas[0]
    return w.entrust_epa


def _decision(w) -> EntrustmentDecision:
    return entrustment_decision_record(
        program=w.program,
        learner_id=w.learner.pk,
        competency_id=_epa(w).pk,
        level="3",
        decided_on=dt.date(2026, 1, 15),
        rationale="Consistent 3s across settings.",
        by=w.director,
    )


def _decision_body(w) -> dict[str, object]:
    return {
        "competency": _epa(w).pk,
        "level": "4",
        "decided_on": "2026-01-20",
        "rationale": "Consistent 4s.",
    }


def _entrust_url(w) -> str:
    _epa(w)
    return f"/programs/{_p(w)}/learners/{w.learner.pk}/entrustment/"


ROWS += [
    Row("program-entrustment", _entrust_url, REVIEW, note="the program's reviewers only"),
    Row("program-entrustment", _entrust_url, REVIEW_POST, method="POST", data=_decision_body),
    Row(
        "program-entrustment-sign-off",
        lambda w: f"/programs/{_p(w)}/entrustment/{_decision(w).pk}/sign-off/",
        REVIEW_POST,
        method="POST",
        note="directors sign off",
    ),
    Row(
        "api-entrustment-decision-list",
        lambda w: f"/api/v1/programs/{_p(w)}/learners/{w.learner.pk}/entrustment-decisions/",
        same(404, anonymous=401, director=200),
    ),
    Row(
        "api-entrustment-decision-list",
        lambda w: f"/api/v1/programs/{_p(w)}/learners/{w.learner.pk}/entrustment-decisions/",
        same(404, anonymous=401, director=201),
        method="POST",
        data=_decision_body,
        content_type="application/json",
    ),
    Row(
        "api-entrustment-decision-sign-off",
        lambda w: f"/api/v1/programs/{_p(w)}/entrustment-decisions/{_decision(w).pk}/sign-off/",
        same(404, anonymous=401, director=200),
        method="POST",
    ),
    Row(
        "api-my-entrustment-decision-list",
        lambda w: "/api/v1/me/entrustment-decisions/",
        same(200, anonymous=401),
        note="each person's own signed-off decisions",
    ),
]
