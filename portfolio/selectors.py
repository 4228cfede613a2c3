"""Who may read what of a learner's portfolio. Every access rule for learner-owned items is here.

The rules (DESIGN.md, "Ownership and access"):

- The learner reads everything of their own.
- Self-assessments and check-ins, evidence, reflections and goals are private by default.
  Anyone else reads them only through an *active* ShareGrant — not revoked, not past its
  expiry — whose scopes cover the item:
    * a grant to a named person applies to that person;
    * a grant to a program's committee applies to whoever holds a director, coordinator or
      committee role in that program.
- A learner may also share one item (a piece of evidence, a reflection or a goal) with a
  circle: a set of people a higher app keeps (a learning group's members). Such a grant opens
  that item alone, to whoever is in the circle now; leaving the circle closes it.
- Everyone else gets an empty QuerySet, which views turn into a 404 (never a hint that an
  item exists).
- Grants are read on every request, so a revocation takes effect on the next one.

Reads by anyone but the owner must be appended to the AccessLog: views call
`portfolio.services.access_log_record(access=..., items=..., action=...)` with the items they
show. `Access` carries the grant that justified each scope so the log can name it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn, SelfAssessment
from core.db import CompiledQuery, Read, Selection, placeholders, split_row
from frameworks.models import Competency, Framework
from portfolio.models import (
    AccessLog,
    Evidence,
    EvidenceCount,
    Goal,
    GoalProgressNote,
    ImportedRecord,
    LearnerProfile,
    PortfolioTransfer,
    Scope,
    ShareCircle,
    ShareCircleMember,
    ShareGrant,
    TimelineEntry,
)
from programs.models import Program, ProgramRole

# Roles of a program that a grant to "the program's competency committee" reaches.
COMMITTEE_ROLES = (
    ProgramRole.Role.DIRECTOR,
    ProgramRole.Role.COORDINATOR,
    ProgramRole.Role.COMMITTEE,
)


@dataclass(frozen=True)
class Access:
    """What `viewer` may read of `learner`'s portfolio right now, and through which grants."""

    viewer: User
    learner: User
    is_owner: bool
    grants: tuple[ShareGrant, ...] = field(default=())

    @property
    def scopes(self) -> frozenset[Scope]:
        if self.is_owner:
            return frozenset(Scope)
        return frozenset(scope for grant in self.grants for scope in grant.scopes)

    def allows(self, scope: Scope | str) -> bool:
        return Scope(scope) in self.scopes

    @property
    def allows_anything(self) -> bool:
        return bool(self.scopes)

    def grant_for(self, scope: Scope | str) -> ShareGrant | None:
        """The oldest active grant covering `scope` (None for the owner or without one)."""
        for grant in sorted(self.grants, key=lambda g: (g.created_at, g.pk)):
            if grant.covers(scope):
                return grant
        return None

    @property
    def shared_evidence_ids(self) -> frozenset[int]:
        """Single pieces of evidence shared with a circle the viewer is in."""
        return frozenset(g.evidence_id for g in self.grants if g.evidence_id is not None)

    @property
    def shared_goal_ids(self) -> frozenset[int]:
        """Single goals shared with a circle the viewer is in."""
        return frozenset(g.goal_id for g in self.grants if g.goal_id is not None)

    def grant_for_item(self, item: object) -> ShareGrant | None:
        """The grant that lets the viewer read `item`: one of whole scopes first, else the
        circle grant of that one item."""
        grant = self.grant_for(scope_of(item))
        if grant is not None:
            return grant
        for grant in sorted(self.grants, key=lambda g: (g.created_at, g.pk)):
            if grant.opens_item(item):
                return grant
        return None


def _committee_program_ids(viewer: User) -> QuerySet[ProgramRole, int]:
    return ProgramRole.objects.filter(user=viewer, role__in=COMMITTEE_ROLES).values_list(
        "program_id", flat=True
    )


def grants_applying_to(*, viewer: User, now: dt.datetime | None = None) -> QuerySet[ShareGrant]:
    """Active grants, of any learner, that let `viewer` read something (one query)."""
    return (
        ShareGrant.objects.active(now)
        .filter(Q(grantee=viewer) | Q(program_id__in=_committee_program_ids(viewer)))
        .exclude(learner=viewer)
    )


