"""The CPD diary: activities and their credits, licensing cycles and what is still needed,
the transcript, and catalogue completions that land in the diary."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cpd.models import CpdActivity, CreditType
from cpd.selectors import cycle_totals
from cpd.services import cpd_activity_record, licensing_cycle_save
from cpd.tests.factories import CpdActivityFactory, LicensingCycleFactory, category_2
from learning.services import recommendation_evidence_create
from learning.tests.factories import LearningResourceFactory
from portfolio.tests.factories import EvidenceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]

TODAY = dt.date(2026, 6, 30)


def record(learner, **changes):
    values = {
        "learner": learner,
        "occurred_on": dt.date(2026, 3, 1),
        "title": "Sepsis update",
        "provider": "State society",
        "credit_type": "ama-pra-category-1",
        "hours": "2.5",
    }
    values.update(changes)
    return cpd_activity_record(**values)


def test_a_cycle_counts_credits_within_its_dates_by_type(learner):
    cycle = LicensingCycleFactory(
        learner=learner,
        start_date=dt.date(2025, 1, 1),
        length_months=24,
        credits_required=Decimal(50),
        category_1_required=Decimal(20),
    )
    record(learner, hours="3")
    record(learner, credit_type="ama-pra-category-2", hours="2.25")
    record(learner, occurred_on=dt.date(2024, 12, 31), hours="40")  # before the cycle
    CpdActivityFactory(learner=cycle.learner, occurred_on=dt.date(2027, 1, 1))  # after it
    CpdActivityFactory()  # someone else's

    totals = cycle_totals(cycle=cycle)

    assert cycle.end_date == dt.date(2027, 1, 1)
    assert totals.total == Decimal("5.25")
    assert totals.category_1 == Decimal(3)
    assert totals.still_needed == Decimal("44.75")
    assert totals.category_1_still_needed == Decimal(17)
    assert [(t.name, t.hours) for t in totals.by_type] == [
        ("AMA PRA Category 1 Credit", Decimal(3)),
        ("AMA PRA Category 2 Credit", Decimal("2.25")),
    ]


def test_a_configured_credit_type_counts_towards_the_total_only(learner):
    CreditType.objects.create(code="college-mainpro", name="College credits", order=30)
    cycle = LicensingCycleFactory(learner=learner, start_date=dt.date(2026, 1, 1))
    record(learner, credit_type="college-mainpro", hours="4")
    totals = cycle_totals(cycle=cycle)
    assert (totals.total, totals.category_1) == (Decimal(4), Decimal(0))


def test_an_activity_links_competencies_and_evidence_of_the_learner_only(
    learner, other_learner, leaves
):
    mine = EvidenceFactory(learner=learner, kind="certificate")
    theirs = EvidenceFactory(learner=other_learner)
    activity, _ = record(learner, competency_ids=[leaves[0].pk], evidence_ids=[mine.pk])
    assert list(activity.competencies.all()) == [leaves[0]]
    assert list(activity.evidence.all()) == [mine]

    with pytest.raises(ValidationError) as caught:
        record(learner, evidence_ids=[theirs.pk], title="Other")
    assert "evidence" in caught.value.message_dict
    assert CpdActivity.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hours": "0"}, "hours"),
        ({"hours": "-1"}, "hours"),
        ({"hours": "1.234"}, "hours"),
        ({"hours": "NaN"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": "100000"}, "hours"),
        ({"occurred_on": TODAY + dt.timedelta(days=1)}, "occurred_on"),
        ({"credit_type": "made-up"}, "credit_type"),
        ({"title": "   "}, "title"),
        ({"competency_ids": [999999]}, "competencies"),
    ],
)
def test_bad_activities_are_refused_and_nothing_is_written(learner, changes, field):
    with pytest.raises(ValidationError) as caught:
        record(learner, **changes)
    assert field in caught.value.message_dict
    assert not CpdActivity.objects.exists()


def test_a_double_submit_records_one_activity(learner):
    token = uuid.uuid4()
    first, created = record(learner, client_token=token)
    again, created_again = record(learner, client_token=token)
    assert created and not created_again and again.pk == first.pk


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credits_required": "0"}, "credits_required"),
        ({"category_1_required": "60"}, "category_1_required"),
        ({"category_1_required": "-1"}, "category_1_required"),
        ({"length_months": 0}, "length_months"),
        ({"length_months": 121}, "length_months"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_cycles_are_refused(learner, changes, field):
    values = {
        "learner": learner,
        "name": "State licence",
        "start_date": dt.date(2026, 1, 1),
        "length_months": 24,
        "credits_required": "50",
        "category_1_required": "20",
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        licensing_cycle_save(**values)
    assert field in caught.value.message_dict


def test_a_completed_catalogue_item_with_credit_lands_in_the_diary_once(learner, leaves):
    resource = LearningResourceFactory(competencies=[leaves[0]], cme_credit=Decimal("1.25"))
    evidence = recommendation_evidence_create(learner=learner, resource=resource)
    again = recommendation_evidence_create(learner=learner, resource=resource)

    activity = CpdActivity.objects.get(learner=learner)
    assert again.pk == evidence.pk
    assert activity.hours == Decimal("1.25")
    assert activity.credit_type.code == "ama-pra-category-1"
    assert activity.source == f"learning:{resource.key}"
    assert list(activity.evidence.all()) == [evidence]
    assert list(activity.competencies.all()) == [leaves[0]]


def test_a_catalogue_item_without_credit_stays_out_of_the_diary(learner):
    recommendation_evidence_create(learner=learner, resource=LearningResourceFactory())
    assert not CpdActivity.objects.exists()


def test_the_transcript_lists_a_cycles_activities_as_csv_and_printable_page(client, learner):
    cycle = LicensingCycleFactory(learner=learner, start_date=dt.date(2026, 1, 1))
    record(learner, title="=SUM(A1)", occurred_on=dt.date(2026, 2, 1))
    record(learner, title="Before", occurred_on=dt.date(2025, 2, 1))
    client.force_login(learner)

    text = client.get(f"{reverse('cpd-transcript-csv')}?cycle={cycle.pk}").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["Date", "Title", "Provider", "Credit type", "Credits (hours)"]
    assert rows[1][:5] == [
        "2026-02-01",
        "'=SUM(A1)",
        "State society",
        "AMA PRA Category 1 Credit",
        "2.50",
    ]
    assert len(rows) == 2
    everything = client.get(reverse("cpd-transcript-csv")).content.decode()
    assert len(list(csv.reader(io.StringIO(everything)))) == 3

    page = client.get(f"{reverse('cpd-transcript')}?cycle={cycle.pk}").content.decode()
    assert "=SUM(A1)" in page and "Before" not in page
    assert "Still needed" in page
    assert client.get(f"{reverse('cpd-transcript')}?cycle=abc").status_code == 404


def test_the_diary_page_shows_totals_and_what_is_still_needed(client, learner):
    LicensingCycleFactory(
        learner=learner,
        start_date=dt.date(2026, 1, 1),
        credits_required=Decimal(50),
        category_1_required=Decimal(20),
    )
    record(learner, hours="12")
    record(learner, hours="3", credit_type="ama-pra-category-2")
    client.force_login(learner)
    html = client.get(reverse("cpd-diary")).content.decode()
    assert "15 of 50 credits" in html
    assert "<dd data-still-needed>35</dd>" in html
    assert "<dd data-category-1-still-needed>8</dd>" in html


def test_logging_an_activity_through_the_page_twice_keeps_one(client, learner, leaves):
    client.force_login(learner)
    form = client.get(reverse("cpd-activity-create")).context["form"]
    data = {
        "client_token": str(form.initial["client_token"]),
        "occurred_on": "2026-06-01",
        "title": "Ultrasound course",
        "provider": "",
        "credit_type": "ama-pra-category-1",
        "hours": "6",
        "competencies": [leaves[0].pk],
    }
    assert client.post(reverse("cpd-activity-create"), data).status_code == 302
    assert client.post(reverse("cpd-activity-create"), data).status_code == 302
    assert CpdActivity.objects.filter(learner=learner).count() == 1
    bad = client.post(reverse("cpd-activity-create"), {**data, "client_token": "", "hours": "0"})
    assert bad.status_code == 400


def test_the_api_logs_lists_and_sums(client, learner):
    client.force_login(learner)
    body = {
        "occurred_on": "2026-05-01",
        "title": "Journal club",
        "credit_type": "ama-pra-category-2",
        "hours": "1.00",
        "client_token": str(uuid.uuid4()),
    }
    created = client.post("/api/v1/cpd/activities/", body, content_type="application/json")
    assert created.status_code == 201
    again = client.post("/api/v1/cpd/activities/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert client.get("/api/v1/cpd/summary/").status_code == 404
    cycle = client.post(
        "/api/v1/cpd/cycles/",
        {
            "name": "Board",
            "start_date": "2026-01-01",
            "length_months": 36,
            "credits_required": "100",
            "category_1_required": "40",
        },
        content_type="application/json",
    )
    assert cycle.status_code == 201
    summary = client.get("/api/v1/cpd/summary/").json()
    assert summary["earned"] == "1.00"
    assert summary["still_needed"] == "99.00"
    assert summary["category_1_still_needed"] == "40.00"
    assert summary["cycle"]["end_date"] == "2029-01-01"
    listed = client.get("/api/v1/cpd/activities/").json()
    assert [a["title"] for a in listed["results"]] == ["Journal club"]


@pytest.mark.parametrize(
    "body",
    [
        {"hours": "0"},
        {"hours": "abc"},
        {"credit_type": "nope"},
        {"occurred_on": "2099-01-01"},
        {"occurred_on": "not a date"},
        {"competencies": ["x"]},
        {"evidence": [999999]},
        {"client_token": "not-a-uuid"},
        {"title": ""},
    ],
)
def test_the_api_answers_bad_activities_with_400(client, learner, body):
    client.force_login(learner)
    payload = {
        "occurred_on": "2026-05-01",
        "title": "Journal club",
        "credit_type": "ama-pra-category-2",
        "hours": "1",
        **body,
    }
    response = client.post("/api/v1/cpd/activities/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not CpdActivity.objects.exists()


def test_the_api_answers_bad_cycles_with_400(client, learner):
    client.force_login(learner)
    for body in (
        {
            "name": "B",
            "start_date": "2026-01-01",
            "length_months": 12,
            "credits_required": "5",
            "category_1_required": "6",
        },
        {"name": "B", "start_date": "x", "length_months": 12, "credits_required": "5"},
        {"name": "B", "start_date": "2026-01-01", "length_months": 0, "credits_required": "5"},
    ):
        response = client.post("/api/v1/cpd/cycles/", body, content_type="application/json")
        assert response.status_code == 400, body
        assert "detail" in response.json()


def _fill(learner, size):
    CpdActivityFactory.create_batch(size, learner=learner, credit_type=category_2())
    for activity in CpdActivity.objects.filter(learner=learner):
        activity.evidence.add(EvidenceFactory(learner=learner))


@pytest.mark.parametrize("size", [3, 30])
def test_the_diary_page_runs_a_fixed_number_of_queries(
    client, learner, size, django_assert_num_queries
):
    LicensingCycleFactory(learner=learner, start_date=dt.date(2026, 1, 1))
    _fill(learner, size)
    client.force_login(learner)
    # 1 session, 2 user, 3 cycles (the current one), 4 the cycle's totals by type, 5 count,
    # 6 the page of activities with credit types, 7 their competencies, 8 their evidence,
    # 9 the person's roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(10):
        assert client.get(reverse("cpd-diary")).status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_the_activity_api_runs_a_fixed_number_of_queries(
    client, learner, size, django_assert_num_queries
):
    _fill(learner, size)
    client.force_login(learner)
    # 1 session, 2 user, 3 the page of activities with credit types, 4 their competencies,
    # 5 their evidence
    with django_assert_num_queries(5):
        assert client.get("/api/v1/cpd/activities/").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_the_cycle_list_pages_run_a_fixed_number_of_queries(
    client, learner, size, django_assert_num_queries
):
    for n in range(size):
        LicensingCycleFactory(learner=learner, start_date=dt.date(2000 + n, 1, 1))
    CpdActivityFactory.create_batch(size, learner=learner, occurred_on=dt.date(2001, 3, 1))
    client.force_login(learner)
    # 1 session, 2 user, 3 the page of cycles, 4 every cycle's totals by credit type
    with django_assert_num_queries(4):
        assert client.get("/api/v1/cpd/cycles/").status_code == 200
    # 1 session, 2 user, 3 cycles, 4 their totals, 5 the person's roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("cpd-cycles")).status_code == 200


def test_an_admin_adds_a_credit_type_that_the_diary_then_offers(client, admin_user, learner):
    client.force_login(admin_user)
    response = client.post(
        "/admin/cpd/credittype/add/",
        {
            "name": "Royal College MOC Section 3",
            "code": "moc-section-3",
            "order": 30,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    client.force_login(learner)
    form = client.get(reverse("cpd-activity-create")).content.decode()
    assert "Royal College MOC Section 3" in form
