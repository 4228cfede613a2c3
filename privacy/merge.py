"""Merging two accounts of one person (docs/sso.md, *Merging two accounts*).

A person who signed up at medical school and again at residency proves both sign-ins and
keeps one account: every row that points at the other account moves to the kept one, in one
transaction, and the other account can no longer be used.

The relations come from `privacy.policy.RULES`, the list erasure already keeps complete; each
must have a rule in MERGE below (`privacy/tests/test_merge.py` fails otherwise), saying what
happens when the two accounts hold rows that a unique constraint lets only one of them keep:

- SURVIVOR: the kept account's row stays and the other's goes (settings, duplicates, caches
  that are rebuilt);
- CLOSE: the other's row moves but is ended today, so its history stays (an open enrollment
  in the same program, an open practice stage);
- REFUSE: the merge is refused with the reason, nothing changed (two signed-off reviews for
  the same period cannot both be the review);
- STAY: the rows stay with the closed account (the audit log of administration, which
  nobody may change, keeps naming who acted then).
Rows without a clash simply move.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, ManyToManyField, Model, OuterRef, Q, UniqueConstraint
from django.utils import timezone

from accounts.models import ApiToken, User
from portfolio.counts import evidence_counts_refresh
from privacy.policy import RULES

logger = logging.getLogger(__name__)


class Clash(enum.StrEnum):
    SURVIVOR = "the kept account's row wins; the other's is removed"
    CLOSE = "the other account's row moves, ended today"
    REFUSE = "the merge is refused until one of them is resolved"
    STAY = "the rows stay with the closed account"


@dataclass(frozen=True)
class MergeRule:
    clash: Clash = Clash.SURVIVOR
    # For CLOSE: the update that ends a row (e.g. {"end_date": today}).
    close: Callable[[], dict[str, Any]] | None = None
    # What the refusal says.
    reason: str = ""


def _today_end() -> dict[str, Any]:
    return {"end_date": timezone.localdate()}


S = MergeRule()
MERGE: dict[tuple[str, str], MergeRule] = {
    ("account.EmailAddress", "user"): S,
    ("mfa.Authenticator", "user"): S,
    ("socialaccount.SocialAccount", "user"): S,
    ("accounts.ApiToken", "user"): S,
    ("core.FormSubmission", "user"): S,
    ("accounts.User", "groups"): S,
    ("accounts.User", "user_permissions"): S,
    ("admin.LogEntry", "user"): S,
    ("audit.AuditEvent", "actor"): MergeRule(Clash.STAY),
    ("notifications.Notification", "recipient"): S,
    ("notifications.Digest", "recipient"): S,
    ("notifications.NotificationPreference", "user"): S,
    ("programs.ProgramRole", "user"): S,
    ("programs.InstitutionRole", "user"): S,
    ("programs.Enrollment", "learner"): MergeRule(Clash.CLOSE, _today_end),
    ("programs.PracticeStage", "learner"): MergeRule(Clash.CLOSE, _today_end),
    ("programs.Invitation", "invited_by"): S,
    ("programs.Invitation", "accepted_by"): S,
    ("portfolio.LearnerProfile", "learner"): S,  # the kept profile; blanks filled first
    ("portfolio.TimelineEntry", "learner"): S,
    ("portfolio.Evidence", "learner"): S,
    # Counted from the items above; `_summaries_refresh` recounts the kept account's.
    ("portfolio.EvidenceCount", "learner"): S,
    ("portfolio.Goal", "learner"): S,
    ("portfolio.ShareGrant", "learner"): S,
    ("portfolio.ShareGrant", "grantee"): S,
    ("portfolio.AccessLog", "learner"): S,
    ("portfolio.AccessLog", "viewer"): S,
    ("portfolio.ImportedRecord", "learner"): S,
    ("portfolio.PortfolioTransfer", "learner"): S,
    ("cpd.CpdActivity", "learner"): S,  # the same imported source twice is one activity
    ("cpd.LicensingCycle", "learner"): S,
    ("handovers.Handover", "learner"): S,
    # Learning groups: one place per group and person; the kept account's place wins.
    ("portfolio.ShareCircleMember", "user"): S,
    ("groups.Membership", "user"): S,
    ("groups.Membership", "invited_by"): S,
    ("groups.LearningGroup", "created_by"): S,
    ("groups.GroupGoal", "created_by"): S,
    ("groups.GoalAdoption", "learner"): S,
    ("groups.Post", "author"): S,
    ("groups.FeedbackRequest", "asker"): S,
    ("groups.FeedbackAnswer", "responder"): S,
    ("caselog.CaseLogEntry", "learner"): S,
    ("caselog.CaseLogEntry", "supervisor"): S,
    ("caselog.CaseLogEntry", "verified_by"): S,
    ("assessments.CheckIn", "learner"): S,
    ("assessments.SelfAssessment", "learner"): S,
    ("assessments.AssessmentForm", "created_by"): S,
    ("assessments.Assessment", "assessor"): S,
    ("assessments.Assessment", "learner"): S,
    # Summaries are computed from the rows above; `_summaries_refresh` rebuilds the kept
    # account's after the move.
    ("assessments.MonthlyRatingSummary", "learner"): S,
    ("assessments.PeriodRatingSummary", "learner"): S,
    ("assessments.AssessmentRequest", "learner"): S,
    ("assessments.ScheduledRotation", "learner"): S,
    ("assessments.ScheduledRotation", "supervisor"): S,
    ("assessments.AssessmentRequest", "assessor"): S,
    ("assessments.AssessmentVersion", "recorded_by"): S,
    ("assessments.AssessmentResponse", "learner"): S,
    ("assessments.AssessNowCode", "learner"): S,
    ("assessments.AssessNowLink", "user"): S,
    ("assessments.FeedbackRequest", "learner"): S,
    ("assessments.FeedbackRequest", "asked_by"): S,
    ("assessments.FeedbackResponse", "learner"): S,
    # A learner evaluates a teacher once per program: where both accounts did, the kept
    # account's evaluation stays.
    ("assessments.TeachingEvaluation", "author"): S,
    ("assessments.TeachingEvaluation", "teacher"): S,
    ("coaching.CoachingRelationship", "learner"): MergeRule(
        Clash.REFUSE, reason="Both accounts have an open coaching relationship with the same coach."
    ),
    ("coaching.CoachingRelationship", "coach"): MergeRule(
        Clash.REFUSE, reason="Both accounts coach the same learner."
    ),
    ("coaching.CoachingRelationship", "proposed_by"): S,
    ("coaching.CoachingRelationship", "ended_by"): S,
    ("coaching.Thread", "learner"): S,
    ("coaching.Thread", "participant"): MergeRule(
        Clash.REFUSE, reason="Both accounts have a conversation about the same item."
    ),
    ("coaching.Comment", "author"): S,
    ("coaching.Meeting", "learner"): S,
    ("coaching.Meeting", "coach"): S,
    ("coaching.ActionItem", "learner"): S,
    ("coaching.ActionItem", "created_by"): S,
    ("learning.Recommendation", "learner"): S,
    ("learning.FhirSource", "learner"): S,
    ("learning.PractitionerLink", "learner"): S,
    ("learning.UpcomingVisit", "learner"): S,
    ("learning.VisitDigest", "learner"): S,
    ("committee.LearnerReview", "learner"): MergeRule(
        Clash.REFUSE, reason="Both accounts have a committee review for the same period."
    ),
    ("committee.LearnerReview", "signed_off_by"): S,
    ("committee.ConsensusRating", "recorded_by"): S,
    ("committee.EntrustmentDecision", "learner"): MergeRule(
        Clash.REFUSE,
        reason="Both accounts have a current entrustment decision for the same competency.",
    ),
    ("committee.EntrustmentDecision", "recorded_by"): S,
    ("committee.EntrustmentDecision", "signed_off_by"): S,
    # Both answered the same statement about them: the kept account's answer stands.
    ("xapi.IncomingDecision", "learner"): S,
    # The signed document names the learner by a salted hash of an address, not by account:
    # it stays valid on the account it moves to.
    ("credentials.Credential", "learner"): S,
    # Both answered the same category: the kept account's answer stands (the person can
    # change it at once). Uses move; signals are rebuilt by the next fit.
    ("equity.Characteristic", "learner"): S,
    ("equity.CharacteristicUse", "learner"): S,
    ("equity.AssessorSignal", "assessor"): S,
    ("sso.ScimUser", "user"): MergeRule(
        Clash.REFUSE,
        reason="The same institution provisions both accounts; ask its IT to remove one.",
    ),
}


class MergeRefusedError(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def relations() -> list[tuple[str, str]]:
    """Each (model, field) relation to the user once, in the order erasure lists them."""
    return list(dict.fromkeys((rule.model, rule.field) for rule in RULES))


def _constraints(model: type[Model], field: str) -> list[tuple[list[str], Q | None]]:
    """The unique constraints (other fields, condition) a user column takes part in."""
    found: list[tuple[list[str], Q | None]] = []
    if getattr(model._meta.get_field(field), "unique", False):
        found.append(([], None))
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and field in (constraint.fields or ()):
            others = [name for name in constraint.fields if name != field]
            found.append((others, constraint.condition))
    for together in model._meta.unique_together:
        if field in together:
            found.append(([name for name in together if name != field], None))
    return found


def _clashing(model: type[Model], field: str, keep: User, other: User) -> Q:
    """Rows of `other` that could not move next to `keep`'s without breaking a constraint."""
    clash = Q(pk__in=[])
    for others, condition in _constraints(model, field):
        kept = model._default_manager.filter(**{field: keep}, **{n: OuterRef(n) for n in others})
        mine = Q(Exists(kept.filter(condition) if condition is not None else kept))
        clash |= mine & condition if condition is not None else mine
    return clash