def _circle_grants_applying_to(
    *, viewer: User, now: dt.datetime | None = None
) -> QuerySet[ShareGrant]:
    """Active single-item grants to circles `viewer` is in (never the viewer's own)."""
    circles = ShareCircleMember.objects.filter(user=viewer).values("circle_id")
    return ShareGrant.objects.active(now).filter(circle_id__in=circles).exclude(learner=viewer)


def circle_grants_applying_to(
    *, viewer: User, now: dt.datetime | None = None
) -> QuerySet[ShareGrant]:
    """Single items others shared to any circle `viewer` is in and have not withdrawn."""
    return _circle_grants_applying_to(viewer=viewer, now=now)


def access_for(*, viewer: User, learner: User, now: dt.datetime | None = None) -> Access:
    """Decide what `viewer` may read of `learner`'s portfolio: no query for the owner, one
    for anyone else (grants of whole scopes and single items shared to circles together)."""
    if viewer.pk == learner.pk:
        return Access(viewer=viewer, learner=learner, is_owner=True)
    if not viewer.is_authenticated or not viewer.is_active:
        return Access(viewer=viewer, learner=learner, is_owner=False)
    grants = tuple(
        grants_applying_to(viewer=viewer, now=now).filter(learner=learner)
        | _circle_grants_applying_to(viewer=viewer, now=now).filter(learner=learner)
    )
    return Access(viewer=viewer, learner=learner, is_owner=False, grants=grants)


def circle_grants_visible_to(
    *, viewer: User, circle: ShareCircle, now: dt.datetime | None = None
) -> QuerySet[ShareGrant]:
    """The items shared to `circle` that are in force, newest first, for a person in the
    circle (their own shares included); nothing for anyone else."""
    if not ShareCircleMember.objects.filter(circle=circle, user=viewer).exists():
        return ShareGrant.objects.none()
    return (
        ShareGrant.objects.active(now)
        .filter(circle=circle)
        .select_related("learner", "evidence", "goal")
        .order_by("-created_at", "-id")
    )


# A learner's grants of whole scopes that are not revoked, each with whom it opens to: the
# grantee's name or the program's (what `ShareGrant.audience_label` reads), newest first.
_GRANT = Selection(ShareGrant)
_GRANTEE = Selection(User, ("id", "email", "display_name"))
_GRANTED_PROGRAM = Selection(Program, ("id", "institution_id", "name"))
_GRANTS_SQL = f"""
SELECT {_GRANT.columns("g")}, {_GRANTEE.columns("u")}, {_GRANTED_PROGRAM.columns("p")}
FROM {ShareGrant._meta.db_table} g
LEFT JOIN {User._meta.db_table} u ON u.id = g.grantee_id
LEFT JOIN {Program._meta.db_table} p ON p.id = g.program_id
WHERE g.learner_id = %s AND g.circle_id IS NULL AND g.revoked_at IS NULL
ORDER BY g.created_at DESC, g.id DESC"""  # noqa: S608 — table and column names are ours


def active_grants(*, learner: User, now: dt.datetime | None = None) -> list[ShareGrant]:
    """The learner's own grants of whole scopes that are in force now, each with its grantee
    or program loaded (for its audience label).

    A plain statement, expiry checked here (`ShareGrant.is_active`): every evidence, goal and
    check-in page of the learner's reads it, and the ORM's building of the three-table join
    cost twice the rest of the evidence list's own reads."""
    return active_grants_read(learner=learner, now=now).run()


def active_grants_read(*, learner: User, now: dt.datetime | None = None) -> Read[list[ShareGrant]]:
    """`active_grants` as a read that can travel beside a page's others."""

    def in_force(rows: list[tuple[Any, ...]]) -> list[ShareGrant]:
        moment = now or timezone.now()
        grants = []
        for row in rows:
            grant_values, grantee_values, program_values = split_row(
                row, _GRANT, _GRANTEE, _GRANTED_PROGRAM
            )
            grant = _GRANT.build(grant_values)
            if not grant.is_active(moment):
                continue
            if grant.grantee_id is not None:
                grant.grantee = _GRANTEE.build(grantee_values)
            if grant.program_id is not None:
                grant.program = _GRANTED_PROGRAM.build(program_values)
            grants.append(grant)
        return grants

    return Read(_GRANTS_SQL, [learner.pk], in_force)


def share_grants_of(*, learner: User) -> QuerySet[ShareGrant]:
    """Every grant of whole scopes the learner ever gave, including revoked and expired ones
    (their history). Single items shared to a group are listed by the group."""
    return ShareGrant.objects.filter(learner=learner, circle__isnull=True).select_related(
        "grantee", "program", "program__institution"
    )


