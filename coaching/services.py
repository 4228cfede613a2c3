"""Writes for coaching: relationships, threads, meetings and action items.

Other apps notify people through `notification_send` (re-exported here; see
docs/coaching.md). Every function raises a ValidationError naming the fields when its input is
refused, and leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from coaching.agenda import agenda_draft
from coaching.models import (
    BODY_MAX,
    NOTES_MAX,
    ActionItem,
    CoachingRelationship,
    Comment,
    CommentRevision,
    Meeting,
    Thread,
)
from coaching.selectors import (
    Target,
    assignable_learners,
    coach_candidates,
    programs_assigning_coaches,
)
from core.markdown import markdown_to_text, render_markdown
from notifications.models import Kind
from notifications.selectors import recipients_with_key
from notifications.services import notification_preference_set, notification_send
from portfolio.models import Goal, Scope
from portfolio.selectors import goals_visible_to
from portfolio.services import goal_create, goal_update, share_grant_create, share_grant_revoke
from programs.models import Program

__all__ = [
    "action_item_confirm",
    "action_item_decline",
    "action_item_propose",
    "coachees_nudge",
    "comment_delete",
    "comment_edit",
    "comment_post",
    "meeting_cancel",
    "meeting_notes_update",
    "meeting_schedule",
    "notification_preference_set",
    "notification_send",
    "relationship_accept",
    "relationship_assign",
    "relationship_decline",
    "relationship_end",
    "relationship_invite",
]

# What inviting a coach proposes to share; the learner confirms or changes it.
DEFAULT_SHARE = (Scope.GOALS.value, Scope.CHECKINS.value)
MESSAGE_MAX = 500


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = [str(s) for s in scopes]
    unknown = set(chosen) - set(Scope.values)
    if unknown:
        raise ValidationError({"share_scopes": [f"Unknown scope. Choose from: {Scope.values}."]})
    return [s for s in Scope.values if s in chosen]  # canonical order, no duplicates


def _check_message(message: str) -> str:
    if len(message) > MESSAGE_MAX:
        raise ValidationError({"message": [f"Keep the message under {MESSAGE_MAX} characters."]})
    return message.strip()


def _relationship_url(relationship: CoachingRelationship) -> str:
    return reverse("coaching-relationship", args=[relationship.public_id])


def _ensure_no_open(*, learner: User, coach: User) -> None:
    if CoachingRelationship.objects.open().filter(learner=learner, coach=coach).exists():
        raise ValidationError(
            {"coach": ["There is already a pending or active coaching relationship with them."]}
        )


# --- Relationships --------------------------------------------------------------------------


@transaction.atomic
def relationship_invite(
    *,
    learner: User,
    coach_email: str,
    share_scopes: Iterable[str] = DEFAULT_SHARE,
    message: str = "",
) -> CoachingRelationship:
    """A learner asks someone to coach them. The share they confirmed here is granted only
    once the coach accepts: an unanswered invitation opens nothing."""
    email = coach_email.strip().lower()
    coach = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if coach is None:
        raise ValidationError({"coach_email": ["No one with that email address uses Continuum."]})
    if coach.pk == learner.pk:
        raise ValidationError({"coach_email": ["You cannot coach yourself here."]})
    scopes = _clean_scopes(share_scopes)
    message = _check_message(message)
    _ensure_no_open(learner=learner, coach=coach)
    relationship = CoachingRelationship.objects.create(
        learner=learner,
        coach=coach,
        origin=CoachingRelationship.Origin.LEARNER,
        proposed_by=learner,
        message=message,
        share_scopes=scopes,
    )
    notification_send(
        recipient=coach,
        kind=Kind.RELATIONSHIP,
        title=f"{learner.name} asks you to be their coach",
        body=message,
        url=_relationship_url(relationship),
        dedupe_key=f"relationship:{relationship.pk}:invited",
    )
    return relationship


@transaction.atomic
def relationship_assign(
    *,
    assigned_by: User,
    program: Program,
    learner: User,
    coach: User,
    message: str = "",
) -> CoachingRelationship:
    """A program's director or coordinator assigns a coach to a learner of that program. The
    learner accepts, and then chooses what to share (the default is proposed)."""
    if not programs_assigning_coaches(user=assigned_by).filter(pk=program.pk).exists():
        raise PermissionDenied("Only the program's director or coordinator assigns coaches.")
    errors: dict[str, list[str]] = {}
    this_program = Program.objects.filter(pk=program.pk)
    if not assignable_learners(programs=this_program).filter(pk=learner.pk).exists():
        errors["learner"] = ["Choose a learner currently enrolled in this program."]
    if not coach_candidates(programs=this_program).filter(pk=coach.pk).exists():
        errors["coach"] = ["Choose someone who holds a role in this program."]
    elif coach.pk == learner.pk:
        errors["coach"] = ["A learner cannot coach themself."]
    if errors:
        raise ValidationError(errors)
    message = _check_message(message)
    _ensure_no_open(learner=learner, coach=coach)
    relationship = CoachingRelationship.objects.create(
        learner=learner,
        coach=coach,
        program=program,
        origin=CoachingRelationship.Origin.PROGRAM,
        proposed_by=assigned_by,
        message=message,
        share_scopes=list(DEFAULT_SHARE),
    )
    notification_send(
        recipient=learner,
        kind=Kind.RELATIONSHIP,
        title=f"{program.name} proposes {coach.name} as your coach",
        body="Accept to start, and choose what you share with them.",
        url=_relationship_url(relationship),
        dedupe_key=f"relationship:{relationship.pk}:assigned",
    )
    return relationship


def _locked(relationship: CoachingRelationship) -> CoachingRelationship:
    return CoachingRelationship.objects.select_for_update().get(pk=relationship.pk)


@transaction.atomic
def relationship_accept(
    *,
    relationship: CoachingRelationship,
    by: User,
    share_scopes: Iterable[str] | None = None,
) -> CoachingRelationship:
    """The side that was asked accepts. When that is the learner, `share_scopes` is the share
    they confirm (the proposal if omitted); the grant is created now, to the coach only."""
    rel = _locked(relationship)
    if rel.status != CoachingRelationship.Status.PENDING:
        raise ValidationError({"status": ["This relationship is no longer waiting for an answer."]})
    expected = rel.learner if rel.awaiting == "learner" else rel.coach
    if by.pk != expected.pk:
        raise PermissionDenied("Only the person who was asked can accept.")
    if share_scopes is not None:
        if by.pk != rel.learner_id:
            raise PermissionDenied("Only the learner decides what is shared.")
        rel.share_scopes = _clean_scopes(share_scopes)
    if rel.share_scopes:
        rel.share_grant = share_grant_create(
            learner=rel.learner,
            scopes=rel.share_scopes,
            grantee_email=rel.coach.email,
            note=f"Coaching with {rel.coach.name}"[:300],
        )
    rel.status = CoachingRelationship.Status.ACTIVE
    rel.accepted_at = timezone.now()
    rel.save(update_fields=["share_scopes", "share_grant", "status", "accepted_at"])
    other = rel.coach if by.pk == rel.learner_id else rel.learner
    notification_send(
        recipient=other,
        kind=Kind.RELATIONSHIP,
        title=f"{by.name} accepted: coaching has started",
        url=_relationship_url(rel),
        dedupe_key=f"relationship:{rel.pk}:accepted",
    )
    return rel


@transaction.atomic
def relationship_decline(*, relationship: CoachingRelationship, by: User) -> CoachingRelationship:
    """The asked side declines, or the learner or coach withdraws a pending proposal."""
    rel = _locked(relationship)
    if rel.status != CoachingRelationship.Status.PENDING:
        raise ValidationError({"status": ["This relationship is no longer waiting for an answer."]})
    if by.pk not in (rel.learner_id, rel.coach_id):
        raise PermissionDenied("Only the learner or the coach can decline.")
    rel.status = CoachingRelationship.Status.DECLINED
    rel.ended_at = timezone.now()
    rel.ended_by = by
    rel.save(update_fields=["status", "ended_at", "ended_by"])
    other = rel.coach if by.pk == rel.learner_id else rel.learner
    notification_send(
        recipient=other,
        kind=Kind.RELATIONSHIP,
        title=f"{by.name} declined the coaching proposal",
        url=_relationship_url(rel),
        dedupe_key=f"relationship:{rel.pk}:declined",
    )
    return rel


@transaction.atomic
def relationship_end(*, relationship: CoachingRelationship, by: User) -> CoachingRelationship:
    """Either side ends an active relationship. The share it created is revoked at once and
    meetings still ahead are cancelled; threads and notes stay with the learner."""
    rel = _locked(relationship)
    if rel.status != CoachingRelationship.Status.ACTIVE:
        raise ValidationError({"status": ["Only an active relationship can be ended."]})
    if by.pk not in (rel.learner_id, rel.coach_id):
        raise PermissionDenied("Only the learner or the coach can end it.")
    if rel.share_grant is not None:
        share_grant_revoke(grant=rel.share_grant)
    rel.status = CoachingRelationship.Status.ENDED
    rel.ended_at = timezone.now()
    rel.ended_by = by
    rel.save(update_fields=["status", "ended_at", "ended_by"])
    Meeting.objects.upcoming().filter(relationship=rel).update(status=Meeting.Status.CANCELLED)
    other = rel.coach if by.pk == rel.learner_id else rel.learner
    notification_send(
        recipient=other,
        kind=Kind.RELATIONSHIP,
        title=f"{by.name} ended the coaching relationship",
        url=_relationship_url(rel),
        dedupe_key=f"relationship:{rel.pk}:ended",
    )
    return rel


# --- Threads and comments -------------------------------------------------------------------


def _clean_body(body: str, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({field: ["Write something first."]})
    if len(body) > BODY_MAX:
        raise ValidationError({field: [f"Keep it under {BODY_MAX} characters."]})
    return body


def _excerpt(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def thread_url(thread: Thread) -> str:
    return thread.get_absolute_url()


@transaction.atomic
def comment_post(
    *, author: User, target: Target, body: str, thread: Thread | None = None
) -> Comment:
    """Add a comment on one of a learner's items.

    `target` comes from `selectors.target_visible_to`, which proves `author` may read the
    item. Someone other than the learner writes in their own thread on the item (created on
    first use); the learner replies in a thread someone opened on their item.
    """
    body = _clean_body(body)
    if target.access.viewer.pk != author.pk:
        raise ValueError("target was resolved for someone else")
    if author.pk == target.learner.pk:
        if thread is None or thread.learner_id != author.pk or thread.target_id != target.item.pk:
            raise ValidationError({"thread": ["Reply in a thread on this item."]})
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
    else:
        if thread is not None and thread.participant_id != author.pk:
            raise ValidationError({"thread": ["You can only write in your own thread."]})
        thread, _ = Thread.objects.get_or_create(
            participant=author,
            **{target.field: target.item},
            defaults={"learner": target.learner, "target_type": target.type},
        )
    now = timezone.now()
    comment = Comment.objects.create(
        thread=thread, author=author, body=body, body_html=render_markdown(body), created_at=now
    )
    Thread.objects.filter(pk=thread.pk).update(last_activity_at=now)
    is_learner = author.pk == thread.learner_id
    label = thread.target_label if not is_learner else str(target.item)
    notification_send(
        recipient=thread.participant if is_learner else thread.learner,
        kind=Kind.COMMENT,
        title=(
            f"{author.name} replied about “{_excerpt(label, 80)}”"
            if is_learner
            else f"{author.name} commented on your {target.label}: “{_excerpt(label, 80)}”"
        ),
        body=_excerpt(markdown_to_text(body)),
        url=thread_url(thread),
        dedupe_key=f"comment:{comment.pk}",
    )
    return comment


@transaction.atomic
def comment_edit(*, comment: Comment, by: User, body: str) -> Comment:
    """The author rewrites their comment; the earlier text is kept as a revision."""
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.author_id != by.pk:
        raise PermissionDenied("Only the author can edit a comment.")
    if locked.is_deleted:
        raise ValidationError({"body": ["A deleted comment cannot be edited."]})
    body = _clean_body(body)
    if body == locked.body:
        return locked
    CommentRevision.objects.create(
        comment=locked,
        body=locked.body,
        body_html=locked.body_html,
        written_at=locked.edited_at or locked.created_at,
    )
    locked.body = body
    locked.body_html = render_markdown(body)
    locked.edited_at = timezone.now()
    locked.save(update_fields=["body", "body_html", "edited_at"])
    return locked


@transaction.atomic
def comment_delete(*, comment: Comment, by: User) -> Comment:
    """The author deletes their comment. A tombstone stays in the thread so replies keep their
    place; the text and every earlier version are erased."""
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.author_id != by.pk:
        raise PermissionDenied("Only the author can delete a comment.")
    if locked.is_deleted:
        return locked
    locked.revisions.all().delete()
    locked.body = ""
    locked.body_html = ""
    locked.deleted_at = timezone.now()
    locked.save(update_fields=["body", "body_html", "deleted_at"])
    return locked


# --- Meetings and action items --------------------------------------------------------------

EARLIEST_PAST = dt.timedelta(days=30)
LATEST_AHEAD = dt.timedelta(days=366)


def _meeting_url(meeting: Meeting) -> str:
    return reverse("coaching-meeting", args=[meeting.public_id])


@transaction.atomic
def meeting_schedule(
    *,
    coach: User,
    relationship: CoachingRelationship,
    starts_at: dt.datetime,
    duration_minutes: int = 30,
    location: str = "",
) -> Meeting:
    """The coach schedules a meeting with a coachee; the agenda is drafted from the coachee's
    activity since the last meeting (only what is shared with the coach)."""
    rel = _locked(relationship)
    if rel.coach_id != coach.pk or rel.status != CoachingRelationship.Status.ACTIVE:
        raise ValidationError({"relationship": ["You can meet only your active coachees."]})
    now = timezone.now()
    if not now - EARLIEST_PAST <= starts_at <= now + LATEST_AHEAD:
        raise ValidationError(
            {"starts_at": ["Choose a time between a month ago and a year from now."]}
        )
    if not 5 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": ["Between 5 and 480 minutes."]})
    if len(location) > 200:
        raise ValidationError({"location": ["Keep it under 200 characters."]})
    agenda = agenda_draft(relationship=rel, before=starts_at)
    meeting = Meeting.objects.create(
        relationship=rel,
        learner=rel.learner,
        coach=coach,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location.strip(),
        agenda=agenda,
        agenda_html=render_markdown(agenda),
    )
    when = timezone.localtime(starts_at)
    notification_send(
        recipient=rel.learner,
        kind=Kind.MEETING,
        title=f"{coach.name} scheduled a meeting on {when:%a %d %b, %H:%M}",
        body=location,
        url=_meeting_url(meeting),
        dedupe_key=f"meeting:{meeting.pk}:scheduled",
    )
    return meeting


@transaction.atomic
def meeting_notes_update(
    *,
    meeting: Meeting,
    by: User,
    agenda: str,
    shared_notes: str,
    private_notes: str,
    held: bool = False,
) -> Meeting:
    """The coach edits the agenda and the two parts of the notes. Private notes are never
    shown to the learner; shared notes are."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.coach_id != by.pk:
        raise PermissionDenied("Only the coach edits the notes.")
    errors = {
        name: [f"Keep it under {NOTES_MAX} characters."]
        for name, value in (
            ("agenda", agenda),
            ("shared_notes", shared_notes),
            ("private_notes", private_notes),
        )
        if len(value) > NOTES_MAX
    }
    if errors:
        raise ValidationError(errors)
    shared_changed = shared_notes.strip() != locked.shared_notes
    locked.agenda, locked.agenda_html = agenda.strip(), render_markdown(agenda.strip())
    locked.shared_notes = shared_notes.strip()
    locked.shared_notes_html = render_markdown(locked.shared_notes)
    locked.private_notes = private_notes.strip()
    locked.private_notes_html = render_markdown(locked.private_notes)
    if held and locked.status == Meeting.Status.SCHEDULED:
        locked.status = Meeting.Status.HELD
    locked.save()
    if shared_changed and locked.shared_notes:
        notification_send(
            recipient=locked.learner,
            kind=Kind.MEETING,
            title=f"{by.name} shared notes from your meeting",
            url=_meeting_url(locked),
            dedupe_key=f"meeting:{locked.pk}:notes:{locked.updated_at:%Y%m%d%H%M}",
        )
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User) -> Meeting:
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if by.pk not in (locked.coach_id, locked.learner_id):
        raise PermissionDenied("Only the two people meeting can cancel.")
    if locked.status != Meeting.Status.SCHEDULED:
        raise ValidationError({"status": ["Only a scheduled meeting can be cancelled."]})
    locked.status = Meeting.Status.CANCELLED
    locked.save(update_fields=["status", "updated_at"])
    other = locked.learner if by.pk == locked.coach_id else locked.coach
    notification_send(
        recipient=other,
        kind=Kind.MEETING,
        title=f"{by.name} cancelled the meeting on {timezone.localtime(locked.starts_at):%d %b}",
        url=_meeting_url(locked),
        dedupe_key=f"meeting:{locked.pk}:cancelled",
    )
    return locked