def _fill_profile_blanks(keep: User, other: User) -> None:
    """Both have a learner profile: the kept one stays, its empty fields filled from the
    other's, before the other's is removed."""
    from portfolio.models import LearnerProfile

    kept = LearnerProfile.objects.filter(learner=keep).first()
    gone = LearnerProfile.objects.filter(learner=other).first()
    if kept is None or gone is None:
        return
    changed = []
    for field in LearnerProfile._meta.concrete_fields:
        if field.primary_key or field.is_relation or field.name == "learner":
            continue
        if not getattr(kept, field.attname) and getattr(gone, field.attname):
            setattr(kept, field.attname, getattr(gone, field.attname))
            changed.append(field.attname)
    if changed:
        kept.save(update_fields=changed)


def merge_blockers(*, keep: User, other: User) -> list[str]:
    """Why the two accounts cannot be merged now; empty when they can."""
    if keep.pk == other.pk:
        return ["These are the same account."]
    if keep.is_erased or other.is_erased or not other.is_active:
        return ["One of the accounts is closed."]
    reasons = []
    from coaching.models import CoachingRelationship

    pair = Q(learner=keep, coach=other) | Q(learner=other, coach=keep)
    if CoachingRelationship.objects.filter(pair).exclude(status="ended").exists():
        # After the merge the person would coach themselves.
        reasons.append("One account coaches the other; end that coaching relationship first.")
    for label, field in relations():
        rule = MERGE[(label, field)]
        model = _model(label)
        if rule.clash is Clash.REFUSE and isinstance(model._meta.get_field(field), ManyToManyField):
            continue
        if rule.clash is Clash.REFUSE:
            rows = model._default_manager.filter(**{field: other})
            if rows.filter(_clashing(model, field, keep, other)).exists():
                reasons.append(rule.reason)
    return reasons


