"""Factories for coaching models."""

from __future__ import annotations

import factory

from coaching.models import CoachingRelationship
from notifications.models import Notification
from tests.factories import UserFactory


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachingRelationship

    learner = factory.SubFactory(UserFactory)
    coach = factory.SubFactory(UserFactory)
    origin = CoachingRelationship.Origin.LEARNER
    status = CoachingRelationship.Status.ACTIVE


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "comment"
    title = factory.Sequence(lambda n: f"Update {n}")
    body = "Something happened."
    url = "/coaching/"
