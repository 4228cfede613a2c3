"""Evidence carried across a transition: the learner's evidence tagged with competencies of an
earlier stage (an AAMC Core EPA in medical school), shown against the competencies of their
current program's frameworks (the milestone sub-competencies it informs) through the links
administrators made between frameworks (frameworks.models.CompetencyLink).

It reads only the learner's own evidence, for the learner, so nothing goes in the access log.
Four queries, whatever the amount of evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import User
from frameworks.models import Competency
from frameworks.selectors import linked_competency_ids
from portfolio.models import Evidence
from programs.models import Program


@dataclass(frozen=True)
class CarriedEvidence:
    evidence_id: int
    title: str
    occurred_on: dt.date
    via: str  # the earlier stage's competency, "EPA1 (aamc-core-epas 2014)"


@dataclass
class CarriedCompetency:
    competency: Competency
    evidence: list[CarriedEvidence] = field(default_factory=list)


def carried_evidence_of(*, learner: User, limit: int = 200) -> list[CarriedCompetency]:
    """For each competency of the learner's current programs' frameworks that a link reaches
    from a competency their evidence is tagged with (in another framework), that evidence,
    newest first. Empty when the learner is in no current program or nothing is linked."""
    current = set(
        Program.objects.filter(
            enrollments__learner=learner, enrollments__end_date__isnull=True
        ).values_list("frameworks", flat=True)
    ) - {None}
    if not current:
        return []
    tagged = list(
        Evidence.competencies.through.objects.filter(evidence__learner=learner)
        .exclude(competency__framework_id__in=current)
        .order_by("-evidence__occurred_on", "-evidence_id")
        .values_list(
            "evidence_id",
            "evidence__title",
            "evidence__occurred_on",
            "competency_id",
            "competency__code",
            "competency__framework__code",
            "competency__framework__version",
        )[:limit]
    )
    if not tagged:
        return []
    links = linked_competency_ids(competency_ids={row[3] for row in tagged})
    targets = {
        competency.pk: competency
        for competency in Competency.objects.filter(
            pk__in={target for found in links.values() for target in found},
            framework_id__in=current,
        )
        .select_related("framework")
        .order_by("framework__code", "order")
    }
    carried: dict[int, CarriedCompetency] = {}
    for evidence_id, title, occurred_on, competency_id, code, fw_code, fw_version in tagged:
        for target in sorted(links.get(competency_id, ()), key=lambda pk: pk):
            if target not in targets:
                continue
            entry = carried.setdefault(target, CarriedCompetency(competency=targets[target]))
            item = CarriedEvidence(
                evidence_id=evidence_id,
                title=title,
                occurred_on=occurred_on,
                via=f"{code} ({fw_code} {fw_version})",
            )
            if all(e.evidence_id != evidence_id for e in entry.evidence):
                entry.evidence.append(item)
    order = list(targets)
    return sorted(carried.values(), key=lambda c: order.index(c.competency.pk))
