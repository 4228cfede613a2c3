"""Reads for erasure and retention: what erasing an account would remove and keep, what stands
in the way, and which accounts have outlived their retention period. A person only ever
sees this about themself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from portfolio.models import PortfolioTransfer
from portfolio.selectors import transfers_of
from privacy.policy import RULES, Fate, Rule
from programs.models import Enrollment, ProgramRole
from programs.selectors import programs_only_directed_by


@dataclass(frozen=True)
class PreviewLine:
    label: str
    count: int
    detail: str = ""


@dataclass(frozen=True)
class ErasurePreview:
    """What erasing `user` would do, by rule, leaving out rules with nothing to act on."""

    erased: list[PreviewLine]
    kept: list[PreviewLine]
    blockers: list[str]

    @property
    def keeps_stub(self) -> bool:
        return bool(self.kept)


def _count_of(rule: Rule) -> Subquery:
    rows = rule.rows(OuterRef("pk")).order_by()
    # One aggregate row per outer person: COUNT over the rows, grouped by nothing.
    counted = rows.annotate(erasure_rows=Func(F("pk"), function="COUNT")).values("erasure_rows")
    return Coalesce(Subquery(counted[:1]), 0)  # type: ignore[return-value]


def erasure_counts(*, user: User, fate: Fate | None = None) -> dict[Rule, int]:
    """How many rows each rule (of `fate`, or all) covers for `user`, in one query."""
    rules = [rule for rule in RULES if fate is None or rule.fate == fate]
    annotations = {f"rule_{i}": _count_of(rule) for i, rule in enumerate(rules)}
    row = User.objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).get()
    return {rule: int(row[f"rule_{i}"]) for i, rule in enumerate(rules)}


def erasure_blockers(*, user: User) -> list[str]:
    """Why `user` cannot erase their account right now; empty when they can."""
    blockers = [
        f"You are the only director of {program.name}. Ask an administrator to add another "
        "director before you erase your account."
        for program in programs_only_directed_by(user=user)
    ]
    if (
        user.is_superuser
        and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk).exists()
    ):
        blockers.append(
            "You are the site's only administrator. Make someone else an administrator first."
        )
    in_flight = transfers_of(learner=user).filter(
        status__in=[PortfolioTransfer.Status.PENDING, PortfolioTransfer.Status.RUNNING]
    )
    if in_flight.exists():
        blockers.append(
            "An export or import of your portfolio is still running. Wait until it has "
            "finished (and download the export) before you erase your account."
        )
    return blockers


def _lines(counts: dict[Rule, int]) -> list[PreviewLine]:
    merged: dict[str, PreviewLine] = {}
    for rule, count in counts.items():
        if count:
            merged[rule.label] = PreviewLine(rule.label, count, rule.detail)
    return list(merged.values())


def erasure_preview(*, user: User) -> ErasurePreview:
    """What erasing `user`'s account removes and what stays as anonymised records."""
    counts = erasure_counts(user=user)
    return ErasurePreview(
        erased=_lines({rule: n for rule, n in counts.items() if rule.fate == Fate.ERASED}),
        kept=_lines({rule: n for rule, n in counts.items() if rule.fate == Fate.KEPT}),
        blockers=erasure_blockers(user=user),
    )


def latest_export_of(*, user: User) -> PortfolioTransfer | None:
    """The person's newest export job, to offer it (or a new one) before they erase."""
    return (
        transfers_of(learner=user)
        .filter(direction=PortfolioTransfer.Direction.EXPORT)
        .order_by("-created_at", "-id")
        .first()
    )


def accounts_never_used(*, now: dt.datetime) -> QuerySet[User]:
    """Accounts of people who never signed in (made by a roster, a role or a sign-up never
    confirmed) and that no program has needed for the retention period: no role, no open
    enrollment, none ended within the period, made before it began."""
    cutoff = now - dt.timedelta(days=settings.RETENTION_NEVER_SIGNED_IN_DAYS)
    needed = Enrollment.objects.filter(learner=OuterRef("pk")).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=cutoff.date())
    )
    return (
        User.objects.filter(
            last_login__isnull=True,
            erased_at__isnull=True,
            is_staff=False,
            is_superuser=False,
            date_joined__lt=cutoff,
        )
        .exclude(Exists(ProgramRole.objects.filter(user=OuterRef("pk"))))
        .exclude(Exists(needed))
        .order_by("pk")
    )
