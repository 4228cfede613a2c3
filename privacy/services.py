"""Erasing an account, and enforcing the retention periods (docs/privacy.md).

Erasure touches every app, so it lives above them all and composes each app's own
`*_erase_for_user` service in one transaction; `privacy.policy` says what happens to each
relation to the person, and the tests hold the apps to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_erase
from assessments.services.erasure import assessments_erase_for_user
from assessments.services.feedback import feedback_rater_emails_clear
from assessments.summaries.programs import program_summaries_refresh_programs
from caselog.services import caselog_erase_for_user
from coaching.services import coaching_erase_for_user
from committee.services import committee_erase_for_user
from core.once import KEEP_DAYS, form_submissions_erase_for_user, form_submissions_expire
from cpd.services import cpd_erase_for_user
from credentials.services import credentials_erase_for_user
from equity.services import equity_erase_for_user
from groups.services import groups_erase_for_user
from handovers.services import handovers_erase_for_user
from learning.services import learning_erase_for_user
from notifications.services import notifications_erase_for_user, notifications_expire
from portfolio.services import access_log_expire, portfolio_erase_for_user
from privacy.policy import Fate
from privacy.selectors import (
    PreviewLine,
    accounts_never_used,
    erasure_blockers,
    erasure_counts,
    erasure_preview,
)
from programs.models import Enrollment
from programs.services import invitations_expire, programs_erase_for_user
from sso.scim.services import scim_erase_for_user
from xapi.services.incoming import xapi_erase_for_user

logger = logging.getLogger(__name__)


class ErasureRefusedError(ValidationError):
    """Something stands in the way (the only director of a program, an export running)."""


@dataclass(frozen=True)
class ErasureResult:
    erased: list[PreviewLine]
    kept: list[PreviewLine]
    # The anonymised name records now show, or "" when nothing was kept and the row is gone.
    stub_label: str = ""
    files_deleted: list[str] = field(default_factory=list)


def _stub_label(user: User) -> str:
    """'Former learner 3f9a1c' for someone ever enrolled, else 'Former user …'. The suffix
    tells two former learners of one cohort apart; it is random, so it says nothing."""
    kind = "learner" if Enrollment.objects.filter(learner=user).exists() else "user"
    return f"Former {kind} {secrets.token_hex(3)}"


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The rows are gone already; a file left behind is logged for the operator.
            logger.exception("erasure: could not delete stored file %s", name)


def account_erase(*, user: User) -> ErasureResult:
    """Erase a person's account and everything that is theirs, in one transaction: records
    others need stay, pointing at an anonymised stub (privacy.policy). Stored files are
    deleted once the transaction commits. Refused (ErasureRefusedError) while something
    stands in the way; a second call for an erased account does nothing."""
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        if person.is_erased:
            return ErasureResult(erased=[], kept=[], stub_label=person.display_name)
        blockers = erasure_blockers(user=person)
        if blockers:
            raise ErasureRefusedError(blockers)
        preview = erasure_preview(user=person)
        label = _stub_label(person)
        # Highest layer first: a thread or a review goes before the items it hangs on.
        credentials_erase_for_user(user=person)
        equity_erase_for_user(user=person)
        committee_erase_for_user(user=person)
        coaching_erase_for_user(user=person)
        learning_erase_for_user(user=person)
        xapi_erase_for_user(user=person)
        groups_erase_for_user(user=person)
        handovers_erase_for_user(user=person)
        cpd_erase_for_user(user=person)
        caselog_erase_for_user(user=person)
        files = portfolio_erase_for_user(user=person, label=label)
        assessments_erase_for_user(user=person)
        # Ending the enrollments takes the person out of their programs' current groups: the
        # institution overview's summaries of those programs follow.
        current = list(
            Enrollment.objects.current().filter(learner=person).values_list("program_id", flat=True)
        )
        programs_erase_for_user(user=person)
        program_summaries_refresh_programs(program_ids=current)
        notifications_erase_for_user(user=person)
        scim_erase_for_user(user=person)
        form_submissions_erase_for_user(user_id=person.pk)
        keep = any(erasure_counts(user=person, fate=Fate.KEPT).values())
        user_erase(user=person, keep_stub=keep, label=label)
        transaction.on_commit(partial(_delete_files, files))
    logger.info("account %s erased (%s)", user.pk, "stub kept" if keep else "row deleted")
    return ErasureResult(
        erased=preview.erased,
        kept=preview.kept,
        stub_label=label if keep else "",
        files_deleted=files,
    )


@dataclass
class RetentionReport:
    accounts_erased: int = 0
    accounts_refused: int = 0
    notifications_deleted: int = 0
    access_log_deleted: int = 0
    invitations_deleted: int = 0
    rater_emails_cleared: int = 0
    form_tokens_deleted: int = 0


def retention_enforce(*, now: dt.datetime | None = None) -> RetentionReport:
    """Apply every retention period (settings RETENTION_*; docs/privacy.md). Each account is
    erased in its own transaction; running it twice does nothing more the second time."""
    now = now or timezone.now()
    report = RetentionReport()
    for user in accounts_never_used(now=now).iterator():
        try:
            account_erase(user=user)
        except ErasureRefusedError as error:
            report.accounts_refused += 1
            logger.warning("retention: account %s not erased: %s", user.pk, error.messages)
            continue
        report.accounts_erased += 1
    report.notifications_deleted = notifications_expire(
        before=now - dt.timedelta(days=settings.RETENTION_NOTIFICATION_DAYS)
    )
    report.invitations_deleted = invitations_expire(
        before=now - dt.timedelta(days=settings.RETENTION_INVITATION_DAYS)
    )
    report.rater_emails_cleared = feedback_rater_emails_clear(now=now)
    report.form_tokens_deleted = form_submissions_expire(before=now - dt.timedelta(days=KEEP_DAYS))
    if settings.RETENTION_ACCESS_LOG_DAYS:
        report.access_log_deleted = access_log_expire(
            before=now - dt.timedelta(days=settings.RETENTION_ACCESS_LOG_DAYS)
        )
    return report