def _summaries_refresh(keep: User) -> None:
    """Recompute the kept account's rating summaries from its (now merged) ratings, and its
    evidence counts from its items."""
    from assessments.models import Assessment, MonthlyRatingSummary
    from assessments.summaries.monthly import monthly_summaries_refresh
    from assessments.summaries.periods import period_summaries_refresh_learner
    from assessments.summaries.programs import program_summaries_refresh_programs
    from programs.models import Enrollment

    for rated_by in MonthlyRatingSummary.RatedBy:
        monthly_summaries_refresh(learner_id=keep.pk, rated_by=rated_by)
    rated = Assessment.objects.filter(learner=keep)
    period_summaries_refresh_learner(
        learner_id=keep.pk,
        competency_ids=rated.values_list("competency_id", flat=True).distinct(),
        days=rated.values_list("observed_on", flat=True).distinct(),
    )
    # The other account's open enrollments are now the kept one's (or closed where both were
    # in one program): every program the kept account is in now holds both sets of ratings.
    program_summaries_refresh_programs(
        program_ids=Enrollment.objects.current()
        .filter(learner=keep)
        .values_list("program_id", flat=True)
    )
    evidence_counts_refresh(learner_id=keep.pk)


def _model(label: str) -> type[Model]:
    from django.apps import apps

    return apps.get_model(label)


