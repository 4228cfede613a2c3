from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person. Email is the login; roles are held per program (programs.ProgramRole)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    # Set when the person erased their account (docs/privacy.md): the row stays only as the
    # anonymised stub that records others need (a signed-off review, an observation) point at.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def contact_email(self) -> str:
        """The address to show people; none for an erased account's stub, whose stored
        address is only a unique placeholder (docs/privacy.md)."""
        return "" if self.is_erased else self.email


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="personal")
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def revoke(self) -> None:
        """Stop the token from authenticating; the row stays as a record of its use."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class SignInRefusal(models.Model):
    """A sign-in attempt refused by the throttle (accounts.throttle), kept for administrators.

    One row per account, address and reason while the refusal lasts, not one per attempt.
    """

    class Reason(models.TextChoices):
        ACCOUNT_AND_ADDRESS = "account_address", "Too many wrong passwords for the account here"
        ADDRESS_CEILING = "address_ceiling", "The address is over its ceiling of failures"

    email = models.CharField(max_length=254, help_text="As typed; the account may not exist.")
    address = models.GenericIPAddressField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    refused_at = models.DateTimeField(auto_now_add=True)
    retry_at = models.DateTimeField()

    class Meta:
        ordering = ["-refused_at"]
        indexes = [models.Index(fields=["-refused_at"])]

    def __str__(self) -> str:
        return f"{self.email} from {self.address} ({self.get_reason_display()})"