@transaction.atomic
def action_item_propose(
    *,
    meeting: Meeting,
    by: User,
    title: str,
    detail: str = "",
    target_date: dt.date | None = None,
    goal_id: int | None = None,
) -> ActionItem:
    """The coach writes down an action agreed in a meeting: a new goal, or a change to one of
    the learner's goals the coach can see. Nothing changes until the learner confirms."""
    if meeting.coach_id != by.pk:
        raise PermissionDenied("Only the coach adds action items.")
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["Say what the action is."]
    elif len(title) > 200:
        errors["title"] = ["Keep it under 200 characters."]
    if len(detail) > 2000:
        errors["detail"] = ["Keep it under 2000 characters."]
    if target_date is not None and target_date < timezone.localdate():
        errors["target_date"] = ["Choose today or a later date."]
    goal: Goal | None = None
    if goal_id is not None:
        goal = goals_visible_to(viewer=by, learner=meeting.learner).filter(pk=goal_id).first()
        if goal is None:
            errors["goal"] = ["Choose one of this learner's goals that they share with you."]
    if errors:
        raise ValidationError(errors)
    item = ActionItem.objects.create(
        meeting=meeting,
        learner=meeting.learner,
        title=title,
        detail=detail.strip(),
        target_date=target_date,
        goal=goal,
        created_by=by,
    )
    notification_send(
        recipient=meeting.learner,
        kind=Kind.MEETING,
        title=f"Confirm an action from your meeting: {title}"[:200],
        body="It becomes part of your learning plan once you confirm it.",
        url=_meeting_url(meeting),
        dedupe_key=f"action-item:{item.pk}:proposed",
    )
    return item


