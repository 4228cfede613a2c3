"""The coach's overview of their coachees, sorted by who needs attention first.

It reads other apps only through their selectors and access decisions: which of a coachee's
items a coach may see is decided by `portfolio.selectors` (one `Access` per coachee, built from
the grants that apply to the coach). The page runs a fixed number of queries whatever the
number of coachees: each fact is fetched for all coachees at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from django.db.models import F, Max, Min, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn, MonthlyRatingSummary
from assessments.summaries.monthly import level_of_tenths
from coaching.models import CoachingRelationship, Comment, Meeting, Thread
from coaching.selectors import coachee_relationships
from coaching.trends import Trend, coachee_trends
from portfolio.models import RECORDS_SCOPE, AccessLog, Goal, Scope, ShareGrant
from portfolio.selectors import Access, grants_applying_to, scope_of
from portfolio.services import access_log_entry
from programs.models import Enrollment
from programs.selectors import expected_levels_of_sets

DUE_SOON = dt.timedelta(days=14)
STALE_CHECKIN = dt.timedelta(days=60)
STALE_MEETING = dt.timedelta(days=90)
TOP_GAPS = 3


def level_text(value: Decimal) -> str:
    """A level or a difference of levels without trailing zeros: 2, 2.5."""
    return f"{value.normalize():f}"


@dataclass
class Gap:
    code: str
    title: str
    self_level: Decimal
    expected: Decimal

    @property
    def size(self) -> Decimal:
        return self.expected - self.self_level


@dataclass
class Coachee:
    relationship: CoachingRelationship
    learner: User
    access: Access
    latest_checkin_at: dt.datetime | None = None
    overdue_goals: list[Goal] = field(default_factory=list)
    due_soon_goals: list[Goal] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    last_meeting_at: dt.datetime | None = None
    next_meeting_at: dt.datetime | None = None
    unanswered: int = 0
    trend: Trend | None = None  # None when check-ins are not shared
    reasons: list[str] = field(default_factory=list)
    score: int = 0

    @property
    def sees_checkins(self) -> bool:
        return self.access.allows(Scope.CHECKINS)

    @property
    def sees_goals(self) -> bool:
        return self.access.allows(Scope.GOALS)

    @property
    def shared_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [str(labels[s]) for s in Scope.values if self.access.allows(s)]


def _accesses(coach: User, learners: list[User]) -> dict[int, Access]:
    """One Access per coachee from a single read of the grants that apply to the coach."""
    grants: dict[int, list[ShareGrant]] = defaultdict(list)
    for grant in grants_applying_to(viewer=coach).filter(learner__in=learners):
        grants[grant.learner_id].append(grant)
    return {
        learner.pk: Access(
            viewer=coach, learner=learner, is_owner=False, grants=tuple(grants[learner.pk])
        )
        for learner in learners
    }


class LatestSelfAssessment(TypedDict):
    learner_id: int
    competency_id: int
    level: Decimal
    code: str
    title: str
    framework_id: int


def _latest_self_assessments(learner_ids: list[int]) -> list[LatestSelfAssessment]:
    """Each learner's latest self-assessment per competency, in one query: as plain rows of
    what the gaps need (learner, competency and its framework, code, title, level), since a
    coach's overview reads hundreds of them on every view.

    Read from the monthly rating summary, whose latest month holds the competency's latest
    level (as the dashboard reads it): one row per competency and month however often the
    learner checks in, where the self-assessments themselves grow with every check-in."""
    if not learner_ids:
        return []
    ranked = MonthlyRatingSummary.objects.filter(
        learner_id__in=learner_ids, rated_by=MonthlyRatingSummary.RatedBy.SELF
    ).annotate(
        rank=Window(RowNumber(), partition_by=["learner_id", "competency_id"], order_by="-month")
    )
    return [
        {
            "learner_id": row["learner_id"],
            "competency_id": row["competency_id"],
            "level": level_of_tenths(row["last_tenths"]),
            "code": row["code"],
            "title": row["title"],
            "framework_id": row["framework_id"],
        }
        for row in ranked.filter(rank=1).values(
            "learner_id",
            "competency_id",
            "last_tenths",
            code=F("competency__code"),
            title=F("competency__title"),
            framework_id=F("competency__framework_id"),
        )
    ]


def _gaps(latest: list[LatestSelfAssessment], learner_ids: list[int]) -> dict[int, list[Gap]]:
    """Largest self-assessed gaps below the expected level, per learner.

    Learners in the same programs and training years share their expected levels: they are
    worked out once per such set, all sets in one read (`expected_levels_of_sets`).
    """
    if not latest:
        return {}
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in (
        Enrollment.objects.current()
        .filter(learner_id__in=learner_ids)
        .select_related("program")
        .prefetch_related("program__frameworks")
        .order_by("-start_date", "-id")
    ):
        enrollments[enrollment.learner_id].append(enrollment)
    by_learner: dict[int, list[LatestSelfAssessment]] = defaultdict(list)
    for row in latest:
        by_learner[row["learner_id"]].append(row)
    groups: dict[tuple[tuple[int, int], ...], list[int]] = defaultdict(list)
    for learner_id in by_learner:
        signature = tuple((e.program_id, e.training_year) for e in enrollments[learner_id])
        if signature:
            groups[signature].append(learner_id)
    members_of = list(groups.values())
    expected_of = expected_levels_of_sets(
        sets=[
            (
                enrollments[members[0]],
                {r["competency_id"]: r["framework_id"] for m in members for r in by_learner[m]},
            )
            for members in members_of
        ]
    )
    result: dict[int, list[Gap]] = {}
    for members, expected in zip(members_of, expected_of, strict=True):
        for learner_id in members:
            gaps = [
                Gap(r["code"], r["title"], r["level"], expected[r["competency_id"]])
                for r in by_learner[learner_id]
                if r["competency_id"] in expected and expected[r["competency_id"]] > r["level"]
            ]
            gaps.sort(key=lambda g: (-g.size, g.code))
            result[learner_id] = gaps[:TOP_GAPS]
    return result


def self_assessed_gaps(*, learner_ids: list[int]) -> dict[int, list[Gap]]:
    """The largest gaps between each learner's latest self-assessment and the level expected
    of them now. Callers pass only learners whose check-ins the viewer may see."""
    return _gaps(_latest_self_assessments(learner_ids), learner_ids)


def _log_reads(coachees: list[Coachee], now: dt.datetime) -> None:
    """Append what the overview showed to each learner's access log, in one INSERT.

    Rows are built like `portfolio.services.access_log_record`'s, for many learners at once
    (that service takes one learner per call, which would cost a query per coachee).
    """
    rows = []
    for coachee in coachees:
        access = coachee.access
        for goal in coachee.overdue_goals + coachee.due_soon_goals:
            scope = scope_of(goal)
            rows.append(
                access_log_entry(
                    learner_id=coachee.learner.pk,
                    viewer=access.viewer,
                    grant=access.grant_for(scope),
                    scope=scope,
                    item_type="goal",
                    item_id=goal.pk,
                    label=goal.title,
                    action=AccessLog.Action.LIST,
                    at=now,
                )
            )
        if coachee.latest_checkin_at is not None or coachee.gaps or _has_trend(coachee):
            rows.append(
                access_log_entry(
                    learner_id=coachee.learner.pk,
                    viewer=access.viewer,
                    grant=access.grant_for(Scope.CHECKINS),
                    scope=Scope.CHECKINS,
                    item_type="checkin",
                    item_id=None,
                    label="Latest check-in, self-assessed gaps and trend (coach overview)",
                    action=AccessLog.Action.LIST,
                    at=now,
                )
            )
        if coachee.trend is not None and coachee.trend.assessor_recent_n:
            rows.append(
                access_log_entry(
                    learner_id=coachee.learner.pk,
                    viewer=access.viewer,
                    scope=RECORDS_SCOPE,
                    item_type="assessment",
                    item_id=None,
                    label="Mean of assessors' recent ratings (coach overview trend)",
                    action=AccessLog.Action.LIST,
                    at=now,
                )
            )
    if rows:
        AccessLog.objects.bulk_create(rows)


def _has_trend(coachee: Coachee) -> bool:
    trend = coachee.trend
    return trend is not None and bool(trend.self_points or trend.assessor_recent_n)


def _attention(coachee: Coachee, now: dt.datetime) -> None:
    """Why this coachee may need the coach now, most pressing first, and a score to sort by."""
    reasons: list[tuple[int, str]] = []
    if coachee.unanswered:
        n = coachee.unanswered
        reasons.append((4, f"Replied to you in {n} thread{'s' if n > 1 else ''}"))
    if coachee.overdue_goals:
        n = len(coachee.overdue_goals)
        reasons.append((3 * min(n, 3), f"{n} goal{'s' if n > 1 else ''} overdue"))
    if coachee.sees_checkins:
        if coachee.latest_checkin_at is None:
            reasons.append((2, "Has not checked in yet"))
        elif now - coachee.latest_checkin_at > STALE_CHECKIN:
            days = (now - coachee.latest_checkin_at).days
            reasons.append((2, f"No check-in for {days} days"))
    if coachee.gaps and coachee.gaps[0].size >= 1:
        gap = coachee.gaps[0]
        reasons.append((2, f"Self-rated {level_text(gap.size)} below expected in {gap.code}"))
    if coachee.due_soon_goals:
        n = len(coachee.due_soon_goals)
        reasons.append((1, f"{n} goal{'s' if n > 1 else ''} due within two weeks"))
    if coachee.next_meeting_at is None and (
        coachee.last_meeting_at is None or now - coachee.last_meeting_at > STALE_MEETING
    ):
        reasons.append(
            (1, "No meeting yet" if coachee.last_meeting_at is None else "No meeting for 3 months")
        )
    reasons.sort(key=lambda r: -r[0])
    coachee.reasons = [text for _, text in reasons]
    coachee.score = sum(weight for weight, _ in reasons)


def coachee_overview(*, coach: User, now: dt.datetime | None = None) -> list[Coachee]:
    """Every active coachee of `coach` with what the coach may see, most in need first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    relationships = list(coachee_relationships(coach=coach))
    if not relationships:
        return []
    learners = [r.learner for r in relationships]
    accesses = _accesses(coach, learners)
    coachees = {
        r.learner_id: Coachee(relationship=r, learner=r.learner, access=accesses[r.learner_id])
        for r in relationships
    }
    checkin_ids = [pk for pk, c in coachees.items() if c.sees_checkins]
    goal_ids = [pk for pk, c in coachees.items() if c.sees_goals]

    if checkin_ids:
        latest = (
            CheckIn.objects.filter(learner_id__in=checkin_ids)
            .values("learner_id")
            .annotate(last=Max("created_at"))
        )
        for row in latest:
            coachees[row["learner_id"]].latest_checkin_at = row["last"]
        for learner_id, gaps in self_assessed_gaps(learner_ids=checkin_ids).items():
            coachees[learner_id].gaps = gaps
        for learner_id, trend in coachee_trends(learner_ids=checkin_ids, today=today).items():
            coachees[learner_id].trend = trend

    if goal_ids:
        for goal in (
            Goal.objects.open()
            .filter(learner_id__in=goal_ids, target_date__lte=today + DUE_SOON)
            .order_by("target_date", "id")
        ):
            coachee = coachees[goal.learner_id]
            target = coachee.overdue_goals if goal.is_overdue(today) else coachee.due_soon_goals
            target.append(goal)

    meetings = (
        Meeting.objects.filter(relationship__in=relationships)
        .exclude(status=Meeting.Status.CANCELLED)
        .values("learner_id")
        .annotate(
            last=Max("starts_at", filter=Q(starts_at__lt=now)),
            next=Min("starts_at", filter=Q(starts_at__gte=now, status=Meeting.Status.SCHEDULED)),
        )
    )
    for row in meetings:
        coachees[row["learner_id"]].last_meeting_at = row["last"]
        coachees[row["learner_id"]].next_meeting_at = row["next"]

    # Threads where the learner spoke last: the coach owes an answer.
    last_author = Subquery(
        Comment.objects.filter(thread=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("author_id")[:1]
    )
    for learner_id, last in (
        Thread.objects.filter(participant=coach, learner_id__in=list(coachees))
        .annotate(last_author=last_author)
        .values_list("learner_id", "last_author")
    ):
        if last == learner_id:
            coachees[learner_id].unanswered += 1

    result = list(coachees.values())
    for coachee in result:
        _attention(coachee, now)
    _log_reads(result, now)
    result.sort(key=lambda c: (-c.score, c.learner.name.lower(), c.learner.pk))
    return result
