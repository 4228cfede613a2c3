from __future__ import annotations

import factory
from django.utils import timezone

from handovers.models import Handover


class HandoverFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Handover

    content = factory.LazyFunction(lambda: {"levels": [], "goals": [], "evidence": []})


def sent(**kwargs):
    return HandoverFactory(status=Handover.Status.SENT, sent_at=timezone.now(), **kwargs)
