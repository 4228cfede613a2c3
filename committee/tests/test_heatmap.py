import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from assessments.tests.factories import AssessmentFactory
from committee import services
from committee.heatmap import Filters, heatmap_build
from programs.models import Expectation, Program
from programs.tests.factories import ReviewPeriodFactory, enrol, program_with_framework
from tests.factories import CohortFactory, EnrollmentFactory, ProgramRoleFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 1)  # inside the period below, training year 2025–26


@pytest.fixture
def world(program):
    program.duration_years = 3
    program.save()
    _, leaves = program_with_framework(program, domains=2, per_domain=2)
    period = ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31)
    )
    return program, leaves, period


def populate(program, leaves, count):
    """`count` learners, each with two ratings per sub-competency in the period."""
    learners = enrol(program, count, training_year=1)
    for learner in learners:
        for leaf in leaves:
            AssessmentFactory(
                learner=learner, competency=leaf, level=2, observed_on=dt.date(2025, 8, 1)
            )
            AssessmentFactory(
                learner=learner, competency=leaf, level=3, observed_on=dt.date(2025, 9, 1)
            )
    return learners


def cell(heatmap, learner, leaf):
    row = next(r for r in heatmap.rows if r.learner_id == learner.pk)
    return row.cells[[c.pk for c in heatmap.competencies].index(leaf.pk)]


def test_cell_is_the_median_of_the_period_ratings_with_their_count(world, learner):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=2, observed_on=dt.date(2025, 9, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=5, observed_on=dt.date(2025, 1, 1)
    )

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    first = cell(heatmap, learner, leaves[0])
    assert (first.value, first.source, first.n) == (1.5, "ratings", 2)
    assert cell(heatmap, learner, leaves[1]).source == ""


def test_consensus_wins_over_the_median(world, learner, director):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    review = services.learner_review_open(period=period, enrollment=learner.enrollments.get())
    services.consensus_record(
        review=review, competency_id=leaves[0].pk, level=Decimal("2.5"), rationale="r", by=director
    )
    services.consensus_record(
        review=review, competency_id=leaves[0].pk, level=Decimal("3"), rationale="r", by=director
    )

    first = cell(
        heatmap_build(program=program, filters=Filters(period.pk), today=TODAY), learner, leaves[0]
    )

    assert (first.value, first.source, first.n) == (3.0, "consensus", 1)


def rate(learner, leaf, *levels, on=dt.date(2025, 8, 1)):
    for level in levels:
        AssessmentFactory(learner=learner, competency=leaf, level=Decimal(level), observed_on=on)


def test_a_mid_year_period_compares_with_the_level_expected_half_way_through_the_year(
    world, learner
):
    program, leaves, period = world  # July–December: half of PGY-1
    # Year 1 of 3 ends at level 2 and starts at level 1: by 31 December, 1.5 is expected.
    rate(learner, leaves[0], "0.5", "0.5")
    rate(learner, leaves[1], "1.5", "1.5")
    rate(learner, leaves[2], "1.5", "1.5")
    # The program expects more of leaves[2] by the end of year 1: level 3, so 2 by December.
    Expectation.objects.create(
        program=program, competency=leaves[2], training_year=1, level=Decimal("3")
    )

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    below, on_track, overridden = (cell(heatmap, learner, leaf) for leaf in leaves[:3])
    assert (below.expected, below.band, below.flags) == (
        Decimal("1.5"),
        "below",
        ["below-expected"],
    )
    assert (on_track.expected, on_track.band, on_track.flags) == (Decimal("1.5"), "on-track", [])
    assert (overridden.expected, overridden.band) == (Decimal("2"), "slightly-below")
    assert heatmap.as_dict()["expected"]["1"][:3] == [1.5, 1.5, 2.0]


def test_a_year_end_period_compares_with_the_years_end_level_including_overrides(world, learner):
    program, leaves, _ = world
    year_end = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        is_year_end=True,
    )
    march = dt.date(2026, 3, 1)
    rate(learner, leaves[0], "1", "1", on=march)
    rate(learner, leaves[1], "1", "1", on=march)
    Expectation.objects.create(
        program=program, competency=leaves[1], training_year=1, level=Decimal("1.5")
    )

    heatmap = heatmap_build(program=program, filters=Filters(year_end.pk), today=march)

    below, slightly = cell(heatmap, learner, leaves[0]), cell(heatmap, learner, leaves[1])
    assert (below.expected, below.band, below.flags) == (Decimal(2), "below", ["below-expected"])
    assert (slightly.expected, slightly.band, slightly.flags) == (
        Decimal("1.5"),
        "slightly-below",
        [],
    )


