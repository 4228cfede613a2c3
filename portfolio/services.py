"""Writes to the learner's portfolio. Each function checks the rules it enforces and leaves
nothing half-written: it either completes or raises a ValidationError naming the fields."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn, SelfAssessment
from assessments.services.checkins import SelfAssessmentInput, checkin_record
from core.db import prefetch_store
from frameworks.models import Competency, Framework
from portfolio.counts import evidence_counts_add, evidence_counts_refresh
from portfolio.models import (
    RECORDS_SCOPE,
    AccessLog,
    Evidence,
    Goal,
    GoalProgressNote,
    ImportedRecord,
    LearnerProfile,
    PortfolioTransfer,
    Scope,
    ShareCircle,
    ShareCircleMember,
    ShareGrant,
    TimelineEntry,
)
from portfolio.selectors import Access, checkin_item_order, scope_of
from portfolio.uploads import check_upload
from programs.models import Enrollment, Program
from programs.selectors import frameworks_in_use

# --- Access log ---------------------------------------------------------------------------


def _item_label(item: object) -> str:
    """What the learner reads in their log. Uses only fields already loaded (no queries)."""
    if isinstance(item, Evidence | Goal):
        return item.title[:200]
    if isinstance(item, CheckIn):
        return f"Check-in of {timezone.localtime(item.created_at):%d %b %Y}"
    if isinstance(item, SelfAssessment):
        return f"{item.competency.code} self-rated {item.level.normalize():f} on {item.assessed_on}"
    if isinstance(item, GoalProgressNote):
        return f"Progress note of {item.noted_on}"
    return type(item).__name__


def access_log_entry(
    *,
    learner_id: int,
    viewer: User,
    scope: str,
    item_type: str,
    item_id: int | None,
    label: str,
    action: str,
    at: dt.datetime,
    grant: ShareGrant | None = None,
) -> AccessLog:
    """One unsaved access-log row. The viewer's name is kept as it was when they read, so the
    log stays readable after an account is renamed or removed. Callers collect rows and write
    them with one bulk INSERT."""
    return AccessLog(
        learner_id=learner_id,
        viewer=viewer,
        viewer_name=viewer.name[:200],
        grant=grant,
        scope=scope,
        item_type=item_type,
        item_id=item_id,
        item_label=label[:200],
        action=action,
        at=at,
    )


def access_log_record(
    *, access: Access, items: Iterable[Any], action: str = AccessLog.Action.VIEW
) -> int:
    """Append one AccessLog row per item someone other than the owner is shown.

    Does nothing for the owner. One INSERT for a page of items.
    """
    if access.is_owner:
        return 0
    rows = []
    now = timezone.now()
    for item in items:
        scope = scope_of(item)
        rows.append(
            access_log_entry(
                learner_id=access.learner.pk,
                viewer=access.viewer,
                grant=access.grant_for_item(item),
                scope=scope,
                item_type=type(item).__name__.lower(),
                item_id=item.pk,
                label=_item_label(item),
                action=action,
                at=now,
            )
        )
    AccessLog.objects.bulk_create(rows)
    return len(rows)


def access_log_record_shared(
    *, viewer: User, grants: Iterable[ShareGrant], action: str = AccessLog.Action.LIST
) -> int:
    """Log reads of items shared to a circle: each in its owner's log, naming the grant.
    The viewer's own items are not logged. One INSERT for all of them."""
    now = timezone.now()
    rows = []
    for grant in grants:
        item = grant.item
        if item is None or grant.learner_id == viewer.pk:
            continue
        rows.append(
            access_log_entry(
                learner_id=grant.learner_id,
                viewer=viewer,
                grant=grant,
                scope=scope_of(item),
                item_type=type(item).__name__.lower(),
                item_id=item.pk,
                label=_item_label(item),
                action=action,
                at=now,
            )
        )
    AccessLog.objects.bulk_create(rows)
    return len(rows)


def access_log_record_official(
    *,
    viewer: User,
    reads: Iterable[tuple[int, str, int | None, str]],
    action: str = AccessLog.Action.VIEW,
) -> int:
    """Log reads of learners' official records (assessments, committee reviews) by program
    staff, who see them by role rather than by a grant. `reads` holds
    (learner_id, item_type, item_id, label) tuples; one INSERT for all of them. A viewer's
    reads of their own record are not logged."""
    now = timezone.now()
    rows = [
        access_log_entry(
            learner_id=learner_id,
            viewer=viewer,
            scope=RECORDS_SCOPE,
            item_type=item_type,
            item_id=item_id,
            label=label,
            action=action,
            at=now,
        )
        for learner_id, item_type, item_id, label in reads
        if learner_id != viewer.pk
    ]
    AccessLog.objects.bulk_create(rows)
    return len(rows)


