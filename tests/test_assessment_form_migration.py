"""Observations recorded before assessment forms existed are intact after the forms
migrations: each lands on the "Milestone levels" or "EPA entrustment" form by its framework's
scale, keeps its level on that scale, and counts in the summaries exactly as before (its
counted level is its level). Pattern of tests/test_layout_migrations.py: migrate back, create
rows with the historical models, migrate forward, compare."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.migrations.graph import MigrationGraph

from tests.test_layout_migrations import (  # noqa: F401 — the fixture is used by name
    Target,
    latest,
    latest_layout_afterwards,
    layout_before,
    migrate,
    rows,
)

BEFORE = {"assessments": "0009_selfassessment_evidence_to_portfolio"}
DAY = dt.date(2026, 3, 2)


def before(graph: MigrationGraph) -> list[Target]:
    return layout_before(graph, BEFORE)


def fill(apps):  # type: ignore[no-untyped-def]
    """Two learners observed on a milestone framework and an EPA framework, one observation
    answering a request, one amended (two versions), one with a learner's response."""
    User = apps.get_model("accounts", "User")
    ana, ben, dr = (
        User.objects.create(email=f"{n}@example.org", display_name=n, password="!")
        for n in ("ana", "ben", "dr")
    )
    RatingScale = apps.get_model("frameworks", "RatingScale")
    ScaleLevel = apps.get_model("frameworks", "ScaleLevel")
    milestones = RatingScale.objects.create(code="ms-old", name="Milestones", kind="milestone")
    entrust = RatingScale.objects.create(code="ep-old", name="Entrustment", kind="entrustment")
    for value in range(11):
        ScaleLevel.objects.create(scale=milestones, value=Decimal(value) / 2, label=str(value))
    for value in range(1, 6):
        ScaleLevel.objects.create(scale=entrust, value=value, label=str(value))
    Framework = apps.get_model("frameworks", "Framework")
    ms = Framework.objects.create(
        code="ms", version="1", name="MS", kind="milestones", scale=milestones
    )
    epa = Framework.objects.create(code="epa", version="1", name="EPA", kind="epa", scale=entrust)
    Competency = apps.get_model("frameworks", "Competency")
    pc1 = Competency.objects.create(framework=ms, code="PC1", title="PC1", order=1)
    epa1 = Competency.objects.create(framework=epa, code="EPA1", title="EPA1", order=1)
    institution = apps.get_model("programs", "Institution").objects.create(name="I", slug="i")
    program = apps.get_model("programs", "Program").objects.create(
        institution=institution, name="IM", slug="im", stage="gme"
    )
    program.frameworks.set([ms, epa])
    Request = apps.get_model("assessments", "AssessmentRequest")
    asked = Request.objects.create(
        learner=ana, assessor=dr, program=program, framework=epa, status="completed"
    )
    asked.competencies.set([epa1])
    Request.objects.create(learner=ben, assessor=dr, program=program, framework=ms)
    Assessment = apps.get_model("assessments", "Assessment")
    Version = apps.get_model("assessments", "AssessmentVersion")
    for learner, competency, level, request in (
        (ana, pc1, "2.5", None),
        (ana, epa1, "3", asked),
        (ben, pc1, "4", None),
    ):
        a = Assessment.objects.create(
            assessor=dr,
            learner=learner,
            competency=competency,
            level=Decimal(level),
            went_well="Clear plan.",
            next_step="Say the differential.",
            observed_on=DAY,
            program=program,
            request=request,
        )
        Version.objects.create(
            assessment=a, version=1, kind="original", level=a.level, observed_on=DAY
        )
    amended = Assessment.objects.get(learner=ben)
    Version.objects.create(
        assessment=amended, version=2, kind="amendment", level="4.5", observed_on=DAY, reason="r"
    )
    Assessment.objects.filter(pk=amended.pk).update(level="4.5", version=2)
    apps.get_model("assessments", "AssessmentResponse").objects.create(
        assessment=amended, learner=ben, text="Thanks."
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_layout_afterwards")
def test_observations_before_forms_are_intact_on_the_milestone_and_epa_forms() -> None:
    old_apps = migrate(before)
    fill(old_apps)
    filled = rows(old_apps)

    new_apps = migrate(latest)
    after = rows(new_apps)
    # Every row of every old table is there with every old value.
    for label, table in filled.items():
        for pk, row in table.items():
            found = after[label][pk]
            assert {column: found.get(column) for column in row} == row, f"{label} #{pk}"

    Form = new_apps.get_model("assessments", "AssessmentForm")
    forms = {f.pk: f for f in Form.objects.all()}
    by_code = {f.code: f for f in forms.values()}
    assert by_code["milestone-levels"].scale_id is None
    assert by_code["epa-entrustment"].scale_id is None
    for pk, row in after["assessments.assessment"].items():
        competency = after["frameworks.competency"][row["competency_id"]]
        framework = after["frameworks.framework"][competency["framework_id"]]
        expected = "epa-entrustment" if framework["kind"] == "epa" else "milestone-levels"
        assert forms[row["form_id"]].code == expected, pk
        assert row["scale_id"] == framework["scale_id"], pk
        assert row["counted_level"] == row["level"], pk
    for pk, row in after["assessments.assessmentrequest"].items():
        framework = after["frameworks.framework"][row["framework_id"]]
        expected = "epa-entrustment" if framework["kind"] == "epa" else "milestone-levels"
        assert forms[row["form_id"]].code == expected, pk
    assert {r["level"] for r in after["assessments.assessment"].values()} == {
        Decimal("2.5"),
        Decimal("3"),
        Decimal("4.5"),
    }

    # And back: the columns go, every old row stays.
    old_apps = migrate(before)
    back = rows(old_apps)
    for label, table in filled.items():
        assert back[label] == table, label
