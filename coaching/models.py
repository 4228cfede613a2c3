"""Coaching: relationships, comment threads, and meetings with action items.

A relationship alone opens nothing: what a coach may read is decided by the learner's share
grants (portfolio).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from assessments.models import CheckIn
from portfolio.models import Evidence, Goal, Scope, ShareGrant
from programs.models import Program

BODY_MAX = 5000
NOTES_MAX = 20000


# --- Relationships --------------------------------------------------------------------------


class RelationshipQuerySet(models.QuerySet["CoachingRelationship"]):
    def active(self) -> RelationshipQuerySet:
        return self.filter(status=CoachingRelationship.Status.ACTIVE)

    def open(self) -> RelationshipQuerySet:
        """Pending or active: the ones that block a duplicate."""
        return self.filter(
            status__in=[CoachingRelationship.Status.PENDING, CoachingRelationship.Status.ACTIVE]
        )


class CoachingRelationship(models.Model):
    """A coach follows a learner. Proposed by a program or by the learner; the other side
    (the learner for a program's assignment, the coach for a learner's invitation) accepts."""

    class Origin(models.TextChoices):
        PROGRAM = "program", "Assigned by the program"
        LEARNER = "learner", "Invited by the learner"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        ENDED = "ended", "Ended"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaches_rel"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coachees_rel"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(max_length=500, blank=True)
    # The share the learner confirmed for this coach: scope names (portfolio.Scope values).
    share_scopes = models.JSONField(default=list, blank=True)
    share_grant = models.ForeignKey(
        ShareGrant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "coach"],
                condition=Q(status__in=["pending", "active"]),
                name="uniq_open_coaching_relationship",
            ),
            models.CheckConstraint(
                condition=~Q(learner=models.F("coach")), name="coach_is_not_learner"
            ),
        ]
        indexes = [models.Index(fields=["coach", "status"])]

    def __str__(self) -> str:
        return f"{self.coach} coaches {self.learner} ({self.status})"

    @property
    def awaiting(self) -> str:
        """Whose answer a pending relationship waits for: 'learner' or 'coach'."""
        return "learner" if self.origin == self.Origin.PROGRAM else "coach"

    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def share_scope_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [str(labels.get(scope, scope)) for scope in self.share_scopes]


# --- Threads --------------------------------------------------------------------------------


class Thread(models.Model):
    """A conversation between a learner and one other person about one of the learner's items.

    One thread per (person, item): a coach's comments are read by the learner and that coach,
    never by others the learner shares the same item with.
    """

    class TargetType(models.TextChoices):
        GOAL = "goal", "Goal"
        EVIDENCE = "evidence", "Evidence"
        CHECKIN = "checkin", "Check-in"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_type="goal", goal__isnull=False, evidence__isnull=True)
                    & Q(checkin__isnull=True)
                )
                | (
                    Q(target_type="evidence", evidence__isnull=False, goal__isnull=True)
                    & Q(checkin__isnull=True)
                )
                | (
                    Q(target_type="checkin", checkin__isnull=False, goal__isnull=True)
                    & Q(evidence__isnull=True)
                ),
                name="thread_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["participant", "goal"],
                condition=Q(goal__isnull=False),
                name="uniq_thread_goal",
            ),
            models.UniqueConstraint(
                fields=["participant", "evidence"],
                condition=Q(evidence__isnull=False),
                name="uniq_thread_evidence",
            ),
            models.UniqueConstraint(
                fields=["participant", "checkin"],
                condition=Q(checkin__isnull=False),
                name="uniq_thread_checkin",
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "last_activity_at"]),
            models.Index(fields=["participant", "last_activity_at"]),
        ]

    def __str__(self) -> str:
        return f"Thread on {self.target_type} {self.target_id} with {self.participant}"

    def get_absolute_url(self) -> str:
        names = {
            self.TargetType.GOAL: "coaching-goal-thread",
            self.TargetType.EVIDENCE: "coaching-evidence-thread",
            self.TargetType.CHECKIN: "coaching-checkin-thread",
        }
        return reverse(names[self.TargetType(self.target_type)], args=[self.target_id])

    @property
    def url(self) -> str:
        return self.get_absolute_url()

    @property
    def target(self) -> Goal | Evidence | CheckIn:
        target = self.goal or self.evidence or self.checkin
        assert target is not None
        return target

    @property
    def target_id(self) -> int | None:
        return self.goal_id or self.evidence_id or self.checkin_id

    @property
    def target_label(self) -> str:
        if self.goal is not None:
            return self.goal.title
        if self.evidence is not None:
            return self.evidence.title
        if self.checkin is not None:
            return f"Check-in of {timezone.localdate(self.checkin.created_at):%d %b %Y}"
        return ""


class Comment(models.Model):
    """One message in a thread. Markdown source is kept; the sanitised HTML is what is shown.

    Edits keep every earlier version (CommentRevision); a deleted comment stays as a tombstone.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=BODY_MAX)
    body_html = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentRevision(models.Model):
    """An earlier text of an edited comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(max_length=BODY_MAX)
    body_html = models.TextField()
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-replaced_at", "-id"]

    def __str__(self) -> str:
        return f"Revision of comment {self.comment_id} at {self.replaced_at}"


# --- Meetings -------------------------------------------------------------------------------


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def upcoming(self, now: dt.datetime | None = None) -> MeetingQuerySet:
        now = now or timezone.now()
        return self.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now)


class Meeting(models.Model):
    """A coaching meeting. Notes come in two parts: private to the coach, shared with both."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    relationship = models.ForeignKey(
        CoachingRelationship, on_delete=models.CASCADE, related_name="meetings"
    )
    # Denormalised from the relationship so lists filter without a join.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    agenda = models.TextField(blank=True, max_length=NOTES_MAX)
    agenda_html = models.TextField(blank=True)
    shared_notes = models.TextField(blank=True, max_length=NOTES_MAX)
    shared_notes_html = models.TextField(blank=True)
    private_notes = models.TextField(blank=True, max_length=NOTES_MAX)
    private_notes_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["coach", "starts_at"]),
            models.Index(fields=["learner", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.coach} / {self.learner} at {self.starts_at:%Y-%m-%d %H:%M}"


class ActionItem(models.Model):
    """Something agreed in a meeting that becomes (or changes) one of the learner's goals.

    Nothing is written to the learner's plan until the learner confirms.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the learner"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True, max_length=2000)
    target_date = models.DateField(null=True, blank=True)
    # Set when the item changes an existing goal; empty when it proposes a new one.
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    resulting_goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title
