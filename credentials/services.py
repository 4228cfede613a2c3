"""Writes and checks for credentials: issuer keys (generate, rotate), issuing one Open Badges
credential per signed-off entrustment decision, revoking, and verifying a credential."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from committee.achievements import achievement_key, graduation_achievements, graduation_targets
from committee.models import ConsensusRating, EntrustmentDecision, LearnerReview
from core.forms import text_within
from credentials import issuer
from credentials.jsonld import (
    OB_V3,
    VC_V2,
    ContextNotLocalError,
    multibase_public,
    proof_add,
    proof_verify,
)
from credentials.jsonld import public_from_multibase as _public
from credentials.models import (
    REVOCATION_REASON_MAX,
    STATUS_LIST_BITS,
    Credential,
    IssuerKey,
    StatusList,
)
from portfolio.models import RECORDS_SCOPE, AccessLog
from programs.models import Institution

logger = logging.getLogger(__name__)


def _iso(moment: Any) -> str:
    return str(moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"))


@transaction.atomic
def issuer_key_rotate(*, institution: Institution, by: User | None = None) -> IssuerKey:
    """Give the institution a new active key; the previous one is retired (kept, still
    published) so credentials it signed stay verifiable. Recorded in the audit log
    (`issuer_key.generate` for the first key, `issuer_key.rotate` after), never the key."""
    Institution.objects.select_for_update().get(pk=institution.pk)
    now = timezone.now()
    active = IssuerKey.objects.filter(institution=institution, retired_at__isnull=True)
    retired = list(active.values_list("key_id", flat=True))
    active.update(retired_at=now)
    private = Ed25519PrivateKey.generate()
    key = IssuerKey.objects.create(
        institution=institution,
        key_id=f"key-{now:%Y%m%d}-{secrets.token_hex(4)}",
        private_key=private.private_bytes_raw(),
        public_multibase=multibase_public(private.public_key()),
        created_at=now,
    )
    audit_record(
        actor=by,
        action="issuer_key.rotate" if retired else "issuer_key.generate",
        target=key,
        target_label=f"{institution.name} · {key.key_id}",
        institution_id=institution.pk,
        before={"active_key": retired} if retired else None,
        after={"active_key": key.key_id, "public_key": key.public_multibase},
    )
    return key


def issuer_key_ensure(*, institution: Institution) -> tuple[IssuerKey, bool]:
    """The institution's active key, made first if it has none (True when made): what a
    deployment or the demo runs at setup, safe to run again."""
    with transaction.atomic():
        Institution.objects.select_for_update().get(pk=institution.pk)
        key = _active_key(institution)
        if key is not None:
            return key, False
        return issuer_key_rotate(institution=institution), True


def _active_key(institution: Institution) -> IssuerKey | None:
    return IssuerKey.objects.filter(institution=institution, retired_at__isnull=True).first()


def _sign(document: dict[str, Any], key: IssuerKey, institution: Institution) -> dict[str, Any]:
    return proof_add(
        document,
        key=Ed25519PrivateKey.from_private_bytes(bytes(key.private_key)),
        verification_method=issuer.verification_method_id(key, institution),
        created=_iso(timezone.now()),
    )


def _achievement(decision: EntrustmentDecision) -> dict[str, Any]:
    epa = decision.competency
    level = f"{decision.level.normalize():f}"
    scale = epa.framework.scale
    on_scale = f" of the {scale.name} scale" if scale is not None else ""
    narrative = (
        f"The {decision.program.name} competency committee reviewed the learner's assessments "
        f"on this activity and decided, on {decision.decided_on:%d %B %Y}, to entrust them with "
        f"it at level {level}{on_scale}. The program director signed the decision off."
    )
    if decision.conditions:
        narrative += f" Conditions: {decision.conditions}"
    return {
        "id": f"{issuer.origin()}/credentials/achievements/{epa.framework.code}/{epa.code}/{level}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"Entrusted: {epa.code} {epa.title} (level {level})",
        "description": (
            f"Entrustment with the professional activity “{epa.title}” ({epa.framework.name}) "
            f"at level {level}, decided by a program's competency committee."
        ),
        "criteria": {"narrative": narrative},
    }


def _milestone_achievement(rating: ConsensusRating, target: Decimal) -> dict[str, Any]:
    competency = rating.competency
    program = rating.review.period.program
    level = f"{rating.level.normalize():f}"
    goal = f"{target.normalize():f}"
    narrative = (
        f"The {program.name} competency committee reviewed the learner over "
        f"{rating.review.period.name} and agreed that they perform at level {level} of the "
        f"milestones for this sub-competency, at or above level {goal}, the level the program "
        f"expects at graduation. The program director signed the review off."
    )
    return {
        "id": (
            f"{issuer.origin()}/credentials/achievements/{competency.framework.code}/"
            f"{competency.framework.version}/{competency.code}/graduation"
        ),
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": f"Graduation level reached: {competency.code} {competency.title}",
        "description": (
            f"Performance at the level a program expects at graduation on “{competency.title}” "
            f"({competency.framework.name}), agreed by a program's competency committee."
        ),
        "criteria": {"narrative": narrative},
    }


def _subject(learner: Any, achievement: dict[str, Any]) -> dict[str, Any]:
    # The learner is named by a salted hash of their email: a holder proves it by showing the
    # address; the credential alone does not disclose it.
    salt = secrets.token_hex(8)
    digest = hashlib.sha256((learner.email + salt).encode()).hexdigest()
    return {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": f"sha256${digest}",
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": achievement,
    }


def _issue(
    *,
    institution_id: int,
    learner: Any,
    described: dict[str, Any],
    **row: Any,
) -> Credential | None:
    """Sign and store one credential (inside the caller's transaction); None without a key."""
    institution = Institution.objects.select_for_update().get(pk=institution_id)
    key = _active_key(institution)
    if key is None:
        logger.info("No issuer key for %s; credential waits", institution.slug)
        return None
    status_list, _ = StatusList.objects.select_for_update().get_or_create(institution=institution)
    index = status_list.next_index
    if index >= STATUS_LIST_BITS:
        raise ValidationError("The institution's status list is full.")
    status_list.next_index = index + 1
    status_list.save(update_fields=["next_index"])
    public_id = uuid.uuid4()
    now = timezone.now()
    document = {
        "@context": [VC_V2, OB_V3],
        "id": f"urn:uuid:{public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer.issuer_did(institution),
            "type": ["Profile"],
            "name": institution.name,
        },
        "validFrom": _iso(now),
        "name": described["name"],
        "credentialSubject": _subject(learner, described),
        "credentialStatus": {
            "id": f"{issuer.status_list_url(institution)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": issuer.status_list_url(institution),
        },
    }
    return Credential.objects.create(
        public_id=public_id,
        learner_id=learner.pk,
        institution=institution,
        title=described["name"],
        status_index=index,
        document=_sign(document, key, institution),
        issued_at=now,
        **row,
    )