@transaction.atomic
def action_item_confirm(*, item: ActionItem, by: User) -> ActionItem:
    """The learner accepts an action item: it becomes a new goal, or updates the goal it
    names (new target date, the action added to the plan). Idempotent."""
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    if locked.learner_id != by.pk:
        raise PermissionDenied("Only the learner confirms changes to their plan.")
    if locked.status == ActionItem.Status.CONFIRMED:
        return locked
    if locked.status != ActionItem.Status.PROPOSED:
        raise ValidationError({"status": ["This action item was declined."]})
    target = locked.target_date or timezone.localdate() + dt.timedelta(days=30)
    agreed = f"Agreed with your coach on {timezone.localdate():%d %b %Y}: {locked.title}"
    if locked.detail:
        agreed += f" — {locked.detail}"
    if locked.goal_id is None:
        goal = goal_create(
            learner=by,
            title=locked.title,
            measure=locked.detail or locked.title,
            target_date=target,
            plan=agreed[:4000],
            status=Goal.Status.ACTIVE,
        )
    else:
        existing = Goal.objects.filter(pk=locked.goal_id, learner=by).first()
        if existing is None:
            raise ValidationError({"goal": ["That goal no longer exists."]})
        plan = f"{existing.plan}\n\n{agreed}".strip()
        if len(plan) > 4000:
            raise ValidationError({"goal": ["The goal's plan is full; edit it first."]})
        goal = goal_update(
            goal=existing,
            title=existing.title,
            measure=existing.measure,
            target_date=locked.target_date or existing.target_date,
            plan=plan,
            status=Goal.Status.ACTIVE
            if existing.status == Goal.Status.PLANNED
            else existing.status,
            competency_ids=list(existing.competencies.values_list("pk", flat=True)),
            evidence_ids=list(existing.evidence.values_list("pk", flat=True)),
        )
    locked.status = ActionItem.Status.CONFIRMED
    locked.resulting_goal = goal
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "resulting_goal", "decided_at"])
    notification_send(
        recipient=locked.meeting.coach,
        kind=Kind.MEETING,
        title=f"{by.name} confirmed: {locked.title}"[:200],
        url=_meeting_url(locked.meeting),
        dedupe_key=f"action-item:{locked.pk}:confirmed",
    )
    return locked


