"""HTML pages for coaching: small functions — a form, a service call, a redirect."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from assessments.calibration import CLOSE_ENOUGH
from coaching import services
from coaching.calendar import UPCOMING_MAX, calendar_file, upcoming_window
from coaching.forms import (
    AcceptForm,
    ActionItemForm,
    AssignForm,
    CommentForm,
    InviteForm,
    MeetingForm,
    MeetingNotesForm,
    NudgeForm,
    ReplyForm,
)
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting, Thread
from coaching.overview import coachee_overview
from coaching.selectors import (
    Target,
    action_items_visible_to,
    assignable_learners,
    coach_candidates,
    coachee_relationships,
    comments_in,
    meetings_visible_to,
    programs_assigning_coaches,
    relationships_of,
    relationships_visible_to,
    target_visible_to,
    threads_on,
    threads_readable_by,
    threads_visible_to,
)
from core.once import submit_once
from portfolio.calibration import calibration_for
from portfolio.models import AccessLog, Goal, Scope
from portfolio.selectors import (
    access_for,
    checkins_visible_to,
    evidence_visible_to,
    goals_visible_to,
)
from portfolio.services import access_log_record
from programs.models import ProgramRole

OPEN_GOAL_STATUSES = (Goal.Status.PLANNED, Goal.Status.ACTIVE)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- Relationships --------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My coaches (as a learner), my coachees' pending invitations, and what I may assign."""
    user = _user(request)
    relationships = list(relationships_of(user=user).filter(status__in=["pending", "active"]))
    as_learner = [r for r in relationships if r.learner_id == user.pk]
    as_coach = [r for r in relationships if r.coach_id == user.pk]
    context = {
        "my_coaches": [r for r in as_learner if r.is_active()],
        "my_pending": [r for r in as_learner if not r.is_active()],
        "coachee_count": sum(1 for r in as_coach if r.is_active()),
        "coach_pending": [r for r in as_coach if not r.is_active()],
        "can_assign": programs_assigning_coaches(user=user).exists(),
    }
    return render(request, "coaching/home.html", context)


@login_required
@submit_once("invitation")
def invite(request: HttpRequest) -> HttpResponse:
    """A learner invites someone to coach them, confirming what they will share."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            relationship = services.relationship_invite(learner=_user(request), **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                f"Invitation sent to {relationship.coach.name}. Nothing is shared until they "
                "accept.",
            )
            return HttpResponseRedirect(reverse("coaching-home"))
    return render(request, "coaching/invite.html", {"form": form})


@login_required
@submit_once("coaching assignment")
def assign(request: HttpRequest) -> HttpResponse:
    """A director or coordinator assigns a coach to a learner of their program."""
    user = _user(request)
    programs = programs_assigning_coaches(user=user)
    if not programs.exists():
        return render(request, "coaching/assign_none.html", status=403)
    program_ids = list(programs.values_list("pk", flat=True))
    form = AssignForm(
        request.POST or None,
        programs=programs,
        learners=assignable_learners(programs=programs),
        coaches=coach_candidates(programs=programs),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_assign(assigned_by=user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, "Coach proposed. The learner will accept and choose what to share."
            )
            return HttpResponseRedirect(reverse("coaching-assign"))
    assigned = (
        CoachingRelationship.objects.filter(program_id__in=program_ids)
        .select_related("learner", "coach", "program")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "coaching/assign.html",
        {"form": form, "assigned": assigned, "coach_role": ProgramRole.Role.COACH},
    )


def _relationship(request: HttpRequest, public_id: uuid.UUID) -> CoachingRelationship:
    return get_object_or_404(relationships_visible_to(viewer=_user(request)), public_id=public_id)


@login_required
def relationship_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    relationship = _relationship(request, public_id)
    user = _user(request)
    form = None
    if (
        relationship.status == CoachingRelationship.Status.PENDING
        and relationship.awaiting == "learner"
        and user.pk == relationship.learner_id
    ):
        form = AcceptForm(initial={"share_scopes": relationship.share_scopes})
    context = {
        "relationship": relationship,
        "form": form,
        "is_learner": user.pk == relationship.learner_id,
        "is_coach": user.pk == relationship.coach_id,
        "meetings": list(meetings_visible_to(viewer=user).filter(relationship=relationship)[:20]),
    }
    return render(request, "coaching/relationship.html", context)


@require_POST
@login_required
def relationship_accept(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    relationship = _relationship(request, public_id)
    user = _user(request)
    scopes = None
    if user.pk == relationship.learner_id:
        form = AcceptForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose what to share from the list.")
            return HttpResponseRedirect(_detail_url(relationship))
        scopes = form.cleaned_data["share_scopes"]
    try:
        services.relationship_accept(relationship=relationship, by=user, share_scopes=scopes)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Coaching has started.")
    return HttpResponseRedirect(_detail_url(relationship))


@require_POST
@login_required
def relationship_decline(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    relationship = _relationship(request, public_id)
    try:
        services.relationship_decline(relationship=relationship, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Declined.")
    return HttpResponseRedirect(reverse("coaching-home"))


@require_POST
@login_required
def relationship_end(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    relationship = _relationship(request, public_id)
    try:
        services.relationship_end(relationship=relationship, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The coaching relationship has ended; its share is revoked.")
    return HttpResponseRedirect(reverse("coaching-home"))


def _detail_url(relationship: CoachingRelationship) -> str:
    return reverse("coaching-relationship", args=[relationship.public_id])


# --- Overview -------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The coach's coachees, most in need of attention first, each with the reason, and a
    form to remind several of them at once."""
    coachees = coachee_overview(coach=_user(request))
    form = NudgeForm(
        relationships=[(str(c.relationship.public_id), c.learner.name) for c in coachees]
    )
    return render(
        request,
        "coaching/overview.html",
        {"coachees": coachees, "today": timezone.localdate(), "nudge_form": form},
    )


