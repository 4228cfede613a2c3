"""The equity view (page and API) reads stored fits only, for the people allowed, with the
same cells everywhere; the assessor's signal is theirs alone."""

from __future__ import annotations

import pytest

from equity.models import AssessorSignal, EquityFit
from equity.services import equity_fits_refresh
from equity.suppression import COMPLEMENT, SMALL
from equity.tests.factories import TODAY, equity_world
from tests.factories import ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_of(fitted):
    def make(program):
        user = UserFactory()
        ProgramRoleFactory(user=user, program=program, role="director")
        return user

    return make


def test_a_director_sees_a_suppressed_cell_and_an_adjusted_difference_with_its_interval(
    client, fitted, director_of
):
    client.force_login(director_of(fitted.program))
    response = client.get("/equity/", {"scope": f"program:{fitted.program.pk}"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "withheld: fewer than 5 learners" in body
    assert "Man, against Woman" in body
    assert " to " in body and "95 % interval" in body
    assert "Methods, in plain words" in body


def test_the_page_computes_nothing(client, fitted, director_of, django_assert_num_queries):
    client.force_login(director_of(fitted.program))
    scope = {"scope": f"program:{fitted.program.pk}"}
    # Expect 7 queries: * session * user * the viewer's programs * their institutions
    # * the categories * the stored fit * roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        client.get("/equity/", scope)
    fit = EquityFit.objects.get(program=fitted.program)
    fit.cells = fit.cells * 3  # a larger fit: more cells, the same queries
    fit.save()
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        client.get("/equity/", scope)
    EquityFit.objects.filter(program=fitted.program).update(cells=[], estimates=[])
    response = client.get("/equity/", scope)
    assert "Man, against Woman" not in response.content.decode()  # only what was stored


def test_the_api_returns_the_same_cells_with_hidden_ones_empty(client, fitted, director_of):
    client.force_login(director_of(fitted.program))
    response = client.get(
        "/api/v1/equity/view/", {"program": fitted.program.pk, "category": "gender"}
    )
    assert response.status_code == 200
    data = response.json()
    stored = EquityFit.objects.get(program=fitted.program)
    assert len(data["cells"]) == len(stored.cells)
    hidden = [c for c in data["cells"] if c["suppressed"]]
    assert hidden and all(c["mean"] is None and c["learners"] is None for c in hidden)
    assert {c["reason"] for c in hidden} <= {SMALL, COMPLEMENT}
    assert data["min_learners"] == 5
    assert data["computed_at"] and data["data_through"] == "2026-03-31"


def test_the_director_reads_the_institution_too_but_not_another_program(
    client, fitted, director_of, other_program
):
    client.force_login(director_of(fitted.program))
    institution = fitted.program.institution.pk
    assert (
        client.get(
            "/api/v1/equity/view/", {"institution": institution, "category": "gender"}
        ).status_code
        == 200
    )
    # The sister program is of the same institution but not theirs.
    assert (
        client.get(
            "/api/v1/equity/view/", {"program": fitted.sister.pk, "category": "gender"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/equity/view/",
            {"institution": other_program.institution.pk, "category": "gender"},
        ).status_code
        == 404
    )


def test_a_learner_of_the_program_gets_404(client, fitted):
    client.force_login(fitted.learners["woman"][0])
    assert client.get("/equity/").status_code == 404
    response = client.get(
        "/api/v1/equity/view/", {"program": fitted.program.pk, "category": "gender"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params, field",
    [
        ({"category": "gender"}, "program"),
        ({"program": "x", "category": "gender"}, "program"),
        ({"program": 1, "institution": 1, "category": "gender"}, "program"),
        ({"program": 1}, "category"),
        ({"program": 1, "category": "not-configured"}, "category"),
    ],
)
def test_bad_queries_are_400(client, fitted, director_of, params, field):
    client.force_login(director_of(fitted.program))
    response = client.get("/api/v1/equity/view/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_strict_assessor_sees_their_signal_and_a_colleague_does_not_see_it(client, fitted):
    strict = fitted.assessors[0]
    client.force_login(strict)
    page = client.get("/equity/my-ratings/").content.decode()
    assert "differs from colleagues" in page
    data = client.get("/api/v1/equity/assessor-signal/").json()
    assert data and data[0]["rows"][0]["beyond"]
    client.force_login(fitted.learners["woman"][0])
    assert client.get("/api/v1/equity/assessor-signal/").json() == []


def test_signal_list_query_count_is_constant(client, fitted, django_assert_num_queries):
    client.force_login(fitted.assessors[0])
    # Expect 3 queries: * session * user * the signals with their program and category
    with django_assert_num_queries(3):
        client.get("/api/v1/equity/assessor-signal/")
    AssessorSignal.objects.filter(assessor=fitted.assessors[0]).delete()
    for program in (fitted.program, fitted.sister):
        AssessorSignal.objects.create(
            assessor=fitted.assessors[0], program=program, category=fitted.category, rows=[]
        )
    with django_assert_num_queries(3):
        client.get("/api/v1/equity/assessor-signal/")


def test_an_institution_total_minus_a_program_s_is_a_suppressed_cell_in_the_api(client):
    # The sister program has one woman per training year: the institution's women minus the
    # main program's (six a year, shown) would be her.
    world = equity_world(sister_mix={"woman": 2, "man": 12, "": 10})
    equity_fits_refresh(institution=world.program.institution, today=TODAY)
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    program = client.get(
        "/api/v1/equity/view/", {"program": world.program.pk, "category": "gender"}
    ).json()
    institution = client.get(
        "/api/v1/equity/view/",
        {"institution": world.program.institution.pk, "category": "gender"},
    ).json()
    key = ("rating", "woman")
    shown_in_program = [
        c for c in program["cells"] if (c["measure"], c["group"]) == key and not c["suppressed"]
    ]
    assert shown_in_program
    for cell in shown_in_program:
        [total] = [
            c
            for c in institution["cells"]
            if (c["measure"], c["group"], c["competency"], c["training_year"], c["period"])
            == (*key, cell["competency"], cell["training_year"], cell["period"])
        ]
        assert total["suppressed"] and total["reason"] == COMPLEMENT
        assert total["mean"] is None and total["learners"] is None
