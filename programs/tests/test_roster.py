import datetime as dt
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import User
from programs.models import Enrollment
from programs.services import RosterImportError, roster_import
from tests.factories import CohortFactory, EnrollmentFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,name,training_year,start_date,cohort\n"


@pytest.fixture
def residency():
    program = ProgramFactory(duration_years=3)
    CohortFactory(program=program, name="Class of 2028", start_year=2025)
    return program


def errors_of(program, text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(RosterImportError) as caught:
        roster_import(program=program, data=data)
    return [(e.line, e.column) for e in caught.value.errors]


def test_roster_enrols_new_people_and_updates_open_enrollments(residency):
    existing = UserFactory(email="kept@example.org")
    EnrollmentFactory(learner=existing, program=residency, training_year=1)
    data = (
        HEADER
        + "new.one@example.org,New One,1,2025-07-01,Class of 2028\n"
        + "KEPT@example.org,,2,2024-07-01,class of 2028\n"
    ).encode()

    result = roster_import(program=residency, data=data)

    assert (result.rows, result.enrollments_created, result.enrollments_updated) == (2, 1, 1)
    assert result.accounts_created == 1
    new = User.objects.get(email="new.one@example.org")
    assert new.display_name == "New One" and not new.has_usable_password()
    kept = Enrollment.objects.get(learner=existing, program=residency)
    assert kept.training_year == 2 and kept.cohort.name == "Class of 2028"
    assert kept.start_date == dt.date(2024, 7, 1)


def test_a_file_with_one_bad_row_imports_nothing_and_names_line_and_column(residency):
    text = (
        HEADER
        + "good@example.org,Good,1,2025-07-01,\n"
        + "bad@example.org,Bad,7,01/07/2025,Class of 2099\n"
    )

    assert errors_of(residency, text) == [
        (3, "training_year"),
        (3, "start_date"),
        (3, "cohort"),
    ]
    assert not User.objects.filter(email="good@example.org").exists()
    assert not Enrollment.objects.filter(program=residency).exists()


def test_duplicate_emails_name_the_first_line(residency):
    text = (
        HEADER
        + "a@example.org,A,1,2025-07-01,\nb@example.org,B,1,2025-07-01,\nA@Example.org,A2,1,2025-07-01,\n"
    )

    with pytest.raises(RosterImportError) as caught:
        roster_import(program=residency, data=text.encode())

    (error,) = caught.value.errors
    assert (error.line, error.column) == (4, "email")
    assert "line 2" in error.message


def test_a_latin1_file_is_refused_with_the_line_of_the_bad_byte(residency):
    data = (
        HEADER + "a@example.org,Ana,1,2025-07-01,\nb@example.org,Jos\xe9,1,2025-07-01,\n"
    ).encode("latin-1")

    with pytest.raises(RosterImportError) as caught:
        roster_import(program=residency, data=data)

    (error,) = caught.value.errors
    assert error.line == 3 and "UTF-8" in error.message


def test_a_utf16_file_is_refused(residency):
    assert errors_of(residency, (HEADER + "a@example.org,A,1,2025-07-01,\n").encode("utf-16")) == [
        (1, "")
    ]


def test_a_utf8_file_with_byte_order_mark_is_read(residency):
    data = ("\ufeff" + HEADER + "bom@example.org,Zoë,1,2025-07-01,\n").encode()

    assert roster_import(program=residency, data=data).enrollments_created == 1
    assert User.objects.get(email="bom@example.org").display_name == "Zoë"


def test_unknown_and_missing_columns_are_reported_on_line_one(residency):
    assert errors_of(residency, "email,year,start_date\na@example.org,1,2025-07-01\n") == [
        (1, "year"),
        (1, "training_year"),
    ]


def test_rows_with_missing_fields_and_bad_emails_are_reported(residency):
    text = HEADER + "not-an-email,X,1,2025-07-01,\nshort@example.org,1\n"

    assert errors_of(residency, text) == [(2, "email"), (3, "")]


def test_an_empty_file_and_a_header_only_file_are_refused(residency):
    assert errors_of(residency, "") == [(1, "")]
    assert errors_of(residency, HEADER) == [(2, "")]


def test_roster_page_lists_every_problem_and_writes_nothing(client, director, program):
    client.force_login(director)
    upload = SimpleUploadedFile(
        "roster.csv", (HEADER + "x@example.org,X,9,2025-07-01,\n").encode(), "text/csv"
    )

    response = client.post(f"/programs/{program.pk}/roster/", {"file": upload})

    assert response.status_code == 400
    assert b"Nothing was imported" in response.content and b"training_year" in response.content
    assert not User.objects.filter(email="x@example.org").exists()


def test_roster_api_returns_errors_with_line_and_column(client, director, program):
    client.force_login(director)
    upload = SimpleUploadedFile("r.csv", (HEADER + "x@example.org,X,1,yesterday,\n").encode())

    response = client.post(f"/api/v1/programs/{program.pk}/roster/", {"file": upload})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "column": "start_date", "message": "Give the date as YYYY-MM-DD."}
    ]


def test_roster_api_imports_a_good_file(client, director, program):
    client.force_login(director)
    upload = SimpleUploadedFile("r.csv", (HEADER + "y@example.org,Y,1,2025-07-01,\n").encode())

    response = client.post(f"/api/v1/programs/{program.pk}/roster/", {"file": upload})

    assert response.status_code == 200
    assert response.json()["enrollments_created"] == 1


def test_director_of_another_program_cannot_import_into_this_one(client, other_director, program):
    client.force_login(other_director)
    upload = SimpleUploadedFile("r.csv", (HEADER + "z@example.org,Z,1,2025-07-01,\n").encode())

    response = client.post(f"/api/v1/programs/{program.pk}/roster/", {"file": upload})

    assert response.status_code == 404
    assert not User.objects.filter(email="z@example.org").exists()


def test_import_roster_command_reports_errors_and_imports(residency, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "c@example.org,C,0,2025-07-01,\n")
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "c@example.org,C,1,2025-07-01,\n")
    err = StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_roster", residency.pk, str(bad), stderr=err)
    assert "line 2, column 'training_year'" in err.getvalue()

    out = StringIO()
    call_command("import_roster", residency.pk, str(good), stdout=out)
    assert "1 enrolled" in out.getvalue()
