"""The committee's charts: lines told apart, the packet's trajectory as small multiples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import User
from committee.charts import line_style, packet_trajectory_figures
from committee.packet import CompetencySection, Packet, TrajectoryPoint
from frameworks.models import Competency
from frameworks.services import frameworks_load_shipped
from programs.models import Enrollment, Program, ReviewPeriod

pytestmark = pytest.mark.django_db


def test_no_two_of_21_lines_look_the_same():
    looks = [
        (s["line"]["color"], s["line"]["dash"], s["marker"]["symbol"])
        for s in map(line_style, range(21))
    ]
    assert len({(colour, dash) for colour, dash, _ in looks}) == 21
    # Within a chart of up to seven lines, colour and symbol each differ.
    assert len({colour for colour, _, _ in looks[:7]}) == 7
    assert len({symbol for _, _, symbol in looks[:7]}) == 7


def _packet(sections: list[CompetencySection], periods: list[ReviewPeriod]) -> Packet:
    return Packet(
        program=Program(name="IM"),
        period=periods[-1],
        periods=periods,
        previous_period=periods[-2],
        enrollment=Enrollment(),
        learner=User(),
        training_year=2,
        review=None,
        sections=sections,
        shared_goals=[],
        sharing_note="",
    )


def _section(competency: Competency, trajectory: list[TrajectoryPoint]) -> CompetencySection:
    """A packet section with nothing but its trajectory, which is all the charts read."""
    return CompetencySection(
        competency=competency,
        expected=Decimal(2),
        consensus=None,
        history=[],
        previous=None,
        assessments=[],
        median=None,
        n=0,
        trajectory=trajectory,
    )


def test_the_packet_trajectory_of_21_sub_competencies_is_one_small_chart_per_domain():
    frameworks_load_shipped()
    leaves = list(
        Competency.objects.filter(framework__code="im-milestones", children__isnull=True)
        .select_related("parent")
        .order_by("order", "id")
    )
    assert len(leaves) == 21
    periods = [ReviewPeriod(pk=i, name=f"Period {i}") for i in (1, 2, 3)]
    sections = [
        _section(
            leaf,
            [TrajectoryPoint(p.pk, p.name, 1 + (i + p.pk) % 4, "ratings", 2) for p in periods],
        )
        for i, leaf in enumerate(leaves)
    ]
    figures = packet_trajectory_figures(_packet(sections, periods))

    domains = list(dict.fromkeys(f"{leaf.parent.code} · {leaf.parent.title}" for leaf in leaves))
    assert [f["figure"]["layout"]["title"]["text"] for f in figures] == domains
    # Every sub-competency is drawn once, in its domain's chart, and no chart repeats a colour.
    drawn = [trace["name"] for f in figures for trace in f["figure"]["data"]]
    assert drawn == [leaf.code for leaf in leaves]
    for figure in figures:
        colours = [trace["line"]["color"] for trace in figure["figure"]["data"]]
        assert len(set(colours)) == len(colours) <= 7
        # The same level axis everywhere, so the small charts compare.
        assert figure["figure"]["layout"]["yaxis"]["range"] == [0, 5.2]
    assert [f["id"] for f in figures] == [f"fig-trajectory-{n}" for n in range(1, len(figures) + 1)]
    first = figures[0]["figure"]["data"][0]
    assert first["x"] == ["Period 1", "Period 2", "Period 3"]
    assert first["y"] == [t.value for t in sections[0].trajectory]


def test_a_flat_framework_is_split_into_charts_of_at_most_seven_lines():
    frameworks_load_shipped()
    epas = list(
        Competency.objects.filter(framework__code="aamc-core-epas", children__isnull=True)
        .select_related("parent")
        .order_by("order", "id")
    )
    periods = [ReviewPeriod(pk=1, name="Period 1"), ReviewPeriod(pk=2, name="Period 2")]
    sections = [_section(epa, [TrajectoryPoint(1, "Period 1", 2.0, "ratings", 1)]) for epa in epas]
    figures = packet_trajectory_figures(_packet(sections, periods))
    sizes = [len(f["figure"]["data"]) for f in figures]
    assert sum(sizes) == len(epas) and max(sizes) <= 7