def test_a_concern_resting_on_a_single_rating_is_not_flagged_but_said_to_need_evidence(
    world, learner
):
    program, leaves, period = world
    rate(learner, leaves[0], "0")  # one rating, far below the 1.5 expected
    rate(learner, leaves[1], "0", "0")  # two ratings: a flag

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    single, double = cell(heatmap, learner, leaves[0]), cell(heatmap, learner, leaves[1])
    assert (single.band, single.flags, single.needs_evidence) == ("below", [], True)
    assert (double.band, double.flags, double.needs_evidence) == (
        "below",
        ["below-expected"],
        False,
    )
    row = heatmap.rows[0]
    assert (row.flag_count, row.below_count) == (1, 1)
    assert heatmap.as_dict()["rows"][0]["needs_evidence"] == [leaves[0].pk]


def test_rows_are_sorted_by_concern(world):
    program, leaves, period = world
    fine, worrying = enrol(program, 2)
    rate(fine, leaves[0], "3")
    for leaf in leaves[:3]:
        rate(worrying, leaf, "0", "0")

    heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    assert [r.learner_id for r in heatmap.rows][:2] == [worrying.pk, fine.pk]
    assert heatmap.rows[0].flag_count == 3


def test_filters_by_cohort_year_and_domain(world):
    program, leaves, period = world
    cohort = CohortFactory(program=program)
    in_cohort = EnrollmentFactory(program=program, cohort=cohort, training_year=2).learner
    EnrollmentFactory(program=program, training_year=1)

    by_cohort = heatmap_build(
        program=program, filters=Filters(period.pk, cohort_id=cohort.pk), today=TODAY
    )
    by_year = heatmap_build(program=program, filters=Filters(period.pk, year=2), today=TODAY)
    by_domain = heatmap_build(
        program=program, filters=Filters(period.pk, domain_id=leaves[2].parent_id), today=TODAY
    )

    assert [r.learner_id for r in by_cohort.rows] == [in_cohort.pk]
    assert [r.learner_id for r in by_year.rows] == [in_cohort.pk]
    assert [c.pk for c in by_domain.competencies] == [leaves[2].pk, leaves[3].pk]


def test_the_filter_form_lists_every_choice_and_marks_the_ones_asked_for(world, client, director):
    program, leaves, period = world
    cohort = CohortFactory(program=program, name="Cohort <A>")
    other = ReviewPeriodFactory(
        program=program, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30)
    )
    domain = leaves[2].parent
    client.force_login(director)
    query = f"period={period.pk}&cohort={cohort.pk}&year=2&domain={domain.pk}"

    form = client.get(f"/programs/{program.pk}/heatmap/?{query}").content.decode()
    form = form.split('<form method="get" class="filters"', 1)[1].split("</form>", 1)[0]

    assert f'<option value="{period.pk}" selected>{period.name}</option>' in form
    assert f'<option value="{other.pk}">{other.name}</option>' in form
    assert f'<option value="{cohort.pk}" selected>Cohort &lt;A&gt;</option>' in form
    assert '<option value="2" selected>2</option>' in form
    assert '<option value="3">3</option>' in form
    assert f'<option value="{domain.pk}" selected>{domain.code} · {domain.title}</option>' in form
    assert form.count(" selected>") == 4


