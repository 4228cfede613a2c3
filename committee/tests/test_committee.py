import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.tests.factories import AssessmentFactory
from committee import services
from committee.models import ConsensusRating, LearnerReview
from notifications.models import Notification
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import EnrollmentFactory, ProgramFactory, ProgramRoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(program, learner, director):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    period = ReviewPeriodFactory(program=program)
    enrollment = learner.enrollments.get()
    review = services.learner_review_open(period=period, enrollment=enrollment)
    return program, leaves, period, enrollment, review


def record(review, competency, level, by, **kwargs):
    return services.consensus_record(
        review=review,
        competency_id=competency.pk,
        level=Decimal(level),
        rationale="Agreed.",
        by=by,
        **kwargs,
    )


def test_review_remembers_training_year_during_the_period(program):
    program.year_start_month = 7
    enrollment = EnrollmentFactory(program=program, training_year=3, start_date=dt.date(2023, 7, 1))
    period = ReviewPeriodFactory(
        program=program, start_date=dt.date(2024, 7, 1), end_date=dt.date(2024, 12, 31)
    )

    review = services.learner_review_open(period=period, enrollment=enrollment)

    today = dt.date.today()
    years_back = program.academic_year_of(today) - 2024
    assert review.training_year == max(1, 3 - years_back)


def test_consensus_outside_the_scale_is_refused(setup, director):
    _, leaves, _, _, review = setup
    with pytest.raises(ValidationError, match="not on the scale"):
        record(review, leaves[0], "3.3", director)
    with pytest.raises(ValidationError, match="not on the scale"):
        record(review, leaves[0], "6", director)
    assert not ConsensusRating.objects.exists()


def test_consensus_for_a_competency_outside_the_program_is_refused(setup, director):
    _, _, _, _, review = setup
    _, foreign = program_with_framework(ProgramFactory())
    with pytest.raises(ValidationError, match="Not a rated competency"):
        record(review, foreign[0], "2", director)


def test_changing_consensus_keeps_every_version(setup, director):
    _, leaves, _, _, review = setup
    record(review, leaves[0], "2", director)
    record(review, leaves[0], "2.5", director)

    versions = list(ConsensusRating.objects.filter(review=review).order_by("version"))
    assert [(v.version, v.level, v.is_current) for v in versions] == [
        (1, Decimal("2.0"), False),
        (2, Decimal("2.5"), True),
    ]


def test_sign_off_refuses_an_incomplete_review_and_names_what_is_missing(setup, director):
    _, leaves, _, _, review = setup
    record(review, leaves[0], "2", director)

    with pytest.raises(ValidationError, match=f"no consensus yet for {leaves[1].code}"):
        services.review_sign_off(review=review, by=director)
    review.refresh_from_db()
    assert review.status == LearnerReview.Status.DRAFT


def test_amending_after_sign_off_needs_a_reason_and_is_kept(setup, director):
    _, leaves, _, _, review = setup
    for leaf in leaves:
        record(review, leaf, "2", director)
    services.review_sign_off(review=review, by=director, summary="On track.")

    with pytest.raises(ValidationError, match="say why"):
        record(review, leaves[0], "1.5", director)

    amended = record(
        review, leaves[0], "1.5", director, amendment_reason="Late narrative from ICU."
    )
    assert amended.version == 2 and amended.amendment_reason == "Late narrative from ICU."
    assert ConsensusRating.objects.filter(review=review, competency=leaves[0]).count() == 2


def test_learner_responds_only_after_sign_off(setup, director, learner, other_learner):
    _, leaves, _, _, review = setup
    with pytest.raises(ValidationError):
        services.review_respond(review=review, learner=learner, text="Thanks")
    for leaf in leaves:
        record(review, leaf, "2", director)
    services.review_sign_off(review=review, by=director)

    with pytest.raises(ValidationError):
        services.review_respond(review=review, learner=other_learner, text="Not mine")
    services.review_respond(
        review=review, learner=learner, text="I will ask for more observations."
    )

    review.refresh_from_db()
    assert review.learner_response.startswith("I will") and review.responded_at is not None


