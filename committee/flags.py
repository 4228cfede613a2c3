"""Early-warning flags for a program and review period. Every flag explains itself.

Three rules, each with its reason in words and the numbers it rests on:

1. Below expectation: the cell (consensus, else median rating) is one level or more below the
   level expected by the period's end, part-way through the learner's training year. A cell
   resting on a single assessor rating is not flagged: it is listed apart, as needing more
   evidence (the same holds for rule 2).
2. End of PGY-2 at 2.5 or lower (residency, milestone scale, the period that closes the
   year): in a national cohort such ratings predicted not reaching level 4 by graduation
   (Holmboe et al., Academic Medicine 2020).
3. The program's own history, once it has at least two graduated cohorts: of its graduates
   who had the same level at the end of the same training year, the share who did not reach
   level 4 by graduation — shown with n, flagged when at least half of at least
   `MODEL_MIN_N` such graduates did not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef

from committee.heatmap import HOLMBOE_NOTE, Cell, Filters, Heatmap, Row, heatmap_build
from committee.models import ConsensusRating
from frameworks.models import Competency
from programs.models import Cohort, Enrollment, Program

MODEL_MIN_N = 10
MODEL_THRESHOLD = 0.5
TARGET_LEVEL = Decimal(4)


@dataclass
class Reason:
    kind: str  # below-expected | holmboe-pgy2 | history-model
    competency_id: int
    competency_code: str
    text: str
    n: int | None = None
    probability: float | None = None


@dataclass
class LearnerFlags:
    learner_id: int
    name: str
    year_label: str
    cohort: str
    reasons: list[Reason] = field(default_factory=list)

    @property
    def flag_count(self) -> int:
        return sum(1 for r in self.reasons if r.kind != "needs-evidence")


@dataclass
class HistoryModel:
    """P(not reaching level 4 at graduation | level at end of training year t), pooled over
    sub-competencies, from the program's graduates."""

    graduated_cohorts: int
    graduates: int
    # (training year, level) -> (graduate ratings with that level then, how many ended < 4)
    table: dict[tuple[int, Decimal], tuple[int, int]]

    @property
    def active(self) -> bool:
        return self.graduated_cohorts >= 2

    def estimate(self, year: int, level: float) -> tuple[int, int] | None:
        rounded = (Decimal(str(level)) * 2).to_integral_value() / 2
        return self.table.get((year, rounded))


@dataclass
class Flags:
    heatmap: Heatmap
    learners: list[LearnerFlags]
    model: HistoryModel
    # Learners with no flag but a cell below expectation resting on one rating.
    needs_evidence: list[LearnerFlags] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        period = self.heatmap.period
        return {
            "program": {"id": self.heatmap.program.pk, "name": self.heatmap.program.name},
            "period": None if period is None else {"id": period.pk, "name": period.name},
            "history_model": {
                "active": self.model.active,
                "graduated_cohorts": self.model.graduated_cohorts,
                "graduates": self.model.graduates,
                "min_n": MODEL_MIN_N,
            },
            "learners": [_learner_dict(f) for f in self.learners],
            "needs_evidence": [_learner_dict(f) for f in self.needs_evidence],
        }


def _learner_dict(flags: LearnerFlags) -> dict[str, Any]:
    return {
        "learner_id": flags.learner_id,
        "name": flags.name,
        "training_year": flags.year_label,
        "cohort": flags.cohort,
        "reasons": [
            {
                "kind": r.kind,
                "competency_id": r.competency_id,
                "competency": r.competency_code,
                "text": r.text,
                "n": r.n,
                "probability": r.probability,
            }
            for r in flags.reasons
        ],
    }


def history_model_build(*, program: Program) -> HistoryModel:
    """Fit the history table in two queries: graduated cohorts, then their consensus."""
    # Query 1: cohorts with learners and none still enrolled.
    graduated = list(
        Cohort.objects.filter(program=program)
        .annotate(n=Count("enrollments"))
        .filter(n__gt=0)
        .exclude(Exists(Enrollment.objects.filter(cohort=OuterRef("pk"), end_date__isnull=True)))
        .values_list("pk", flat=True)
    )
    if len(graduated) < 2:
        return HistoryModel(len(graduated), 0, {})
    # Query 2: every current consensus of those graduates in this program, oldest first.
    rows = (
        ConsensusRating.objects.current()
        .filter(
            review__period__program=program,
            review__learner__enrollments__cohort_id__in=graduated,
            review__learner__enrollments__program=program,
        )
        .values_list(
            "review__learner_id",
            "competency_id",
            "review__training_year",
            "review__period__is_year_end",
            "level",
        )
        .order_by("review__period__start_date")
    )
    year_end: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    final: dict[tuple[int, int], Decimal] = {}
    for learner_id, competency_id, year, is_year_end, level in rows:
        if is_year_end:
            year_end[(learner_id, competency_id)][year] = level
        final[(learner_id, competency_id)] = level  # the last one seen is the latest
    counts: dict[tuple[int, Decimal], list[int]] = defaultdict(lambda: [0, 0])
    for key, by_year in year_end.items():
        missed = final[key] < TARGET_LEVEL
        for year, level in by_year.items():
            bucket = counts[(year, level)]
            bucket[0] += 1
            bucket[1] += int(missed)
    graduates = len({learner for learner, _ in final})
    return HistoryModel(len(graduated), graduates, {k: (v[0], v[1]) for k, v in counts.items()})


