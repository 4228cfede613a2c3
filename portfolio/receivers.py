"""Setting up a new person's stage from what they said at sign-up.

allauth sends `user_signed_up` for every new account, however made; the sign-up form (in
accounts, below us) leaves the answer in the session. Someone who arrived through a program's
invitation gets their stage from the enrollment instead.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.forms import SIGNUP_STAGE_SESSION_KEY
from accounts.models import User
from portfolio.services import stage_set_up
from programs.services import PENDING_INVITATION


def stage_set_up_on_sign_up(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    answer = session.pop(SIGNUP_STAGE_SESSION_KEY, None)
    if not answer or PENDING_INVITATION in session:
        return
    stage_set_up(learner=user, arrived_as=answer["arrived_as"], where=answer.get("where", ""))
