"""Writes for precision learning: catalogue import, feedback, visits, digests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import User
from audit.services import audit_record
from core.forms import text_within
from cpd.services import cpd_activity_from_completion
from learning import fhir
from learning.anticipatory import anticipatory_learning
from learning.catalogue import ParsedCatalogue, parse_catalogue
from learning.fhir import (
    BundleError,
    EntryReport,
    ParsedBundle,
    load_json,
    load_json_counted,
    parse_bundle,
)
from learning.models import (
    REASON_MAX,
    CodePair,
    FhirSource,
    LearningResource,
    PractitionerLink,
    Recommendation,
    ResourceCode,
    UpcomingVisit,
    VisitDigest,
)
from notifications.models import Kind
from notifications.services import notification_send
from portfolio.models import Evidence
from portfolio.services import evidence_create
from programs.selectors import frameworks_in_use


@dataclass
class CatalogueImportResult:
    created: int
    updated: int
    pairs_created: int

    def __str__(self) -> str:
        return (
            f"{self.created} resources created, {self.updated} updated, "
            f"{self.pairs_created} code pairs added"
        )


@transaction.atomic
def catalogue_import(
    *, content: bytes, filename: str = "", by: User | None = None
) -> CatalogueImportResult:
    """Create or update catalogue resources (by key) and code pairs from a CSV/JSON file.

    All rows are written or none: any row error raises learning.catalogue.CatalogueError
    listing every problem with its line (or item) and field.
    """
    parsed: ParsedCatalogue = parse_catalogue(content, filename=filename)
    keys = [row.key for row in parsed.resources]
    existing = {r.key: r for r in LearningResource.objects.filter(key__in=keys)}
    created = updated = 0
    resources: list[tuple[LearningResource, list[int], list[tuple[str, str, str]]]] = []
    for row in parsed.resources:
        resource = existing.get(row.key)
        if resource is None:
            resource = LearningResource(key=row.key)
            created += 1
        else:
            updated += 1
        for name, value in row.values.items():
            setattr(resource, name, value)
        resource.full_clean(exclude=["file", "competencies"])
        resource.save()
        resources.append((resource, row.competency_ids, row.codes))
    resource_ids = [resource.pk for resource, _c, _k in resources]
    ResourceCode.objects.filter(resource_id__in=resource_ids).delete()
    through = LearningResource.competencies.through
    through.objects.filter(learningresource_id__in=resource_ids).delete()
    through.objects.bulk_create(
        through(learningresource_id=resource.pk, competency_id=competency_id)
        for resource, competency_ids, _codes in resources
        for competency_id in dict.fromkeys(competency_ids)
    )
    ResourceCode.objects.bulk_create(
        ResourceCode(resource=resource, system=system, code=code, display=display)
        for resource, _competencies, codes in resources
        for system, code, display in {(s, c): (s, c, d) for s, c, d in codes}.values()
    )
    pairs_created = 0
    for pair in parsed.pairs:
        _obj, made = CodePair.objects.update_or_create(
            snomed_code=pair.snomed, icd10_code=pair.icd10, defaults={"display": pair.display}
        )
        pairs_created += int(made)
    result = CatalogueImportResult(created=created, updated=updated, pairs_created=pairs_created)
    audit_record(
        actor=by,
        action="catalogue.import",
        target_label=filename or "learning catalogue",
        after={"file": filename, "created": created, "updated": updated, "pairs": pairs_created},
    )
    return result


# --- Upcoming visits ---------------------------------------------------------------------------

VISIT_FIELDS = ("visit_date", "starts_at", "status", "reasons", "reason_text")
_LOOKUP_CHUNK = 2000


@dataclass
class VisitUploadReport:
    """What happened to every entry of an uploaded or pulled bundle."""

    entries: list[EntryReport]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for entry in self.entries:
            counts[entry.outcome] = counts.get(entry.outcome, 0) + 1
        return counts

    @property
    def kept(self) -> int:
        counts = self.counts
        return counts["created"] + counts["updated"] + counts["unchanged"]

    @property
    def problems(self) -> list[EntryReport]:
        return [e for e in self.entries if e.outcome in ("invalid", "skipped") or e.warnings]


OUTCOMES = ("created", "updated", "unchanged", "skipped", "invalid", "dropped", "used", "ignored")


def practitioner_link_set(
    *, learner: User, practitioner_id: str, source: FhirSource | None = None
) -> PractitionerLink:
    """Record the learner's Practitioner id in an EHR (source None: bundles they upload)."""
    practitioner_id = practitioner_id.strip()
    if not practitioner_id or len(practitioner_id) > 64 or "/" in practitioner_id:
        raise ValidationError(
            {"practitioner_id": "Your Practitioner id, e.g. 'pr-1234' (no slashes)."}
        )
    link, _created = PractitionerLink.objects.update_or_create(
        learner=learner, source=source, defaults={"practitioner_id": practitioner_id}
    )
    return link


