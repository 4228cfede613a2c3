"""Sign-in throttling that targets the guesser, not the ward (docs/security.md, "Signing in").

Failures are counted per (account, address) pair: five wrong passwords for one account from
one address pause that pair for a quarter of an hour, and touch no other address, so nobody
can lock a director out from elsewhere, and no other account on a shared hospital address.
Credential stuffing (one guess at each of many accounts) never reaches a pair's limit, so each
address also has a ceiling of failures over all accounts, far above what a ward produces at a
shift change; an address over it is refused only for accounts that have not signed in from it
before, so the ward's regular staff keep working while a stuffing run behind the same address
is stopped.

Counts live in the cache: Redis in production, and while Redis cannot be reached each
process's memory (`core.cache`), which counts per process and so errs towards letting people
in. Keys hold a hash of the email and address, never the email itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

from accounts.models import SignInRefusal

logger = logging.getLogger(__name__)

# Five tries covers a forgotten password and a caps-lock; the pause is short enough that a
# person waits it out and long enough that guessing one account from one address gets nowhere.
PAIR_LIMIT = 5
PAIR_WINDOW_SECONDS = 15 * 60
# A ward of 60 people, each mistyping twice at a shift change, makes 120 failures; the ceiling
# sits well above that, and a stuffing run makes thousands.
ADDRESS_CEILING = 500
ADDRESS_WINDOW_SECONDS = 15 * 60
_BUCKET_SECONDS = 60
# A successful sign-in makes the (account, address) pair known for this long.
KNOWN_PAIR_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused before its password is checked, and until when."""

    reason: str  # SignInRefusal.Reason
    retry_at: float  # epoch seconds

    def message(self, now: float | None = None) -> str:
        minutes = max(1, round((self.retry_at - (now or time.time())) / 60))
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
        if self.reason == SignInRefusal.Reason.ACCOUNT_AND_ADDRESS:
            return (
                f"Too many wrong passwords for this account from your network. Try again in "
                f"{wait}, or reset your password. Other networks are not affected."
            )
        return (
            f"This network has made a very large number of failed sign-ins, so new accounts "
            f"cannot sign in from it for now. Try again in {wait}, or from another network."
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _pair_key(email: str, address: str) -> str:
    return f"signin:pair:{_digest(email.lower(), address)}"


def _known_key(email: str, address: str) -> str:
    return f"signin:known:{_digest(email.lower(), address)}"


def _address_bucket_keys(address: str, now: float) -> list[tuple[str, float]]:
    """The address's per-minute failure buckets in the window, each with its start time."""
    digest = _digest(address)
    current = int(now // _BUCKET_SECONDS)
    count = ADDRESS_WINDOW_SECONDS // _BUCKET_SECONDS
    return [
        (f"signin:addr:{digest}:{bucket}", bucket * _BUCKET_SECONDS)
        for bucket in range(current - count + 1, current + 1)
    ]


def _recent_failures(email: str, address: str, now: float) -> list[float]:
    stamps = cache.get(_pair_key(email, address)) or []
    return [stamp for stamp in stamps if stamp > now - PAIR_WINDOW_SECONDS]


def sign_in_refusal(*, email: str, address: str) -> Refusal | None:
    """The reason to refuse this attempt without checking its password, or None."""
    now = time.time()
    failures = _recent_failures(email, address, now)
    if len(failures) >= PAIR_LIMIT:
        return Refusal(
            SignInRefusal.Reason.ACCOUNT_AND_ADDRESS,
            failures[-PAIR_LIMIT] + PAIR_WINDOW_SECONDS,
        )
    buckets = _address_bucket_keys(address, now)
    counts = cache.get_many([key for key, _ in buckets])
    if sum(counts.values()) < ADDRESS_CEILING or cache.get(_known_key(email, address)):
        return None
    oldest = min(start for key, start in buckets if counts.get(key))
    return Refusal(SignInRefusal.Reason.ADDRESS_CEILING, oldest + ADDRESS_WINDOW_SECONDS)


def sign_in_failed(*, email: str, address: str) -> None:
    """Count a wrong password against the pair and the address."""
    now = time.time()
    failures = [*_recent_failures(email, address, now), now][-PAIR_LIMIT:]
    cache.set(_pair_key(email, address), failures, PAIR_WINDOW_SECONDS)
    key, _ = _address_bucket_keys(address, now)[-1]
    cache.add(key, 0, ADDRESS_WINDOW_SECONDS + _BUCKET_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # the bucket expired between add and incr
        cache.set(key, 1, ADDRESS_WINDOW_SECONDS + _BUCKET_SECONDS)


def sign_in_succeeded(*, email: str, address: str) -> None:
    """The person at this address knows the password: forget the pair's failures, and let
    the pair through an address's ceiling from now on."""
    cache.delete(_pair_key(email, address))
    cache.set(_known_key(email, address), True, KNOWN_PAIR_SECONDS)


def sign_in_refusal_record(*, email: str, address: str, refusal: Refusal) -> None:
    """Log a refused attempt for administrators: once per pair and reason while it lasts, so
    an attacker hammering a locked account cannot fill the table."""
    seconds = max(1, int(refusal.retry_at - time.time()))
    marker = f"signin:logged:{refusal.reason}:{_digest(email.lower(), address)}"
    if not cache.add(marker, True, seconds):
        return
    logger.warning("sign-in refused (%s) for an account from %s", refusal.reason, address)
    SignInRefusal.objects.create(
        email=email.lower()[:254],
        address=address,
        reason=refusal.reason,
        retry_at=dt.datetime.fromtimestamp(refusal.retry_at, tz=dt.UTC),
    )
