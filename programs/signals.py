"""What programs tells the apps above it when its enrollments and review periods change.

Apps in higher layers keep data that depends on who is enrolled where and on the periods'
dates (the period rating summary in assessments), or rules about those dates (committee
review); programs may not import them, so its services and admin send these signals and those
apps connect receivers in their `AppConfig.ready`. They are sent explicitly, never from
`save()`, inside the writer's transaction: a receiver runs in it, and a receiver's exception
fails the write.
"""

from __future__ import annotations

from django.dispatch import Signal

# After enrollments were added or removed, ended, moved to another training year, or moved
# between learners or programs.
# Arguments: learner_ids (iterable of int), program_id (int).
enrollments_changed = Signal()

# After a review period was created or its dates changed. Arguments: period_id (int).
review_period_dates_changed = Signal()

# Before a review period's dates change; a receiver refuses by raising ValidationError.
# Arguments: period (ReviewPeriod, locked for update, with its current dates).
review_period_dates_changing = Signal()
