"""Comment threads on a learner's goals, check-ins and evidence."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from coaching import services
from coaching.models import BODY_MAX, Comment, CommentRevision, Thread
from coaching.selectors import target_visible_to, threads_readable_by
from coaching.tests.html_safety import XSS_PAYLOADS, unsafe_parts
from core.markdown import render_markdown
from notifications.models import Notification
from portfolio.models import AccessLog
from portfolio.services import share_grant_revoke
from portfolio.tests.factories import (
    CheckInFactory,
    EvidenceFactory,
    GoalFactory,
    ReflectionFactory,
    ShareGrantFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def goal_url(goal):
    return reverse("coaching-goal-thread", args=[goal.pk])


def post_comment(client, goal, body):
    return client.post(goal_url(goal), {"body": body})


def test_a_coach_comments_on_a_shared_goal_and_the_learner_is_told(
    client, coaching, learner, coach, django_capture_on_commit_callbacks
):
    goal = GoalFactory(learner=learner, title="Lead a family meeting")
    client.force_login(coach)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_comment(client, goal, "Try the **ask-tell-ask** approach.")
    assert response.status_code == 302

    thread = Thread.objects.get()
    assert (thread.learner, thread.participant, thread.goal) == (learner, coach, goal)
    comment = thread.comments.get()
    assert comment.body_html == "<p>Try the <strong>ask-tell-ask</strong> approach.</p>"
    notification = Notification.objects.get(recipient=learner, kind="comment")
    assert "Lead a family meeting" in notification.title
    assert notification.url == goal_url(goal)
    assert mail.outbox[-1].to == [learner.email]


def test_the_learner_sees_the_comment_and_replies_and_the_coach_is_told(
    client, coaching, learner, coach
):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    post_comment(client, goal, "How did it go?")
    thread = Thread.objects.get()

    client.force_login(learner)
    page = client.get(goal_url(goal)).content.decode()
    assert "How did it go?" in page
    response = client.post(
        reverse("coaching-thread-reply", args=[thread.public_id]),
        {f"{thread.public_id}-body": "Better than expected."},
    )
    assert response.status_code == 302
    assert [c.body for c in thread.comments.all()] == ["How did it go?", "Better than expected."]
    assert Notification.objects.filter(recipient=coach, kind="comment").exists()


def test_a_coach_without_a_share_gets_404_and_nothing_is_written(client, learner, coach):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    assert client.get(goal_url(goal)).status_code == 404
    assert post_comment(client, goal, "hello").status_code == 404
    assert not Thread.objects.exists() and not Comment.objects.exists()


def test_an_unknown_item_is_404_like_a_hidden_one(client, coach):
    client.force_login(coach)
    assert client.get(reverse("coaching-goal-thread", args=[999999])).status_code == 404
    assert client.get(reverse("coaching-evidence-thread", args=[999999])).status_code == 404


def test_sharing_evidence_does_not_open_reflections(client, coaching, learner, coach):
    reflection = ReflectionFactory(learner=learner)
    evidence = EvidenceFactory(learner=learner)
    client.force_login(coach)
    assert client.get(reverse("coaching-evidence-thread", args=[evidence.pk])).status_code == 200
    response = client.get(reverse("coaching-evidence-thread", args=[reflection.pk]))
    assert response.status_code == 404


def test_a_check_in_can_be_annotated_when_check_ins_are_shared(client, coaching, learner, coach):
    checkin = CheckInFactory(learner=learner)
    client.force_login(coach)
    response = client.post(
        reverse("coaching-checkin-thread", args=[checkin.pk]), {"body": "Nice honesty."}
    )
    assert response.status_code == 302
    assert Thread.objects.get().checkin == checkin


def test_after_revocation_the_coach_can_neither_read_nor_write_the_thread(
    client, coaching, learner, coach
):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    post_comment(client, goal, "First")
    thread = Thread.objects.get()
    share_grant_revoke(grant=coaching.share_grant)

    assert client.get(goal_url(goal)).status_code == 404
    reply = client.post(
        reverse("coaching-thread-reply", args=[thread.public_id]),
        {f"{thread.public_id}-body": "Second"},
    )
    assert reply.status_code == 404
    assert thread.comments.count() == 1
    assert threads_readable_by(viewer=coach) == []
    assert [t.pk for t in threads_readable_by(viewer=learner)] == [thread.pk]


def test_each_person_sees_only_their_own_thread_on_a_shared_item(client, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    mentor = UserFactory()
    ShareGrantFactory(learner=learner, grantee=mentor, share_goals=True)
    client.force_login(coach)
    post_comment(client, goal, "From the coach")
    client.force_login(mentor)
    post_comment(client, goal, "From the mentor")

    mentor_page = client.get(goal_url(goal)).content.decode()
    assert "From the mentor" in mentor_page and "From the coach" not in mentor_page
    client.force_login(learner)
    learner_page = client.get(goal_url(goal)).content.decode()
    assert "From the mentor" in learner_page and "From the coach" in learner_page


def test_reading_a_thread_page_is_in_the_learners_access_log(client, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    client.get(goal_url(goal))
    entry = AccessLog.objects.get(learner=learner)
    assert (entry.viewer, entry.item_type, entry.item_id, entry.action) == (
        coach,
        "goal",
        goal.pk,
        "view",
    )


def test_a_learner_cannot_open_a_thread_on_their_own_item_without_someone(learner):
    goal = GoalFactory(learner=learner)
    target = target_visible_to(viewer=learner, target_type="goal", pk=goal.pk)
    with pytest.raises(ValidationError):
        services.comment_post(author=learner, target=target, body="Note to self")


def test_editing_keeps_the_earlier_text_in_the_history(client, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    post_comment(client, goal, "Version one")
    comment = Comment.objects.get()
    response = client.post(
        reverse("coaching-comment-edit", args=[comment.public_id]), {"body": "Version two"}
    )
    assert response.status_code == 302

    comment.refresh_from_db()
    assert comment.body == "Version two" and comment.edited_at is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == ["Version one"]
    client.force_login(learner)
    history = client.get(reverse("coaching-comment-history", args=[comment.public_id]))
    assert "Version one" in history.content.decode()
    assert "Version two" in history.content.decode()


def test_only_the_author_edits_or_deletes(client, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    post_comment(client, goal, "Mine")
    comment = Comment.objects.get()
    client.force_login(learner)
    edit = client.post(reverse("coaching-comment-edit", args=[comment.public_id]), {"body": "x"})
    assert edit.status_code == 403
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=comment, by=learner)
    comment.refresh_from_db()
    assert comment.body == "Mine" and comment.deleted_at is None


def test_deleting_leaves_a_tombstone_and_erases_the_text_and_history(
    client, coaching, learner, coach
):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    post_comment(client, goal, "Secret first draft")
    comment = Comment.objects.get()
    services.comment_edit(comment=comment, by=coach, body="Second draft")
    response = client.post(reverse("coaching-comment-delete", args=[comment.public_id]))
    assert response.status_code == 302

    comment.refresh_from_db()
    assert comment.deleted_at is not None and comment.body == "" and comment.body_html == ""
    assert not CommentRevision.objects.exists()
    client.force_login(learner)
    page = client.get(goal_url(goal)).content.decode()
    assert "Comment deleted by" in page
    assert "draft" not in page


def test_a_deleted_comment_cannot_be_edited_back(coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    target = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
    comment = services.comment_post(author=coach, target=target, body="Hello")
    services.comment_delete(comment=comment, by=coach)
    with pytest.raises(ValidationError):
        services.comment_edit(comment=comment, by=coach, body="Back")


@pytest.mark.parametrize("body", ["", "   ", "x" * (BODY_MAX + 1)])
def test_empty_or_over_long_comments_are_refused_and_nothing_is_written(
    client, coaching, learner, coach, body
):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    response = post_comment(client, goal, body)
    assert response.status_code == 400
    assert not Thread.objects.exists() and not Comment.objects.exists()
    assert not Notification.objects.filter(kind="comment").exists()


def test_links_get_rel_noopener_and_only_web_schemes_survive():
    html = render_markdown("[a](https://ok.example) [b](javascript:alert(1)) <https://c.example>")
    assert html.count('rel="noopener noreferrer nofollow"') == 3
    assert "javascript" not in html


def test_every_xss_payload_is_stored_verbatim_and_rendered_harmless(
    client, coaching, learner, coach
):
    assert len(XSS_PAYLOADS) >= 20
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    for payload in XSS_PAYLOADS:
        assert post_comment(client, goal, payload).status_code == 302

    stored = list(Comment.objects.order_by("id").values_list("body", flat=True))
    assert stored == [p.strip() for p in XSS_PAYLOADS]
    for viewer in (coach, learner):
        client.force_login(viewer)
        page = client.get(goal_url(goal)).content.decode()
        blocks, problems = unsafe_parts(page)
        assert blocks == len(XSS_PAYLOADS)
        assert problems == []
    for payload in XSS_PAYLOADS:
        assert unsafe_parts(f'<div class="markdown">{render_markdown(payload)}</div>')[1] == []


def test_the_safety_scanner_catches_what_it_should():
    """The XSS test is only as good as its scanner: unsafe markup must be reported."""
    for unsafe in (
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)" rel="noopener">x</a>',
        '<a href="https://ok.example">no rel</a>',
        '<p style="color:red">x</p>',
    ):
        assert unsafe_parts(f'<div class="markdown">{unsafe}</div>')[1], unsafe
