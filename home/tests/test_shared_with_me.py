"""Shared with me: everything others share with a person, in one place, every item title
logged for its owner; and the header's unread count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.services import group_create, group_invitation_accept, group_invite, group_item_share
from handovers.services import handover_create, handover_send
from notifications.models import Notification
from notifications.services import notification_send, notifications_mark_all_read
from portfolio.models import AccessLog
from portfolio.tests.factories import EvidenceFactory, ShareGrantFactory
from tests import factories as base

pytestmark = pytest.mark.django_db


def _group_share(owner, reader, title):
    group = group_create(creator=owner, name=f"Study group {title}")
    membership = group_invite(group=group, inviter=owner, email=reader.email)
    group_invitation_accept(membership=membership)
    evidence = EvidenceFactory(learner=owner, title=title)
    group_item_share(group=group, learner=owner, evidence_public_id=evidence.public_id)
    return group, evidence


def test_portfolios_group_items_and_handovers_are_listed_and_logged(client, learner):
    reader = base.UserFactory(display_name="Reader Person")
    ShareGrantFactory(learner=learner, grantee=reader, share_goals=True, share_checkins=False)
    friend = base.UserFactory(display_name="Group Friend")
    group, evidence = _group_share(friend, reader, "Night float log")
    _group_share(reader, friend, "My own item")  # the reader's own share is not listed
    program = base.ProgramFactory(name="Receiving residency")
    base.ProgramRoleFactory(user=reader, program=program, role="director")
    handover = handover_send(handover=handover_create(learner=learner, program_id=program.pk))
    client.force_login(reader)
    page = client.get(reverse("shared-with-me")).content.decode()
    assert learner.name in page and "Goals and learning plan" in page
    assert "Night float log" in page and group.name in page
    assert "My own item" not in page
    assert reverse("handover-received-detail", args=[handover.public_id]) in page
    assert AccessLog.objects.filter(
        learner=friend, viewer=reader, item_type="evidence", item_id=evidence.pk, action="list"
    ).exists()
    assert AccessLog.objects.filter(
        learner=learner, viewer=reader, item_type="handover", item_id=handover.pk
    ).exists()
    body = client.get("/api/v1/shared-with-me/").json()
    assert [p["learner"]["id"] for p in body["people"]] == [learner.pk]
    assert [i["title"] for i in body["group_items"]] == ["Night float log"]
    assert [h["id"] for h in body["handovers"]] == [str(handover.public_id)]


def test_someone_with_nothing_shared_sees_empty_lists(client, other_learner):
    client.force_login(other_learner)
    page = client.get(reverse("shared-with-me")).content.decode()
    assert "Nobody shares their portfolio with you" in page
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("size", [1, 20])
def test_the_page_and_the_api_take_the_same_queries_at_any_size(
    client, django_assert_num_queries, size
):
    reader = base.UserFactory()
    for i in range(size):
        owner = base.UserFactory()
        ShareGrantFactory(learner=owner, grantee=reader)
        _group_share(owner, reader, f"Item {i}")
    client.force_login(reader)
    # 1 session, 2 user, 3 grants applying to the reader (with their learners),
    # 4 items shared to the reader's circles (with learner, item and group),
    # 5 handovers to programs the reader reviews, 6 the access-log INSERT for the items,
    # 7 navigation roles, 8 the header's unread count
    with django_assert_num_queries(8):
        assert client.get(reverse("shared-with-me")).status_code == 200
    # the same reads and INSERT without the page's navigation
    with django_assert_num_queries(6):
        assert len(client.get("/api/v1/shared-with-me/").json()["group_items"]) == size


def test_the_header_counts_unread_notifications_with_one_query(client, learner):
    client.force_login(learner)
    page = client.get(reverse("shared-with-me")).content.decode()
    assert "data-unread-count" not in page
    for n in range(3):
        notification_send(recipient=learner, kind="comment", title=f"Note {n}")
    notification_send(recipient=base.UserFactory(), kind="comment", title="Someone else's")
    page = client.get(reverse("shared-with-me")).content.decode()
    assert 'data-unread-count="3"' in page
    assert '3<span class="visually-hidden"> unread</span>' in page
    notifications_mark_all_read(user=learner)
    assert Notification.objects.filter(recipient=learner, read_at__isnull=True).count() == 0
    assert "data-unread-count" not in client.get(reverse("shared-with-me")).content.decode()
