"""Learning groups: a few learners (and a coach as a guest) who learn together.

A group holds shared goals, a feed of posts, items its members chose to share (single-item
share grants to the group's circle, `portfolio.ShareCircle`, so the access rule stays in
`portfolio.selectors`) and requests for peer feedback whose answers go to the asker alone.
Who may read what of a group is decided in `groups/selectors.py`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from portfolio.models import Goal, ShareCircle, ShareGrant

# Members and guests together, invitations still open included.
MAX_PEOPLE = 12


TOPIC_MAX = 200


class LearningGroup(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    purpose = models.TextField(blank=True, max_length=2000)
    circle = models.OneToOneField(ShareCircle, on_delete=models.PROTECT, related_name="group")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="learning_groups_started",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.ACTIVE)

    def counted(self) -> MembershipQuerySet:
        """The people who count towards MAX_PEOPLE: members, guests and open invitations."""
        return self.filter(status__in=[Membership.Status.INVITED, Membership.Status.ACTIVE])


class Membership(models.Model):
    """One person's place in a group: invited, then a member once they accept."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        GUEST = "guest", "Guest (a coach)"

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Member"
        DECLINED = "declined", "Declined"
        LEFT = "left", "Left"

    group = models.ForeignKey(LearningGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="uniq_group_membership")
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id} ({self.status})"


class GroupGoal(models.Model):
    """A goal the group works on together; each member may adopt it into their own plan."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(LearningGroup, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    measure = models.TextField(max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class GoalAdoption(models.Model):
    """A member took a group goal into their own plan. The goal is theirs (`portfolio.Goal`);
    the group sees its progress only while `grant` (a share of that goal) is in force."""

    group_goal = models.ForeignKey(GroupGoal, on_delete=models.CASCADE, related_name="adoptions")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_goal_adoptions"
    )
    goal = models.OneToOneField(Goal, on_delete=models.CASCADE, related_name="group_adoption")
    grant = models.ForeignKey(
        ShareGrant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_goal", "learner"], name="uniq_group_goal_adoption"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} adopted {self.group_goal_id}"


class Post(models.Model):
    """A message in the group's feed, written in Markdown and kept sanitised."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(LearningGroup, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_posts"
    )
    body = models.TextField(max_length=5000)
    body_html = models.TextField(blank=True)
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["group", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_token"],
                condition=Q(client_token__isnull=False),
                name="uniq_group_post_token",
            )
        ]

    def __str__(self) -> str:
        return f"Post {self.public_id}"


class FeedbackRequest(models.Model):
    """A member asks the group for feedback on a piece of evidence (shared to the group) or on
    a presentation. Answers reach the asker alone."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(
        LearningGroup, on_delete=models.CASCADE, related_name="feedback_requests"
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_feedback_asked"
    )
    grant = models.ForeignKey(
        ShareGrant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    topic = models.CharField(max_length=TOPIC_MAX)
    question = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.topic

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FeedbackAnswer(models.Model):
    """One person's answer on the short form: what worked, one thing to change, and how
    clear it was (1–5)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="answers")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_feedback_given"
    )
    went_well = models.TextField(max_length=2000)
    to_improve = models.TextField(max_length=2000)
    clarity = models.PositiveSmallIntegerField(
        choices=[(n, str(n)) for n in range(1, 6)], help_text="1 = hard to follow, 5 = very clear"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "responder"], name="uniq_group_feedback_answer"
            )
        ]

    def __str__(self) -> str:
        return f"Answer to {self.request_id} by {self.responder_id}"