def visits_upload(
    *,
    learner: User,
    content: bytes | str | dict[str, Any],
    practitioner_id: str = "",
    source: FhirSource | None = None,
    today: dt.date | None = None,
) -> VisitUploadReport:
    """Keep the learner's upcoming visits from a FHIR R4 Bundle; report on every entry.

    Whole-document problems raise learning.fhir.BundleError (with an HTTP status). Visits are
    keyed by resource type and id, so the same bundle twice creates nothing new; a visit whose
    status becomes cancelled (or any non-upcoming status) is updated and drops off the list.
    """
    if practitioner_id:
        practitioner_link_set(learner=learner, practitioner_id=practitioner_id, source=source)
    else:
        link = PractitionerLink.objects.filter(learner=learner, source=source).first()
        if link is None:
            raise BundleError(
                "Tell us your Practitioner id in this EHR first, so we keep only your visits."
            )
        practitioner_id = link.practitioner_id
    document = content if isinstance(content, dict) else load_json(content)
    return _visits_ingest(
        learner=learner,
        document=document,
        practitioner_id=practitioner_id,
        source=source,
        today=today,
    )


def _visits_ingest(
    *,
    learner: User,
    document: Any,
    practitioner_id: str,
    source: FhirSource | None,
    today: dt.date | None,
) -> VisitUploadReport:
    parsed = parse_bundle(
        document,
        practitioner_id=practitioner_id,
        today=today,
        max_entries=getattr(settings, "LEARNING_FHIR_MAX_ENTRIES", 10_000),
    )
    with transaction.atomic():
        _visits_store(learner=learner, source=source, parsed=parsed)
    return VisitUploadReport(entries=parsed.entries)