def learners_sharing_with(*, viewer: User) -> list[tuple[User, frozenset[Scope]]]:
    """People whose portfolio `viewer` may read, with the scopes open to them, by name."""
    scopes: dict[int, set[Scope]] = {}
    people: dict[int, User] = {}
    for grant in grants_applying_to(viewer=viewer).select_related("learner"):
        people[grant.learner_id] = grant.learner
        scopes.setdefault(grant.learner_id, set()).update(grant.scopes)
    ordered = sorted(people.values(), key=lambda person: (person.name.lower(), person.pk))
    return [(person, frozenset(scopes[person.pk])) for person in ordered]


def count_learners_sharing_with(*, viewer: User) -> int:
    """How many people share some of their portfolio with `viewer` (one query)."""
    return grants_applying_to(viewer=viewer).values("learner_id").distinct().count()


def _access(viewer: User, learner: User, access: Access | None) -> Access:
    if access is not None:
        if access.viewer.pk != viewer.pk or access.learner.pk != learner.pk:
            raise ValueError("access was computed for another viewer or learner")
        return access
    return access_for(viewer=viewer, learner=learner)


def evidence_visible_to(
    *, viewer: User, learner: User, access: Access | None = None
) -> QuerySet[Evidence]:
    """The learner's evidence and reflections that `viewer` may read.

    Reflections are their own scope: sharing evidence never shares reflections. An item
    shared to a circle the viewer is in is readable on its own.
    """
    access = _access(viewer, learner, access)
    items = Evidence.objects.filter(learner=learner).prefetch_related("competencies__framework")
    if access.is_owner:
        return items
    evidence, reflections = access.allows(Scope.EVIDENCE), access.allows(Scope.REFLECTIONS)
    if evidence and reflections:
        return items
    shared = access.shared_evidence_ids
    if shared:
        opened = Q(pk__in=sorted(shared))
        if evidence:
            opened |= ~Q(kind=Evidence.Kind.REFLECTION)
        if reflections:
            opened |= Q(kind=Evidence.Kind.REFLECTION)
        return items.filter(opened)
    if evidence:
        return items.not_reflections()
    if reflections:
        return items.reflections()
    return items.none()


def evidence_rows_visible_to(
    *, viewer: User, learner: User, fields: Sequence[str]
) -> QuerySet[Evidence, dict[str, Any]]:
    """The items of `evidence_visible_to` as plain rows of `fields`, for a long list: a page
    of rows costs a fraction of a page of instances with their prefetched competencies.
    `competencies_of_evidence_read` reads the page's competencies."""
    items = evidence_visible_to(viewer=viewer, learner=learner)
    return items.prefetch_related(None).values(*fields)


class CompetencyTag(NamedTuple):
    """A competency an item is tagged with, named by its framework's code and version."""

    id: int
    code: str
    title: str
    framework: str
    version: str


_TAGGED = Evidence.competencies.through._meta.db_table
_COMPETENCY = Competency._meta.db_table
_FRAMEWORK = Framework._meta.db_table
_COUNTS = EvidenceCount._meta.db_table
# The competencies' own ordering (Competency.Meta: framework, whose ordering is code then
# version descending; then order), written out: a test holds it to the prefetch's.
_TAGS_SQL = f"""
SELECT t.evidence_id, c.id, c.code, c.title, f.code, f.version
FROM {_TAGGED} t
JOIN {_COMPETENCY} c ON c.id = t.competency_id
JOIN {_FRAMEWORK} f ON f.id = c.framework_id
WHERE t.evidence_id IN ({{ids}})
ORDER BY f.code, f.version DESC, c."order"
"""  # noqa: S608 — table names are ours


def competencies_of_evidence_read(
    evidence_ids: Sequence[int],
) -> Read[dict[int, list[CompetencyTag]]]:
    """Each item's competencies, in the order `evidence_visible_to`'s prefetch gives them.
    The ids come from a selector's rows: an item the viewer may read shows all its tags. An
    empty list of ids reads nothing, in a statement all the same (a page's query count does
    not depend on whether it has rows).

    A plain statement: the ORM's building of this three-table join cost twice the
    database's work on it, on a list every learner opens."""
    ids = list(evidence_ids)
    sql = _TAGS_SQL.format(ids=placeholders(len(ids)) if ids else "NULL")
    return Read(sql, ids, partial(_tags_by_item, ids))