def test_committee_member_records_but_only_the_director_signs_off(client, setup, director):
    program, leaves, period, _, review = setup
    member = ProgramRoleFactory(program=program, role="committee").user
    client.force_login(member)
    base = f"/api/v1/programs/{program.pk}/periods/{period.pk}/learners/{review.learner_id}/"

    for leaf in leaves:
        response = client.post(
            base + "consensus/",
            {"competency_id": leaf.pk, "level": "3", "rationale": "Strong handovers."},
            content_type="application/json",
        )
        assert response.status_code == 201
    assert client.post(base + "sign-off/", {}, content_type="application/json").status_code == 404

    client.force_login(director)
    response = client.post(
        base + "sign-off/", {"summary": "Good."}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "signed_off"
    again = client.post(base + "sign-off/", {}, content_type="application/json")
    assert again.status_code == 409


def test_consensus_api_rejects_a_level_off_the_scale_with_400(client, setup, director):
    program, leaves, period, _, review = setup
    client.force_login(director)
    response = client.post(
        f"/api/v1/programs/{program.pk}/periods/{period.pk}/learners/{review.learner_id}/consensus/",
        {"competency_id": leaves[0].pk, "level": "4.2", "rationale": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not on the scale" in response.json()["level"][0]


def test_learner_sees_signed_off_review_and_responds_through_the_api(
    client, setup, director, learner
):
    _, leaves, _, _, review = setup
    client.force_login(learner)
    assert client.get("/api/v1/me/reviews/").json() == []
    for leaf in leaves:
        record(review, leaf, "2", director)
    services.review_sign_off(review=review, by=director)

    listed = client.get("/api/v1/me/reviews/").json()
    detail = client.get(f"/api/v1/me/reviews/{review.pk}/").json()
    response = client.post(
        f"/api/v1/me/reviews/{review.pk}/response/",
        {"text": "Agreed."},
        content_type="application/json",
    )

    assert [r["id"] for r in listed] == [review.pk]
    assert {r["competency"] for r in detail["ratings"]} == {leaf.code for leaf in leaves}
    assert response.status_code == 200 and response.json()["learner_response"] == "Agreed."


def test_packet_lists_period_assessments_with_narratives_and_previous_consensus(
    client, setup, director, learner
):
    program, leaves, period, enrollment, _ = setup
    earlier = ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 6, 30)
    )
    old_review = services.learner_review_open(period=earlier, enrollment=enrollment)
    record(old_review, leaves[0], "1.5", director)
    AssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=2,
        observed_on=dt.date(2025, 8, 1),
        went_well="Calm lead",
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=3, observed_on=dt.date(2025, 9, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=5, observed_on=dt.date(2024, 9, 1)
    )
    client.force_login(director)

    data = client.get(
        f"/api/v1/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/packet/"
    ).json()

    section = data["competencies"][0]
    assert section["median"] == 2.5 and section["n"] == 2
    assert section["previous"] == "1.5"
    assert [a["went_well"] for a in section["assessments"]][-1] == "Calm lead"
    assert [(t["period"], t["value"], t["source"]) for t in section["trajectory"]] == [
        (earlier.name, 1.5, "consensus"),
        (period.name, 2.5, "ratings"),
    ]


def test_sign_off_tells_the_learner_once_with_a_link_to_the_review(setup, director, learner):
    _, leaves, _, _, review = setup
    for leaf in leaves:
        record(review, leaf, "2", director)

    services.review_sign_off(review=review, by=director)

    note = Notification.objects.get(recipient=learner, kind="review")
    assert note.url == f"/programs/reviews/{review.pk}/"
    assert "ready" in note.title
    with pytest.raises(ValidationError):  # a second sign-off is refused, so no second note
        services.review_sign_off(review=review, by=director)
    assert Notification.objects.filter(recipient=learner, kind="review").count() == 1


def test_the_packet_folds_settled_sections_and_links_each_to_its_neighbours(
    client, setup, director, learner
):
    program, leaves, period, _, review = setup
    record(review, leaves[0], "2", director)
    client.force_login(director)

    page = client.get(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")

    html = page.content.decode()
    settled, open_one = (
        html.split(f'id="c-{leaf.pk}"')[1].split("</section>")[0] for leaf in leaves
    )
    # A consensus and no flag: folded, its consensus in the fold's summary line.
    assert '<details class="section-body" data-section-body >' in settled
    assert "Consensus <strong" in settled
    # Still to discuss: open.
    assert '<details class="section-body" data-section-body open>' in open_one
    assert f'href="#c-{leaves[1].pk}" rel="next">Next: {leaves[1].code}' in settled
    assert f'href="#c-{leaves[0].pk}" rel="prev">Previous: {leaves[0].code}' in open_one
    # The printable packet opens every section.
    printed = client.get(
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/print/"
    ).content.decode()
    assert printed.count("data-section-body open>") == len(leaves)
