"""The CPD diary's sections of the portable archive (docs/portfolio-export.md): the learner's
activities and licensing cycles. Both are the learner's own, so an import restores them as
live rows; an activity whose credit type or competency this deployment lacks is kept as a
read-only record instead (and said so in the report)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from accounts.models import User
from cpd.models import CpdActivity, CreditType, LicensingCycle, add_months
from portfolio.archive import (
    ArchiveSection,
    Checker,
    ExportContext,
    RestoreContext,
    archive_section_register,
    derived_id,
    local_id,
)
from portfolio.models import Evidence


def _number(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _ref(competency: Any) -> dict[str, str]:
    return {
        "framework": competency.framework.code,
        "version": competency.framework.version,
        "code": competency.code,
    }


def _activities(context: ExportContext) -> list[dict[str, Any]]:
    rows = (
        CpdActivity.objects.filter(learner=context.learner)
        .select_related("credit_type")
        .prefetch_related(
            "competencies__framework",
            Prefetch("evidence", queryset=Evidence.objects.only("id")),
        )
    )
    return [
        {
            "id": str(a.public_id),
            "occurred_on": a.occurred_on.isoformat(),
            "title": a.title,
            "provider": a.provider,
            "credit_type": {"code": a.credit_type.code, "name": a.credit_type.name},
            "hours": _number(a.hours),
            "notes": a.notes,
            "source": a.source,
            "competencies": sorted(
                (_ref(c) for c in a.competencies.all()),
                key=lambda r: (r["framework"], r["version"], r["code"]),
            ),
            "evidence": sorted(context.evidence_refs[e.pk] for e in a.evidence.all()),
        }
        for a in rows
    ]


def _amount(
    check: Checker, item: dict[str, Any], key: str, p: str, *, positive: bool
) -> Decimal | None:
    """Hours or credits: a number as text, to the hundredth, under 10,000 (0 allowed only
    where `positive` is false). None when it is not one."""
    try:
        value = Decimal(str(item.get(key)))
    except ArithmeticError:
        value = Decimal("NaN")
    low_ok = value > 0 if positive else value >= 0
    if (
        not value.is_finite()
        or isinstance(item.get(key), bool)
        or not isinstance(item.get(key), str)
    ):
        check.add(p + key, 'Expected a number written as text, like "2.5".')
        return None
    if not low_ok or value >= 10_000 or value != value.quantize(Decimal("0.01")):
        bound = "more than 0" if positive else "0 or more"
        check.add(p + key, f"Expected {bound}, under 10,000, to the hundredth at most.")
        return None
    return value


def _check_activity(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.date(item, "occurred_on", p)
    check.text(item, "title", p, max_length=200)
    check.text(item, "provider", p, max_length=200)
    check.text(item, "notes", p, max_length=4000)
    check.text(item, "source", p, max_length=200)
    credit = check.obj(item.get("credit_type"), p + "credit_type")
    check.text(credit, "code", p + "credit_type.", max_length=40)
    check.text(credit, "name", p + "credit_type.", max_length=120)
    _amount(check, item, "hours", p, positive=True)
    check.refs(item, "competencies", p)
    check.evidence_refs(item, "evidence", p, evidence)


def _restore_activities(
    context: RestoreContext, items: list[tuple[uuid.UUID, dict[str, Any]]]
) -> list[dict[str, Any]]:
    learner = context.learner
    types = {t.code: t for t in CreditType.objects.all()}
    sources = set(
        CpdActivity.objects.filter(learner=learner)
        .exclude(source="")
        .values_list("source", flat=True)
    )
    wanted = {i for i, _ in items} | {local_id(learner, i) for i, _ in items}
    taken = set(
        CpdActivity.objects.filter(public_id__in=wanted).values_list("public_id", flat=True)
    )
    kept: list[dict[str, Any]] = []
    rows: list[tuple[CpdActivity, list[Any], list[Evidence]]] = []
    for archive_id, item in items:
        credit_type = types.get(item["credit_type"]["code"])
        competencies = [context.competency(ref) for ref in item["competencies"]]
        if credit_type is None or None in competencies or (item["source"] in sources):
            why = (
                f"the credit type {item['credit_type']['code']} is not set up here"
                if credit_type is None
                else "a competency it names is not installed here"
                if None in competencies
                else "an activity from the same source is already in the diary"
            )
            context.notes.append(f"CPD activity “{item['title']}” kept as a record: {why}.")
            # A record outlives this document's evidence references: it names the evidence.
            titles = [context.evidence[ref].title for ref in item["evidence"]]
            kept.append({**item, "evidence": [], "evidence_titles": titles})
            continue
        if item["source"]:
            sources.add(item["source"])
        public_id = archive_id if archive_id not in taken else local_id(learner, archive_id)
        if public_id in taken:
            public_id = uuid.uuid4()
        taken.add(public_id)
        row = CpdActivity(
            public_id=public_id,
            learner=learner,
            occurred_on=dt.date.fromisoformat(item["occurred_on"]),
            title=item["title"],
            provider=item["provider"],
            credit_type=credit_type,
            hours=Decimal(str(item["hours"])),
            notes=item["notes"],
            source=item["source"],
        )
        rows.append((row, competencies, [context.evidence[ref] for ref in item["evidence"]]))
    CpdActivity.objects.bulk_create([row for row, _, _ in rows], batch_size=500)
    competency_through = CpdActivity.competencies.through
    competency_through.objects.bulk_create(
        competency_through(cpdactivity_id=row.pk, competency_id=c.pk)
        for row, competencies, _ in rows
        for c in competencies
        if c is not None
    )
    evidence_through = CpdActivity.evidence.through
    evidence_through.objects.bulk_create(
        evidence_through(cpdactivity_id=row.pk, evidence_id=e.pk)
        for row, _, evidence in rows
        for e in evidence
    )
    return kept


def _cycle_id(*fields: object) -> str:
    # A cycle has no public identifier: what it says is what it is.
    return derived_id("licensing-cycle", *fields)


def _cycles(context: ExportContext) -> list[dict[str, Any]]:
    items = {}
    for c in LicensingCycle.objects.filter(learner=context.learner):
        item = {
            "name": c.name,
            "start_date": c.start_date.isoformat(),
            "length_months": c.length_months,
            "credits_required": _number(c.credits_required),
            "category_1_required": _number(c.category_1_required),
        }
        item["id"] = _cycle_id(*item.values())
        items[item["id"]] = item
    return list(items.values())


def _check_cycle(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "name", p, max_length=120)
    check.date(item, "start_date", p)
    months = item.get("length_months")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        check.add(p + "length_months", "A cycle lasts from 1 to 120 months.")
    required = _amount(check, item, "credits_required", p, positive=True)
    category_1 = _amount(check, item, "category_1_required", p, positive=False)
    if required is not None and category_1 is not None and category_1 > required:
        check.add(p + "category_1_required", "Category 1 credits are part of the total.")


def _cycle_ids(learner: User) -> list[uuid.UUID]:
    return [
        uuid.UUID(item["id"]) for item in _cycles(ExportContext(learner=learner, evidence_refs={}))
    ]


def _restore_cycles(
    context: RestoreContext, items: list[tuple[uuid.UUID, dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows = []
    for _, item in items:
        start = dt.date.fromisoformat(item["start_date"])
        rows.append(
            LicensingCycle(
                learner=context.learner,
                name=item["name"],
                start_date=start,
                length_months=item["length_months"],
                end_date=add_months(start, item["length_months"]),
                credits_required=Decimal(str(item["credits_required"])),
                category_1_required=Decimal(str(item["category_1_required"])),
            )
        )
    LicensingCycle.objects.bulk_create(rows)
    return []


def register() -> None:
    archive_section_register(
        ArchiveSection(
            key="cpd_activities",
            label=lambda a: f"{a['title']} ({a['hours']} h, {a['credit_type']['name']})",
            author=lambda a: a["provider"],
            one="CPD activity",
            several="CPD activities",
            description="the CPD diary",
            export=_activities,
            check=_check_activity,
            sort_key=lambda a: (a["occurred_on"], a["title"], a["provider"]),
            known_ids=lambda learner: CpdActivity.objects.filter(learner=learner).values_list(
                "public_id", flat=True
            ),
            restore=_restore_activities,
            refs=lambda a: a["competencies"],
        )
    )
    archive_section_register(
        ArchiveSection(
            key="licensing_cycles",
            label=lambda c: (
                f"{c['name']}: {c['credits_required']} credits in {c['length_months']} months"
            ),
            author=lambda c: "",
            one="licensing cycle",
            several="licensing cycles",
            description="the licensing cycles the CPD diary counts towards",
            export=_cycles,
            check=_check_cycle,
            sort_key=lambda c: (c["start_date"], c["name"]),
            known_ids=_cycle_ids,
            restore=_restore_cycles,
        )
    )