@transaction.atomic
def action_item_decline(*, item: ActionItem, by: User) -> ActionItem:
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    if locked.learner_id != by.pk:
        raise PermissionDenied("Only the learner decides on their plan.")
    if locked.status != ActionItem.Status.PROPOSED:
        raise ValidationError({"status": ["This action item was already decided."]})
    locked.status = ActionItem.Status.DECLINED
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    return locked


# --- Nudges ---------------------------------------------------------------------------------

# What a coach may remind several coachees of at once: (label, notification title, page).
NUDGE_REMINDERS = {
    "checkin": ("Check in", "Your coach asks you to check in", "checkin-start"),
    "goals": ("Update your goals", "Your coach asks you to update your goals", "goal-list"),
    "threads": ("Read and reply", "Your coach is waiting for your reply", "coaching-thread-list"),
}
NUDGE_NOTE_MAX = 500
NUDGE_MAX_COACHEES = 100
# Batches a coach may send in an hour; each coachee hears of one reminder once a day anyway.
NUDGE_BATCHES_PER_HOUR = 10
NUDGE_ACTION = "coaching.nudge"


class NudgeLimitReached(Exception):
    """The coach sent as many batches this hour as they may."""


@dataclass
class NudgeResult:
    sent: list[User]  # reminded now
    already: list[User]  # had this reminder from this coach today: nothing sent


