"""Calibration as a viewer may see it. Self-assessments are private: the learner sees their
own; anyone else only through an active share grant covering check-ins and self-assessments,
and every self-assessment behind the numbers they see is appended to the access log."""

from __future__ import annotations

from accounts.models import User
from assessments.calibration import DEFAULT_WINDOW_DAYS, Calibration, calibration_from
from assessments.models import Assessment
from portfolio.models import Scope
from portfolio.selectors import Access, access_for, self_assessments_visible_to
from portfolio.services import access_log_record


def calibration_for(
    *,
    viewer: User,
    learner: User,
    window_days: int = DEFAULT_WINDOW_DAYS,
    access: Access | None = None,
) -> Calibration | None:
    """The learner's calibration as `viewer` may see it; None when they may not (a 404).

    Three queries for the owner (self-assessments, assessor ratings, nothing else); one more
    for the grant check and one insert for the access log for anyone else.
    """
    access = access or access_for(viewer=viewer, learner=learner)
    if not access.is_owner and not access.allows(Scope.CHECKINS):
        return None
    self_rows = list(
        self_assessments_visible_to(viewer=viewer, learner=learner, access=access).order_by(
            "assessed_on", "id"
        )
    )
    assessor_rows = list(
        Assessment.objects.filter(learner=learner, assessor__isnull=False)
        .select_related("competency", "competency__framework")
        .order_by("observed_on", "id")
    )
    calibration, used = calibration_from(
        learner=learner, self_rows=self_rows, assessor_rows=assessor_rows, window_days=window_days
    )
    if not access.is_owner and used:
        access_log_record(access=access, items=used, action="list")
    return calibration