@transaction.atomic
def credential_issue_for_decision(*, decision: EntrustmentDecision) -> Credential | None:
    """Issue the learner's credential for a signed-off decision (once per decision). None
    when the institution has no issuer key yet: `manage.py credentials_issuer_key` makes one
    and issues what waited."""
    existing = Credential.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    if decision.status != EntrustmentDecision.Status.SIGNED_OFF:
        raise ValidationError("Only a signed-off decision earns a credential.")
    return _issue(
        institution_id=decision.program.institution_id,
        learner=decision.learner,
        described=_achievement(decision),
        kind=Credential.Kind.ENTRUSTMENT,
        decision=decision,
        program_id=decision.program_id,
    )


@transaction.atomic
def credential_issue_for_milestone(
    *, rating: ConsensusRating, target: Decimal
) -> Credential | None:
    """Issue the learner's credential for a graduation-level milestone achievement
    (`committee.achievements`): once per learner, program and sub-competency, whichever
    review reached it first. None without an issuer key (issued when one is made)."""
    review = rating.review
    program = review.period.program
    key = achievement_key(program_id=program.pk, competency_id=rating.competency_id)
    existing = Credential.objects.filter(learner_id=review.learner_id, achievement=key).first()
    if existing is not None:
        return existing
    if not review.is_signed_off or not rating.is_current or rating.level < target:
        raise ValidationError("Only a signed-off rating at the graduation target earns one.")
    return _issue(
        institution_id=program.institution_id,
        learner=review.learner,
        described=_milestone_achievement(rating, target),
        kind=Credential.Kind.MILESTONE,
        consensus=rating,
        program_id=program.pk,
        achievement=key,
    )


REVOKED_BY_AMENDMENT = (
    "The committee amended the consensus rating below the level expected at graduation."
)


@transaction.atomic
def credentials_for_review(*, review: LearnerReview) -> list[Credential]:
    """After a review is signed off or amended: issue a credential for each graduation-level
    milestone achievement it reaches, and revoke those it earned whose rating an amendment
    took below the target. Returns the credentials issued or already held."""
    reached = graduation_achievements(review=review)
    targets = graduation_targets(
        program=review.period.program, competency_ids={r.competency_id for r in reached}
    )
    held = [
        credential
        for rating in reached
        if (
            credential := credential_issue_for_milestone(
                rating=rating, target=targets[rating.competency_id]
            )
        )
        is not None
    ]
    fallen = Credential.objects.filter(consensus__review=review, revoked_at__isnull=True).exclude(
        consensus__competency_id__in=[r.competency_id for r in reached]
    )
    for credential in fallen:
        credential_revoke(credential=credential, reason=REVOKED_BY_AMENDMENT)
    return held


def credentials_issue_waiting(*, institution: Institution) -> int:
    """Issue credentials for signed-off decisions and graduation-level milestone achievements
    that waited for a key; how many."""
    waiting = EntrustmentDecision.objects.filter(
        program__institution=institution, status=EntrustmentDecision.Status.SIGNED_OFF
    ).exclude(pk__in=Credential.objects.filter(decision__isnull=False).values("decision_id"))
    issued = sum(
        credential_issue_for_decision(decision=decision) is not None
        for decision in waiting.select_related("program", "competency__framework__scale")
    )
    before = Credential.objects.filter(institution=institution).count()
    for review in LearnerReview.objects.filter(
        period__program__institution=institution, status=LearnerReview.Status.SIGNED_OFF
    ).select_related("period__program", "learner"):
        credentials_for_review(review=review)
    return issued + Credential.objects.filter(institution=institution).count() - before


