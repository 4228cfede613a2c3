"""Who may read what of coaching. Every access rule of this app is here.

- A relationship is seen by its learner, its coach, and the directors/coordinators of the
  program that assigned it. It reveals nothing of the learner's portfolio: what a coach may
  read is decided by `portfolio.selectors` from the learner's share grants.
- A thread is seen by its learner and its participant; nobody else. A participant may only
  open (and write in) it while the item is visible to them through a share.
- A meeting is seen by its learner and coach; its private notes only by the coach. Action
  items are the learner's and the coach's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from assessments.models import CheckIn
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting, Thread
from portfolio.models import Evidence, Goal, ShareGrant
from portfolio.selectors import (
    Access,
    access_for,
    checkins_visible_to,
    evidence_visible_to,
    goals_visible_to,
    grants_applying_to,
    scope_of,
)
from programs.models import Enrollment, Program, ProgramRole

ASSIGNING_ROLES = (ProgramRole.Role.DIRECTOR, ProgramRole.Role.COORDINATOR)


# --- Relationships --------------------------------------------------------------------------


def programs_assigning_coaches(*, user: User) -> QuerySet[Program]:
    """Programs where `user` may assign coaches: they direct or coordinate them."""
    return Program.objects.filter(roles__user=user, roles__role__in=ASSIGNING_ROLES).distinct()


def assignable_learners(*, programs: QuerySet[Program]) -> QuerySet[User]:
    """Learners currently enrolled in any of `programs`."""
    return User.objects.filter(
        pk__in=Enrollment.objects.current().filter(program__in=programs).values("learner_id"),
        is_active=True,
    ).order_by("display_name", "email")


def coach_candidates(*, programs: QuerySet[Program]) -> QuerySet[User]:
    """People a program may assign as a coach: anyone holding a role in one of `programs`."""
    return User.objects.filter(
        pk__in=ProgramRole.objects.filter(program__in=programs).values("user_id"),
        is_active=True,
    ).order_by("display_name", "email")


def relationships_visible_to(*, viewer: User) -> QuerySet[CoachingRelationship]:
    """Relationships `viewer` is part of, or that a program they run assigned."""
    return CoachingRelationship.objects.filter(
        Q(learner=viewer)
        | Q(coach=viewer)
        | Q(program__in=programs_assigning_coaches(user=viewer).values("pk"))
    ).select_related("learner", "coach", "program", "share_grant")


def relationships_of(*, user: User) -> QuerySet[CoachingRelationship]:
    """Relationships where `user` is the learner or the coach."""
    return CoachingRelationship.objects.filter(Q(learner=user) | Q(coach=user)).select_related(
        "learner", "coach", "program", "share_grant"
    )


def coachee_relationships(*, coach: User) -> QuerySet[CoachingRelationship]:
    """The coach's active relationships, learner loaded."""
    return (
        CoachingRelationship.objects.active()
        .filter(coach=coach)
        .select_related("learner")
        .order_by("learner__display_name", "learner__email")
    )


def active_relationship(*, coach: User, learner: User) -> CoachingRelationship | None:
    return CoachingRelationship.objects.active().filter(coach=coach, learner=learner).first()


# --- Threads --------------------------------------------------------------------------------

TARGET_MODELS: dict[str, Any] = {
    Thread.TargetType.GOAL: Goal,
    Thread.TargetType.EVIDENCE: Evidence,
    Thread.TargetType.CHECKIN: CheckIn,
}
TARGET_SELECTORS: dict[str, Any] = {
    Thread.TargetType.GOAL: goals_visible_to,
    Thread.TargetType.EVIDENCE: evidence_visible_to,
    Thread.TargetType.CHECKIN: checkins_visible_to,
}


@dataclass(frozen=True)
class Target:
    """One of a learner's items that the viewer may read, and the access that allows it."""

    type: str
    item: Goal | Evidence | CheckIn
    learner: User
    access: Access

    @property
    def field(self) -> str:
        return str(self.type)

    @property
    def label(self) -> str:
        return str(Thread.TargetType(self.type).label).lower()


