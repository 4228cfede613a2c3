"""Notifications: one message to one person, always in their inbox and emailed as they prefer.

Notifications are an outbox: a row is written in the same transaction as the change it
announces, and delivery (email now, in a daily digest, or not at all) happens after the
commit, by a task that claims the row atomically.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    """What a notification is about; people choose per kind how they hear of it."""

    COMMENT = "comment", "Comments and replies"
    RELATIONSHIP = "relationship", "Coaching invitations and changes"
    MEETING = "meeting", "Meetings and action items"
    REMINDER_CHECKIN = "reminder_checkin", "Reminder: check in before a review"
    REMINDER_GOAL = "reminder_goal", "Reminder: overdue goals"
    REMINDER_MEETING = "reminder_meeting", "Reminder: meeting tomorrow"
    COACH_DIGEST = "coach_digest", "Weekly digest of my coachees"
    OBSERVATION_REQUEST = "observation_request", "Observation requests"
    ASSESSMENT = "assessment", "Assessments about me"
    REVIEW = "review", "Committee reviews"
    LEARNING = "learning", "Learning suggestions before clinics"
    GROUP = "group", "Learning groups: invitations, posts, shares and peer feedback"
    NUDGE = "nudge", "Reminders my coach sends me"


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", "Email me at once"
    DAILY = "daily", "In a daily digest"
    OFF = "off", "No email (inbox only)"


# Kinds whose email is itself a summary: only on or off makes sense for them.
SUMMARY_KINDS = frozenset({Kind.COACH_DIGEST})


class NotificationPreference(models.Model):
    """How one person wants to hear about one kind. No row means the default: at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_pref")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {self.frequency}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def email_pending(self) -> NotificationQuerySet:
        return self.filter(email_status=Notification.EmailStatus.PENDING)


class Notification(models.Model):
    """One message to one person: always in the inbox, and emailed per their preference.

    The row is the outbox: it is written with the change it announces, so a broker outage
    delays the email but never loses it.
    """

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "To send"
        SENDING = "sending", "Being sent"
        DIGEST = "digest", "Waiting for the daily digest"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not emailed"
        FAILED = "failed", "Could not be sent"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=4000)
    url = models.CharField(max_length=500, blank=True)
    # Same key for the same recipient → one notification, however often the caller retries.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "Digest", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="uniq_notification_dedupe",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "created_at"]),
            models.Index(fields=["email_status", "created_at"]),
            # The header's unread count on every page: a partial index holds only unread rows,
            # so the COUNT reads a few index entries however long the inbox grows.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class Digest(models.Model):
    """One summary email per person and period. The unique key is the claim: whoever inserts
    the row sends it; a second run of the task finds it and does nothing."""

    class DigestKind(models.TextChoices):
        DAILY = "daily", "Daily digest of notifications"
        COACH_WEEKLY = "coach_weekly", "Weekly coach digest"

    class Status(models.TextChoices):
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed; will be retried"
        EMPTY = "empty", "Nothing to send"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    kind = models.CharField(max_length=15, choices=DigestKind.choices)
    period_start = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the current attempt was claimed: an attempt this old still "sending" is a dead
    # worker's, and the sweeper marks it failed so the next digest run tries again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "period_start"], name="uniq_digest_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} digest for {self.recipient_id}, {self.period_start}"
