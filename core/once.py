"""One-time tokens for create forms: no duplicates after Back or a double click.

A create form renders `{% once_token %}` (a fresh UUID each time the page is rendered) and its
view is decorated with `@submit_once("goal")`. The first POST with a token runs the view in a
transaction; when it succeeds (a redirect), the token is stored with where it led, in the same
transaction. A later POST with the same token does not run the view: it is sent to that page
with "Already saved — this is the goal you created." Two concurrent POSTs of one token meet at
the unique constraint: the second one's work is rolled back and it is sent to the first's page.

A POST without a token (an old page, a test, a script) behaves as before; one whose view does
not redirect (a form with errors), or redirects with an error message, spends nothing, so the
corrected form can still be sent.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.models import FormSubmission

FIELD = "form_token"
# A spent token is kept this long: long enough for any Back button, short enough to stay small.
KEEP_DAYS = 30
REPLAYED = "Already saved — this is the {noun} you created."
# The attribute a non-redirecting view sets on its response to record where a replay goes.
ONCE_URL = "once_url"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def token_input() -> SafeString:
    """The hidden field a create form carries, new on every render."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())


def _token(request: HttpRequest) -> uuid.UUID | None:
    if request.method != "POST" or not request.user.is_authenticated:
        return None
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def _spent(user_id: int, token: uuid.UUID) -> str | None:
    found: str | None = (
        FormSubmission.objects.filter(user_id=user_id, token=token)
        .values_list("url", flat=True)
        .first()
    )
    return found


def _replay(request: HttpRequest, url: str, message: str) -> HttpResponse:
    messages.info(request, message)
    return HttpResponseRedirect(url)


def _refused(request: HttpRequest) -> bool:
    # A view that refuses by redirecting back with an error message (the group page's
    # actions) created nothing: its token stays usable. Django's message storage has no public
    # way to read what this request added without consuming what it loaded.
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    return any(message.level >= messages.ERROR for message in queued)


def _created_at(request: HttpRequest, response: HttpResponse) -> str | None:
    if _refused(request):
        return None
    if isinstance(response, HttpResponseRedirect):
        return response["Location"]
    # A page that shows its result once instead of redirecting (a new API token's key) says
    # where a replay should go.
    url: str | None = getattr(response, ONCE_URL, None)
    return url


def submit_once(
    noun: str | Callable[[HttpRequest], str], *, message: str = ""
) -> Callable[[View], View]:
    """Decorate a view whose POST creates something and redirects to it (or to where it is
    listed). `noun` names it in the replay message: a string, or a function of the request for
    a view with several create forms; `message` replaces the whole message."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            token = _token(request)
            user_id = request.user.pk
            if token is None or user_id is None:
                return view(request, *args, **kwargs)
            said = message or REPLAYED.format(noun=noun(request) if callable(noun) else noun)
            url = _spent(user_id, token)
            if url is not None:
                return _replay(request, url, said)
            try:
                with transaction.atomic():
                    response = view(request, *args, **kwargs)
                    created_at = _created_at(request, response)
                    if created_at is not None:
                        FormSubmission.objects.create(user_id=user_id, token=token, url=created_at)
            except IntegrityError:
                # Another request spent this token while the view ran (both waited on the
                # unique index); what this one did is rolled back.
                url = _spent(user_id, token)
                if url is None:
                    raise
                return _replay(request, url, said)
            return response

        return wrapped  # type: ignore[return-value]

    return decorate


def form_submissions_expire(*, before: dt.datetime) -> int:
    """Forget tokens spent before `before` (the retention task)."""
    deleted, _ = FormSubmission.objects.filter(created_at__lt=before).delete()
    return deleted


def form_submissions_erase_for_user(*, user_id: int) -> None:
    """Erasure: a person's spent tokens go with them."""
    FormSubmission.objects.filter(user_id=user_id).delete()