def target_visible_to(*, viewer: User, target_type: str, pk: int) -> Target | None:
    """The learner's goal, evidence or check-in `pk` if `viewer` may read it, else None.

    The decision is `portfolio.selectors`': the owner always, anyone else through an active
    share whose scope covers the item.
    """
    model = TARGET_MODELS.get(target_type)
    if model is None or not viewer.is_authenticated:
        return None
    learner_id = model.objects.filter(pk=pk).values_list("learner_id", flat=True).first()
    if learner_id is None:
        return None
    learner = viewer if learner_id == viewer.pk else User.objects.get(pk=learner_id)
    access = access_for(viewer=viewer, learner=learner)
    if not access.allows_anything:
        return None
    selector = TARGET_SELECTORS[target_type]
    item = selector(viewer=viewer, learner=learner, access=access).filter(pk=pk).first()
    if item is None:
        return None
    return Target(type=target_type, item=item, learner=learner, access=access)


def threads_on(*, viewer: User, target: Target) -> QuerySet[Thread]:
    """The threads on an item that `viewer` may read: all of them for the learner, their own
    one for anyone else."""
    threads = Thread.objects.filter(**{target.field: target.item}).select_related(
        "learner", "participant"
    )
    if viewer.pk == target.learner.pk:
        return threads.filter(learner=viewer)
    return threads.filter(participant=viewer)


def threads_visible_to(*, viewer: User) -> QuerySet[Thread]:
    """Threads `viewer` takes part in, as the learner or as the other person.

    Someone other than the learner may still list a thread after the learner stops sharing
    the item, but opening it or writing in it needs `target_visible_to` to pass again.
    """
    return Thread.objects.filter(Q(learner=viewer) | Q(participant=viewer)).select_related(
        "learner", "participant", "goal", "evidence", "checkin"
    )


THREAD_LIST_LIMIT = 100


def threads_readable_by(*, viewer: User, limit: int = THREAD_LIST_LIMIT) -> list[Thread]:
    """The viewer's most recently active threads that they may open now, with comment counts.

    The learner's own threads always; someone else's only while the learner still shares the
    item's scope with them (two queries, whatever the number of threads).
    """
    threads: list[Thread] = list(
        threads_visible_to(viewer=viewer)
        .annotate(comment_count=Count("comments", filter=Q(comments__deleted_at__isnull=True)))
        .order_by("-last_activity_at", "-id")[:limit]
    )
    others = {t.learner_id for t in threads if t.learner_id != viewer.pk}
    if not others:
        return threads
    grants: dict[int, list[ShareGrant]] = defaultdict(list)
    for grant in grants_applying_to(viewer=viewer).filter(learner_id__in=others):
        grants[grant.learner_id].append(grant)
    readable: list[Thread] = []
    for thread in threads:
        if thread.learner_id != viewer.pk:
            access = Access(
                viewer=viewer,
                learner=thread.learner,
                is_owner=False,
                grants=tuple(grants[thread.learner_id]),
            )
            if not access.allows(scope_of(thread.target)):
                continue
        readable.append(thread)
    return readable


def comments_in(*, threads: list[Thread]) -> QuerySet[Comment]:
    """The comments of threads already checked for the viewer, oldest first, tombstones
    included, with their edit counts."""
    return (
        Comment.objects.filter(thread__in=threads)
        .select_related("author")
        .annotate(revision_count=Count("revisions"))
        .order_by("created_at", "id")
    )


# --- Meetings -------------------------------------------------------------------------------


def meetings_visible_to(*, viewer: User) -> QuerySet[Meeting]:
    """Meetings `viewer` is in. Private notes are for the coach: views check `meeting.coach`."""
    return Meeting.objects.filter(Q(learner=viewer) | Q(coach=viewer)).select_related(
        "learner", "coach", "relationship"
    )


def action_items_visible_to(*, viewer: User) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(Q(learner=viewer) | Q(meeting__coach=viewer)).select_related(
        "meeting", "meeting__coach", "learner", "goal", "resulting_goal"
    )