def _visits_store(*, learner: User, source: FhirSource | None, parsed: ParsedBundle) -> None:
    reports = {entry.index: entry for entry in parsed.entries}
    ids = [visit.resource_id for visit in parsed.visits]
    existing: dict[tuple[str, str], UpcomingVisit] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for visit in UpcomingVisit.objects.filter(
            learner=learner, resource_id__in=ids[start : start + _LOOKUP_CHUNK]
        ):
            existing[(visit.resource_type, visit.resource_id)] = visit
    now = timezone.now()
    to_create: list[UpcomingVisit] = []
    to_update: list[UpcomingVisit] = []
    for parsed_visit in parsed.visits:
        report = reports[parsed_visit.index]
        values = {name: getattr(parsed_visit, name) for name in VISIT_FIELDS}
        current = existing.get((parsed_visit.resource_type, parsed_visit.resource_id))
        if current is None:
            if not parsed_visit.is_active:
                report.outcome = "skipped"
                report.reason = f"status '{parsed_visit.status}' is not an upcoming visit"
                continue
            to_create.append(
                UpcomingVisit(
                    learner=learner,
                    source=source,
                    resource_type=parsed_visit.resource_type,
                    resource_id=parsed_visit.resource_id,
                    **values,
                )
            )
            report.outcome = "created"
        elif any(getattr(current, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            current.updated_at = now
            to_update.append(current)
            report.outcome = "updated"
            if not parsed_visit.is_active:
                report.reason = f"status is now '{parsed_visit.status}'; no longer listed"
        else:
            report.outcome = "unchanged"
    UpcomingVisit.objects.bulk_create(to_create, batch_size=1000)
    UpcomingVisit.objects.bulk_update(to_update, [*VISIT_FIELDS, "updated_at"], batch_size=1000)


def visit_delete(*, visit: UpcomingVisit) -> None:
    """The learner removes one visit from their list (it may come back with the next pull)."""
    visit.delete()


# --- Feedback on recommendations ---------------------------------------------------------------


class FeedbackAction(models.TextChoices):
    DONE = "done", "Mark done"
    UNDONE = "undone", "Not done after all"
    HELPFUL = "helpful", "Helpful"
    NOT_RELEVANT = "not_relevant", "Not relevant"
    CLEAR_RATING = "clear_rating", "Clear rating"
    DISMISS = "dismiss", "Dismiss"
    RESTORE = "restore", "Restore"


@transaction.atomic
def recommendation_feedback(
    *, learner: User, resource: LearningResource, action: str, reason: str = ""
) -> Recommendation:
    """Record what the learner says about a resource; the next ranking takes it into account.

    Done, dismissed and not relevant take the resource off the learner's lists; helpful and
    not relevant also move resources on the same competencies up or down.
    """
    if action not in FeedbackAction.values:
        raise ValidationError({"action": f"One of: {', '.join(FeedbackAction.values)}."})
    feedback, _created = Recommendation.objects.select_for_update().get_or_create(
        learner=learner, resource=resource
    )
    now = timezone.now()
    if action == FeedbackAction.DONE:
        feedback.done_at = feedback.done_at or now
    elif action == FeedbackAction.UNDONE:
        feedback.done_at = None
    elif action == FeedbackAction.HELPFUL:
        feedback.rating = Recommendation.Rating.HELPFUL
    elif action == FeedbackAction.NOT_RELEVANT:
        feedback.rating = Recommendation.Rating.NOT_RELEVANT
    elif action == FeedbackAction.CLEAR_RATING:
        feedback.rating = Recommendation.Rating.NONE
    elif action == FeedbackAction.DISMISS:
        feedback.dismissed_at = feedback.dismissed_at or now
    elif action == FeedbackAction.RESTORE:
        feedback.dismissed_at = None
        if feedback.rating == Recommendation.Rating.NOT_RELEVANT:
            feedback.rating = Recommendation.Rating.NONE
    if reason:
        feedback.reason = text_within(reason, limit=REASON_MAX, field="reason")
    feedback.save()
    return feedback


@transaction.atomic
def recommendation_evidence_create(
    *, learner: User, resource: LearningResource, reason: str = ""
) -> Evidence:
    """Turn a completed resource into portfolio evidence in one step (marking it done first).

    A resource with CME credit also lands in the learner's CPD diary, once.
    Safe to repeat: a second call returns the evidence made the first time, as long as the
    learner has not deleted it. Competencies outside the learner's current frameworks are
    left off the evidence (the portfolio accepts only those).
    """
    feedback = recommendation_feedback(
        learner=learner, resource=resource, action=FeedbackAction.DONE, reason=reason
    )
    if feedback.evidence_id is not None:
        existing = Evidence.objects.filter(pk=feedback.evidence_id, learner=learner).first()
        if existing is not None:
            return existing
    in_use = frameworks_in_use(learner=learner)
    competency_ids = list(
        resource.competencies.filter(framework__in=in_use).values_list("pk", flat=True)
    )
    lines = [f"Completed “{resource.title}” ({resource.get_kind_display().lower()}"]
    if resource.duration_minutes:
        lines[0] += f", {resource.duration_minutes} minutes"
    lines[0] += ") from the Continuum learning catalogue."
    if feedback.reason:
        lines.append(f"Why it was recommended: {feedback.reason}")
    if resource.url:
        lines.append(f"Link: {resource.url}")
    done_at = feedback.done_at or timezone.now()
    credit = resource.cme_credit if resource.cme_credit > 0 else None
    evidence = evidence_create(
        learner=learner,
        kind=Evidence.Kind.CERTIFICATE if credit else Evidence.Kind.EXTERNAL,
        title=f"Completed: {resource.title}"[:200],
        body="\n\n".join(lines),
        occurred_on=timezone.localtime(done_at).date(),
        competency_ids=competency_ids,
        credit_hours=credit,
        external_source="Continuum learning catalogue",
        external_id=resource.key,
    )
    feedback.evidence_id = evidence.pk
    feedback.save(update_fields=["evidence_id", "updated_at"])
    if credit is not None:  # the credit lands in the CPD diary, with this evidence
        cpd_activity_from_completion(
            learner=learner,
            resource_key=resource.key,
            title=resource.title,
            hours=credit,
            occurred_on=evidence.occurred_on,
            competency_ids=competency_ids,
            evidence_ids=[evidence.pk],
        )
    return evidence


# --- Evening-before digest ---------------------------------------------------------------------


def visit_digest_send(*, learner: User, day: dt.date) -> bool:
    """Tell the learner, the evening before, which refreshers fit tomorrow's clinic.

    Sent at most once per learner per visit day, however often it runs: the VisitDigest row
    is the claim, and the notification carries a dedupe key as a second guard. Goes through
    the notification outbox, so the learner's email preference for "learning" applies.
    Returns True when a digest was written now.
    """
    if VisitDigest.objects.filter(learner=learner, visit_date=day).exists():
        return False
    clinic_days = anticipatory_learning(learner=learner, start=day, days=1)
    if not clinic_days or not clinic_days[0].items:
        return False
    clinic = clinic_days[0]
    lines = [f"{clinic.visit_count} visit(s) on {date_format(day, 'l j F')}.", ""]
    for match in clinic.items:
        minutes = (
            f", {match.resource.duration_minutes} min" if match.resource.duration_minutes else ""
        )
        lines.append(f"• {match.resource.title} ({match.resource.get_kind_display()}{minutes})")
        lines.append(f"  {match.reason}")
        if match.resource.url:
            lines.append(f"  {match.resource.url}")
    lines += ["", "No patient details are kept by Continuum: only the visit dates and reasons."]
    try:
        with transaction.atomic():
            VisitDigest.objects.create(
                learner=learner, visit_date=day, item_count=len(clinic.items)
            )
            notification_send(
                recipient=learner,
                kind=Kind.LEARNING,
                title=clinic.headline,
                body="\n".join(lines),
                url=reverse("learning-upcoming"),
                dedupe_key=f"learning-visit-digest:{day.isoformat()}",
            )
    except IntegrityError:
        return False  # another run claimed this learner and day first
    return True


def visit_digests_send(*, day: dt.date | None = None) -> int:
    """For every learner with a clinic on `day` (tomorrow by default), send the digest once."""
    day = day or timezone.localdate() + dt.timedelta(days=1)
    learner_ids = set(
        UpcomingVisit.objects.active()
        .filter(visit_date=day)
        .exclude(learner__visit_digests__visit_date=day)
        .values_list("learner_id", flat=True)
        .distinct()
    )
    sent = 0
    for learner in User.objects.filter(pk__in=learner_ids, is_active=True):
        sent += visit_digest_send(learner=learner, day=day)
    return sent


# --- Pull from a FHIR server -------------------------------------------------------------------

PULL_MAX_PAGES = 50
PULL_MAX_BYTES = 20 * 1024 * 1024
PULL_TIMEOUT_SECONDS = 15


class PullError(Exception):
    """The FHIR server could not be read; the message says why (no secrets in it)."""


def visits_pull(*, link: PractitionerLink, today: dt.date | None = None) -> VisitUploadReport:
    """Fetch the learner's upcoming appointments from the link's FHIR server and keep them.

    Searches `Appointment?practitioner=<id>&date=ge<today>` (with the Conditions the reasons
    point to) and follows `next` links — only on the same server, at most PULL_MAX_PAGES
    pages — then stores the result like an upload. Problems are recorded on the source.
    """
    source = link.source
    if source is None or not source.is_active:
        raise PullError("This practitioner link has no active FHIR server.")
    today = today or timezone.localdate()
    base = source.base_url.rstrip("/")
    query = urlencode(
        {
            "practitioner": link.practitioner_id,
            "date": f"ge{today.isoformat()}",
            "_include": "Appointment:reason-reference",
            "_count": "100",
        }
    )
    url: str | None = f"{base}/Appointment?{query}"
    entries: list[Any] = []
    pages = 0
    # All pages together stay within one bundle's memory budget (learning.fhir.MAX_VALUES).
    budget = fhir.MAX_VALUES
    try:
        while url:
            if pages >= PULL_MAX_PAGES:
                raise PullError(f"Stopped after {PULL_MAX_PAGES} pages.")
            page, size = _fetch_json(url, token=source.token, max_values=budget)
            budget -= size
            pages += 1
            if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
                raise PullError(f"Page {pages} is not a FHIR Bundle.")
            page_entries = page.get("entry", [])
            if isinstance(page_entries, list):
                entries.extend(page_entries)
            url = _next_link(page, base=base)
        document = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        report = _visits_ingest(
            learner=link.learner,
            document=document,
            practitioner_id=link.practitioner_id,
            source=source,
            today=today,
        )
    except (PullError, BundleError) as exc:
        message = exc.detail if isinstance(exc, BundleError) else str(exc)
        FhirSource.objects.filter(pk=source.pk).update(last_error=message[:500])
        raise PullError(message) from exc
    FhirSource.objects.filter(pk=source.pk).update(last_pulled_at=timezone.now(), last_error="")
    return report


def _fetch_json(url: str, *, token: str, max_values: int) -> tuple[Any, int]:
    """A page's JSON and how many values it holds (refused beyond `max_values`)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PullError("Only http(s) FHIR servers are supported.")
    headers = {"Accept": "application/fhir+json", "User-Agent": "Continuum"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = Request(url, headers=headers)  # noqa: S310 - scheme checked above
    try:
        with urlopen(request, timeout=PULL_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(PULL_MAX_BYTES + 1)
    except HTTPError as exc:
        raise PullError(f"The FHIR server answered {exc.code} {exc.reason}.") from exc
    except (URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PullError(f"The FHIR server could not be reached ({reason}).") from exc
    if len(body) > PULL_MAX_BYTES:
        raise PullError("A page from the FHIR server was larger than 20 MB.")
    try:
        return load_json_counted(body, max_values=max_values)
    except BundleError as exc:
        if exc.status == 413:
            raise PullError(f"The appointments are too many to read at once: {exc.detail}") from exc
        raise PullError(f"The FHIR server sent something that is not JSON: {exc.detail}") from exc


def _next_link(page: dict[str, Any], *, base: str) -> str | None:
    """The `next` link, only if it stays on the configured server (never follow elsewhere)."""
    for link in page.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            url = str(link["url"])
            here, there = urlsplit(base), urlsplit(url)
            if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                raise PullError("The server's next link points to another server; not followed.")
            return url
    return None


@transaction.atomic
def learning_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the person's feedback on resources, their EHR links and
    sources (with any token), their upcoming visits and the record of their digests."""
    Recommendation.objects.filter(learner=user).delete()
    UpcomingVisit.objects.filter(learner=user).delete()
    VisitDigest.objects.filter(learner=user).delete()
    PractitionerLink.objects.filter(learner=user).delete()
    FhirSource.objects.filter(learner=user).delete()