@transaction.atomic
def credential_revoke(*, credential: Credential, reason: str) -> Credential:
    """Revoke: the status list shows the bit from now on. Revoking twice changes nothing."""
    reason = text_within(reason, limit=REVOCATION_REASON_MAX, field="reason")
    if not reason:
        raise ValidationError({"reason": ["Say why the credential is revoked."]})
    Credential.objects.filter(pk=credential.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revocation_reason=reason
    )
    credential.refresh_from_db()
    return credential


def status_list_signed(*, institution: Institution) -> dict[str, Any] | None:
    """The institution's signed status list credential (None without a key)."""
    key = _active_key(institution)
    if key is None:
        return None
    revoked = set(
        Credential.objects.filter(institution=institution, revoked_at__isnull=False).values_list(
            "status_index", flat=True
        )
    )
    erased = StatusList.objects.filter(institution=institution).values_list(
        "revoked_erased", flat=True
    )
    revoked.update(*erased)
    document = issuer.status_list_credential(institution, revoked, _iso(key.created_at))
    return _sign(document, key, institution)


@dataclass
class Verification:
    """The outcome of checking a credential; `problems` says in words what failed."""

    verified: bool
    problems: list[str] = field(default_factory=list)
    credential: Credential | None = None
    issuer_name: str = ""


def credential_verify(*, document: Any) -> Verification:
    """Check a credential issued by one of this deployment's issuers: the proof against the
    issuer's published keys (retired ones included), and its revocation status."""
    if not isinstance(document, dict) or not isinstance(document.get("proof"), dict):
        return Verification(False, ["This is not a signed credential (no proof)."])
    issuer_field = document.get("issuer")
    issuer_id = issuer_field.get("id") if isinstance(issuer_field, dict) else issuer_field
    slug = issuer.slug_of_did(str(issuer_id or ""))
    institution = Institution.objects.filter(slug=slug).first() if slug else None
    if institution is None:
        return Verification(False, [f"The issuer {issuer_id} is not one this server can resolve."])
    method = str(document["proof"].get("verificationMethod", ""))
    key = IssuerKey.objects.filter(
        institution=institution, key_id=method.rsplit("#", 1)[-1]
    ).first()
    if key is None or issuer.slug_of_did(method) != slug:
        return Verification(False, ["The proof names a key this issuer never published."])
    try:
        valid = proof_verify(document, public=_public(key.public_multibase))
    except ContextNotLocalError as error:
        return Verification(False, [str(error)])
    except Exception:  # pyld raises its own error types for malformed JSON-LD
        logger.info("Unreadable credential", exc_info=True)
        return Verification(False, ["The credential is not well-formed JSON-LD."])
    if not valid:
        return Verification(
            False, ["The signature does not match: the credential was changed after issue."]
        )
    public_id = str(document.get("id", "")).removeprefix("urn:uuid:")
    try:
        credential = Credential.objects.filter(
            institution=institution, public_id=uuid.UUID(public_id)
        ).first()
    except ValueError:
        credential = None
    if credential is None:
        return Verification(False, ["The issuer has no record of this credential."])
    if credential.revoked_at is not None:
        return Verification(
            False,
            [f"The issuer revoked this credential on {credential.revoked_at:%d %B %Y}."],
            credential,
            institution.name,
        )
    return Verification(True, [], credential, institution.name)


@transaction.atomic
def credentials_erase_for_user(*, user: Any) -> None:
    """Erasure deletes the issuer's copies. A copy the learner keeps stays as valid as it was:
    the indexes of revoked ones stay set in the status list, and no index is reused."""
    revoked = Credential.objects.filter(learner=user, revoked_at__isnull=False)
    for institution_id, index in revoked.values_list("institution_id", "status_index"):
        status_list = StatusList.objects.select_for_update().get(institution_id=institution_id)
        status_list.revoked_erased = sorted({*status_list.revoked_erased, index})
        status_list.save(update_fields=["revoked_erased"])
    Credential.objects.filter(learner=user).delete()


def credential_view_log(*, credential: Credential, viewer: Any) -> None:
    """Record in the holder's access log that someone opened the verification page of their
    credential; a visitor without an account is logged as one (the link is public)."""
    if getattr(viewer, "pk", None) == credential.learner_id:
        return
    signed_in = getattr(viewer, "is_authenticated", False)
    AccessLog.objects.create(
        learner_id=credential.learner_id,
        viewer=viewer if signed_in else None,
        viewer_name=viewer.name[:200] if signed_in else "A visitor with the verification link",
        scope=RECORDS_SCOPE,
        item_type="credential",
        item_id=credential.pk,
        item_label=credential.title[:200],
        action=AccessLog.Action.VIEW,
    )
