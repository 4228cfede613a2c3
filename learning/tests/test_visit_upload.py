"""Uploading FHIR R4 bundles of upcoming visits: what is kept, what is reported, what never is."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.apps import apps
from django.utils import timezone

from learning.fhir import BundleError
from learning.models import ICD10CM, SNOMED, PractitionerLink, UpcomingVisit
from learning.services import visits_upload
from learning.tests.factories import bundle_of, fhir_json, fhir_text

pytestmark = pytest.mark.django_db

PATIENT_DETAILS = [
    "Quartermaine",
    "Zebulon",
    "Ignatius",
    "00-4417-93",
    "555-0142",
    "Larkspur",
    "1961-03-14",
    "pat-9",
]


def upload(learner, content, **kwargs):
    kwargs.setdefault("practitioner_id", "pr-learner")
    return visits_upload(learner=learner, content=content, **kwargs)


def outcomes(report):
    return {(e.resource_type, e.resource_id): e.outcome for e in report.entries}


def test_the_example_bundle_keeps_my_booked_and_planned_visits_only(learner):
    report = upload(learner, fhir_text("bundle.json"))

    assert outcomes(report) == {
        ("Patient", ""): "dropped",
        ("Practitioner", "pr-learner"): "used",
        ("Organization", ""): "ignored",
        ("Condition", "cond-51"): "used",
        ("Appointment", "appt-2001"): "created",
        ("Appointment", "appt-2002"): "created",
        ("Appointment", "appt-2003"): "skipped",
        ("Appointment", "appt-2004"): "skipped",
        ("Encounter", "enc-3107"): "created",
    }
    reasons = {e.resource_id: e.reason for e in report.entries}
    assert "Practitioner/pr-learner (you) is not a participant" in reasons["appt-2003"]
    assert "status 'cancelled' is not an upcoming visit" in reasons["appt-2004"]
    visits = {v.resource_id: v for v in UpcomingVisit.objects.filter(learner=learner)}
    assert set(visits) == {"appt-2001", "appt-2002", "enc-3107"}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert all(v.visit_date == tomorrow for v in visits.values())
    assert visits["appt-2001"].reasons == [
        {
            "system": ICD10CM,
            "code": "E11.65",
            "display": "Type 2 diabetes mellitus with hyperglycemia",
        }
    ]
    assert visits["appt-2001"].reason_text == "Type 2 diabetes with high sugars"
    # reasonReference resolved to the Condition in the same bundle.
    assert visits["appt-2002"].reasons == [
        {
            "system": SNOMED,
            "code": "38341003",
            "display": "Hypertensive disorder, systemic arterial",
        }
    ]
    assert visits["appt-2002"].reason_text == "High blood pressure"
    assert visits["enc-3107"].reasons[0]["code"] == "49436004"
    assert visits["enc-3107"].starts_at == dt.datetime.combine(
        tomorrow, dt.time(10, 30), tzinfo=dt.UTC
    )
    assert report.kept == 3


def test_single_appointment_and_encounter_fixtures_parse_in_a_bundle(learner):
    report = upload(learner, bundle_of(fhir_json("appointment.json"), fhir_json("encounter.json")))

    assert [e.outcome for e in report.entries] == ["created", "created"]


def test_posting_the_same_bundle_twice_creates_no_duplicates(learner):
    upload(learner, fhir_text("bundle.json"))
    again = upload(learner, fhir_text("bundle.json"))

    assert UpcomingVisit.objects.filter(learner=learner).count() == 3
    assert again.counts["created"] == 0
    assert again.counts["unchanged"] == 3


def test_a_cancelled_appointment_on_re_upload_updates_the_visit_and_drops_it(learner):
    upload(learner, fhir_text("bundle.json"))
    bundle = fhir_json("bundle.json")
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "appt-2001":
            entry["resource"]["status"] = "cancelled"

    report = upload(learner, bundle)

    assert outcomes(report)[("Appointment", "appt-2001")] == "updated"
    assert UpcomingVisit.objects.get(resource_id="appt-2001").status == "cancelled"
    assert not UpcomingVisit.objects.active().filter(resource_id="appt-2001").exists()


def test_another_learner_uploading_the_same_ids_gets_their_own_visits(learner, other_learner):
    upload(learner, fhir_text("bundle.json"))
    upload(other_learner, fhir_text("bundle.json"))

    assert UpcomingVisit.objects.filter(learner=other_learner).count() == 3


def test_nothing_that_identifies_the_patient_is_stored_anywhere(learner, django_db_blocker):
    appointment = fhir_json("appointment.json")
    appointment["reasonCode"][0]["text"] = "Sugars review for Zebulon"
    bundle = fhir_json("bundle.json")
    bundle["entry"].append({"fullUrl": "urn:uuid:x", "resource": appointment | {"id": "appt-2009"}})
    report = upload(learner, bundle)
    assert report.kept == 4

    stored = []
    for model in apps.get_models():
        stored.extend(json.dumps(list(model.objects.values()), default=str) for _ in [0])
    everything = "\n".join(stored)
    assert "Type 2 diabetes mellitus with hyperglycemia" in everything  # the search works
    for detail in PATIENT_DETAILS:
        assert detail not in everything, detail
    # The report does not echo patient details either.
    assert not any(d in json.dumps([vars(e) for e in report.entries]) for d in PATIENT_DETAILS)
    warnings = {e.resource_id: e.warnings for e in report.entries}
    assert (
        "reason text dropped: it mentions a patient's name or identifier" in warnings["appt-2009"]
    )


def test_text_that_is_not_json_is_refused_with_where_it_broke(learner):
    with pytest.raises(BundleError) as caught:
        upload(learner, b'{"resourceType": "Bundle", "entry": [}')
    assert caught.value.status == 400
    assert "not valid JSON" in caught.value.detail
    assert "line 1" in caught.value.detail


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"resourceType": "Patient", "id": "x"}, "Expected resourceType 'Bundle', got 'Patient'"),
        ([1, 2], "Expected a FHIR Bundle"),
        (
            {"resourceType": "Bundle", "type": "collection", "entry": {}},
            "Bundle.entry must be a list",
        ),
        ({"resourceType": "Bundle", "entry": []}, "type: Value for the field 'type' is required"),
    ],
)
def test_a_document_that_is_not_a_bundle_is_refused(learner, document, message):
    with pytest.raises(BundleError) as caught:
        upload(learner, json.dumps(document))
    assert message in caught.value.detail
    assert UpcomingVisit.objects.count() == 0


def test_entries_missing_required_fields_are_listed_and_the_rest_kept(learner):
    no_participant = fhir_json("appointment.json") | {"id": "appt-np"}
    del no_participant["participant"]
    no_class = fhir_json("encounter.json") | {"id": "enc-nc"}
    del no_class["class"]
    no_start = fhir_json("appointment.json") | {"id": "appt-ns"}
    del no_start["start"]
    bad_status = fhir_json("appointment.json") | {"id": "appt-bs", "status": "sometime"}

    report = upload(
        learner,
        bundle_of(
            no_participant,
            no_class,
            no_start,
            bad_status,
            fhir_json("appointment.json"),
            {"resourceType": "Appointment"},
        ),
    )

    by_id = {e.index: e for e in report.entries}
    assert by_id[0].outcome == "invalid"
    assert by_id[0].reason == "participant: required field is missing"
    assert by_id[1].reason == "class: required field is missing"
    # No participant matched because the Practitioner is there; the date is what is missing.
    assert by_id[2].reason == "no date: Appointment.start is missing"
    assert by_id[3].reason == "status 'sometime' is not a FHIR R4 Appointment status"
    assert by_id[4].outcome == "created"
    assert by_id[5].outcome == "invalid"
    assert list(UpcomingVisit.objects.values_list("resource_id", flat=True)) == ["appt-2001"]


def test_a_condition_missing_its_subject_is_invalid_and_its_reference_a_warning(learner):
    condition = fhir_json("condition.json")
    del condition["subject"]
    appointment = fhir_json("appointment.json")
    appointment["reasonReference"] = [{"reference": "Condition/cond-51"}]

    report = upload(learner, bundle_of(condition, appointment))

    assert report.entries[0].outcome == "invalid"
    assert report.entries[0].reason == "subject: required field is missing"
    assert report.entries[1].outcome == "created"
    assert (
        "reasonReference 'Condition/cond-51' is not a valid Condition in this bundle"
        in report.entries[1].warnings
    )


def test_r5_shaped_resources_are_named_as_r5(learner):
    encounter_r5 = fhir_json("encounter.json") | {
        "id": "enc-r5",
        "class": [{"coding": [{"code": "AMB"}]}],
    }
    report = upload(learner, bundle_of(fhir_json("appointment_r5.json"), encounter_r5))

    assert [e.outcome for e in report.entries] == ["invalid", "invalid"]
    assert report.entries[0].reason.startswith("looks like FHIR R5 (class, reason, subject")
    assert "class (as a list)" in report.entries[1].reason


def test_unknown_code_systems_are_warned_about_and_never_stored(learner):
    loinc_only = fhir_json("appointment.json") | {
        "id": "appt-loinc",
        "reasonCode": [
            {
                "coding": [
                    {"system": "http://loinc.org", "code": "4548-4", "display": "Hemoglobin A1c"}
                ]
            }
        ],
    }
    nothing_usable = fhir_json("appointment.json") | {
        "id": "appt-none",
        "reasonCode": [{"coding": [{"system": "urn:oid:9.9.9", "code": "X1"}]}],
    }
    mixed = fhir_json("appointment.json") | {
        "id": "appt-mixed",
        "reasonCode": [
            {
                "coding": [
                    {"system": "http://snomed.info/sct", "code": "44054006"},
                    {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "not a code"},
                    {"system": "http://www.whocc.no/atc", "code": "A10BA02"},
                ]
            }
        ],
    }

    report = upload(learner, bundle_of(loinc_only, nothing_usable, mixed))

    loinc, none, mix = report.entries
    assert loinc.outcome == "created"
    assert loinc.warnings == [
        "code system 'http://loinc.org' is not used (only SNOMED CT and ICD-10-CM)"
    ]
    assert none.outcome == "skipped"
    assert none.reason == "no reason in SNOMED CT or ICD-10-CM and no reason text to match on"
    assert mix.outcome == "created"
    assert len(mix.warnings) == 2
    stored = UpcomingVisit.objects.get(resource_id="appt-loinc")
    assert stored.reasons == [] and stored.reason_text == "Hemoglobin A1c"
    assert UpcomingVisit.objects.get(resource_id="appt-mixed").reasons == [
        {"system": SNOMED, "code": "44054006", "display": ""}
    ]


def test_visits_in_the_past_and_duplicate_ids_in_one_bundle_are_reported(learner):
    past = copy.deepcopy(fhir_json("appointment.json"))
    past["id"] = "appt-past"
    past["start"] = (timezone.localdate() - dt.timedelta(days=2)).isoformat() + "T09:00:00Z"

    report = upload(
        learner, bundle_of(past, fhir_json("appointment.json"), fhir_json("appointment.json"))
    )

    assert report.entries[0].outcome == "skipped"
    assert "is in the past" in report.entries[0].reason
    assert report.entries[1].outcome == "created"
    assert report.entries[2].outcome == "invalid"
    assert report.entries[2].reason == "same id as entry 1"


def test_an_encounter_with_a_date_only_start_keeps_the_day(learner):
    day = timezone.localdate() + dt.timedelta(days=3)
    encounter = fhir_json("encounter.json") | {"period": {"start": day.isoformat()}}

    upload(learner, bundle_of(encounter))

    visit = UpcomingVisit.objects.get()
    assert visit.visit_date == day and visit.starts_at is None


def test_entries_without_a_resource_are_listed(learner):
    report = upload(
        learner,
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": "urn:uuid:1"}, "text"],
        },
    )

    assert [(e.outcome, e.reason) for e in report.entries] == [
        ("invalid", "entry has no resource object")
    ] * 2


def test_upload_without_a_practitioner_id_is_refused_until_one_is_set(learner):
    with pytest.raises(BundleError) as caught:
        visits_upload(learner=learner, content=fhir_text("bundle.json"))
    assert "Practitioner id" in caught.value.detail

    upload(learner, fhir_text("bundle.json"), practitioner_id="pr-learner")
    assert (
        PractitionerLink.objects.get(learner=learner, source=None).practitioner_id == "pr-learner"
    )
    report = visits_upload(learner=learner, content=fhir_text("bundle.json"))
    assert report.counts["unchanged"] == 3


def _many_appointments(count):
    start = (timezone.localdate() + dt.timedelta(days=1)).isoformat() + "T09:00:00Z"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Appointment",
                    "id": f"bulk-{n}",
                    "status": "booked",
                    "start": start,
                    "reasonCode": [
                        {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}
                    ],
                    "participant": [
                        {"actor": {"reference": "Practitioner/pr-learner"}, "status": "accepted"}
                    ],
                }
            }
            for n in range(count)
        ],
    }


def test_ten_thousand_entries_are_stored_in_a_bounded_number_of_queries(
    learner, django_assert_max_num_queries
):
    bundle = _many_appointments(10_000)
    # No query per entry: link upsert, 5 lookups of 2,000 ids, and inserts in batches (1,000 rows
    # on PostgreSQL; SQLite's 999-parameter limit makes its batches ~90 rows: ~111 inserts).
    with django_assert_max_num_queries(130):
        report = upload(learner, bundle)
    assert report.counts["created"] == 10_000
    assert UpcomingVisit.objects.filter(learner=learner).count() == 10_000


def test_more_than_ten_thousand_entries_are_refused_as_too_large(learner):
    with pytest.raises(BundleError) as caught:
        upload(learner, _many_appointments(10_001))
    assert caught.value.status == 413
    assert UpcomingVisit.objects.count() == 0


def test_json_nested_too_deeply_is_a_400_not_a_crash(learner):
    with pytest.raises(BundleError) as caught:
        upload(learner, "[" * 100_000 + "]" * 100_000)
    assert caught.value.status == 400
