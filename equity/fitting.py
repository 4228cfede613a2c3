"""Building an institution's equity analyses from its rows: which ratings, consensus levels
and assessment counts fall in which program, training year and closed period, which cells
may be shown (`equity.suppression`) and what the models say (`equity.analysis`).

Reads only; `equity.services.equity_fits_refresh` stores the result. Never run on a page
request: a task runs it after a period closes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models.functions import Length

from assessments.models import Assessment
from committee.models import ConsensusRating, LearnerReview
from equity.analysis import Row, adjusted_differences, assessor_gaps, summary
from equity.measures import CONSENSUS, FREQUENCY, NARRATIVE, RATING
from equity.models import Characteristic, CharacteristicCategory
from equity.suppression import INSTITUTION, Cell, Unit, cells_decide, program_scope
from frameworks.models import Competency
from programs.models import Enrollment, Institution, Program, ReviewPeriod, training_year_at


@dataclass(frozen=True)
class Observation:
    """One outcome in one program's slice. Ratings carry their narrative length too: the
    narrative is a second number about the same cell."""

    program: int
    measure: str  # RATING, CONSENSUS or FREQUENCY
    competency: int | None
    year: int
    period: str
    learner: int
    value: float
    narrative: float | None = None
    assessor: int | None = None
    ident: int | None = None  # the rating's id: one rating counts once in the institution


@dataclass
class Period:
    key: str
    label: str
    end: dt.date


@dataclass
class Dataset:
    institution: Institution
    programs: dict[int, Program]
    periods: dict[str, Period]
    program_periods: dict[int, list[str]]
    competencies: dict[int, Competency]
    observations: list[Observation] = field(default_factory=list)

    @property
    def data_through(self) -> dt.date | None:
        return max((p.end for p in self.periods.values()), default=None)


def period_key(period: ReviewPeriod) -> str:
    """Periods of different programs with the same dates are one period of the institution."""
    return f"{period.start_date.isoformat()}/{period.end_date.isoformat()}"


def dataset_load(*, institution: Institution, today: dt.date) -> Dataset:
    """Every closed period's outcomes of the institution's programs. Five queries per
    program, whatever the number of learners."""
    programs = {p.pk: p for p in Program.objects.filter(institution=institution).order_by("pk")}
    data = Dataset(institution, programs, {}, {}, {})
    for program in programs.values():
        periods = list(
            ReviewPeriod.objects.filter(program=program, end_date__lt=today).order_by("start_date")
        )
        if not periods:
            continue
        keys = []
        for period in periods:
            key = period_key(period)
            keys.append(key)
            data.periods.setdefault(key, Period(key, period.name, period.end_date))
        data.program_periods[program.pk] = keys
        _load_program(data, program, periods, today)
    used = {o.competency for o in data.observations if o.competency is not None}
    data.competencies = {
        c.pk: c for c in Competency.objects.filter(pk__in=used).select_related("framework")
    }
    return data


def _load_program(
    data: Dataset, program: Program, periods: list[ReviewPeriod], today: dt.date
) -> None:
    first, last = periods[0].start_date, periods[-1].end_date
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in Enrollment.objects.filter(program=program, start_date__lte=last).exclude(
        end_date__lt=first
    ):
        enrollments[enrollment.learner_id].append(enrollment)

    def placed(learner: int, day: dt.date) -> tuple[int, str] | None:
        """The training year and period of a learner's day in this program, if enrolled."""
        period = next((p for p in periods if p.start_date <= day <= p.end_date), None)
        if period is None:
            return None
        for e in enrollments.get(learner, ()):
            if e.start_date <= day and (e.end_date is None or day <= e.end_date):
                year = training_year_at(program, e.training_year, e.end_date, day, today)
                return year, period_key(period)
        return None

    counts: dict[tuple[int, int, str], int] = defaultdict(int)
    ratings = (
        Assessment.objects.filter(
            learner_id__in=list(enrollments),
            competency__framework__in=program.frameworks.all(),
            observed_on__range=(first, last),
            counted_level__isnull=False,
        )
        .annotate(narrative=Length("went_well") + Length("next_step"))
        .values_list(
            "pk",
            "learner_id",
            "assessor_id",
            "competency_id",
            "counted_level",
            "observed_on",
            "narrative",
        )
    )
    for pk, learner, assessor, competency, level, day, narrative in ratings:
        where = placed(learner, day)
        if where is None or level is None:
            continue
        year, key = where
        counts[(learner, year, key)] += 1
        data.observations.append(
            Observation(
                program.pk,
                RATING,
                competency,
                year,
                key,
                learner,
                float(level),
                float(narrative or 0),
                assessor,
                pk,
            )
        )
    # How often: every learner enrolled in a period counts, those never rated with 0.
    for period in periods:
        key = period_key(period)
        for learner, spans in enrollments.items():
            for e in spans:
                if e.start_date <= period.end_date and (
                    e.end_date is None or e.end_date >= period.start_date
                ):
                    day = min(period.end_date, e.end_date or period.end_date)
                    year = training_year_at(program, e.training_year, e.end_date, day, today)
                    data.observations.append(
                        Observation(
                            program.pk,
                            FREQUENCY,
                            None,
                            year,
                            key,
                            learner,
                            float(counts.get((learner, year, key), 0)),
                        )
                    )
                    break
    consensus = ConsensusRating.objects.current().filter(
        review__period__in=periods, review__status=LearnerReview.Status.SIGNED_OFF
    )
    by_period = {p.pk: period_key(p) for p in periods}
    for learner, competency, level, period_id, year in consensus.values_list(
        "review__learner_id", "competency_id", "level", "review__period_id", "review__training_year"
    ):
        data.observations.append(
            Observation(
                program.pk, CONSENSUS, competency, year, by_period[period_id], learner, float(level)
            )
        )


