"""The first screen: what a newcomer does first, by what brought them.

A newly enrolled learner sees three first steps (a check-in against the program's frameworks,
connecting a coach, sharing with the committee), each ticked once done; the card goes when all
three are. A faculty member sees the observation requests addressed to them, even before the
first one arrives, so they know where requests will appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from assessments.models import AssessmentRequest
from assessments.selectors.observations import requests_to_assessor
from coaching.selectors import relationships_of
from portfolio.selectors import checkins_visible_to, share_grants_of
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
    """The learner's first steps in their program, or [] once all are done (three queries)."""
    if enrollment is None:
        return []
    program = enrollment.program
    against = ", ".join(frameworks) if frameworks else f"{program.name}'s competencies"
    steps = [
        FirstStep(
            "Do your first check-in",
            f"Rate yourself against {against} in a few minutes: it shows where you stand "
            f"against what {enrollment.year_label} expects.",
            reverse("checkin-start"),
            checkins_visible_to(viewer=learner, learner=learner).exists(),
        ),
        FirstStep(
            "Connect a coach",
            "Invite a coach or advisor to follow your goals and progress; you choose what "
            "they see.",
            reverse("coaching-invite"),
            relationships_of(user=learner).filter(learner=learner).exists(),
        ),
        FirstStep(
            "Share with your competency committee",
            f"Decide what {program.name}'s committee sees beyond the official record, such "
            "as your check-ins before a review.",
            reverse("share-list"),
            share_grants_of(learner=learner).filter(program=program).exists(),
        ),
    ]
    return [] if all(step.done for step in steps) else steps


def faculty_requests(*, user: User, roles: set[str]) -> list[AssessmentRequest] | None:
    """Open observation requests addressed to an assessor (newest first, a few), or None for
    someone who holds no assessor role (one query when they do)."""
    if not roles & set(ProgramRole.ASSESSOR_ROLES):
        return None
    requests = requests_to_assessor(assessor=user).filter(status=AssessmentRequest.Status.OPEN)
    return list(requests.prefetch_related(None)[:FACULTY_REQUESTS_SHOWN])
