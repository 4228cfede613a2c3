"""A roster file of bad rows cannot fill memory with problems: checking stops after a bounded
number, and a fresh process checking the largest accepted file stays below 300 MB."""

from __future__ import annotations

import pytest

from programs import services
from programs.models import Enrollment
from programs.services import RosterImportError, roster_import
from tests.factories import ProgramFactory
from tests.memory import BUDGET_MB, peak_mb, write_repeated

pytestmark = pytest.mark.django_db

HEADER = b"email,training_year,start_date,end_date,cohort,name\n"


@pytest.mark.postgres  # the fresh process reads the test database, as a server would
def test_checking_a_two_mb_roster_of_bad_rows_stays_below_the_budget(tmp_path):
    path = tmp_path / "roster.csv"
    # Every cell wrong: six problems per 12-byte line, a million in the file.
    write_repeated(path, HEADER, b"x,y,z,w,q,n\n", services.ROSTER_MAX_BYTES - 100)
    peak, printed = peak_mb(
        f"""
        from programs import services
        from programs.models import Program
        try:
            services.roster_parse(
                program=Program(pk=1, duration_years=3), data=open({str(path)!r}, "rb").read()
            )
        except services.RosterImportError as exc:
            print(len(exc.errors), exc.errors[-1])
        """
    )
    assert printed.endswith("Checking stopped after 200 problems.")
    assert peak < BUDGET_MB, f"peak {peak} MB"


def test_a_roster_of_bad_rows_names_the_first_problems_and_where_checking_stopped():
    program = ProgramFactory(duration_years=3)
    rows = "".join(f"p{n}@example.org,first,2025-07-01,,,\n" for n in range(300))
    with pytest.raises(RosterImportError) as caught:
        roster_import(program=program, data=HEADER + rows.encode())
    errors = caught.value.errors
    assert (errors[0].line, errors[0].column) == (2, "training_year")
    assert len(errors) == services.ROSTER_MAX_ERRORS + 1
    assert (errors[-1].line, errors[-1].message) == (202, "Checking stopped after 200 problems.")
    assert Enrollment.objects.count() == 0


def test_rows_with_problems_count_towards_the_row_limit(monkeypatch):
    monkeypatch.setattr(services, "ROSTER_MAX_ROWS", 3)
    program = ProgramFactory(duration_years=3)
    data = HEADER + b"a@example.org,1,2025-07-01,,,\n" + b"x,1,2025-07-01,,,\n" * 5
    with pytest.raises(RosterImportError) as caught:
        roster_import(program=program, data=data)
    assert [(e.line, e.message) for e in caught.value.errors][-1] == (5, "More than 3 rows.")
