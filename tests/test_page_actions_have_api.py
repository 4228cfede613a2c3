"""Every action a page offers is in the API too (DESIGN.md: "every learner action in the UI is
also in the API"; issue 17 extends it to administration).

The test walks the URL resolver for pages (not /api/, not allauth's or the admin's own forms,
but the pages apps add to the admin, such as imports) whose view
takes a POST, found two ways: the view's own source reads `request.POST`/`request.FILES`,
checks for POST, or is decorated `require_POST`; and every template form that posts to a named
URL. Each such page must appear in PAGE_TO_API with the operation ids that do the same, and
each of those must exist in the OpenAPI schema, or in EXCEPTIONS with the reason.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

PAGE_TO_API: dict[str, set[str]] = {
    # accounts
    "api-token-list": {"api_tokens_create", "api_tokens_list"},
    "api-token-revoke": {"api_tokens_revoke"},
    # privacy
    "account-erase": {"me_erase"},
    "account-merge": {"me_merge"},
    # programs: settings, people, invitations, imports, calendar
    "program-create": {"programs_create"},
    "program-detail": {"programs_update"},
    "program-cohorts": {"program_cohorts_create"},
    "program-enrollments": {"program_enrollments_create"},
    "program-enrollment-edit": {"program_enrollments_update"},
    "program-roles": {"program_roles_grant"},
    "program-role-revoke": {"program_roles_revoke"},
    "program-expectations": {"program_expectations_update"},
    "program-roster": {"program_roster_import"},
    "program-invitations": {"program_invitations_create"},
    "program-invitation-revoke": {"program_invitations_revoke"},
    "invitation-accept": {"invitations_accept"},
    "program-periods": {"program_periods_create"},
    "program-period-edit": {"program_periods_partial_update"},
    # committee
    "my-review-detail": {"me_reviews_respond"},
    "program-consensus-record": {"program_consensus_record"},
    "program-review-sign-off": {"program_review_sign_off"},
    # assessments
    "observation-request-create": {"observation_request_create"},
    "observation-request-complete": {"observation_request_complete"},
    "observation-request-decline": {"observation_request_decline"},
    "observation-create": {"assessment_create"},
    "assessment-edit": {"assessment_revise"},
    "assessment-acknowledge": {"assessment_acknowledge"},
    "assessment-respond": {"assessment_response_create"},
    # notifications
    "coaching-notification-open": {"coaching_notification_read"},
    "coaching-notifications-read-all": {"coaching_notification_read_all"},
    "coaching-preferences": {"coaching_notification_preferences_update"},
    # coaching
    "coaching-invite": {"coaching_relationship_invite"},
    "coaching-assign": {"coaching_relationship_assign"},
    "coaching-relationship-accept": {"coaching_relationship_accept"},
    "coaching-relationship-decline": {"coaching_relationship_decline"},
    "coaching-relationship-end": {"coaching_relationship_end"},
    "coaching-thread-reply": {"coaching_thread_reply"},
    "coaching-comment-edit": {"coaching_comment_update"},
    "coaching-comment-delete": {"coaching_comment_delete"},
    "coaching-meeting-create": {"coaching_meeting_create"},
    "coaching-meeting-notes": {"coaching_meeting_update"},
    "coaching-meeting-cancel": {"coaching_meeting_cancel"},
    "coaching-action-item-create": {"coaching_action_item_create"},
    "coaching-action-item-confirm": {"coaching_action_item_confirm"},
    "coaching-action-item-decline": {"coaching_action_item_decline"},
    "coaching-nudge": {"coaching_nudge"},
    # equity
    "equity-characteristics": {"equity_characteristics_record", "equity_characteristics_delete"},
    "equity-characteristic-delete": {"equity_characteristics_delete"},
    # learning
    "learning-feedback": {"learning_resource_feedback"},
    "learning-evidence": {"learning_resource_evidence_create"},
    "learning-visits": {"learning_visits_upload"},
    # xapi: incoming learning
    "xapi-incoming-accept": {"xapi_incoming_accept"},
    "xapi-incoming-dismiss": {"xapi_incoming_dismiss"},
    "learning-visit-remove": {"v1_learning_visits_destroy"},
    "admin:learning_learningresource_import": {"learning_catalogue_import"},
    # frameworks (issue 21): the admin's import page; export and publishing are admin actions
    "admin:frameworks_framework_import": {"frameworks_import"},
    # portfolio
    "portfolio-timeline": {"me_profile_update"},
    "evidence-create": {"evidence_create"},
    "evidence-edit": {"evidence_update"},
    "evidence-delete": {"evidence_destroy"},
    "goal-create": {"goal_create"},
    "goal-detail": {"goal_progress_note_create"},
    "goal-edit": {"goal_update"},
    "goal-delete": {"goal_destroy"},
    "share-list": {"share_grant_create"},
    "share-revoke": {"share_grant_revoke"},
    "export-start": {"export_create"},
    "import-start": {"import_create"},
    "checkin-form": {"checkin_create"},
    # assessment forms and entrustment decisions
    "assessment-form-create": {"assessment_form_create"},
    "assessment-form-retire": {"assessment_form_retire"},
    "rotation-schedule": {"rotation_create", "rotation_schedule_add", "rotation_schedule_import"},
    "rotation-nudge": {"rotation_evaluation_nudge"},
    "rotation-block-edit": {"rotation_schedule_update"},
    "rotation-block-delete": {"rotation_schedule_delete"},
    # assess me now, multi-source feedback, teaching evaluations
    "assess-now-start": {"assess_now_create"},
    "assess-now-email": {"assess_now_sign_in_link_create"},
    "feedback-home": {"feedback_request_create"},
    "feedback-program": {"feedback_request_create"},
    "feedback-respond": {"feedback_answer"},
    "teaching-evaluation-create": {"teaching_evaluation_create"},
    "program-entrustment": {"program_entrustment_decision_record"},
    "program-entrustment-sign-off": {"program_entrustment_decision_sign_off"},
    # practice, CPD and handovers
    "practice": {"me_practice_start", "me_practice_update"},
    "practice-targets": {"me_practice_targets_set"},
    "cpd-activity-create": {"cpd_activity_create"},
    "cpd-activity-edit": {"cpd_activity_update"},
    "cpd-activity-delete": {"cpd_activity_delete"},
    "cpd-cycles": {"cpd_cycle_create"},
    "cpd-cycle-edit": {"cpd_cycle_update"},
    "cpd-cycle-delete": {"cpd_cycle_delete"},
    "handover-create": {"handover_create"},
    "handover-refresh": {"handover_refresh"},
    "handover-send": {"handover_send"},
    "handover-withdraw": {"handover_withdraw"},
    # learning groups
    "group-list": {"group_create"},
    "group-accept": {"group_invitation_accept"},
    "group-decline": {"group_invitation_decline"},
    "group-invite": {"group_invite"},
    "group-leave": {"group_leave"},
    "group-post": {"group_post_create"},
    "group-share": {"group_share_create"},
    "group-goal-create": {"group_goal_create"},
    "group-goal-adopt": {"group_goal_adopt"},
    "group-goal-progress": {"group_goal_progress"},
    "group-feedback-create": {"group_feedback_create"},
    "group-feedback-detail": {"group_feedback_answer"},
    # the procedure and case log
    "caselog-entry-create": {"caselog_entry_create"},
    "caselog-entry-delete": {"caselog_entry_delete"},
    "caselog-entry-verify": {"caselog_entry_verify"},
    "caselog-procedures": {"program_procedures_save", "program_procedures_import"},
    # credentials
    "credential-check": {"credential_verify"},
    "handover-delete": {"handover_delete"},
}

# Pages that post without an API twin, and why. Keep this short.
EXCEPTIONS: dict[str, str] = {
    "account_login": "signing in: the API authenticates with a session or a personal token",
    "account_logout": "signing out ends the browser session; tokens are revoked instead",
    "account_signup": "a person creates their account in a browser, where email is confirmed",
    "account_confirm_email": "the emailed confirmation link is opened in a browser",
    "account_email": "changing the sign-in email re-verifies it through emailed links",
    "account_reset_password": "password reset goes through an emailed link",
    "account_reauthenticate": "re-entering the password guards browser sessions only",
    "mfa_activate_totp": "MFA is set up by scanning a code in a browser; GET account/mfa/ "
    "reports its status",
    "mfa_authenticate": "the second step of a browser sign-in",
    "assess-now-link": "the emailed one-time link signs a browser in; over the API the "
    "assessor authenticates as usual and redeems the code with assess_now_redeem",
    "socialaccount_connections": "connecting an institution's sign-in is a browser redirect "
    "through its identity provider",
}
# Pages of other issues, named so that the gap stays visible.
KNOWN_GAPS: dict[str, str] = {}

_POSTS = re.compile(
    r"request\.POST|request\.FILES|method == \"POST\"|require_POST"
    r"|require_http_methods\(\[[^\]]*\"POST\"|def post\("
)
_FORM_ACTION = re.compile(r"<form[^>]*method=\"post\"[^>]*action=\"\{% url '([a-z:_-]+)'")
_SKIPPED_PREFIXES = ("api/", "admin/", "accounts/")


def _patterns(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield prefix + str(entry.pattern), name, entry.callback


def _our_admin_view(path: str, callback: Any) -> bool:
    """A view an app added to the admin (an import page), not the admin's own forms."""
    view = inspect.unwrap(callback)
    return path.startswith("admin/") and not view.__module__.startswith("django.")


