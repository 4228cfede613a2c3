"""Authorization-matrix rows for the inbox and notification settings: everyone signed in has
their own; another person's notification is a 404."""

from __future__ import annotations

from notifications.models import Notification
from tests.authz import Row, same, signed_in

API = "/api/v1/coaching"
API_SIGNED_IN = same(200, anonymous=401)


def _notification(w):
    return Notification.objects.create(
        recipient=w.learner, kind="comment", title="Hello", url="/coaching/"
    )


def _path(prefix, make, suffix=""):
    return lambda w: f"{prefix}{make(w).public_id}/{suffix}"


ROWS = [
    Row("coaching-inbox", lambda w: "/coaching/inbox/", signed_in(200)),
    Row(
        "coaching-notification-open",
        _path("/coaching/inbox/", _notification, "open/"),
        same(404, anonymous=302, learner=302),
        method="POST",
    ),
    Row(
        "coaching-notifications-read-all",
        lambda w: "/coaching/inbox/read-all/",
        signed_in(302),
        method="POST",
    ),
    Row("coaching-preferences", lambda w: "/coaching/settings/", signed_in(200)),
    Row("api-coaching-notification-list", lambda w: f"{API}/notifications/", API_SIGNED_IN),
    Row(
        "api-coaching-notification-read-all",
        lambda w: f"{API}/notifications/read-all/",
        API_SIGNED_IN,
        method="POST",
    ),
    Row(
        "api-coaching-notification-read",
        lambda w: f"{API}/notifications/{_notification(w).public_id}/read/",
        same(404, anonymous=401, learner=200),
        method="POST",
    ),
    Row(
        "api-coaching-notification-preferences",
        lambda w: f"{API}/notification-preferences/",
        API_SIGNED_IN,
    ),
]