def test_ratings_under_another_programs_framework_stay_out_of_the_heatmap(world, learner):
    program, leaves, period = world
    _, elsewhere = program_with_framework(
        Program.objects.create(
            institution=program.institution, name="Elsewhere", slug="elsewhere", stage="gme"
        ),
        domains=1,
        per_domain=1,
    )
    AssessmentFactory(
        learner=learner, competency=elsewhere[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    AssessmentFactory(
        learner=learner, competency=leaves[2], level=4, observed_on=dt.date(2025, 8, 1)
    )
    for filters in (Filters(period.pk), Filters(period.pk, domain_id=leaves[2].parent_id)):
        heatmap = heatmap_build(program=program, filters=filters, today=TODAY)
        assert elsewhere[0].pk not in [c.pk for c in heatmap.competencies]
        (row,) = [r for r in heatmap.rows if r.learner_id == learner.pk]
        assert [v for v in row.values if v is not None] == [4.0]
        assert row.sources.count("r") == 1 and sum(row.counts) == 1


def test_end_of_pgy2_at_or_below_two_and_a_half_is_flagged_at_year_end_only(world):
    program, leaves, _ = world
    year_end = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        is_year_end=True,
    )
    resident = EnrollmentFactory(program=program, training_year=2).learner
    rate(resident, leaves[0], "2.5", "2.5", on=dt.date(2026, 3, 1))
    rate(resident, leaves[1], "2", on=dt.date(2026, 3, 1))  # a single rating: no flag

    heatmap = heatmap_build(
        program=program, filters=Filters(year_end.pk), today=dt.date(2026, 3, 1)
    )

    assert "holmboe-pgy2" in cell(heatmap, resident, leaves[0]).flags
    assert cell(heatmap, resident, leaves[1]).flags == []
    assert cell(heatmap, resident, leaves[1]).needs_evidence
    program.stage = Program.Stage.UME
    heatmap = heatmap_build(
        program=program, filters=Filters(year_end.pk), today=dt.date(2026, 3, 1)
    )
    assert "holmboe-pgy2" not in cell(heatmap, resident, leaves[0]).flags


@pytest.mark.parametrize("learners", [2, 9])
def test_heatmap_runs_six_queries_whatever_the_cohort_size(
    world, learners, django_assert_num_queries
):
    program, leaves, period = world
    populate(program, leaves, learners)

    with django_assert_num_queries(6):
        # 1 periods, 2 cohorts, 3 competencies, 4 expectations, 5 enrollments with the
        # period's reviews, 6 cells: medians of the period's ratings and current consensus.
        heatmap = heatmap_build(program=program, filters=Filters(period.pk), today=TODAY)

    assert len(heatmap.rows) == learners


@pytest.mark.parametrize("learners", [2, 9])
def test_heatmap_api_and_page_query_counts_do_not_grow_with_the_cohort(
    world, learners, client, director, django_assert_num_queries
):
    program, leaves, period = world
    populate(program, leaves, learners)
    client.force_login(director)

    with django_assert_num_queries(9):
        # 1 session, 2 user, 3 program with the viewer's rights, then the six heatmap
        # queries (periods, cohorts, competencies, expectations, enrollments with reviews,
        # cells).
        response = client.get(f"/api/v1/programs/{program.pk}/heatmap/?period={period.pk}")
    assert len(response.json()["rows"]) == learners

    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(11):
        # The same nine, plus 10 the navigation's roles (context processor).
        page = client.get(f"/programs/{program.pk}/heatmap/?period={period.pk}")
    assert page.status_code == 200


def test_a_heatmap_cell_links_to_the_packet_at_that_competency(world, learner, client, director):
    program, leaves, period = world
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=1, observed_on=dt.date(2025, 8, 1)
    )
    client.force_login(director)
    url = f"/programs/{program.pk}/heatmap/?period={period.pk}"

    table = parse_table(client.get(url).content.decode())

    row = next(r for r in table.rows if r.learner_href.endswith(f"/{learner.pk}/"))
    assert urljoin(url, row.learner_href) == (
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/"
    )
    assert urljoin(url, row.cells[0].href) == (
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/#c-{leaves[0].pk}"
    )
    packet = client.get(urljoin(url, row.cells[0].href))
    assert packet.status_code == 200
    assert f'id="c-{leaves[0].pk}"' in packet.content.decode()


def test_page_cells_carry_the_json_values_sources_flags_and_links(
    world, client, director, monkeypatch
):
    """The HTML table and the JSON API show the same heatmap: same rows in the same order,
    and per cell the same value (as text), source (consensus outline), single-rating mark,
    flag and link."""
    program, leaves, period = world
    lagging, steady, _unrated = enrol(program, 3, training_year=2)
    when = dt.date(2025, 8, 1)
    rate(lagging, leaves[0], "1", on=when)  # below on one rating: not flagged
    rate(lagging, leaves[1], "2", "2.5", on=when)
    rate(lagging, leaves[3], "1", "1", on=when)
    for leaf in leaves:
        AssessmentFactory(learner=steady, competency=leaf, level=4, observed_on=when)
    review = services.learner_review_open(period=period, enrollment=steady.enrollments.get())
    services.consensus_record(
        review=review, competency_id=leaves[2].pk, level=Decimal("4.5"), rationale="r", by=director
    )
    client.force_login(director)
    url = f"/programs/{program.pk}/heatmap/?period={period.pk}"
    monkeypatch.setattr("committee.heatmap.timezone.localdate", lambda: TODAY)

    data = client.get(f"/api/v1/programs/{program.pk}/heatmap/?period={period.pk}").json()
    table = parse_table(client.get(url).content.decode())

    ids = [c["id"] for c in data["competencies"]]
    assert table.column_codes == [c["code"] for c in data["competencies"]]
    assert [urljoin(url, r.learner_href) for r in table.rows] == [
        f"/programs/{program.pk}/periods/{period.pk}/learners/{r['learner_id']}/"
        for r in data["rows"]
    ]
    assert data["rows"][0]["learner_id"] == lagging.pk  # most concern first
    seen = set()
    for api_row, html_row in zip(data["rows"], table.rows, strict=True):
        expected = data["expected"][str(api_row["training_year"])]
        assert html_row.flag_count == api_row["flag_count"]
        for i, cell in enumerate(html_row.cells):
            value, source, n = api_row["values"][i], api_row["sources"][i], api_row["n"][i]
            flagged = str(ids[i]) in api_row["flags"]
            assert not (flagged and ids[i] in api_row["needs_evidence"])
            text = "·" if value is None else f"{value:g}"
            assert cell.text == ("▼" if flagged else "") + text
            assert cell.css[0] == band_letter(value, expected[i])
            assert cell.css.endswith("c") == (source == "c")
            assert cell.css.endswith("1") == (source == "r" and n == 1)
            assert urljoin(url, cell.href) == (
                f"/programs/{program.pk}/periods/{period.pk}/learners/"
                f"{api_row['learner_id']}/#c-{ids[i]}"
            )
            seen.add((cell.css, cell.text))
    # PGY-2 of three years expects level 3 by June, so 2.5 by December: the fixture shows
    # every kind of cell.
    assert seen == {
        ("b1", "1"),
        ("b", "▼1"),
        ("s", "2.25"),
        ("n", "·"),
        ("a1", "4"),
        ("ac", "4.5"),
    }