def flags_build(*, program: Program, filters: Filters, today: dt.date | None = None) -> Flags:
    """Flagged learners of the period, most reasons first, and apart from them the learners
    whose only concern rests on a single rating; eight queries (six for the heatmap, two for
    the history model)."""
    heatmap = heatmap_build(program=program, filters=filters, today=today)
    model = history_model_build(program=program)
    year_end = heatmap.period is not None and heatmap.period.is_year_end
    learners: list[LearnerFlags] = []
    needs_evidence: list[LearnerFlags] = []
    for row in heatmap.rows:
        flagged = LearnerFlags(row.learner_id, row.name, row.year_label, row.cohort)
        thin = LearnerFlags(row.learner_id, row.name, row.year_label, row.cohort)
        for competency, cell in zip(heatmap.competencies, row.cells, strict=True):
            if cell.value is None:
                continue
            if cell.needs_evidence:
                thin.reasons.append(_single_rating_reason(competency, cell, row.year_label))
            flagged.reasons.extend(_cell_reasons(competency, cell, row.year_label))
            if model.active and year_end:
                reason = _history_reason(model, competency, cell, row)
                if reason is not None:
                    flagged.reasons.append(reason)
        if flagged.reasons:  # a flagged learner's thin concerns follow the flags
            flagged.reasons.extend(thin.reasons)
            learners.append(flagged)
        elif thin.reasons:
            needs_evidence.append(thin)
    learners.sort(key=lambda f: (-f.flag_count, f.name.lower()))
    needs_evidence.sort(key=lambda f: (-len(f.reasons), f.name.lower()))
    return Flags(heatmap, learners, model, needs_evidence)


def _what(cell: Cell) -> str:
    if cell.source == "consensus":
        return f"consensus {cell.value:g}"
    return f"median {cell.value:g} of {cell.n} rating{'s' if cell.n != 1 else ''}"


def _expected_text(cell: Cell, year_label: str) -> str:
    assert cell.value is not None
    return (
        f"expected {float(cell.expected):g} by the period's end in {year_label} "
        f"({float(cell.expected) - cell.value:g} below)"
    )


def _cell_reasons(competency: Competency, cell: Cell, year_label: str) -> list[Reason]:
    reasons = []
    if "below-expected" in cell.flags:
        reasons.append(
            Reason(
                "below-expected",
                competency.pk,
                competency.code,
                f"{_what(cell)}; {_expected_text(cell, year_label)}.",
                n=cell.n,
            )
        )
    if "holmboe-pgy2" in cell.flags:
        reasons.append(
            Reason("holmboe-pgy2", competency.pk, competency.code, f"{_what(cell)}. {HOLMBOE_NOTE}")
        )
    return reasons


def _single_rating_reason(competency: Competency, cell: Cell, year_label: str) -> Reason:
    return Reason(
        "needs-evidence",
        competency.pk,
        competency.code,
        f"{_what(cell)}; {_expected_text(cell, year_label)}. One rating is not a pattern: "
        "ask for more observations before drawing a conclusion.",
        n=cell.n,
    )


def _history_reason(
    model: HistoryModel, competency: Competency, cell: Cell, row: Row
) -> Reason | None:
    """The program's own history, when at least half of enough graduates at this level at
    this point ended below level 4."""
    assert cell.value is not None
    estimate = model.estimate(row.training_year, cell.value)
    if estimate is None:
        return None
    n, missed = estimate
    share = missed / n
    if n < MODEL_MIN_N or share < MODEL_THRESHOLD:
        return None
    return Reason(
        "history-model",
        competency.pk,
        competency.code,
        f"{_what(cell)} at the end of {row.year_label}. Of {n} ratings of "
        f"this program's graduates at that level at that point, "
        f"{missed} ({share:.0%}) ended below level 4 at graduation "
        f"({model.graduated_cohorts} graduated cohorts, {model.graduates} graduates).",
        n=n,
        probability=round(share, 2),
    )