# --- Competency references -----------------------------------------------------------------


def competencies_in_use(
    *, learner: User, competency_ids: Iterable[int], field: str = "competencies"
) -> list[Competency]:
    """Load competencies, refusing any outside the frameworks of the learner's current
    programs."""
    wanted = {int(pk) for pk in competency_ids}
    if not wanted:
        return []
    found = list(
        Competency.objects.filter(
            pk__in=wanted, framework__in=frameworks_in_use(learner=learner)
        ).select_related("framework")
    )
    if len(found) != len(wanted):
        raise ValidationError({field: ["Choose competencies from the frameworks you follow now."]})
    return found


def _own_evidence(*, learner: User, evidence_ids: Iterable[int]) -> list[Evidence]:
    wanted = {int(pk) for pk in evidence_ids}
    if not wanted:
        return []
    found = list(Evidence.objects.filter(pk__in=wanted, learner=learner))
    if len(found) != len(wanted):
        raise ValidationError({"evidence": ["Link only evidence from your own portfolio."]})
    return found


# --- Profile -------------------------------------------------------------------------------


@transaction.atomic
def learner_profile_update(*, learner: User, headline: str, about: str) -> LearnerProfile:
    """Create or update the learner's profile."""
    profile, _ = LearnerProfile.objects.select_for_update().get_or_create(learner=learner)
    profile.headline = headline
    profile.about = about
    profile.full_clean()
    profile.save()
    return profile


# --- Evidence ------------------------------------------------------------------------------


def _store_file(evidence: Evidence, upload: UploadedFile) -> None:
    checked = check_upload(upload)
    evidence.file.save(f"upload.{checked.extension}", upload, save=False)
    evidence.file_name = checked.name
    evidence.file_type = checked.content_type
    evidence.file_size = checked.size
    evidence.file_sha256 = checked.sha256


def _delete_file_after_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def evidence_create(
    *,
    learner: User,
    kind: str,
    title: str,
    body: str = "",
    occurred_on: dt.date | None = None,
    competency_ids: Sequence[int] = (),
    upload: UploadedFile | None = None,
    credit_hours: Decimal | None = None,
    external_source: str = "",
    external_id: str = "",
) -> Evidence:
    """Add evidence or a reflection. An upload is checked by content and size before it is
    stored; if anything fails afterwards the stored file is removed again."""
    competencies = competencies_in_use(learner=learner, competency_ids=competency_ids)
    evidence = Evidence(
        learner=learner,
        kind=kind,
        title=title,
        body=body,
        occurred_on=occurred_on or timezone.localdate(),
        credit_hours=credit_hours,
        external_source=external_source,
        external_id=external_id,
    )
    evidence.full_clean(exclude=["file"])
    if upload is not None:
        _store_file(evidence, upload)
    try:
        evidence.save()
        evidence.competencies.set(competencies)
        evidence_counts_add(learner_id=learner.pk, by_kind={kind: 1})
    except Exception:
        if evidence.file:
            default_storage.delete(evidence.file.name or "")
        raise
    return evidence


@transaction.atomic
def evidence_update(
    *,
    evidence: Evidence,
    title: str,
    body: str,
    occurred_on: dt.date,
    competency_ids: Sequence[int],
    credit_hours: Decimal | None = None,
    external_source: str = "",
    external_id: str = "",
    upload: UploadedFile | None = None,
) -> Evidence:
    """Edit evidence the learner owns. A new upload replaces the old file."""
    competencies = competencies_in_use(learner=evidence.learner, competency_ids=competency_ids)
    evidence.title = title
    evidence.body = body
    evidence.occurred_on = occurred_on
    evidence.credit_hours = credit_hours
    evidence.external_source = external_source
    evidence.external_id = external_id
    evidence.full_clean(exclude=["file"])
    old_name = (evidence.file.name or "") if evidence.file else ""
    if upload is not None:
        _store_file(evidence, upload)
        _delete_file_after_commit(old_name)
    evidence.save()
    evidence.competencies.set(competencies)
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: Evidence) -> None:
    """Delete evidence and, once the deletion is committed, its file."""
    name = (evidence.file.name or "") if evidence.file else ""
    evidence.delete()
    evidence_counts_add(learner_id=evidence.learner_id, by_kind={evidence.kind: -1})
    _delete_file_after_commit(name)