def band_letter(value: float | None, expected: float) -> str:
    if value is None:
        return "n"
    gap = value - expected
    return "a" if gap >= 1 else "o" if gap >= 0 else "s" if gap > -1 else "b"


@dataclass
class HtmlCell:
    css: str
    href: str = ""
    text: str = ""


@dataclass
class HtmlRow:
    learner_href: str = ""
    flag_count: int = 0
    cells: list[HtmlCell] = field(default_factory=list)


@dataclass
class HtmlTable:
    column_codes: list[str] = field(default_factory=list)
    rows: list[HtmlRow] = field(default_factory=list)


def parse_table(page: str) -> HtmlTable:
    """The heatmap table of a page: column codes, and per body row the learner's link, the
    flag count and each competency cell's class, link and text (end tags may be omitted)."""
    table = HtmlTable()

    class Reader(HTMLParser):
        section = ""
        where = ""  # "head", "row header", "year", "flags", "cell"

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag in ("thead", "tbody"):
                self.section = tag
            elif tag == "tr" and self.section == "tbody":
                table.rows.append(HtmlRow())
                self.where = ""
            elif tag == "abbr" and self.section == "thead":
                self.where = "head"
            elif tag == "th" and self.section == "tbody":
                self.where = "row header"
            elif tag == "td" and self.section == "tbody":
                self.where = {"row header": "year", "year": "flags"}.get(self.where, "cell")
                if self.where == "cell":
                    table.rows[-1].cells.append(HtmlCell(values.get("class") or ""))
            elif tag == "a" and self.section == "tbody":
                if self.where == "row header":
                    table.rows[-1].learner_href = values["href"] or ""
                elif self.where == "cell":
                    table.rows[-1].cells[-1].href = values["href"] or ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "abbr":
                self.where = ""
            elif tag == "th" and self.section == "tbody":
                self.where = "row header"

        def handle_data(self, data: str) -> None:
            if self.where == "head":
                table.column_codes.append(data)
            elif self.where == "flags" and data.strip():
                table.rows[-1].flag_count = int(data)
            elif self.where == "cell":
                table.rows[-1].cells[-1].text += data

    start = page.index('<table class="heatmap"')
    Reader().feed(page[start : page.index("</table>", start) + len("</table>")])
    return table


def test_committee_member_sees_the_heatmap_but_a_coach_does_not(world, client, coach):
    program, _, _ = world
    member = ProgramRoleFactory(program=program, role="committee").user
    client.force_login(member)
    assert client.get(f"/api/v1/programs/{program.pk}/heatmap/").status_code == 200
    client.force_login(coach)
    assert client.get(f"/api/v1/programs/{program.pk}/heatmap/").status_code == 404


def test_filters_too_wide_for_the_database_are_dropped_like_malformed_ones(world, client):
    program, _, period = world
    client.force_login(ProgramRoleFactory(program=program, role="committee").user)
    too_wide = "4381798825674221223168442368"
    url = f"/api/v1/programs/{program.pk}/heatmap/?period={period.pk}&cohort={too_wide}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["filters"]["cohort"] is None
    page = client.get(f"/programs/{program.pk}/heatmap/?period={period.pk}&year=-{too_wide}")
    assert page.status_code == 200