@require_POST
@login_required
def nudge(request: HttpRequest) -> HttpResponse:
    """Send one reminder to the coachees ticked on the overview (see `coachees_nudge`)."""
    user = _user(request)
    relationships = {
        str(r.public_id): r for r in coachee_relationships(coach=user).select_related("program")
    }
    form = NudgeForm(
        request.POST, relationships=[(pk, r.learner.name) for pk, r in relationships.items()]
    )
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(reverse("coaching-overview"))
    try:
        result = services.coachees_nudge(
            coach=user,
            relationships=[relationships[pk] for pk in form.cleaned_data["coachees"]],
            reminder=form.cleaned_data["reminder"],
            note=form.cleaned_data["note"],
        )
    except services.NudgeLimitReached as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if result.sent:
            names = ", ".join(u.name for u in result.sent)
            messages.success(request, f"Reminder sent to {names}.")
        if result.already:
            names = ", ".join(u.name for u in result.already)
            messages.info(request, f"Already reminded of this today, so not sent again: {names}.")
    return HttpResponseRedirect(reverse("coaching-overview"))


# --- Threads --------------------------------------------------------------------------------


def _target_or_404(request: HttpRequest, target_type: str, pk: int) -> Target:
    target = target_visible_to(viewer=_user(request), target_type=target_type, pk=pk)
    if target is None:
        raise Http404("No such item.")
    return target


def _thread_page(request: HttpRequest, target_type: str, pk: int) -> HttpResponse:
    """An item of the learner's with its comment threads. Someone the item is shared with
    reads and writes their own thread; the learner reads all and replies in each."""
    user = _user(request)
    target = _target_or_404(request, target_type, pk)
    is_learner = user.pk == target.learner.pk
    form = CommentForm(request.POST or None) if not is_learner else None
    if request.method == "POST":
        if form is None:
            return HttpResponseNotAllowed(["GET"])
        if form.is_valid():
            try:
                services.comment_post(author=user, target=target, body=form.cleaned_data["body"])
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Comment sent to {target.learner.name}.")
                return HttpResponseRedirect(request.path)
    threads = list(threads_on(viewer=user, target=target))
    comments: dict[int, list[Comment]] = {t.pk: [] for t in threads}
    for comment in comments_in(threads=threads):
        comments[comment.thread_id].append(comment)
    access_log_record(access=target.access, items=[target.item], action=AccessLog.Action.VIEW)
    context = {
        "target": target,
        "item": target.item,
        "is_learner": is_learner,
        "threads": [(t, comments[t.pk], ReplyForm(prefix=str(t.public_id))) for t in threads],
        "form": form,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "coaching/thread.html", context, status=status)


@login_required
@submit_once("comment")
def goal_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, Thread.TargetType.GOAL, pk)


@login_required
@submit_once("comment")
def evidence_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, Thread.TargetType.EVIDENCE, pk)


@login_required
@submit_once("comment")
def checkin_thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, Thread.TargetType.CHECKIN, pk)


def _thread_and_target(request: HttpRequest, public_id: uuid.UUID) -> tuple[Thread, Target]:
    user = _user(request)
    thread = get_object_or_404(threads_visible_to(viewer=user), public_id=public_id)
    target = target_visible_to(
        viewer=user, target_type=thread.target_type, pk=int(thread.target_id or 0)
    )
    if target is None:  # the learner stopped sharing it
        raise Http404("No such thread.")
    return thread, target


