from __future__ import annotations

import datetime as dt

from celery import shared_task

from programs.services import invitation_email_deliver, invitations_unsent

# The sweeper leaves fresh invitations to the task queued on commit.
SWEEP_GRACE = dt.timedelta(seconds=60)


@shared_task(name="programs.invitation_email_send", acks_late=True)
def invitation_email_send(invitation_id: int) -> bool:
    """Email an invitation its link; a second run finds it sent and does nothing."""
    return invitation_email_deliver(invitation_id=invitation_id)


@shared_task(name="programs.invitations_sweep", ignore_result=True)
def invitations_sweep() -> int:
    """Send the invitations whose task never reached the broker (or whose send failed)."""
    sent = 0
    for invitation_id in invitations_unsent(older_than=SWEEP_GRACE):
        sent += invitation_email_deliver(invitation_id=invitation_id)
    return sent