def _tags_by_item(
    evidence_ids: Sequence[int], rows: list[tuple[Any, ...]]
) -> dict[int, list[CompetencyTag]]:
    """Each of `evidence_ids` with its tags from `rows`, in their order; none for an id the
    rows do not name."""
    tags: dict[int, list[CompetencyTag]] = {pk: [] for pk in evidence_ids}
    for evidence_id, competency_id, code, title, framework, version in rows:
        tags.setdefault(evidence_id, []).append(
            CompetencyTag(competency_id, code, title, framework, version)
        )
    return tags


# The learner's own list, a page at a time: the page's rows, how many there are and the page's
# competencies, each statement compiled by the ORM once (core.db.CompiledQuery) and sent
# together. `make bench` row (e): the ORM's building of the count and the page cost more than
# the database's work on 10,000 items.
def _own_evidence(learner: int, *, kind: str, ordering: tuple[str, ...]) -> QuerySet[Evidence]:
    """Everything of the learner's (the owner reads it all), or only `kind`, in `ordering`
    (empty: the model's, newest first)."""
    items = Evidence.objects.filter(learner_id=learner)
    if ordering:
        items = items.order_by(*ordering)
    return items.filter(kind=kind) if kind else items


_OWN_EVIDENCE: dict[tuple[str, tuple[str, ...], tuple[str, ...]], CompiledQuery] = {}


def _known_kind(kind: str) -> str:
    """`kind` ("": every kind), refused unless it is one (it picks a statement, not a value)."""
    if kind and kind not in Evidence.Kind.values:
        raise ValueError(f"no such kind of evidence: {kind!r}")
    return kind


def _own_evidence_compiled(
    kind: str, fields: tuple[str, ...], ordering: tuple[str, ...]
) -> CompiledQuery:
    """The compiled statement listing `fields`."""
    key = (_known_kind(kind), fields, ordering)
    compiled = _OWN_EVIDENCE.get(key)
    if compiled is None:
        compiled = _OWN_EVIDENCE[key] = CompiledQuery(
            lambda learner: _own_evidence(learner, kind=kind, ordering=ordering).values_list(
                *fields
            )
        )
    return compiled


def own_evidence_count_read(*, learner: User, kind: str = "") -> Read[int]:
    """How many items the learner has (of `kind`), from the counts kept on every write
    (`portfolio.counts`; `manage.py check_evidence_counts` proves them equal to the items)."""
    sql = f"SELECT COALESCE(SUM(n), 0) FROM {_COUNTS} WHERE learner_id = %s"  # noqa: S608
    params: list[Any] = [learner.pk]
    if _known_kind(kind):
        sql += " AND kind = %s"
        params.append(kind)
    return Read(sql, params, lambda rows: int(rows[0][0]))


def own_evidence_page_read(
    *,
    learner: User,
    fields: Sequence[str],
    offset: int,
    limit: int,
    kind: str = "",
    ordering: Sequence[str] = (),
) -> Read[list[dict[str, Any]]]:
    """A page of the learner's items (of `kind`, in `ordering` or the model's) as plain rows
    of `fields`."""
    names = tuple(fields)
    page = _own_evidence_compiled(kind, names, tuple(ordering)).read_page(
        offset=offset, limit=limit, learner=learner.pk
    )
    return page.then(lambda rows: [dict(zip(names, row, strict=True)) for row in rows])


def own_evidence_page_tags_read(
    *, learner: User, offset: int, limit: int, kind: str = "", ordering: Sequence[str] = ()
) -> Read[dict[int, list[CompetencyTag]]]:
    """The competencies of the same page's items (`competencies_of_evidence_read`'s answer; an
    item without any is absent), its ids picked by the page's own compiled statement."""
    page = _own_evidence_compiled(kind, ("id",), tuple(ordering)).read_page(
        offset=offset, limit=limit, learner=learner.pk
    )

    return Read(_TAGS_SQL.format(ids=page.sql), page.params, partial(_tags_by_item, ()))


def goals_visible_to(
    *, viewer: User, learner: User, access: Access | None = None
) -> QuerySet[Goal]:
    """The learner's goals that `viewer` may read, with competencies and progress notes.

    Evidence linked to a goal is listed only when the evidence itself is visible to `viewer`.
    """
    access = _access(viewer, learner, access)
    goals = Goal.objects.filter(learner=learner)
    if not access.allows(Scope.GOALS):
        if not access.shared_goal_ids:
            return Goal.objects.none()
        goals = goals.filter(pk__in=sorted(access.shared_goal_ids))
    return goals.prefetch_related(
        "competencies__framework",
        Prefetch(
            "evidence",
            queryset=evidence_visible_to(viewer=viewer, learner=learner, access=access),
        ),
        Prefetch("progress_notes", queryset=GoalProgressNote.objects.order_by("-noted_on", "-id")),
    )