@require_POST
@login_required
@submit_once("reply")
def thread_reply(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Write in an existing thread (the learner's reply, or the other person's next word)."""
    thread, target = _thread_and_target(request, public_id)
    form = ReplyForm(request.POST, prefix=str(thread.public_id))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(services.thread_url(thread))
    try:
        services.comment_post(
            author=_user(request), target=target, body=form.cleaned_data["body"], thread=thread
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Reply sent.")
    return HttpResponseRedirect(services.thread_url(thread) + f"#thread-{thread.public_id}")


def _comment_or_404(request: HttpRequest, public_id: uuid.UUID) -> tuple[Comment, Thread]:
    user = _user(request)
    comment = get_object_or_404(
        Comment.objects.select_related("thread"),
        public_id=public_id,
        thread__in=threads_visible_to(viewer=user),
    )
    thread, _ = _thread_and_target(request, comment.thread.public_id)
    return comment, thread


@login_required
def comment_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    comment, thread = _comment_or_404(request, public_id)
    if comment.author_id != _user(request).pk:
        raise PermissionDenied("Only the author can edit a comment.")
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                comment=comment, by=_user(request), body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Comment updated; the earlier version is kept.")
            return HttpResponseRedirect(services.thread_url(thread))
    status = 400 if form.errors else 200
    return render(
        request, "coaching/comment_edit.html", {"form": form, "comment": comment}, status=status
    )


@require_POST
@login_required
def comment_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    comment, thread = _comment_or_404(request, public_id)
    services.comment_delete(comment=comment, by=_user(request))
    messages.success(request, "Comment deleted.")
    return HttpResponseRedirect(services.thread_url(thread))


@login_required
def comment_history(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Earlier versions of an edited comment, for both people in the thread."""
    comment, thread = _comment_or_404(request, public_id)
    revisions = comment.revisions.all()
    return render(
        request,
        "coaching/comment_history.html",
        {"comment": comment, "thread": thread, "revisions": revisions},
    )


@login_required
def thread_list(request: HttpRequest) -> HttpResponse:
    """My conversations, most recent first."""
    threads = threads_readable_by(viewer=_user(request))
    return render(request, "coaching/thread_list.html", {"threads": threads})


@login_required
def coachee(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One coachee, as their coach sees them: what they share, threads, meetings."""
    user = _user(request)
    relationship = get_object_or_404(coachee_relationships(coach=user), public_id=public_id)
    learner = relationship.learner
    access = access_for(viewer=user, learner=learner)
    goals = list(
        goals_visible_to(viewer=user, learner=learner, access=access).filter(
            status__in=OPEN_GOAL_STATUSES
        )[:50]
    )
    checkins = list(checkins_visible_to(viewer=user, learner=learner, access=access)[:5])
    evidence = list(evidence_visible_to(viewer=user, learner=learner, access=access)[:10])
    access_log_record(
        access=access, items=[*goals, *checkins, *evidence], action=AccessLog.Action.LIST
    )
    meetings = list(meetings_visible_to(viewer=user).filter(relationship=relationship)[:20])
    calibration = calibration_for(viewer=user, learner=learner, access=access)
    calibration_rows = [
        {
            "framework": f"{f.name} (version {f.version})",
            "difference": f"{f.difference:+.1f}",
            "n": f.n,
            "reading": "rates themself higher than observers"
            if f.difference > CLOSE_ENOUGH
            else "rates themself lower than observers"
            if f.difference < -CLOSE_ENOUGH
            else "close to observers",
        }
        for f in (calibration.frameworks if calibration else [])
    ]
    context = {
        "relationship": relationship,
        "learner": learner,
        "calibration": calibration,
        "calibration_rows": calibration_rows,
        "access": access,
        "goals": goals,
        "checkins": checkins,
        "evidence": evidence,
        "meetings": meetings,
        "now": timezone.now(),
        "shared_labels": [str(label) for value, label in Scope.choices if access.allows(value)],
        "shared_scopes": [value for value in Scope.values if access.allows(value)],
    }
    return render(request, "coaching/coachee.html", context)


# --- Meetings -------------------------------------------------------------------------------


@login_required
@submit_once("meeting")
def meeting_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The coach schedules a meeting with one of their coachees."""
    user = _user(request)
    relationship = get_object_or_404(coachee_relationships(coach=user), public_id=public_id)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                coach=user, relationship=relationship, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Meeting scheduled; the agenda is drafted below.")
            return HttpResponseRedirect(reverse("coaching-meeting", args=[meeting.public_id]))
    status = 400 if form.errors else 200
    return render(
        request,
        "coaching/meeting_form.html",
        {"form": form, "relationship": relationship},
        status=status,
    )


def _meeting(request: HttpRequest, public_id: uuid.UUID) -> Meeting:
    return get_object_or_404(meetings_visible_to(viewer=_user(request)), public_id=public_id)


def _calendar_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def meeting_calendar(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One meeting as an .ics file for the coach's or learner's own calendar."""
    meeting = _meeting(request, public_id)
    content = calendar_file(
        [meeting], viewer_id=_user(request).pk, base_url=request.build_absolute_uri("/")
    )
    return _calendar_response(content, f"coaching-{meeting.starts_at:%Y-%m-%d}.ics")


@login_required
def meetings_calendar(request: HttpRequest) -> HttpResponse:
    """The person's upcoming meetings (as coach and as learner) in one .ics file: a download,
    not a subscription, so no secret address can leak."""
    user = _user(request)
    start, end = upcoming_window()
    meetings = meetings_visible_to(viewer=user).filter(
        status=Meeting.Status.SCHEDULED, starts_at__gte=start, starts_at__lt=end
    )
    content = calendar_file(
        meetings.order_by("starts_at", "id")[:UPCOMING_MAX],
        viewer_id=user.pk,
        base_url=request.build_absolute_uri("/"),
    )
    return _calendar_response(content, "coaching-meetings.ics")


def _goal_choices(meeting: Meeting, coach: User) -> list[tuple[int, str]]:
    goals = goals_visible_to(viewer=coach, learner=meeting.learner).filter(
        status__in=OPEN_GOAL_STATUSES
    )
    return [(g.pk, g.title) for g in goals.only("pk", "title")]


@login_required
def meeting_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Agenda, notes and action items. The learner never sees the private notes."""
    user = _user(request)
    meeting = _meeting(request, public_id)
    is_coach = user.pk == meeting.coach_id
    context: dict[str, object] = {
        "meeting": meeting,
        "is_coach": is_coach,
        "items": list(meeting.action_items.select_related("goal", "resulting_goal")),
    }
    if is_coach:
        context["notes_form"] = MeetingNotesForm(
            initial={
                "agenda": meeting.agenda,
                "shared_notes": meeting.shared_notes,
                "private_notes": meeting.private_notes,
                "held": meeting.status == Meeting.Status.HELD,
            }
        )
        context["item_form"] = ActionItemForm(goals=_goal_choices(meeting, user))
    return render(request, "coaching/meeting.html", context)


@require_POST
@login_required
def meeting_notes(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    meeting = _meeting(request, public_id)
    form = MeetingNotesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The notes are too long.")
        return HttpResponseRedirect(reverse("coaching-meeting", args=[meeting.public_id]))
    services.meeting_notes_update(meeting=meeting, by=_user(request), **form.cleaned_data)
    messages.success(request, "Notes saved.")
    return HttpResponseRedirect(reverse("coaching-meeting", args=[meeting.public_id]))


@require_POST
@login_required
def meeting_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    meeting = _meeting(request, public_id)
    try:
        services.meeting_cancel(meeting=meeting, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Meeting cancelled.")
    return HttpResponseRedirect(reverse("coaching-meeting", args=[meeting.public_id]))


@require_POST
@login_required
@submit_once("action item")
def action_item_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    meeting = _meeting(request, public_id)
    if meeting.coach_id != user.pk:
        raise PermissionDenied("Only the coach adds action items.")
    form = ActionItemForm(request.POST, goals=_goal_choices(meeting, user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.action_item_propose(
                meeting=meeting,
                by=user,
                title=data["title"],
                detail=data["detail"],
                target_date=data["target_date"],
                goal_id=data["goal"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Action item added; the learner will confirm it.")
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return HttpResponseRedirect(reverse("coaching-meeting", args=[meeting.public_id]))


def _action_item(request: HttpRequest, public_id: uuid.UUID) -> ActionItem:
    return get_object_or_404(action_items_visible_to(viewer=_user(request)), public_id=public_id)


@require_POST
@login_required
def action_item_confirm(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    item = _action_item(request, public_id)
    try:
        item = services.action_item_confirm(item=item, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{item.title}” is now in your learning plan.")
    return HttpResponseRedirect(reverse("coaching-meeting", args=[item.meeting.public_id]))


@require_POST
@login_required
def action_item_decline(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    item = _action_item(request, public_id)
    try:
        services.action_item_decline(item=item, by=_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Declined; your plan is unchanged.")
    return HttpResponseRedirect(reverse("coaching-meeting", args=[item.meeting.public_id]))