def _move(label: str, field: str, keep: User, other: User) -> int:
    model = _model(label)
    rule = MERGE[(label, field)]
    model_field = model._meta.get_field(field)
    if rule.clash is Clash.STAY:
        return 0
    if isinstance(model_field, ManyToManyField):
        # The user's own memberships (groups, permissions): the union.
        getattr(keep, field).add(*getattr(other, field).all())
        getattr(other, field).clear()
        return 0
    rows = model._default_manager.filter(**{field: other})
    clash = _clashing(model, field, keep, other)
    if rule.clash is Clash.CLOSE and rule.close is not None:
        rows.filter(clash).update(**rule.close())
    elif rule.clash is Clash.SURVIVOR:
        rows.filter(clash).delete()
    return rows.update(**{field: keep})


@transaction.atomic
def account_merge(*, keep: User, other: User) -> dict[str, int]:
    """Move everything of `other` to `keep` and close `other`. The caller has made sure the
    person proved both sign-ins. Refused (MergeRefusedError) while a clash needs a person to
    resolve it. Returns how many rows moved, per relation."""
    users = get_user_model().objects.select_for_update().filter(pk__in=[keep.pk, other.pk])
    locked = {user.pk: user for user in users.order_by("pk")}
    keep, other = locked[keep.pk], locked[other.pk]
    reasons = merge_blockers(keep=keep, other=other)
    if reasons:
        raise MergeRefusedError(reasons)
    from allauth.account.models import EmailAddress

    # Sign-in by the other account's address keeps working, into the kept account.
    EmailAddress.objects.filter(user=other).update(primary=False)
    if not EmailAddress.objects.filter(email__iexact=other.email).exists():
        EmailAddress.objects.create(user=other, email=other.email, verified=False)
    # Tokens made for the other account keep their record but no longer work.
    ApiToken.objects.filter(user=other, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _fill_profile_blanks(keep, other)
    moved = {f"{label}.{field}": _move(label, field, keep, other) for label, field in relations()}
    _summaries_refresh(keep)
    from portfolio.models import ShareGrant

    # A share one account gave the other is now a share with oneself: it means nothing.
    ShareGrant.objects.filter(learner=keep, grantee=keep).delete()
    other.email = f"merged-{other.pk}@merged.invalid"
    other.is_active = False
    other.is_staff = other.is_superuser = False
    other.set_unusable_password()
    other.display_name = f"Merged into account {keep.pk}"
    other.save()
    logger.info("account %s merged into %s", other.pk, keep.pk)
    return moved
