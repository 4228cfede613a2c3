"""What erasure does with every row that points at a person: the table docs/privacy.md explains.

Each relation to the user model (foreign key, one-to-one or many-to-many, in any installed app)
has at least one rule here; `privacy/tests/test_coverage.py` fails for a relation without one,
so a new feature cannot forget the people who leave. A rule says whether the rows are erased
or kept (pointing at the anonymised stub the account becomes), in words the erase page shows.
The work itself is done by each app's `*_erase_for_user` service; the tests check that the
outcome matches this table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import ManyToManyField, Model, Q, QuerySet

from assessments.models import MonthlyRatingSummary
from committee.models import EntrustmentDecision, LearnerReview

RatedBy = MonthlyRatingSummary.RatedBy
EntrustmentStatus = EntrustmentDecision.Status
ReviewStatus = LearnerReview.Status


class Fate(enum.StrEnum):
    ERASED = "erased"
    KEPT = "kept"


@dataclass(frozen=True)
class Rule:
    model: str  # "app_label.ModelName"
    field: str  # the relation to the user
    fate: Fate
    label: str  # what the erase page says, to the person erasing
    # What changes in a kept row, when something does.
    detail: str = ""
    # Narrows the rows the rule is about; called with the person (a primary key or an
    # OuterRef to one), for rules whose rows split by fate (draft and signed-off reviews).
    where: Callable[[Any], Q] | None = None

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    def rows(self, person: Any) -> QuerySet[Any]:
        """The rows this rule is about, for `person` (a primary key or an OuterRef to one)."""
        model = self.model_class
        field = model._meta.get_field(self.field)
        if isinstance(field, ManyToManyField):
            # A many-to-many relation's rows are those of its through table.
            through = field.remote_field.through
            assert through is not None  # resolved once the apps are loaded
            column = (
                field.m2m_field_name()
                if model is get_user_model()
                else field.m2m_reverse_field_name()
            )
            return through._default_manager.filter(**{column: person})
        condition = Q(**{self.field: person})
        if self.where is not None:
            condition &= self.where(person)
        return model._default_manager.filter(condition)


E, K = Fate.ERASED, Fate.KEPT


def _not_own_thread(person: Any) -> Q:
    return ~Q(thread__learner=person)


def _someone_elses(person: Any) -> Q:
    # A relationship in which the person is the learner is erased by the learner rule.
    return ~Q(learner=person)


def _own_thread(person: Any) -> Q:
    return Q(thread__learner=person)


RULES: tuple[Rule, ...] = (
    # Signing in
    Rule("account.EmailAddress", "user", E, "Your e-mail addresses"),
    Rule("mfa.Authenticator", "user", E, "Two-factor authentication devices and codes"),
    Rule("socialaccount.SocialAccount", "user", E, "Sign-ins through institutions (SSO)"),
    Rule("accounts.ApiToken", "user", E, "API tokens"),
    Rule("core.FormSubmission", "user", E, "Which forms you already sent (against duplicates)"),
    Rule("sso.ScimUser", "user", E, "Institutions' provisioning records of you (SCIM)"),
    Rule("accounts.User", "groups", E, "Administrative groups"),
    Rule("accounts.User", "user_permissions", E, "Administrative permissions"),
    Rule(
        "admin.LogEntry",
        "user",
        K,
        "Changes you made in the administration site",
        "kept in the site's audit history, under your anonymised name",
    ),
    # Notifications
    Rule("notifications.Notification", "recipient", E, "Notifications in your inbox"),
    Rule("notifications.Digest", "recipient", E, "Digest e-mails sent to you"),
    Rule("notifications.NotificationPreference", "user", E, "Notification settings"),
    # Programs
    Rule("programs.ProgramRole", "user", E, "Roles in programs"),
    Rule("programs.InstitutionRole", "user", E, "Roles across an institution (administrator)"),
    Rule(
        "programs.Enrollment",
        "learner",
        K,
        "Enrollments in programs",
        "the program keeps that a former learner was enrolled; open ones end today",
    ),
    Rule(
        "programs.Invitation",
        "accepted_by",
        E,
        "Invitations you accepted (and any still addressed to you)",
    ),
    Rule(
        "programs.Invitation",
        "invited_by",
        K,
        "Invitations you sent",
        "the program's record; shown as sent by your anonymised name",
    ),
    Rule(
        "audit.AuditEvent",
        "actor",
        K,
        "Changes you made to programs, roles and settings",
        "kept in the audit log of administration, which nobody can change, with the e-mail "
        "address you had then",
    ),
    # Ratings
    Rule("assessments.CheckIn", "learner", E, "Check-ins"),
    Rule("assessments.SelfAssessment", "learner", E, "Self-assessments"),
    Rule(
        "assessments.MonthlyRatingSummary",
        "learner",
        E,
        "Monthly summaries of your self-assessments",
        where=lambda person: Q(rated_by=RatedBy.SELF),
    ),
    Rule(
        "assessments.MonthlyRatingSummary",
        "learner",
        K,
        "Monthly summaries of assessments of you",
        where=lambda person: Q(rated_by=RatedBy.ASSESSOR),
    ),
    Rule(
        "assessments.PeriodRatingSummary",
        "learner",
        K,
        "Review-period summaries of assessments of you",
    ),
    Rule(
        "assessments.Assessment",
        "learner",
        K,
        "Assessments of you by others",
        "the assessor's record; it names an anonymised former learner",
    ),
    Rule("assessments.AssessmentResponse", "learner", E, "Your responses to assessments"),
    Rule("assessments.AssessmentRequest", "learner", E, "Observation requests you made"),
    Rule(
        "assessments.Assessment",
        "assessor",
        K,
        "Assessments you wrote",
        "the learner's record; shown as written by your anonymised name",
    ),
    Rule("assessments.AssessmentVersion", "recorded_by", K, "Versions of assessments you wrote"),
    Rule("assessments.ScheduledRotation", "learner", E, "Your rotation blocks in a schedule"),
    Rule(
        "assessments.ScheduledRotation",
        "supervisor",
        K,
        "Rotation blocks you supervise",
        "the program's schedule; the program names a new supervisor for blocks still ahead",
    ),
    Rule("assessments.AssessNowCode", "learner", E, "Your assess-me-now codes"),
    Rule("assessments.AssessNowLink", "user", E, "One-time sign-in links emailed to you"),
    Rule(
        "assessments.FeedbackRequest",
        "learner",
        E,
        "Feedback links about you, with the answers they brought",
    ),
    Rule(
        "assessments.FeedbackRequest",
        "asked_by",
        K,
        "Feedback links you made for a learner of your program",
        "the learner's; shown as made by your anonymised name",
    ),
    Rule("assessments.FeedbackResponse", "learner", E, "Feedback answers about you"),
    Rule(
        "assessments.TeachingEvaluation", "author", E, "Your evaluations of teachers and rotations"
    ),
    Rule("assessments.TeachingEvaluation", "teacher", E, "Learners' evaluations of your teaching"),
    Rule("assessments.AssessmentForm", "created_by", K, "Assessment forms you built for a program"),
    Rule(
        "assessments.AssessmentRequest",
        "assessor",
        K,
        "Observation requests addressed to you",
        "open ones are declined, telling the learner to ask someone else",
    ),
    # Portfolio
    Rule("portfolio.LearnerProfile", "learner", E, "Your profile"),
    Rule("portfolio.TimelineEntry", "learner", E, "Stages of training you added"),
    Rule("portfolio.Evidence", "learner", E, "Evidence and reflections, with their files"),
    Rule("portfolio.EvidenceCount", "learner", E, "How many items of evidence you have, by kind"),
    Rule("portfolio.Goal", "learner", E, "Goals, with their progress notes"),
    Rule("portfolio.ShareGrant", "learner", E, "Shares you gave"),
    Rule("portfolio.AccessLog", "learner", E, "Your access log"),
    Rule("portfolio.ImportedRecord", "learner", E, "Records kept from portfolio imports"),
    Rule("portfolio.PortfolioTransfer", "learner", E, "Exports and imports, with their archives"),
    Rule(
        "portfolio.ShareGrant",
        "grantee",
        K,
        "Shares others gave you",
        "revoked; they stay in each learner's list of shares",
    ),
    Rule(
        "portfolio.AccessLog",
        "viewer",
        K,
        "Your reads of others' items",
        "stay in their access logs, without your name",
    ),
    # Coaching
    Rule("coaching.CoachingRelationship", "learner", E, "Your coaching relationships"),
    Rule("coaching.Meeting", "learner", E, "Your coaching meetings"),
    Rule("coaching.ActionItem", "learner", E, "Action items proposed to you"),
    Rule("coaching.Thread", "learner", E, "Comment threads on your items"),
    Rule(
        "coaching.Comment",
        "author",
        E,
        "Comments on your items",
        where=_own_thread,
    ),
    Rule(
        "coaching.CoachingRelationship",
        "coach",
        K,
        "Learners you coach",
        "the relationships end and stay in each learner's history",
    ),
    Rule(
        "coaching.CoachingRelationship",
        "proposed_by",
        K,
        "Coaching relationships you proposed for others",
        where=_someone_elses,
    ),
    Rule(
        "coaching.CoachingRelationship",
        "ended_by",
        K,
        "Coaching relationships of others you ended",
        where=_someone_elses,
    ),
    Rule(
        "coaching.Meeting",
        "coach",
        K,
        "Meetings with learners you coach",
        "your private notes are cleared and meetings ahead are cancelled",
    ),
    Rule("coaching.ActionItem", "created_by", K, "Action items you proposed to a learner"),
    Rule(
        "coaching.Thread",
        "participant",
        K,
        "Comment threads on others' items",
        "they stay with the learner",
    ),
    Rule(
        "coaching.Comment",
        "author",
        K,
        "Your comments on others' items",
        "the text is removed; a “comment removed” mark keeps the thread's order",
        where=_not_own_thread,
    ),
    # Committee
    Rule(
        "committee.LearnerReview",
        "learner",
        E,
        "Committee reviews not yet signed off",
        where=lambda person: Q(status=ReviewStatus.DRAFT),
    ),
    Rule(
        "committee.LearnerReview",
        "learner",
        K,
        "Signed-off committee reviews of you",
        "the program's record; your response to it is removed",
        where=lambda person: Q(status=ReviewStatus.SIGNED_OFF),
    ),
    Rule("committee.LearnerReview", "signed_off_by", K, "Committee reviews you signed off"),
    Rule("committee.ConsensusRating", "recorded_by", K, "Consensus ratings you recorded"),
    Rule(
        "committee.EntrustmentDecision",
        "learner",
        E,
        "Entrustment decisions not yet signed off",
        where=lambda person: Q(status=EntrustmentStatus.DRAFT),
    ),
    Rule(
        "committee.EntrustmentDecision",
        "learner",
        K,
        "Signed-off entrustment decisions about you",
        "the program's record",
        where=lambda person: Q(status=EntrustmentStatus.SIGNED_OFF),
    ),
    Rule(
        "committee.EntrustmentDecision",
        "recorded_by",
        K,
        "Entrustment decisions you recorded",
    ),
    Rule(
        "committee.EntrustmentDecision",
        "signed_off_by",
        K,
        "Entrustment decisions you signed off",
    ),
    # Learning
    Rule("learning.Recommendation", "learner", E, "Your feedback on learning resources"),
    Rule("learning.FhirSource", "learner", E, "Your EHR connections"),
    Rule("learning.PractitionerLink", "learner", E, "Your practitioner identifiers"),
    Rule("learning.UpcomingVisit", "learner", E, "Your upcoming clinic visits"),
    Rule("learning.VisitDigest", "learner", E, "The record of your pre-clinic e-mails"),
    Rule(
        "xapi.IncomingDecision",
        "learner",
        E,
        "Your answers to incoming learning, and the xAPI statements about you",
    ),
    # Practice, CPD and handovers
    Rule("programs.PracticeStage", "learner", E, "Your practice stage and its target levels"),
    Rule("cpd.CpdActivity", "learner", E, "Your CPD diary"),
    Rule("cpd.LicensingCycle", "learner", E, "Your licensing cycles"),
    Rule("handovers.Handover", "learner", E, "Your handovers, sent ones withdrawn"),
    # Learning groups
    Rule(
        "portfolio.ShareCircleMember",
        "user",
        E,
        "Your places in learning groups' circles (what others shared there closes to you)",
    ),
    Rule(
        "groups.Membership",
        "user",
        E,
        "Your places in learning groups; what you shared to a group is withdrawn",
    ),
    Rule("groups.Post", "author", E, "Your posts in learning groups"),
    Rule("groups.FeedbackRequest", "asker", E, "Your requests for peer feedback, with answers"),
    Rule("groups.FeedbackAnswer", "responder", E, "Your answers to others' feedback requests"),
    Rule("groups.GoalAdoption", "learner", E, "Group goals you adopted (the goals go too)"),
    Rule(
        "groups.LearningGroup",
        "created_by",
        K,
        "Learning groups you started",
        "they stay with their other members",
    ),
    Rule(
        "groups.Membership",
        "invited_by",
        K,
        "Invitations to groups you sent",
        "the people you invited stay in the group",
    ),
    Rule("groups.GroupGoal", "created_by", K, "Goals you proposed to a group", "they stay"),
    # The procedure and case log
    Rule("caselog.CaseLogEntry", "learner", E, "Your procedure and case log"),
    Rule(
        "caselog.CaseLogEntry",
        "supervisor",
        K,
        "Cases your learners logged under your supervision",
        "their case logs; they name the anonymised account",
    ),
    Rule(
        "caselog.CaseLogEntry",
        "verified_by",
        K,
        "Cases you verified",
        "their case logs stay verified, by the anonymised account",
    ),
    Rule(
        "credentials.Credential",
        "learner",
        E,
        "The issuer's copies of your credentials (copies you keep stay valid)",
    ),
    # Equity: the person's own answers and what only they saw. Stored equity fits hold no
    # one's answer, only cells of at least five learners, and stay.
    Rule("equity.Characteristic", "learner", E, "Your self-identified characteristics"),
    Rule(
        "equity.CharacteristicUse",
        "learner",
        E,
        "The record of when equity reports counted your characteristics",
    ),
    Rule("equity.AssessorSignal", "assessor", E, "Your private view of your ratings by group"),
)

# Models that hold an e-mail address of someone who may have no account (an invitation, a
# request to an outside assessor, a feedback link): each must have a retention rule in
# privacy.services; `test_coverage` fails for a model with an e-mail field not listed.
EMAIL_KEYED: dict[str, str] = {
    "accounts.User.email": "the account itself: erased or anonymised with it",
    "account.EmailAddress.email": "an address of an account: erased with it",
    "programs.Invitation.email": "an invitation: erased with the account it was accepted by or "
    "addressed to; one never accepted is deleted RETENTION_INVITATION_DAYS after it expired",
    "sso.ScimUser.email": "an institution's provisioning record: always points at an account, "
    "erased with it (and when the institution's SCIM client deletes it)",
    "assessments.FeedbackRequest.rater_email": "where a feedback link was emailed: blanked "
    "once the link is answered or has closed (retention run), erased with the learner",
}