def self_assessments_visible_to(
    *, viewer: User, learner: User, access: Access | None = None
) -> QuerySet[SelfAssessment]:
    """The learner's self-assessments that `viewer` may read, newest first."""
    access = _access(viewer, learner, access)
    if not access.allows(Scope.CHECKINS):
        return SelfAssessment.objects.none()
    return (
        SelfAssessment.objects.filter(learner=learner)
        .select_related("competency", "competency__framework")
        .order_by("-assessed_on", "-created_at", "-id")
    )


# A check-in's items in the order of its framework (services hand new ones on in this order).
CHECKIN_ITEM_ORDER = ("competency__order", "id")


def checkin_item_order(item: SelfAssessment) -> tuple[int, int]:
    """`CHECKIN_ITEM_ORDER` for items in memory."""
    return (item.competency.order, item.pk)


def checkins_visible_to(
    *, viewer: User, learner: User, access: Access | None = None
) -> QuerySet[CheckIn]:
    """The learner's check-ins that `viewer` may read, newest first, with their items."""
    access = _access(viewer, learner, access)
    if not access.allows(Scope.CHECKINS):
        return CheckIn.objects.none()
    return (
        CheckIn.objects.filter(learner=learner)
        .select_related("framework")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=SelfAssessment.objects.select_related(
                    "competency", "competency__framework"
                ).order_by(*CHECKIN_ITEM_ORDER),
            )
        )
        .order_by("-created_at", "-id")
    )


def access_log_of(*, viewer: User, learner: User) -> QuerySet[AccessLog]:
    """The learner's access log. Only the learner reads it: it is about them."""
    if viewer.pk != learner.pk:
        return AccessLog.objects.none()
    return AccessLog.objects.filter(learner=learner).select_related("grant", "grant__program")


def profile_of(*, learner: User) -> LearnerProfile | None:
    return LearnerProfile.objects.filter(learner=learner).first()


_TIMELINE_ENTRY = Selection(TimelineEntry)
_TIMELINE_ENTRIES_SQL = f"""
SELECT {_TIMELINE_ENTRY.columns("t")} FROM {TimelineEntry._meta.db_table} t
WHERE t.learner_id = %s ORDER BY t.start_date, t.id"""  # noqa: S608 — our names


def timeline_entries_of(*, learner: User) -> QuerySet[TimelineEntry]:
    """The learner's stages outside this deployment, oldest first; nobody else's."""
    return TimelineEntry.objects.filter(learner=learner).order_by("start_date", "pk")


def timeline_entries_read(*, learner: User) -> Read[list[TimelineEntry]]:
    """Stages held outside this deployment; `programs.selectors.enrollments_read` has the
    rest. A plain statement, like that one: the progress page reads both on every visit."""
    return Read(_TIMELINE_ENTRIES_SQL, [learner.pk], _TIMELINE_ENTRY.build_all)


def transfers_of(*, learner: User) -> QuerySet[PortfolioTransfer]:
    """The learner's export and import jobs. Nobody else sees them."""
    return PortfolioTransfer.objects.filter(learner=learner)


def kept_records_of(*, learner: User) -> QuerySet[ImportedRecord]:
    """Records kept from the learner's imported archives (committee reviews, coaching threads,
    credentials…), newest import first. Only the learner sees them."""
    return ImportedRecord.objects.filter(learner=learner, kind=ImportedRecord.Kind.RECORD).order_by(
        "-created_at", "-id"
    )


def own_evidence_choices(*, learner: User) -> QuerySet[Evidence]:
    """Evidence a learner may link to their own goals and self-assessments."""
    return Evidence.objects.filter(learner=learner).only("id", "title", "kind", "occurred_on")


def scope_of(item: object) -> Scope:
    """Which share scope an item belongs to."""
    if isinstance(item, Evidence):
        return item.scope
    if isinstance(item, Goal | GoalProgressNote):
        return Scope.GOALS
    if isinstance(item, SelfAssessment | CheckIn):
        return Scope.CHECKINS
    raise TypeError(f"{type(item).__name__} is not a learner-owned item")
