"""Anticipatory learning: short refreshers chosen from the reasons of upcoming visits.

Each visit's reason codes are matched to the catalogue in four steps, strongest first:
1. the exact code (SNOMED CT or ICD-10-CM);
2. a broader ICD-10-CM code (E11.65 → E11.6 → E11);
3. a SNOMED CT ↔ ICD-10-CM pair listed in the catalogue (and that pair's ICD-10-CM category);
4. words of the reason text against resource titles and keywords — only for visits no code
   matched.
Per clinic day the strongest, shortest matches come first, one per visit before any visit gets
a second; resources the learner finished,
dismissed or marked not relevant, and those for other stages, are left out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import User
from learning.codes import code_label, icd10_category, icd10_parents
from learning.models import (
    ICD10CM,
    SNOMED,
    CodePair,
    LearningResource,
    Recommendation,
    ResourceCode,
    UpcomingVisit,
)
from programs.selectors import current_enrollment

PER_DAY = 3
# Visits of one day that are matched: more than a full clinic. A bundle with thousands on a
# day would otherwise make the page match them all (10,000 visits took 16 s); the day's
# count still says how many there are.
MAX_VISITS_PER_DAY = 40
EXACT, PARENT, PAIR, TEXT = 4, 3, 2, 1
STRENGTH_LABEL = {EXACT: "exact code", PARENT: "broader code", PAIR: "paired code", TEXT: "text"}
# Words too common in reason text to say anything about a topic.
STOP_WORDS = {
    "with", "without", "disorder", "disease", "unspecified", "type", "chronic", "acute",
    "follow", "followup", "visit", "review", "check", "other", "patient", "clinic", "history",
    "finding", "condition", "problem", "specified", "mellitus", "state", "left", "right",
    "from", "that", "this", "their", "high", "routine", "appointment",
}  # fmt: skip


@dataclass
class Match:
    resource: LearningResource
    strength: int
    reason: str
    visits: set[int] = field(default_factory=set)


@dataclass
class ClinicDay:
    day: dt.date
    visit_count: int
    items: list[Match]

    @property
    def weekday(self) -> str:
        return date_format(self.day, "l")

    @property
    def headline(self) -> str:
        count = len(self.items)
        noun = "short refresher" if count == 1 else "short refreshers"
        words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
        return f"Before your clinic on {self.weekday}: {words.get(count, str(count))} {noun}"


def _tokens(text: str) -> set[str]:
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text)}
    return {w.removesuffix("s") for w in words if w not in STOP_WORDS}


def anticipatory_learning(
    *, learner: User, start: dt.date | None = None, days: int = 7, per_day: int = PER_DAY
) -> list[ClinicDay]:
    """Clinic days from `start` for `days` days, each with up to `per_day` matched refreshers.

    At most nine queries whatever the number of visits or resources.
    """
    start = start or timezone.localdate()
    rank_in_day = Window(
        RowNumber(), partition_by=F("visit_date"), order_by=[F("starts_at").asc(), F("pk").asc()]
    )
    visits: list[UpcomingVisit] = list(
        UpcomingVisit.objects.filter(learner=learner)
        .active()
        .filter(visit_date__gte=start, visit_date__lt=start + dt.timedelta(days=days))
        .annotate(day_rank=rank_in_day, day_total=Window(Count("pk"), partition_by=F("visit_date")))
        .filter(day_rank__lte=MAX_VISITS_PER_DAY)
        .order_by("visit_date", "starts_at", "pk")
    )  # 1
    if not visits:
        return []
    enrollment = current_enrollment(learner=learner)  # 2
    stage = enrollment.program.stage if enrollment else None
    hidden = {
        r.resource_id for r in Recommendation.objects.filter(learner=learner) if r.hides_resource
    }  # 3
    matches = _code_matches(visits)  # 4, 5
    unmatched = [v for v in visits if v.pk not in matches.visits_matched]
    if unmatched:
        _text_matches(unmatched, matches)  # 6
    by_day: dict[dt.date, dict[int, Match]] = defaultdict(dict)
    for visit in visits:
        for resource_id, match in matches.per_visit.get(visit.pk, {}).items():
            if resource_id in hidden or not match.resource.fits_stage(stage):
                continue
            current = by_day[visit.visit_date].get(resource_id)
            if current is None or match.strength > current.strength:
                by_day[visit.visit_date][resource_id] = Match(
                    match.resource, match.strength, match.reason, {visit.pk}
                )
            else:
                current.visits.add(visit.pk)
    visit_counts: dict[dt.date, int] = {v.visit_date: v.day_total for v in visits}  # type: ignore[attr-defined]
    result = []
    for day in sorted(visit_counts):
        items = _pick(list(by_day.get(day, {}).values()), per_day)
        for item in items:
            if len(item.visits) > 1:
                item.reason += f" Helps with {len(item.visits)} visits that day."
        result.append(ClinicDay(day=day, visit_count=visit_counts[day], items=items))
    shown = list({m.resource.pk: m.resource for d in result for m in d.items}.values())
    prefetch_related_objects(shown, "competencies__framework", "codes")  # +3 when any
    return result


def _order(match: Match) -> tuple[int, bool, int, int, str]:
    return (
        -match.strength,
        not match.resource.is_short,
        -len(match.visits),
        match.resource.duration_minutes or 10_000,
        match.resource.title,
    )


def _pick(candidates: list[Match], per_day: int) -> list[Match]:
    """The best `per_day` matches, spread so that each visit gets one before any gets two."""
    ranked = sorted(candidates, key=_order)
    chosen: list[Match] = []
    covered: set[int] = set()
    for match in ranked:
        if len(chosen) < per_day and not match.visits <= covered:
            chosen.append(match)
            covered |= match.visits
    for match in ranked:
        if len(chosen) < per_day and match not in chosen:
            chosen.append(match)
    return sorted(chosen, key=_order)


@dataclass
class _Matches:
    per_visit: dict[int, dict[int, Match]] = field(default_factory=lambda: defaultdict(dict))
    visits_matched: set[int] = field(default_factory=set)

    def add(self, visit: UpcomingVisit, match: Match) -> None:
        current = self.per_visit[visit.pk].get(match.resource.pk)
        if current is None or match.strength > current.strength:
            self.per_visit[visit.pk][match.resource.pk] = match
        self.visits_matched.add(visit.pk)


def _visit_label(visit: UpcomingVisit) -> str:
    when = date_format(visit.visit_date, "l j M")
    if not visit.reason_label:
        return f"Your visit on {when}"
    return f"Your visit on {when} is about “{visit.reason_label}”"


def _code_matches(visits: list[UpcomingVisit]) -> _Matches:
    # Wanted catalogue codes per visit, with how they were reached.
    wanted: dict[tuple[str, str], list[tuple[UpcomingVisit, int, str]]] = defaultdict(list)
    snomed_codes: set[str] = set()
    icd_codes: set[str] = set()
    for visit in visits:
        for reason in visit.reasons:
            system, code = reason["system"], reason["code"]
            label = code_label(system, code)
            wanted[(system, code)].append((visit, EXACT, f"matches {label} exactly"))
            if system == ICD10CM:
                icd_codes.add(code)
                for parent in icd10_parents(code):
                    icd_codes.add(parent)
                    wanted[(ICD10CM, parent)].append(
                        (visit, PARENT, f"covers ICD-10-CM {parent}, which includes {code}")
                    )
            else:
                snomed_codes.add(code)
    if snomed_codes or icd_codes:
        condition = Q(snomed_code__in=snomed_codes) | Q(icd10_code__in=icd_codes)
        for category in {icd10_category(c) for c in icd_codes}:
            condition |= Q(icd10_code__startswith=category)
        pair_list = list(CodePair.objects.filter(condition))  # 4
        for visit in visits:
            for reason in visit.reasons:
                _add_pair_wants(visit, reason["system"], reason["code"], pair_list, wanted)
    matches = _Matches()
    if not wanted:
        return matches
    by_system: dict[str, set[str]] = defaultdict(set)
    for system, code in wanted:
        by_system[system].add(code)
    condition = Q()
    for system, codes in by_system.items():
        condition |= Q(system=system, code__in=codes)
    rows = ResourceCode.objects.filter(condition, resource__is_active=True).select_related(
        "resource"
    )  # 5
    for row in rows:
        for visit, strength, how in wanted.get((row.system, row.code), []):
            reason = f"{_visit_label(visit)}; this {how}."
            matches.add(visit, Match(row.resource, strength, reason))
    return matches


def _add_pair_wants(
    visit: UpcomingVisit,
    system: str,
    code: str,
    pairs: list[CodePair],
    wanted: dict[tuple[str, str], list[tuple[UpcomingVisit, int, str]]],
) -> None:
    label = code_label(system, code)
    if system == SNOMED:
        for pair in pairs:
            if pair.snomed_code != code:
                continue
            how = f"is about ICD-10-CM {pair.icd10_code}, listed as the same condition as {label}"
            wanted[(ICD10CM, pair.icd10_code)].append((visit, PAIR, how))
            category = icd10_category(pair.icd10_code)
            if category != pair.icd10_code:
                wanted[(ICD10CM, category)].append((visit, PAIR, how))
    else:
        family = {code, *icd10_parents(code)}
        category = icd10_category(code)
        for pair in pairs:
            if pair.icd10_code in family or icd10_category(pair.icd10_code) == category:
                how = (
                    f"is about SNOMED CT {pair.snomed_code}, listed as the same condition "
                    f"as ICD-10-CM {pair.icd10_code}"
                )
                wanted[(SNOMED, pair.snomed_code)].append((visit, PAIR, how))


def _text_matches(visits: list[UpcomingVisit], matches: _Matches) -> None:
    words = {
        v.pk: _tokens(" ".join([v.reason_text, *(r.get("display", "") for r in v.reasons)]))
        for v in visits
    }
    if not any(words.values()):
        return
    resources = LearningResource.objects.active().only(
        "id", "key", "title", "keywords", "duration_minutes", "stages", "kind"
    )  # 6
    for resource in resources:
        topic = _tokens(f"{resource.title} {resource.keywords}")
        for visit in visits:
            shared = words[visit.pk] & topic
            if shared:
                reason = (
                    f"{_visit_label(visit)}; this resource's topic shares the words "
                    f"{', '.join(sorted(shared))}."
                )
                matches.add(visit, Match(resource, TEXT, reason))
