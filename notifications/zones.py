"""Whose clock a person's daily digest follows.

A person's daily digest goes out once per day of *their* calendar, at `DIGEST_LOCAL_HOUR`
(06:00 by default) or at the first run after it: a resident in Honolulu and a director in
Boston do not share the server's midnight. Notifications sits below the apps that know where
a person works, so it asks them: an app above registers a resolver here from its
`AppConfig.ready` (programs: the time zone of the institution of the person's current
enrollment, else of a program where they hold a role). Whoever no resolver places follows
the deployment's `TIME_ZONE`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Collection

from django.conf import settings
from django.utils import timezone

# user ids → {user id: IANA time zone name}, for the ids the resolver can place.
ZoneResolver = Callable[[Collection[int]], dict[int, str]]
RESOLVERS: list[ZoneResolver] = []


def time_zones_of(user_ids: Collection[int]) -> dict[int, zoneinfo.ZoneInfo]:
    """Each person's zone: the first resolver that places them, else the deployment's."""
    names: dict[int, str] = {}
    for resolve in RESOLVERS:
        missing = [pk for pk in user_ids if pk not in names]
        if not missing:
            break
        names.update({pk: zone for pk, zone in resolve(missing).items() if pk not in names})
    default = settings.TIME_ZONE
    return {pk: zoneinfo.ZoneInfo(names.get(pk, default)) for pk in user_ids}


def digest_day(now: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date | None:
    """The local day whose digest is due at `now` in `zone`, or None before the hour."""
    local = timezone.localtime(now, zone)
    if local.hour < settings.DIGEST_LOCAL_HOUR:
        return None
    return local.date()
