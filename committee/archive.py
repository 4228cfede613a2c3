"""The committee's sections of the portable archive (docs/portfolio-export.md): the learner's
signed-off reviews — every version of each consensus rating, the summary and the learner's
response — and their signed-off entrustment decisions. Drafts stay inside the committee, as
they do on the learner's pages. Kept on import as read-only records, with the names of the
people who wrote and signed them as they were exported."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from accounts.models import User
from committee.entrustment import decisions_of_learner
from committee.models import ConsensusRating, EntrustmentDecision, LearnerReview
from committee.selectors import reviews_of_learner
from portfolio.archive import (
    ArchiveSection,
    Checker,
    ExportContext,
    archive_section_register,
    derived_id,
)


def _stamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _number(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _ref(competency: Any) -> dict[str, str]:
    return {
        "framework": competency.framework.code,
        "version": competency.framework.version,
        "code": competency.code,
    }


def _name(user: User | None) -> str:
    return user.name if user is not None else ""


def review_id(review: LearnerReview) -> str:
    # Reviews have no public identifier; this one is stable for the row.
    return derived_id(
        "committee-review", review.pk, review.period.program.name, review.period.start_date
    )


def decision_id(decision: EntrustmentDecision) -> str:
    return derived_id(
        "entrustment-decision", decision.pk, decision.program.name, decision.decided_on
    )


def _reviews(context: ExportContext) -> list[dict[str, Any]]:
    reviews = reviews_of_learner(learner=context.learner).prefetch_related(
        Prefetch(
            "ratings",
            queryset=ConsensusRating.objects.select_related("competency__framework", "recorded_by"),
        )
    )
    return [
        {
            "id": review_id(r),
            "program": r.period.program.name,
            "period": r.period.name,
            "start_date": r.period.start_date.isoformat(),
            "end_date": r.period.end_date.isoformat(),
            "training_year": r.training_year,
            "summary": r.summary,
            "signed_off_by": _name(r.signed_off_by),
            "signed_off_at": _stamp(r.signed_off_at),
            "learner_response": r.learner_response,
            "responded_at": _stamp(r.responded_at),
            "ratings": sorted(
                (
                    {
                        "competency": _ref(c.competency),
                        "level": _number(c.level),
                        "rationale": c.rationale,
                        "version": c.version,
                        "is_current": c.is_current,
                        "amendment_reason": c.amendment_reason,
                        "recorded_by": _name(c.recorded_by),
                        "recorded_at": _stamp(c.recorded_at),
                    }
                    for c in r.ratings.all()
                ),
                key=lambda c: (
                    c["competency"]["framework"],
                    c["competency"]["version"],
                    c["competency"]["code"],
                    c["version"],
                ),
            ),
        }
        for r in reviews
    ]


def _check_review(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    for key in ("program", "period", "signed_off_by"):
        check.text(item, key, p, max_length=200)
    check.date(item, "start_date", p)
    check.date(item, "end_date", p)
    check.whole(item, "training_year", p, minimum=1)
    check.text(item, "summary", p, max_length=4000)
    check.text(item, "learner_response", p, max_length=4000)
    check.instant(item, "signed_off_at", p)
    check.instant(item, "responded_at", p)
    for j, c in enumerate(check.items(item, "ratings", p)):
        q = f"{p}ratings[{j}]."
        c = check.obj(c, q[:-1])
        check.competency(check.obj(c.get("competency"), q + "competency"), q + "competency.")
        check.whole(c, "version", q, minimum=1)
        check.number(c, "level", q)
        check.text(c, "rationale", q, max_length=4000)
        check.text(c, "amendment_reason", q, max_length=2000)
        check.text(c, "recorded_by", q, max_length=200)
        check.flag(c, "is_current", q)
        check.instant(c, "recorded_at", q, optional=False)


def _decisions(context: ExportContext) -> list[dict[str, Any]]:
    decisions = decisions_of_learner(learner=context.learner).select_related(
        "recorded_by", "signed_off_by"
    )
    return [
        {
            "id": decision_id(d),
            "program": d.program.name,
            "competency": _ref(d.competency),
            "title": d.competency.title,
            "level": _number(d.level),
            "decided_on": d.decided_on.isoformat(),
            "rationale": d.rationale,
            "conditions": d.conditions,
            "evidence_note": d.evidence_note,
            "is_current": d.is_current,
            "recorded_by": _name(d.recorded_by),
            "signed_off_by": _name(d.signed_off_by),
            "signed_off_at": _stamp(d.signed_off_at),
        }
        for d in decisions
    ]


def _check_decision(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "program", p, max_length=200)
    check.competency(check.obj(item.get("competency"), p + "competency"), p + "competency.")
    check.text(item, "title", p, max_length=300)
    check.number(item, "level", p)
    check.date(item, "decided_on", p)
    check.text(item, "rationale", p, max_length=4000)
    check.text(item, "conditions", p, max_length=2000)
    check.text(item, "evidence_note", p, max_length=2000)
    check.flag(item, "is_current", p)
    check.text(item, "recorded_by", p, max_length=200)
    check.text(item, "signed_off_by", p, max_length=200)
    check.instant(item, "signed_off_at", p)


def _review_ids(learner: User) -> list[uuid.UUID]:
    return [uuid.UUID(review_id(r)) for r in reviews_of_learner(learner=learner)]


def _decision_ids(learner: User) -> list[uuid.UUID]:
    return [uuid.UUID(decision_id(d)) for d in decisions_of_learner(learner=learner)]


def register() -> None:
    archive_section_register(
        ArchiveSection(
            key="committee_reviews",
            label=lambda r: f"{r['program']} · {r['period']}",
            author=lambda r: r["signed_off_by"],
            one="committee review",
            several="committee reviews",
            description="signed-off committee reviews and the learner's responses",
            export=_reviews,
            check=_check_review,
            sort_key=lambda r: (r["start_date"], r["program"]),
            known_ids=_review_ids,
            refs=lambda r: [c["competency"] for c in r["ratings"]],
        )
    )
    archive_section_register(
        ArchiveSection(
            key="entrustment_decisions",
            label=lambda d: f"{d['competency']['code']} {d['title']} at level {d['level']}",
            author=lambda d: d["signed_off_by"],
            one="entrustment decision",
            several="entrustment decisions",
            description="signed-off entrustment decisions",
            export=_decisions,
            check=_check_decision,
            sort_key=lambda d: (d["decided_on"], d["program"], d["competency"]["code"]),
            known_ids=_decision_ids,
            refs=lambda d: [d["competency"]],
        )
    )
