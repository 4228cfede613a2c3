"""The demo's learning group: three residents of Northbridge and their coach as a guest, with
a shared goal, a feed, a shared piece of evidence and peer feedback answered (issue 22).

Written through the groups services, like everything the demo holds; idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User
from demo.world import RESIDENT_NAMES, email_for
from groups.models import (
    FeedbackAnswer,
    FeedbackRequest,
    GroupGoal,
    LearningGroup,
    Membership,
    Post,
)
from groups.services import (
    feedback_answer_record,
    feedback_request_create,
    group_create,
    group_goal_adopt,
    group_goal_create,
    group_invitation_accept,
    group_invite,
    group_item_share,
    post_create,
)
from portfolio.models import Evidence
from programs.models import Institution

GROUP_NAME = "Ward-round study group"
GROUP_MODELS: tuple[type[Model], ...] = (
    LearningGroup,
    GroupGoal,
    Post,
    FeedbackRequest,
    FeedbackAnswer,
)

GOAL_TITLE = "Present one case at ward-round teaching each month"


def seed_groups(*, institution: Institution) -> None:
    """Add the demo's learning group unless it exists (or the roster is too small for it)."""
    del institution  # the demo's people are found by their addresses
    emails = [email_for(name) for name in RESIDENT_NAMES[:3]]
    coach_email = email_for("Nadia Haddad")
    people = {u.email: u for u in User.objects.filter(email__in=[*emails, coach_email])}
    if len(people) < 4:
        return
    ana, kwame, sofia = (people[e] for e in emails)
    if LearningGroup.objects.filter(name=GROUP_NAME, created_by=ana).exists():
        return
    with transaction.atomic():
        _write(ana, kwame, sofia, people[coach_email])


def _write(ana: User, kwame: User, sofia: User, nadia: User) -> None:
    group = group_create(
        creator=ana,
        name=GROUP_NAME,
        purpose="PGY residents preparing ward-round case presentations together.",
    )
    for person, role in ((kwame, Membership.Role.MEMBER), (sofia, Membership.Role.MEMBER)):
        group_invitation_accept(
            membership=group_invite(group=group, inviter=ana, email=person.email, role=role)
        )
    group_invitation_accept(
        membership=group_invite(
            group=group, inviter=ana, email=nadia.email, role=Membership.Role.GUEST
        )
    )
    goal = group_goal_create(
        group=group,
        creator=ana,
        title=GOAL_TITLE,
        measure="Three presentations this block, each with peer feedback.",
    )
    target = timezone.localdate() + dt.timedelta(days=90)
    group_goal_adopt(group_goal=goal, learner=ana, target_date=target, show_progress=True)
    group_goal_adopt(group_goal=goal, learner=kwame, target_date=target, show_progress=False)
    post_create(
        group=group,
        author=ana,
        body="Welcome! Let's each bring **one case** a month. Slides optional, questions "
        "encouraged.",
    )
    post_create(
        group=group,
        author=kwame,
        body="I'll go first with the DKA admission from last week — feedback welcome.",
    )
    post_create(
        group=group,
        author=nadia,
        body="Glad to join as a guest. A tip: end each case with *one* teaching point.",
    )
    evidence = (
        Evidence.objects.filter(learner=ana).not_reflections().order_by("-occurred_on").first()
    )
    if evidence is not None:
        group_item_share(group=group, learner=ana, evidence_public_id=evidence.public_id)
        request = feedback_request_create(
            group=group,
            asker=ana,
            evidence_public_id=evidence.public_id,
            question="Is the write-up clear enough to present as it stands?",
        )
        feedback_answer_record(
            request=request,
            responder=kwame,
            went_well="The timeline of the admission is easy to follow.",
            to_improve="Say earlier why the first plan changed.",
            clarity=4,
        )
        feedback_answer_record(
            request=request,
            responder=sofia,
            went_well="Good use of the ward's escalation criteria.",
            to_improve="Cut the lab table to the three values that mattered.",
            clarity=3,
        )
    talk = feedback_request_create(
        group=group,
        asker=kwame,
        topic="DKA admission: ward-round presentation",
        question="Was the pacing right for ten minutes?",
    )
    feedback_answer_record(
        request=talk,
        responder=ana,
        went_well="Clear structure and a strong closing teaching point.",
        to_improve="Slow down on the fluid calculations.",
        clarity=4,
    )
