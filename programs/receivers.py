"""Accepting a pending invitation when its person signs in, however they sign in.

The invitation page keeps the link in the session; Django's `user_logged_in` is sent by every
way of signing in (password, a new account, single sign-on through allauth's providers), so
one receiver covers them all and the sign-in code needs to know nothing of invitations.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from accounts.models import User
from programs import services


def invitation_accept_on_sign_in(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None or services.PENDING_INVITATION not in session:
        return
    token = session.pop(services.PENDING_INVITATION)
    try:
        invitation = services.invitation_from_token(token)
        services.invitation_accept(invitation=invitation, user=user)
    except services.InvitationRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, services.invitation_welcome(invitation))