# --- Check-ins with evidence ------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInItem:
    """One item of a check-in as submitted, with the learner's evidence it links to."""

    competency_id: int
    level: Decimal | str
    note: str = ""
    evidence_ids: Sequence[int] = field(default=())


def checkin_record_with_evidence(
    *,
    learner: User,
    client_token: uuid.UUID | str,
    items: Sequence[CheckInItem],
    assessed_on: dt.date | None = None,
    framework: Framework | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in (`assessments.services.checkins.checkin_record`, idempotent on the
    token) and link each item to evidence from the learner's own portfolio, in its
    transaction. Evidence of anyone else is refused with the item's other problems."""
    wanted = {int(pk) for item in items for pk in item.evidence_ids}
    # Own evidence in `Evidence`'s order, so the items can carry their links as written.
    own = (
        {
            e.pk: e
            for e in Evidence.objects.filter(pk__in=wanted, learner=learner).only(
                "id", "occurred_on", "created_at"
            )
        }
        if wanted
        else {}
    )
    not_own = {
        int(item.competency_id): ["Link only evidence from your own portfolio."]
        for item in items
        if any(int(pk) not in own for pk in item.evidence_ids)
    }
    evidence_of = {int(i.competency_id): [int(pk) for pk in i.evidence_ids] for i in items}

    def link_evidence(ratings: list[SelfAssessment]) -> None:
        link = Evidence.self_assessments.through
        link.objects.bulk_create(
            link(selfassessment_id=rating.pk, evidence_id=evidence_id)
            for rating in ratings
            for evidence_id in evidence_of.get(rating.competency_id, [])
        )

    checkin, created = checkin_record(
        learner=learner,
        client_token=client_token,
        items=[SelfAssessmentInput(i.competency_id, i.level, i.note) for i in items],
        assessed_on=assessed_on,
        framework=framework,
        extra_item_errors=not_own,
        on_recorded=link_evidence if wanted else None,
    )
    if created:
        # The items and the evidence just linked to each come back in the order the selector
        # reads them, so the check-in is shown as written without reading it again.
        ratings = sorted(checkin.items.all(), key=checkin_item_order)
        prefetch_store(checkin, "items", SelfAssessment, ratings)
        order = list(own)
        for rating in ratings:
            linked = sorted(evidence_of.get(rating.competency_id, []), key=order.index)
            prefetch_store(rating, "evidence", Evidence, [own[pk] for pk in linked])
    return checkin, created


# --- Goals ---------------------------------------------------------------------------------


@transaction.atomic
def goal_create(
    *,
    learner: User,
    title: str,
    measure: str,
    target_date: dt.date,
    plan: str = "",
    status: str = Goal.Status.PLANNED,
    competency_ids: Sequence[int] = (),
    evidence_ids: Sequence[int] = (),
) -> Goal:
    """Add a goal to the learner's plan. Linked evidence must be the learner's own."""
    competencies = competencies_in_use(learner=learner, competency_ids=competency_ids)
    evidence = _own_evidence(learner=learner, evidence_ids=evidence_ids)
    goal = Goal(
        learner=learner,
        title=title,
        measure=measure,
        plan=plan,
        target_date=target_date,
        status=status,
    )
    goal.full_clean()
    goal.save()
    goal.competencies.set(competencies)
    goal.evidence.set(evidence)
    return goal


@transaction.atomic
def goal_update(
    *,
    goal: Goal,
    title: str,
    measure: str,
    target_date: dt.date,
    plan: str,
    status: str,
    competency_ids: Sequence[int],
    evidence_ids: Sequence[int],
) -> Goal:
    """Edit a goal of the learner's own."""
    competencies = competencies_in_use(learner=goal.learner, competency_ids=competency_ids)
    evidence = _own_evidence(learner=goal.learner, evidence_ids=evidence_ids)
    goal.title = title
    goal.measure = measure
    goal.plan = plan
    goal.target_date = target_date
    goal.status = status
    goal.full_clean()
    goal.save()
    goal.competencies.set(competencies)
    goal.evidence.set(evidence)
    return goal


@transaction.atomic
def goal_evidence_link(*, goal: Goal, evidence_ids: Sequence[int]) -> Goal:
    """Link more of the learner's evidence to their goal."""
    evidence = _own_evidence(learner=goal.learner, evidence_ids=evidence_ids)
    goal.evidence.add(*evidence)
    return goal


@transaction.atomic
def goal_progress_note_add(
    *, goal: Goal, text: str, noted_on: dt.date | None = None
) -> GoalProgressNote:
    """Append a dated progress note. A first note on a planned goal makes it active."""
    note = GoalProgressNote(goal=goal, text=text, noted_on=noted_on or timezone.localdate())
    note.full_clean()
    if note.noted_on > timezone.localdate():
        raise ValidationError({"noted_on": ["A progress note cannot be dated in the future."]})
    note.save()
    if goal.status == Goal.Status.PLANNED:
        goal.status = Goal.Status.ACTIVE
        goal.save(update_fields=["status", "updated_at"])
    return note


@transaction.atomic
def goal_delete(*, goal: Goal) -> None:
    goal.delete()


# --- Sharing -------------------------------------------------------------------------------


def _end_of_day(day: dt.date) -> dt.datetime:
    """A grant "until 3 May" is valid through that whole day, in the deployment's time zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


@transaction.atomic
def share_grant_create(
    *,
    learner: User,
    scopes: Iterable[str],
    grantee_email: str = "",
    program_id: int | None = None,
    expires_on: dt.date | None = None,
    note: str = "",
) -> ShareGrant:
    """Share some scopes with one named person or with one program's competency committee.

    The committee must be of a program the learner is or was enrolled in; the expiry, if
    any, must be in the future.
    """
    errors: dict[str, list[str]] = {}
    requested = [str(s) for s in scopes]
    chosen = {Scope(s) for s in requested if s in Scope.values}
    if set(requested) - set(Scope.values):
        errors["scopes"] = [f"Unknown scope. Choose from: {', '.join(Scope.values)}."]
    elif not chosen:
        errors["scopes"] = ["Choose at least one thing to share."]
    grantee: User | None = None
    program: Program | None = None
    email = grantee_email.strip().lower()
    if bool(email) == (program_id is not None):
        errors["grantee_email"] = ["Share with either one person or one program's committee."]
    elif email:
        grantee = User.objects.filter(email__iexact=email, is_active=True).first()
        if grantee is None:
            errors["grantee_email"] = ["No one with that email address uses Continuum here."]
        elif grantee.pk == learner.pk:
            errors["grantee_email"] = ["You already see everything of your own."]
    elif program_id is not None:
        enrolled = Enrollment.objects.filter(learner=learner, program_id=program_id).exists()
        program = Program.objects.filter(pk=program_id).first() if enrolled else None
        if program is None:
            errors["program"] = ["Choose a program you are or were enrolled in."]
    if expires_on is not None and expires_on < timezone.localdate():
        errors["expires_on"] = ["The expiry date has passed; choose today or later."]
    if errors:
        raise ValidationError(errors)
    grant = ShareGrant(
        learner=learner,
        grantee=grantee,
        program=program,
        note=note,
        expires_at=_end_of_day(expires_on) if expires_on else None,
        **{ShareGrant.SCOPE_FIELDS[scope]: True for scope in chosen},
    )
    grant.full_clean()
    grant.save()
    return grant


@transaction.atomic
def share_grant_revoke(*, grant: ShareGrant) -> ShareGrant:
    """Withdraw a grant at once; the next request by its audience is refused. Idempotent."""
    locked = ShareGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    grant.revoked_at = locked.revoked_at
    return locked


# --- Circles: single items shared with a set of people (a learning group) ------------------------


@transaction.atomic
def share_circle_create(*, label: str) -> ShareCircle:
    """A new, empty circle; the app that owns it keeps its members in step."""
    return ShareCircle.objects.create(label=label[:200])


@transaction.atomic
def share_circle_join(*, circle: ShareCircle, user: User) -> None:
    """Put `user` in the circle: from now on they read what is shared to it. Idempotent."""
    ShareCircleMember.objects.get_or_create(circle=circle, user=user)


@transaction.atomic
def share_circle_leave(*, circle: ShareCircle, user: User) -> int:
    """Take `user` out of the circle and withdraw every item they shared to it, at once.
    Returns how many shares were withdrawn. Idempotent."""
    ShareCircleMember.objects.filter(circle=circle, user=user).delete()
    return ShareGrant.objects.filter(circle=circle, learner=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def circle_item_share(
    *,
    learner: User,
    circle: ShareCircle,
    evidence_id: int | None = None,
    goal_id: int | None = None,
) -> ShareGrant:
    """Share one item of the learner's own (a piece of evidence or a reflection, or a goal)
    with a circle they are in. An item of anyone else is refused; sharing an item already
    shared returns the grant in force (a retry never duplicates)."""
    member = (
        ShareCircleMember.objects.select_for_update().filter(circle=circle, user=learner).first()
    )
    if member is None:
        raise ValidationError("Only people in the group can share to it.")
    if (evidence_id is None) == (goal_id is None):
        raise ValidationError("Share exactly one item: a piece of evidence or a goal.")
    evidence = goal = None
    if evidence_id is not None:
        evidence = Evidence.objects.filter(pk=evidence_id, learner=learner).first()
        if evidence is None:
            raise ValidationError({"evidence": ["Share only evidence from your own portfolio."]})
    else:
        goal = Goal.objects.filter(pk=int(goal_id or 0), learner=learner).first()
        if goal is None:
            raise ValidationError({"goal": ["Share only goals from your own plan."]})
    existing = (
        ShareGrant.objects.active()
        .filter(circle=circle, learner=learner, evidence=evidence, goal=goal)
        .first()
    )
    if existing is not None:
        return existing
    grant = ShareGrant(learner=learner, circle=circle, evidence=evidence, goal=goal)
    grant.full_clean()
    grant.save()
    return grant


# What brings a person (accounts.forms.ARRIVAL_CHOICES) → the stage of training they are in.
ARRIVAL_STAGES = {
    "student": (Program.Stage.UME, "Medical school"),
    "resident": (Program.Stage.GME, "Residency"),
    "fellow": (Program.Stage.FELLOWSHIP, "Fellowship"),
    "physician": (Program.Stage.CPD, "Practice"),
}


@transaction.atomic
def stage_set_up(*, learner: User, arrived_as: str, where: str = "") -> TimelineEntry | None:
    """Start a newcomer's timeline with the stage they say they are in (a stage outside any
    program here), and a profile headline that says it. Nothing for an unknown answer."""
    if arrived_as not in ARRIVAL_STAGES:
        return None
    stage, label = ARRIVAL_STAGES[arrived_as]
    profile, _ = LearnerProfile.objects.get_or_create(learner=learner)
    if not profile.headline:
        profile.headline = f"{label}, {where}"[:200] if where else label
        profile.save(update_fields=["headline", "updated_at"])
    return TimelineEntry.objects.create(
        learner=learner,
        institution_name=where[:200],
        program_name=label,
        stage=stage,
        start_date=timezone.localdate(),
    )


# --- Erasure (docs/privacy.md) ------------------------------------------------------------------


@transaction.atomic
def portfolio_erase_for_user(*, user: User, label: str) -> list[str]:
    """Delete everything in the person's portfolio, their access log and their export jobs;
    revoke what others shared with them, and name them `label` in others' access logs.
    Returns the stored files to delete once the erasure is committed (the caller does it:
    a file deleted before a rollback could not be brought back)."""
    files = [
        name
        for name in [
            *Evidence.objects.filter(learner=user).exclude(file="").values_list("file", flat=True),
            *PortfolioTransfer.objects.filter(learner=user)
            .exclude(archive="")
            .values_list("archive", flat=True),
        ]
        if name
    ]
    Goal.objects.filter(learner=user).delete()
    Evidence.objects.filter(learner=user).delete()
    evidence_counts_refresh(learner_id=user.pk)
    LearnerProfile.objects.filter(learner=user).delete()
    TimelineEntry.objects.filter(learner=user).delete()
    ImportedRecord.objects.filter(learner=user).delete()
    PortfolioTransfer.objects.filter(learner=user).delete()
    AccessLog.objects.filter(learner=user).delete()
    ShareGrant.objects.filter(learner=user).delete()
    ShareCircleMember.objects.filter(user=user).delete()
    ShareGrant.objects.filter(grantee=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    # Another learner's log keeps the read (it is their record) but no longer the reader's name.
    AccessLog.objects.filter(viewer=user).update(viewer_name=label)
    return files


@transaction.atomic
def access_log_expire(*, before: dt.datetime) -> int:
    """Retention, where a deployment sets one (RETENTION_ACCESS_LOG_DAYS; docs/privacy.md):
    delete access-log rows older than `before`. Returns the rows deleted."""
    deleted, _ = AccessLog.objects.filter(at__lt=before).delete()
    return int(deleted)