def _view_takes_post(callback: Any) -> bool:
    view = getattr(callback, "view_class", None) or inspect.unwrap(callback)
    try:
        return bool(_POSTS.search(inspect.getsource(view)))
    except (OSError, TypeError):
        return False


def pages_taking_post() -> set[str]:
    pages = {
        name
        for path, name, callback in _patterns(get_resolver().url_patterns)
        if name
        and (not path.startswith(_SKIPPED_PREFIXES) or _our_admin_view(path, callback))
        and _view_takes_post(callback)
    }
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        pages.update(_FORM_ACTION.findall(template.read_text()))
    return pages


def api_operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]
        for methods in schema["paths"].values()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_walk_finds_pages_that_take_post():
    """The detector itself: pages known to post are found, a read-only page is not."""
    pages = pages_taking_post()

    assert {"program-roles", "api-token-revoke", "checkin-form", "account_login"} <= pages
    assert {"admin:learning_learningresource_import", "admin:frameworks_framework_import"} <= pages
    assert "program-list" not in pages and "home" not in pages
    assert not any(p.startswith("admin:") and p.endswith("_change") for p in pages)


def test_every_page_action_has_an_api_operation():
    pages = pages_taking_post()
    missing = sorted(pages - set(PAGE_TO_API) - set(EXCEPTIONS) - set(KNOWN_GAPS))

    assert missing == [], (
        "pages that accept POST without an API operation doing the same (add the operation "
        f"and a PAGE_TO_API entry): {missing}"
    )


def test_every_mapped_operation_exists_in_the_schema():
    operations = api_operation_ids()
    unknown = {
        page: sorted(ids - operations) for page, ids in PAGE_TO_API.items() if ids - operations
    }

    assert unknown == {}


def test_the_table_names_only_pages_that_take_post():
    """A page that stops posting leaves the table, so the table stays true."""
    stale = sorted((set(PAGE_TO_API) | set(KNOWN_GAPS)) - pages_taking_post())

    assert stale == []
