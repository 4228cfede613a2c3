"""The one table core keeps: which create form a person already submitted."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A create form's one-time token, spent: submitting it again (Back, then Save; a double
    click) leads to what the first submission created instead of creating it twice.

    Keyed by (user, token) in the database, not a cache, so a replay is recognised after a
    restart and on any web node; the unique constraint makes two concurrent submissions of one
    token create one thing (`core.once`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.UUIDField()
    # Where the first submission led: the created item's page (or the list showing it).
    url = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="uniq_form_submission_token")
        ]

    def __str__(self) -> str:
        return f"{self.token} → {self.url}"
