"""The procedure and case log: logging, refusing patient identifiers, verifying, totals
against minimums, the CSV export and the program's procedure list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from caselog import services
from caselog.export import COLUMNS
from caselog.models import CaseLogEntry, CaseLogSettings, Procedure
from caselog.tests.factories import CaseLogEntryFactory, ProcedureFactory
from portfolio.models import AccessLog
from privacy.services import account_erase

pytestmark = pytest.mark.django_db


@pytest.fixture
def procedure(program):
    return ProcedureFactory(program=program, code="CVC", name="Central line", minimum=2)


def _payload(procedure, supervisor, **changes):
    values = {
        "procedure": procedure.pk,
        "performed_on": "2026-03-02",
        "role": "performed",
        "supervisor": supervisor.pk,
        "age_band": "adult",
        "sex": "female",
        "site": "General hospital ICU",
        "notes": "Ultrasound guided, first pass.",
    }
    values.update(changes)
    return values


def _record(learner, procedure, supervisor, **changes):
    values = {
        "learner": learner,
        "procedure_id": procedure.pk,
        "performed_on": dt.date(2026, 3, 2),
        "role": "performed",
        "supervisor_id": supervisor.pk,
        "age_band": "adult",
        "sex": "female",
    }
    values.update(changes)
    return services.caselog_entry_record(**values)


# --- Logging ------------------------------------------------------------------------------


def test_a_learner_logs_a_case_on_the_page(client, learner, assessor, procedure):
    client.force_login(learner)
    page = client.get("/case-log/new/")
    assert page.status_code == 200
    assert "CVC · Central line" in page.content.decode()

    response = client.post("/case-log/new/", _payload(procedure, assessor))

    assert response.status_code == 302
    entry = CaseLogEntry.objects.get(learner=learner)
    assert (entry.procedure, entry.supervisor, entry.role) == (procedure, assessor, "performed")
    assert entry.verified_at is None


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("notes", "DOB 12/03/1987, stable"),
        ("notes", "born 1987-03-12"),
        ("site", "Ward 4, pt 3 March 1987"),
        ("notes", "Patient of Jan 5, 1990"),
        ("notes", "MRN 00123"),
        ("site", "Bed 12 chart 4419 2031"),
    ],
)
def test_a_field_that_looks_like_a_patient_identifier_is_refused_by_name(
    client, learner, assessor, procedure, field, text
):
    client.force_login(learner)

    response = client.post(
        "/api/v1/case-log/entries/", _payload(procedure, assessor, **{field: text})
    )

    assert response.status_code == 400
    assert field in response.json()
    assert "patient identifiers" in response.json()[field][0]
    assert not CaseLogEntry.objects.exists()


def test_the_page_names_the_field_holding_an_identifier_and_writes_nothing(
    client, learner, assessor, procedure
):
    client.force_login(learner)

    response = client.post(
        "/case-log/new/", _payload(procedure, assessor, notes="date of birth 01.02.1990")
    )

    assert response.status_code == 400
    assert "could be a date of birth" in response.content.decode()
    assert not CaseLogEntry.objects.exists()


def test_a_month_and_year_and_short_numbers_are_not_identifiers(learner, assessor, procedure):
    entry, created = _record(
        learner, procedure, assessor, notes="Second attempt since March 2026; 3 lumens, 15 cm."
    )
    assert created and entry.notes.startswith("Second attempt")


def test_an_institution_sets_its_own_record_number_pattern(learner, assessor, procedure):
    CaseLogSettings.objects.create(
        institution=procedure.program.institution, mrn_pattern=r"\bNB-\d{4}\b"
    )
    with pytest.raises(ValidationError) as refused:
        _record(learner, procedure, assessor, site="NB-1234")
    assert "medical record number" in refused.value.message_dict["site"][0]
    # The default's long digit runs are the institution's to allow.
    entry, _ = _record(learner, procedure, assessor, notes="Tray 1234567")
    assert entry.pk


def test_a_procedure_of_another_program_and_a_supervisor_from_outside_are_refused(
    learner, assessor, other_director, other_program
):
    foreign = ProcedureFactory(program=other_program)
    with pytest.raises(ValidationError) as refused:
        _record(learner, foreign, assessor)
    assert "procedure" in refused.value.message_dict
    own = ProcedureFactory(program=learner.enrollments.get().program)
    with pytest.raises(ValidationError) as refused:
        _record(learner, own, other_director)
    assert "supervisor" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _record(learner, own, learner)
    assert "supervisor" in refused.value.message_dict
    assert not CaseLogEntry.objects.exists()


def test_a_case_in_the_future_and_a_retired_procedure_are_refused(learner, assessor, procedure):
    with pytest.raises(ValidationError) as refused:
        _record(learner, procedure, assessor, performed_on=dt.date.today() + dt.timedelta(days=3))
    assert "performed_on" in refused.value.message_dict
    procedure.is_active = False
    procedure.save()
    with pytest.raises(ValidationError) as refused:
        _record(learner, procedure, assessor)
    assert "procedure" in refused.value.message_dict


def test_a_double_submit_logs_one_case(client, learner, assessor, procedure):
    client.force_login(learner)
    token = str(uuid.uuid4())
    first = client.post(
        "/api/v1/case-log/entries/", _payload(procedure, assessor, client_token=token)
    )
    again = client.post(
        "/api/v1/case-log/entries/", _payload(procedure, assessor, client_token=token)
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert CaseLogEntry.objects.count() == 1


# --- Verifying ----------------------------------------------------------------------------


def test_the_supervisor_verifies_in_one_tap_and_the_read_is_in_the_access_log(
    client, learner, assessor, procedure
):
    entry, _ = _record(learner, procedure, assessor)
    client.force_login(assessor)

    page = client.get("/case-log/verify/")
    assert "Central line" in page.content.decode()
    assert AccessLog.objects.filter(learner=learner, viewer=assessor, item_id=entry.pk).exists()

    assert client.post(f"/case-log/{entry.pk}/verify/").status_code == 302
    entry.refresh_from_db()
    assert entry.verified_by == assessor and entry.verified_at is not None
    first_time = entry.verified_at

    again = client.post(f"/api/v1/case-log/entries/{entry.pk}/verify/")
    assert again.status_code == 200 and again.json()["verified"] is True
    entry.refresh_from_db()
    assert entry.verified_at == first_time
    assert "Nothing waits" in client.get("/case-log/verify/").content.decode()


def test_nobody_but_the_named_supervisor_verifies(client, learner, assessor, director, procedure):
    entry, _ = _record(learner, procedure, assessor)
    for person in (learner, director):
        client.force_login(person)
        assert client.post(f"/case-log/{entry.pk}/verify/").status_code == 404
        assert client.post(f"/api/v1/case-log/entries/{entry.pk}/verify/").status_code == 404
    entry.refresh_from_db()
    assert entry.verified_at is None


def test_a_verified_entry_is_no_longer_the_learners_to_delete(client, learner, assessor, procedure):
    kept, _ = _record(learner, procedure, assessor)
    services.caselog_entry_verify(entry=kept, by=assessor)
    draft, _ = _record(learner, procedure, assessor, role="observed")
    client.force_login(learner)

    assert client.delete(f"/api/v1/case-log/entries/{kept.pk}/").status_code == 409
    assert client.post(f"/case-log/{draft.pk}/delete/").status_code == 302
    assert list(CaseLogEntry.objects.all()) == [kept]


# --- Totals and export ----------------------------------------------------------------------


def test_totals_count_verified_cases_performed_or_supervised_against_the_minimum(
    client, learner, assessor, procedure
):
    other = ProcedureFactory(program=procedure.program, code="ART", name="Arterial line", minimum=0)
    for role, verified in [
        ("performed", True),
        ("supervised", True),
        ("observed", True),
        ("performed", False),
    ]:
        entry, _ = _record(learner, procedure, assessor, role=role)
        if verified:
            services.caselog_entry_verify(entry=entry, by=assessor)
    client.force_login(learner)

    totals = {t["code"]: t for t in client.get("/api/v1/case-log/totals/").json()}

    assert totals["CVC"] == {
        "procedure_id": procedure.pk,
        "code": "CVC",
        "name": "Central line",
        "program": procedure.program.name,
        "minimum": 2,
        "logged": 4,
        "verified": 3,
        "counted": 2,
        "still_needed": 0,
        "met": True,
    }
    assert totals["ART"]["logged"] == 0 and totals["ART"]["met"] is True
    assert other.pk == totals["ART"]["procedure_id"]
    page = client.get("/case-log/").content.decode()
    assert 'data-still-needed="CVC">met<' in page


def test_the_export_has_the_documented_columns_and_no_patient_identifier(
    client, learner, assessor, procedure
):
    entry, _ = _record(learner, procedure, assessor, role="assisted", site="Ward 7")
    services.caselog_entry_verify(entry=entry, by=assessor)
    client.force_login(learner)

    response = client.get("/case-log/export.csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv"
    assert list(rows[0]) == COLUMNS
    assert rows[0]["procedure_code"] == "CVC"
    assert rows[0]["role"] == "assisted"
    assert rows[0]["patient_age_band"] == "adult" and rows[0]["patient_sex"] == "female"
    assert rows[0]["verified"] == "yes" and rows[0]["supervisor_email"] == assessor.email


def test_nobody_else_reads_a_learners_entries(client, learner, other_learner, assessor, procedure):
    entry, _ = _record(learner, procedure, assessor)
    client.force_login(other_learner)
    assert client.get(f"/api/v1/case-log/entries/{entry.pk}/").status_code == 404
    assert client.get("/api/v1/case-log/entries/").json()["results"] == []
    assert client.post(f"/case-log/{entry.pk}/delete/").status_code == 404


# --- The procedure list ---------------------------------------------------------------------


def test_a_director_adds_and_changes_a_procedure_by_its_code(client, director, program):
    client.force_login(director)
    created = client.post(
        f"/programs/{program.pk}/procedures/",
        {
            "action": "save",
            "code": "LP",
            "name": "Lumbar puncture",
            "minimum": "3",
            "is_active": "on",
        },
    )
    changed = client.post(
        f"/api/v1/programs/{program.pk}/procedures/",
        {"code": "LP", "name": "Lumbar puncture (adult)", "minimum": 5},
        content_type="application/json",
    )
    assert created.status_code == 302 and changed.status_code == 200
    procedure = Procedure.objects.get(program=program)
    assert (procedure.name, procedure.minimum) == ("Lumbar puncture (adult)", 5)
    assert AuditEvent.objects.filter(action="procedure.update", actor=director).exists()


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("procedures.csv", text.encode(), content_type="text/csv")


def test_the_import_names_each_bad_line_and_writes_nothing(client, director, program):
    ProcedureFactory(program=program, code="LP", name="Lumbar puncture", minimum=3)
    client.force_login(director)
    text = (
        "code,name,minimum\nLP,Lumbar puncture,4\nCVC,Central line,many\n,No code,1\nLP,Again,2\n"
    )

    response = client.post(
        f"/api/v1/programs/{program.pk}/procedures/import/", {"file": _csv(text)}
    )

    assert response.status_code == 400
    problems = {(e["line"], e["column"]) for e in response.json()["errors"]}
    assert problems == {(3, "minimum"), (4, "code"), (5, "code")}
    assert list(Procedure.objects.values_list("code", "minimum")) == [("LP", 3)]
    page = client.post(
        f"/programs/{program.pk}/procedures/", {"action": "import", "file": _csv(text)}
    )
    assert page.status_code == 400
    assert "line 3, column &#x27;minimum&#x27;" in page.content.decode()


def test_the_import_adds_and_changes_in_one_go(client, director, program):
    ProcedureFactory(program=program, code="LP", name="Lumbar puncture", minimum=3)
    client.force_login(director)
    text = (
        "code,name,minimum,active\nLP,Lumbar puncture,6,yes\nCVC,Central line,10,\nOLD,Old,0,no\n"
    )

    response = client.post(
        f"/api/v1/programs/{program.pk}/procedures/import/", {"file": _csv(text)}
    )

    assert response.status_code == 201
    assert response.json() == {"added": 2, "changed": 1}
    assert set(Procedure.objects.values_list("code", "minimum", "is_active")) == {
        ("LP", 6, True),
        ("CVC", 10, True),
        ("OLD", 0, False),
    }


def test_an_unreadable_or_unknown_file_is_refused_with_its_line(client, director, program):
    client.force_login(director)
    bad = [
        (b"code,name\nLP,\xff\n", 2),
        (b"code,label\nLP,x\n", 1),
        (b"", 1),
    ]
    for data, line in bad:
        upload = SimpleUploadedFile("p.csv", data, content_type="text/csv")
        response = client.post(
            f"/api/v1/programs/{program.pk}/procedures/import/", {"file": upload}
        )
        assert response.status_code == 400, data
        assert response.json()["errors"][0]["line"] == line
    assert not Procedure.objects.exists()


# --- Erasure ------------------------------------------------------------------------------


def test_erasure_takes_the_learners_log_and_keeps_the_cases_they_verified(
    learner, assessor, procedure
):
    entry, _ = _record(learner, procedure, assessor)
    services.caselog_entry_verify(entry=entry, by=assessor)
    supervised = CaseLogEntryFactory(supervisor=learner, learner=assessor, procedure=procedure)

    account_erase(user=learner)

    assert not CaseLogEntry.objects.filter(pk=entry.pk).exists()
    supervised.refresh_from_db()
    assert supervised.supervisor_id == learner.pk  # the anonymised stub