def coachees_nudge(
    *,
    coach: User,
    relationships: list[CoachingRelationship],
    reminder: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> NudgeResult:
    """Remind several coachees at once, through their inbox and their email preference.

    Rules: only the coach's active relationships; one reminder of a kind per coachee per day
    from this coach (the dedupe key), so a double submit or a retry sends nothing more; at
    most `NUDGE_BATCHES_PER_HOUR` batches that sent something per hour (counted from the audit
    log, where each such batch is recorded with whom it reached)."""
    now = now or timezone.now()
    if reminder not in NUDGE_REMINDERS:
        raise ValidationError({"reminder": ["Choose what to remind them of."]})
    note = note.strip()
    if len(note) > NUDGE_NOTE_MAX:
        raise ValidationError(
            {"note": [f"Keep the note to {NUDGE_NOTE_MAX} characters (it has {len(note)})."]}
        )
    if not relationships:
        raise ValidationError({"relationships": ["Choose at least one coachee."]})
    if len(relationships) > NUDGE_MAX_COACHEES:
        raise ValidationError(
            {"relationships": [f"Choose at most {NUDGE_MAX_COACHEES} coachees at once."]}
        )
    for relationship in relationships:
        if relationship.coach_id != coach.pk or not relationship.is_active():
            raise ValidationError({"relationships": ["Choose among your active coachees."]})
    day = timezone.localdate(now)
    key = f"nudge:{coach.pk}:{reminder}:{day.isoformat()}"
    learners = {r.learner_id: r.learner for r in relationships}
    with transaction.atomic():
        already_ids = recipients_with_key(recipient_ids=list(learners), dedupe_key=key)
        to_send = [learner for pk, learner in learners.items() if pk not in already_ids]
        if to_send:
            recent = AuditEvent.objects.filter(
                actor=coach, action=NUDGE_ACTION, at__gte=now - dt.timedelta(hours=1)
            ).count()
            if recent >= NUDGE_BATCHES_PER_HOUR:
                raise NudgeLimitReached(
                    f"You sent {recent} reminders in the last hour; wait a while, then try again."
                )
        _, title, url_name = NUDGE_REMINDERS[reminder]
        body = f"{coach.name} writes: {note}" if note else f"A reminder from {coach.name}."
        for learner in to_send:
            notification_send(
                recipient=learner,
                kind=Kind.NUDGE,
                title=title,
                body=body,
                url=reverse(url_name),
                dedupe_key=key,
            )
        if to_send:
            institutions = {r.program.institution_id for r in relationships if r.program}
            audit_record(
                actor=coach,
                action=NUDGE_ACTION,
                target_label=f"{len(to_send)} coachee{'s' if len(to_send) != 1 else ''}",
                institution_id=institutions.pop() if len(institutions) == 1 else None,
                after={
                    "reminder": reminder,
                    "note": note,
                    "learners": sorted(learner.pk for learner in to_send),
                },
            )
    return NudgeResult(
        sent=sorted(to_send, key=lambda u: u.name.lower()),
        already=sorted(
            (learners[pk] for pk in already_ids if pk in learners), key=lambda u: u.name.lower()
        ),
    )


# --- Erasure (docs/privacy.md) ------------------------------------------------------------------

CLOSED_ACCOUNT_TEXT = "Your coach closed their account; the coaching relationship has ended."


@transaction.atomic
def coaching_erase_for_user(*, user: User) -> None:
    """Erasure of a person's coaching. As the learner: their relationships, meetings, action
    items and every thread about their items go (the coaching is about them and formative,
    not an official record). As a coach: relationships end and stay in the learner's history,
    future meetings are cancelled, private notes (which only the coach could read) are
    cleared, and each of their comments becomes a tombstone like a deleted comment."""
    Thread.objects.filter(learner=user).delete()
    Meeting.objects.filter(learner=user).delete()
    ActionItem.objects.filter(learner=user).delete()
    CoachingRelationship.objects.filter(learner=user).delete()

    now = timezone.now()
    for rel in CoachingRelationship.objects.open().filter(coach=user).select_related("learner"):
        if rel.status == CoachingRelationship.Status.PENDING:
            rel.status = CoachingRelationship.Status.DECLINED
        else:
            rel.status = CoachingRelationship.Status.ENDED
            notification_send(
                recipient=rel.learner,
                kind=Kind.RELATIONSHIP,
                title="A coaching relationship ended",
                body=CLOSED_ACCOUNT_TEXT,
                url=_relationship_url(rel),
                dedupe_key=f"relationship:{rel.pk}:ended",
            )
        rel.ended_at = now
        rel.ended_by = user
        rel.save(update_fields=["status", "ended_at", "ended_by"])
    Meeting.objects.upcoming().filter(coach=user).update(status=Meeting.Status.CANCELLED)
    Meeting.objects.filter(coach=user).update(private_notes="", private_notes_html="")
    CommentRevision.objects.filter(comment__author=user).delete()
    Comment.objects.filter(author=user, deleted_at__isnull=True).update(
        body="", body_html="", deleted_at=now
    )
