"""Who reads what of a learning group. Every access rule of the app is here.

- A group, its members, goals, posts, shared items and feedback requests are read by its
  active members (members and guests) only; anyone else gets nothing (a 404).
- Someone invited reads the group's name and who invited them, to accept or decline.
- Someone who left still finds the group (so a late post gets a clear refusal, not a 404),
  but reads nothing in it.
- Items shared to the group are read through `portfolio.selectors` (the circle's grants):
  the rule for a learner's items stays there.
- Answers to a feedback request reach the asker; each responder reads only their own. A
  request leaves the group with its asker.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from groups.models import (
    FeedbackAnswer,
    FeedbackRequest,
    GoalAdoption,
    GroupGoal,
    LearningGroup,
    Membership,
    Post,
)
from portfolio.models import ShareGrant
from portfolio.selectors import circle_grants_applying_to, circle_grants_visible_to


def groups_of(*, viewer: User) -> QuerySet[LearningGroup]:
    """The groups `viewer` is an active member or guest of, by name, with their head count."""
    return (
        LearningGroup.objects.filter(
            memberships__user=viewer, memberships__status=Membership.Status.ACTIVE
        )
        .annotate(
            people=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.ACTIVE),
                distinct=True,
            )
        )
        .order_by("name", "id")
    )


def groups_known_to(*, viewer: User) -> QuerySet[LearningGroup]:
    """Groups in which `viewer` has any place, past or present: to tell them clearly what
    they may no longer do there. Reading a group needs `groups_of`."""
    return LearningGroup.objects.filter(memberships__user=viewer).distinct()


def membership_of(*, viewer: User, group: LearningGroup) -> Membership | None:
    """The viewer's own place in the group, whatever its status."""
    return Membership.objects.filter(group=group, user=viewer).first()


def invitations_for(*, viewer: User) -> QuerySet[Membership]:
    """Open invitations to `viewer`, newest first."""
    return (
        Membership.objects.filter(user=viewer, status=Membership.Status.INVITED)
        .select_related("group", "invited_by")
        .order_by("-invited_at", "-id")
    )


def invitation_for(*, viewer: User, group: LearningGroup) -> Membership | None:
    """The viewer's open invitation to `group`, if any."""
    return invitations_for(viewer=viewer).filter(group=group).first()


def _is_member(viewer: User, group: LearningGroup) -> bool:
    return Membership.objects.active().filter(group=group, user=viewer).exists()


def members_of(*, viewer: User, group: LearningGroup) -> QuerySet[Membership]:
    """Members, guests and open invitations of the group, for its members only."""
    if not _is_member(viewer, group):
        return Membership.objects.none()
    return (
        Membership.objects.counted()
        .filter(group=group)
        .select_related("user")
        .order_by("status", "role", "user__display_name", "id")
    )


def posts_visible_to(*, viewer: User, group: LearningGroup) -> QuerySet[Post]:
    """The group's feed, newest first, for its members only."""
    if not _is_member(viewer, group):
        return Post.objects.none()
    return Post.objects.filter(group=group).select_related("author").order_by("-created_at", "-id")


def shared_items_visible_to(*, viewer: User, group: LearningGroup) -> QuerySet[ShareGrant]:
    """Evidence and reflections members shared to the group and have not withdrawn (a member
    who leaves withdraws theirs), through portfolio's rule for circles."""
    return circle_grants_visible_to(viewer=viewer, circle=group.circle).filter(
        evidence__isnull=False
    )


def group_goals_visible_to(*, viewer: User, group: LearningGroup) -> QuerySet[GroupGoal]:
    """The group's goals with who adopted them, for its members only. An adopter's own goal
    (its status and notes) is read through `shared_goal_grants`, never from here."""
    if not _is_member(viewer, group):
        return GroupGoal.objects.none()
    return GroupGoal.objects.filter(group=group).prefetch_related(
        Prefetch(
            "adoptions",
            queryset=GoalAdoption.objects.filter(
                learner__group_memberships__group=group,
                learner__group_memberships__status=Membership.Status.ACTIVE,
            ).select_related("learner"),
        )
    )


def shared_goal_grants(*, viewer: User, group: LearningGroup) -> QuerySet[ShareGrant]:
    """Adopted goals whose owners show their progress to the group, with their notes."""
    return (
        circle_grants_visible_to(viewer=viewer, circle=group.circle)
        .filter(goal__isnull=False)
        .prefetch_related("goal__progress_notes")
    )


def adoptions_of(*, learner: User, group: LearningGroup) -> QuerySet[GoalAdoption]:
    """The learner's own adoptions of the group's goals."""
    return GoalAdoption.objects.filter(learner=learner, group_goal__group=group).select_related(
        "goal", "grant", "group_goal"
    )


def feedback_requests_visible_to(
    *, viewer: User, group: LearningGroup
) -> QuerySet[FeedbackRequest]:
    """The group's requests for feedback, newest first, for its members only; each with how
    many answered (the answers themselves are the asker's). A request of someone who left
    goes with them."""
    if not _is_member(viewer, group):
        return FeedbackRequest.objects.none()
    return (
        FeedbackRequest.objects.filter(
            group=group,
            asker__group_memberships__group=group,
            asker__group_memberships__status=Membership.Status.ACTIVE,
        )
        .select_related("asker", "grant", "grant__evidence")
        .annotate(answer_count=Count("answers"))
        .order_by("-created_at", "-id")
    )


def answers_visible_to(*, viewer: User, request: FeedbackRequest) -> QuerySet[FeedbackAnswer]:
    """All answers for the asker; for anyone else, only their own."""
    answers = FeedbackAnswer.objects.filter(request=request).select_related("responder")
    if request.asker_id == viewer.pk:
        return answers
    return answers.filter(responder=viewer)


def items_shared_with(*, viewer: User) -> QuerySet[ShareGrant]:
    """Items other members shared to any of the viewer's groups, newest first, each with its
    group (through portfolio's rule for circles: a member who left reads none of them)."""
    return (
        circle_grants_applying_to(viewer=viewer)
        .select_related("learner", "evidence", "goal", "circle__group")
        .order_by("-created_at", "-id")
    )
