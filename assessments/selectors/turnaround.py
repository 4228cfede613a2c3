"""An assessor's own completion and turnaround: how many observation requests reached them,
how many they completed or declined, how many ran past their due date unanswered, and how
long completing took. Only the assessor reads their own numbers; no learner's item is shown,
only counts of requests addressed to them."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from assessments.models import AssessmentRequest

# The windows the page and the API report, in days, newest first.
WINDOWS = (90, 365)


@dataclass
class Turnaround:
    days: int  # the window: requests received in the last `days` days
    since: dt.date
    received: int
    completed: int
    completed_on_time: int  # by the due date (or the default wait when none was set)
    declined: int
    expired: int  # still open, past the due date
    waiting: int  # still open, not yet due
    median_days: float | None  # received → completed, completed requests only
    fastest_days: float | None
    slowest_days: float | None

    @property
    def completion_rate(self) -> int | None:
        """Completed of those that were answered or ran out (percent); None before any."""
        settled = self.completed + self.declined + self.expired
        return round(100 * self.completed / settled) if settled else None


def _days(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def _window(
    rows: list[tuple[str, dt.datetime, dt.datetime | None, dt.date | None]],
    days: int,
    today: dt.date,
) -> Turnaround:
    since = today - dt.timedelta(days=days)
    counts = {"completed": 0, "on_time": 0, "declined": 0, "expired": 0, "waiting": 0}
    durations: list[float] = []
    received = 0
    for status, created_at, closed_at, due_on in rows:
        if timezone.localdate(created_at) < since:
            continue
        received += 1
        due = due_on or (
            timezone.localdate(created_at) + dt.timedelta(days=AssessmentRequest.DEFAULT_DUE_DAYS)
        )
        if status == AssessmentRequest.Status.COMPLETED:
            counts["completed"] += 1
            if closed_at is not None:
                durations.append(_days(created_at, closed_at))
                if timezone.localdate(closed_at) <= due:
                    counts["on_time"] += 1
        elif status == AssessmentRequest.Status.DECLINED:
            counts["declined"] += 1
        elif due < today:
            counts["expired"] += 1
        else:
            counts["waiting"] += 1
    return Turnaround(
        days=days,
        since=since,
        received=received,
        completed=counts["completed"],
        completed_on_time=counts["on_time"],
        declined=counts["declined"],
        expired=counts["expired"],
        waiting=counts["waiting"],
        median_days=round(statistics.median(durations), 1) if durations else None,
        fastest_days=min(durations) if durations else None,
        slowest_days=max(durations) if durations else None,
    )


def turnaround_of(*, assessor: User, today: dt.date | None = None) -> list[Turnaround]:
    """The assessor's numbers for each of `WINDOWS` (one query: the year's requests, four
    columns each; an assessor receives hundreds a year at most)."""
    today = today or timezone.localdate()
    oldest = today - dt.timedelta(days=max(WINDOWS))
    rows = list(
        AssessmentRequest.objects.filter(
            assessor=assessor, created_at__date__gte=oldest
        ).values_list("status", "created_at", "closed_at", "due_on")
    )
    return [_window(rows, days, today) for days in WINDOWS]