# --- One category: cells, models, signals ----------------------------------------------------


@dataclass
class ScopeResult:
    scope: str
    cells: list[dict[str, Any]] = field(default_factory=list)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    counted: set[int] = field(default_factory=set)  # learners whose answer a shown cell used


@dataclass
class CategoryResult:
    scopes: dict[str, ScopeResult]
    groups: list[dict[str, str]]
    periods: list[dict[str, str]]
    # assessor id -> program id -> gaps
    signals: dict[int, dict[int, list[dict[str, Any]]]]


def groups_of(category: CharacteristicCategory) -> dict[int, str]:
    """Learner -> option key; "prefer not to say" and no answer are in no group."""
    return dict(
        Characteristic.objects.filter(category=category, option__isnull=False).values_list(
            "learner_id", "option__key"
        )
    )


def category_compute(data: Dataset, category: CharacteristicCategory) -> CategoryResult:
    """Cells (shown or hidden), adjusted differences and assessor signals for one category."""
    groups = groups_of(category)
    labels = {o.key: o.label for o in category.options.all()}
    order = [o.key for o in category.options.all()]

    units = set()
    for o in data.observations:
        units.add(
            Unit(
                o.program,
                (o.measure, o.competency, o.year, o.period),
                o.learner,
                groups.get(o.learner),
            )
        )
    decided = cells_decide(units)

    # Values per cell, per scope; one rating counts once in the institution.
    values: dict[tuple[str, tuple[Any, ...], str], list[Observation]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    for o in data.observations:
        group = groups.get(o.learner)
        if group is None:
            continue
        slice_ = (o.measure, o.competency, o.year, o.period)
        values[(program_scope(o.program), slice_, group)].append(o)
        if o.ident is not None:
            if (o.measure, o.ident) in seen:
                continue
            seen.add((o.measure, o.ident))
        values[(INSTITUTION, slice_, group)].append(o)

    scopes: dict[str, ScopeResult] = {}
    for (scope, slice_, group), cell in sorted(decided.items(), key=lambda kv: _sort_key(kv[0])):
        result = scopes.setdefault(scope, ScopeResult(scope))
        obs = values[(scope, slice_, group)]
        result.cells.append(_cell_dict(data, cell, obs, RATING if slice_[0] == RATING else None))
        if slice_[0] == RATING:
            result.cells.append(_cell_dict(data, cell, obs, NARRATIVE))
        if cell.shown:
            result.counted |= cell.learners
    for scope, result in scopes.items():
        result.estimates = _estimates(data, decided, values, scope, order)

    signals = _signals(data, decided, values, order)
    return CategoryResult(
        scopes=scopes,
        groups=[{"key": k, "label": labels[k]} for k in order],
        periods=[
            {"key": p.key, "label": p.label}
            for p in sorted(data.periods.values(), key=lambda p: p.key)
        ],
        signals=signals,
    )


def _sort_key(key: tuple[str, tuple[Any, ...], str]) -> tuple[Any, ...]:
    scope, (measure, competency, year, period), group = key
    return (scope, measure, competency or 0, year, period, group)


def _cell_dict(
    data: Dataset, cell: Cell, obs: list[Observation], as_measure: str | None
) -> dict[str, Any]:
    measure, competency, year, period = cell.slice
    shown = cell.shown
    numbers: dict[str, Any] = {"mean": None, "q1": None, "median": None, "q3": None}
    if shown:
        if as_measure == NARRATIVE:
            numbers = summary([o.narrative or 0.0 for o in obs])
        else:
            numbers = summary([o.value for o in obs])
    comp = data.competencies.get(competency) if competency else None
    return {
        "measure": as_measure or measure,
        "competency": competency,
        "competency_code": comp.code if comp else "",
        "training_year": year,
        "period": period,
        "group": cell.group,
        "suppressed": not shown,
        "reason": cell.hidden,
        "learners": len(cell.learners) if shown else None,
        "n": len(obs) if shown else None,
        **numbers,
    }


def _rows_for(
    decided: dict[Any, Cell],
    values: dict[Any, list[Observation]],
    scope: str,
    measure: str,
    competency: int | None,
    narrative: bool = False,
) -> list[Row]:
    rows = []
    for (s, slice_, group), cell in decided.items():
        if s != scope or slice_[0] != measure or slice_[1] != competency or not cell.shown:
            continue
        for o in values[(s, slice_, group)]:
            value = (o.narrative or 0.0) if narrative else o.value
            rows.append(Row(o.learner, group, o.year, o.period, value, o.assessor, o.competency))
    return rows


def _reference(rows: list[Row], order: list[str]) -> str | None:
    learners: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        learners[row.group].add(row.learner)
    if not learners:
        return None
    return max(learners, key=lambda g: (len(learners[g]), -order.index(g) if g in order else 0))


def _estimates(
    data: Dataset,
    decided: dict[Any, Cell],
    values: dict[Any, list[Observation]],
    scope: str,
    order: list[str],
) -> list[dict[str, Any]]:
    """The adjusted differences of a scope: read only from its shown cells."""
    slices = {(s[0], s[1]) for (sc, s, _), c in decided.items() if sc == scope and c.shown}
    estimates = []
    for measure, competency in sorted(slices, key=lambda s: (s[0], s[1] or 0)):
        variants = [(RATING, False), (NARRATIVE, True)] if measure == RATING else [(measure, False)]
        for name, narrative in variants:
            rows = _rows_for(decided, values, scope, measure, competency, narrative)
            reference = _reference(rows, order)
            if reference is None:
                continue
            comp = data.competencies.get(competency) if competency else None
            for d in adjusted_differences(rows, reference=reference):
                estimates.append(
                    {
                        "measure": name,
                        "competency": competency,
                        "competency_code": comp.code if comp else "",
                        "group": d.group,
                        "reference": d.reference,
                        "estimate": round(d.estimate, 3),
                        "se": round(d.se, 3),
                        "low": round(d.low, 3),
                        "high": round(d.high, 3),
                        "n": d.n_rows,
                        "learners": d.n_learners,
                        "learners_group": d.n_group,
                        "learners_reference": d.n_reference,
                        "terms": [
                            {
                                "name": t.name,
                                "estimate": round(t.estimate, 3),
                                "se": round(t.se, 3),
                                "low": round(t.low, 3),
                                "high": round(t.high, 3),
                            }
                            for t in d.terms
                        ],
                    }
                )
    return estimates


def _signals(
    data: Dataset,
    decided: dict[Any, Cell],
    values: dict[Any, list[Observation]],
    order: list[str],
) -> dict[int, dict[int, list[dict[str, Any]]]]:
    """Each assessor's gaps against colleagues', per program, from the program's shown rating
    cells only, all competencies together (levels centred per competency, year and period)."""
    signals: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
    for program_id in data.program_periods:
        scope = program_scope(program_id)
        rows: list[Row] = []
        for (s, slice_, group), cell in decided.items():
            if s == scope and slice_[0] == RATING and cell.shown:
                for o in values[(s, slice_, group)]:
                    rows.append(
                        Row(o.learner, group, o.year, o.period, o.value, o.assessor, o.competency)
                    )
        reference = _reference(rows, order)
        if reference is None:
            continue
        for assessor in sorted({r.assessor for r in rows if r.assessor is not None}):
            gaps = assessor_gaps(rows, assessor=assessor, reference=reference)
            if gaps:
                signals[assessor][program_id] = [
                    {
                        "group": g.group,
                        "reference": g.reference,
                        "mine": round(g.mine, 3),
                        "colleagues": round(g.colleagues, 3),
                        "difference": round(g.difference, 3),
                        "low": round(g.low, 3),
                        "high": round(g.high, 3),
                        "beyond": g.beyond,
                        "my_group": g.my_group,
                        "my_reference": g.my_reference,
                    }
                    for g in gaps
                ]
    return signals
