from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User, hash_token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` against hashed personal tokens."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:  # type: ignore[override]
        return super().authenticate(request)  # type: ignore[return-value]

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:  # type: ignore[override]
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_token(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        # Touch at most once a minute so a busy integration does not write on every call.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
