"""Seeding the demo: the Northbridge world (`demo.world`), then what people do in it beyond
ratings (`demo.extras`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from assessments.summaries.monthly import monthly_summaries_rebuild
from assessments.summaries.periods import period_summaries_rebuild
from credentials.services import credentials_issue_waiting, issuer_key_ensure
from demo.equity import seed_equity
from demo.extras import EXTRA_MODELS, seed_extras
from demo.groups import GROUP_MODELS, seed_groups
from demo.world import (
    DEFAULT_LEARNERS,
    INSTITUTION_NAME,
    INSTITUTION_SLUG,
    SeedResult,
    build_roster,
    demo_logins,
    load_frameworks,
    seed_world,
)
from programs.models import Enrollment, Institution


def seed_demo(
    *, today: dt.date | None = None, learners: int = DEFAULT_LEARNERS, extras: bool = True
) -> SeedResult:
    """Create the Northbridge demo world unless it already exists, then (with `extras`) what
    people do in it beyond ratings (`demo.extras`), unless that exists too.

    `today` places the ratings; the extras follow the real clock, which the services check.
    Raises DemoFrameworksMissing when a required framework is not loaded and ValueError
    for a learner count outside 2..MAX_LEARNERS.
    """
    today = today or timezone.localdate()
    roster = build_roster(learners)
    frameworks = load_frameworks()
    counts: dict[str, int] = {}
    with transaction.atomic():
        institution, _ = Institution.objects.get_or_create(
            slug=INSTITUTION_SLUG, defaults={"name": INSTITUTION_NAME}
        )
        if not Enrollment.objects.filter(program__institution=institution).exists():
            counts = seed_world(institution, roster, frameworks, today)
    # The demo institution signs credentials without a manual `credentials_issuer_key` run.
    _, key_made = issuer_key_ensure(institution=institution)
    if key_made:
        counts["issuer keys"] = 1
    created = bool(counts)
    if extras:
        before = _row_counts([*EXTRA_MODELS, *GROUP_MODELS])
        seed_extras(institution=institution)
        seed_groups(institution=institution)
        after = _row_counts([*EXTRA_MODELS, *GROUP_MODELS])
        added = {name: after[name] - before[name] for name in after if after[name] > before[name]}
        for name, n in added.items():
            counts[name] = counts.get(name, 0) + n
        created = created or bool(added)
        # The equity view's answers and its first fit (demo.equity), kept apart from the
        # extras so the fit runs once the ratings and periods it reads are all in.
        answers = seed_equity(institution=institution)
        if answers:
            counts["characteristics"] = answers
            created = True
    issued = credentials_issue_waiting(institution=institution)
    if issued:
        counts["credentials"] = counts.get("credentials", 0) + issued
        created = True
    if created:
        # The demo's ratings went in with bulk inserts, which bypass the services that keep
        # the summaries built from them exact.
        period_summaries_rebuild()
        monthly_summaries_rebuild()
    return SeedResult(created=created, logins=demo_logins(), counts=counts)


def _row_counts(models: Sequence[type[Model]]) -> dict[str, int]:
    """Rows per table, named as people read them ("evidence", "consensus ratings")."""
    return {str(m._meta.verbose_name_plural): m._default_manager.count() for m in models}
