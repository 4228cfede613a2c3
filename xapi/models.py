"""The learning record store: clients, statements, attachments and documents.

A statement is kept as the JSON the LRS returns for it (`data`), plus the columns its
queries filter and order on: `seq` orders by storage, `agents` and `activities` rows answer
the agent and activity filters with an index instead of a scan of JSON.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def hash_secret(raw: str) -> str:
    # The secret is 256 random bits, so one SHA-256 is as hard to reverse as a slow hash
    # and keeps Basic authentication cheap on every request.
    return hashlib.sha256(raw.encode()).hexdigest()


class LrsClientQuerySet(models.QuerySet["LrsClient"]):
    def active(self) -> LrsClientQuerySet:
        return self.filter(revoked_at__isnull=True)


class LrsClient(models.Model):
    """A system that sends statements: a key and a hashed secret for HTTP Basic."""

    name = models.CharField(max_length=200)
    key = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    reads_all = models.BooleanField(
        default=False,
        help_text="Granted by an administrator: read every client's statements, not only its own.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The xAPI version the client last sent: the answer's version when a request names none.
    xapi_version = models.CharField(max_length=10, default="2.0.0")

    objects = LrsClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "LRS client"

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(16)

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def secret_matches(self, raw: str) -> bool:
        return secrets.compare_digest(self.secret_hash, hash_secret(raw))

    def authority(self) -> dict[str, Any]:
        """The Agent this client's statements carry as `authority`."""
        return {
            "objectType": "Agent",
            "name": self.name,
            "account": {"homePage": "urn:continuum:lrs-client", "name": self.key},
        }


class Statement(models.Model):
    seq = models.BigAutoField(primary_key=True)
    statement_id = models.UUIDField(unique=True)
    client = models.ForeignKey(LrsClient, on_delete=models.PROTECT, related_name="statements")
    data = models.JSONField()
    stored = models.DateTimeField(db_index=True)
    verb_id = models.CharField(max_length=2048)
    registration = models.UUIDField(null=True, blank=True)
    # The statement this one points at through a StatementRef object (voiding or not).
    ref_target = models.UUIDField(null=True, blank=True, db_index=True)
    voided = models.BooleanField(default=False)
    # The actor's identifier when it names one person (for the learner's incoming learning).
    actor_ifi = models.CharField(max_length=600, blank=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["client", "seq"], name="xapi_stmt_client_seq"),
            models.Index(fields=["verb_id", "seq"], name="xapi_stmt_verb_seq"),
            models.Index(fields=["registration", "seq"], name="xapi_stmt_registration_seq"),
        ]

    def __str__(self) -> str:
        return str(self.statement_id)


class StatementAgent(models.Model):
    """An agent or group a statement names; `direct` when it is the actor or the object."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="agents")
    ifi = models.CharField(max_length=600)
    direct = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["ifi", "statement"], name="xapi_agent_ifi")]

    def __str__(self) -> str:
        return self.ifi


class StatementActivity(models.Model):
    """An activity a statement names; `direct` when it is the object."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="activities")
    activity_id = models.CharField(max_length=2048)
    direct = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["activity_id", "statement"], name="xapi_activity_id")]

    def __str__(self) -> str:
        return self.activity_id


class StatementAttachment(models.Model):
    """An attachment a statement (or its SubStatement) names, by hash: when the last
    statement naming a hash goes, its stored content goes too."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="attachment_links"
    )
    sha2 = models.CharField(max_length=128)

    class Meta:
        indexes = [models.Index(fields=["sha2"], name="xapi_attachment_link_sha2")]

    def __str__(self) -> str:
        return self.sha2


class Attachment(models.Model):
    """Attachment content, once per SHA-256: statements name it by hash
    (`StatementAttachment`), and it is deleted when no statement names it any more."""

    sha2 = models.CharField(max_length=128, primary_key=True)
    content_type = models.CharField(max_length=255)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.sha2


class Activity(models.Model):
    """The LRS's canonical definition of an activity, merged from the statements it saw."""

    activity_id = models.CharField(max_length=2048, unique=True)
    definition = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.activity_id


class Document(models.Model):
    """A state, agent profile or activity profile document."""

    class Kind(models.TextChoices):
        STATE = "state"
        AGENT_PROFILE = "agent_profile"
        ACTIVITY_PROFILE = "activity_profile"

    client = models.ForeignKey(LrsClient, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    activity_id = models.CharField(max_length=2048, blank=True)
    agent_ifi = models.CharField(max_length=600, blank=True)
    registration = models.CharField(max_length=36, blank=True)
    document_id = models.CharField(max_length=2048)
    content = models.BinaryField()
    content_type = models.CharField(max_length=255)
    etag = models.CharField(max_length=64)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["client", "kind", "agent_ifi", "activity_id"], name="xapi_document_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id}"

    @staticmethod
    def etag_of(content: bytes) -> str:
        # An ETag names a version, it protects nothing: SHA-1 is what the xAPI examples use.
        return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def new_statement_id() -> uuid.UUID:
    return uuid.uuid4()


class IncomingDecision(models.Model):
    """A learner's answer to a statement about them: accepted as evidence, or dismissed."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted as evidence"
        DISMISSED = "dismissed", "Dismissed"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xapi_decisions"
    )
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="decisions")
    status = models.CharField(max_length=20, choices=Status.choices)
    evidence = models.ForeignKey(
        "portfolio.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "statement"], name="xapi_decision_once")
        ]

    def __str__(self) -> str:
        return f"{self.learner} {self.status} {self.statement}"


class CompetencyMapping(models.Model):
    """Admin-maintained: statements about this activity (by id or by type) suggest a competency."""

    activity_id = models.CharField(max_length=2048, blank=True, db_index=True)
    activity_type = models.CharField(max_length=2048, blank=True, db_index=True)
    competency = models.ForeignKey(
        "frameworks.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    (models.Q(activity_id="") & ~models.Q(activity_type=""))
                    | (~models.Q(activity_id="") & models.Q(activity_type=""))
                ),
                name="xapi_mapping_id_or_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_id or self.activity_type} → {self.competency_id}"
