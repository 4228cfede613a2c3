"""The first screen: what a newcomer does first, by what brought them.

A newly enrolled learner sees three first steps (a check-in against the program's frameworks,
connecting a coach, sharing with the committee), each ticked once done; the card goes when all
three are. A faculty member sees the observation requests addressed to them, even before the
first one arrives, so they know where requests will appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists
from django.urls import reverse

from accounts.models import User
from assessments.models import AssessmentRequest
from assessments.selectors.observations import requests_to_assessor
from coaching.selectors import relationships_of
from portfolio.models import TimelineEntry
from portfolio.selectors import checkins_visible_to, share_grants_of, timeline_entries_of
from programs.models import Enrollment, ProgramRole

FACULTY_REQUESTS_SHOWN = 5


@dataclass(frozen=True)
class FirstStep:
    title: str
    detail: str
    url: str
    done: bool


def first_steps(
    *, learner: User, enrollment: Enrollment | None, frameworks: list[str]
) -> list[FirstStep]:
    """The learner's first steps in their program, or [] once all are done (one query)."""
    if enrollment is None:
        return []
    program = enrollment.program
    against = ", ".join(frameworks) if frameworks else f"{program.name}'s competencies"
    # One query: the three "done yet?" questions as EXISTS over each app's own selector.
    checked_in, coached, shared = (
        User.objects.filter(pk=learner.pk)
        .annotate(
            checked_in=Exists(checkins_visible_to(viewer=learner, learner=learner)),
            coached=Exists(relationships_of(user=learner).filter(learner=learner)),
            shared=Exists(share_grants_of(learner=learner).filter(program=program)),
        )
        .values_list("checked_in", "coached", "shared")
        .get()
    )
    steps = [
        FirstStep(
            "Do your first check-in",
            f"Rate yourself against {against} in a few minutes: it shows where you stand "
            f"against what {enrollment.year_label} expects.",
            reverse("checkin-start"),
            checked_in,
        ),
        FirstStep(
            "Connect a coach",
            "Invite a coach or advisor to follow your goals and progress; you choose what "
            "they see.",
            reverse("coaching-invite"),
            coached,
        ),
        FirstStep(
            "Share with your competency committee",
            f"Decide what {program.name}'s committee sees beyond the official record, such "
            "as your check-ins before a review.",
            reverse("share-list"),
            shared,
        ),
    ]
    return [] if all(step.done for step in steps) else steps


def outside_stage(*, learner: User, enrollment: Enrollment | None) -> TimelineEntry | None:
    """For someone who signed up without a program: the stage they said they are in (one
    query), so the first screen can speak to it."""
    if enrollment is not None:
        return None
    return timeline_entries_of(learner=learner).filter(end_date__isnull=True).last()


def faculty_requests(*, user: User, roles: set[str]) -> list[AssessmentRequest] | None:
    """Open observation requests addressed to an assessor (newest first, a few), or None for
    someone who holds no assessor role (one query when they do)."""
    if not roles & set(ProgramRole.ASSESSOR_ROLES):
        return None
    requests = requests_to_assessor(assessor=user).filter(status=AssessmentRequest.Status.OPEN)
    return list(requests.prefetch_related(None)[:FACULTY_REQUESTS_SHOWN])
