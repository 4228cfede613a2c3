"""Small stand-ins for the shipped frameworks the demo rates against (same codes and scales)."""

from __future__ import annotations

from decimal import Decimal

from frameworks.models import Competency, Framework, RatingScale, ScaleLevel

MILESTONE_DOMAINS = {
    "PC": 6,
    "MK": 3,
    "SBP": 3,
    "PBLI": 2,
    "PROF": 4,
    "ICS": 3,
}


def _scale(code: str, kind: str, values: list[Decimal]) -> RatingScale:
    scale, created = RatingScale.objects.get_or_create(
        code=code, defaults={"name": code, "kind": kind}
    )
    if created:
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=scale, value=v, label=f"Level {v}") for v in values
        )
    return scale


def _tree(framework: Framework, domains: dict[str, int]) -> None:
    order = 0
    for prefix, count in domains.items():
        order += 1
        domain = Competency.objects.create(
            framework=framework, code=prefix, title=f"Domain {prefix}", order=order
        )
        for n in range(1, count + 1):
            order += 1
            Competency.objects.create(
                framework=framework,
                parent=domain,
                code=f"{prefix}{n}",
                title=f"Sub-competency {prefix}{n}",
                order=order,
            )


def make_demo_frameworks() -> dict[str, Framework]:
    milestones = _scale(
        "milestone-levels",
        RatingScale.Kind.MILESTONE,
        [Decimal(0)] + [Decimal(v) / 2 for v in range(2, 11)],
    )
    entrustment = _scale(
        "entrustment-5", RatingScale.Kind.ENTRUSTMENT, [Decimal(v) for v in range(1, 6)]
    )
    im = Framework.objects.create(
        code="im-milestones",
        version="2.0",
        name="Internal Medicine Milestones",
        kind=Framework.Kind.MILESTONES,
        source="Test stand-in",
        scale=milestones,
    )
    _tree(im, MILESTONE_DOMAINS)
    harmonized = Framework.objects.create(
        code="acgme-harmonized",
        version="2.0",
        name="Harmonized Milestones",
        kind=Framework.Kind.MILESTONES,
        source="Test stand-in",
        scale=milestones,
    )
    _tree(harmonized, {"SBP": 1, "PBLI": 1, "PROF": 1, "ICS": 1})
    epas = Framework.objects.create(
        code="aamc-core-epas",
        version="2014",
        name="Core EPAs",
        kind=Framework.Kind.EPA,
        source="Test stand-in",
        scale=entrustment,
    )
    Competency.objects.bulk_create(
        Competency(framework=epas, code=f"EPA{n}", title=f"Activity {n}", order=n)
        for n in range(1, 14)
    )
    return {"im-milestones": im, "acgme-harmonized": harmonized, "aamc-core-epas": epas}
