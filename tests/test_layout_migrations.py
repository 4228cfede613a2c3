"""Moving models between apps keeps every row: a populated database at the layout before a
move migrates to the latest layout and back again with every row and every value kept.

A move renames its tables in the old app (AlterModelTable), takes the models over state-only
in the new app (SeparateDatabaseAndState) and moves their content types, so admin history and
permissions follow. Each entry of MOVES is one move; the test below runs once per entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph

# (app label, migration name); a name of None means no migration of that app is applied.
Target = tuple[str, str | None]
# Model label → primary key → column values: everything a database layout holds.
Rows = dict[str, dict[object, dict[str, object]]]


@dataclass(frozen=True)
class Move:
    """One re-layering step, as the test sees it.

    before: for each app the move changes, its last migration before the move; every other
        app stays at its latest migration unless it depends on the move.
    models: ("old_app.Model", "new_app.Model") for every model whose table moves, including
        auto-created many-to-many tables ("app.Model_field").
    fill: creates, through the historical models of the "before" layout, a small realistic set
        of rows of the moving models and of the rows they point at or that point at them.
    add: after the move, creates exactly one more row of each moved model through the new
        models (a stale primary key sequence makes it fail).
    """

    before: dict[str, str]
    models: list[tuple[str, str]]
    fill: Callable[[Apps], None]
    add: Callable[[Apps], None]

    @property
    def old_labels(self) -> list[str]:
        return [old for old, _ in self.models]

    @property
    def new_labels(self) -> list[str]:
        return [new for _, new in self.models]

    @property
    def renames(self) -> dict[str, str]:
        return {old.lower(): new.lower() for old, new in self.models}

    @property
    def id(self) -> str:
        old_apps = sorted({old.split(".")[0] for old, _ in self.models})
        new_apps = sorted({new.split(".")[0] for _, new in self.models})
        return f"{'+'.join(old_apps)}-to-{'+'.join(new_apps)}"


# --- Moves -----------------------------------------------------------------------------------

AT = dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC)


def fill_notifications(apps: Apps) -> None:
    """A learner who reads some notifications and gets the rest in a daily digest, her coach
    who is emailed at once, and an admin whose change of a notification is in the admin log."""
    User = apps.get_model("accounts", "User")
    Digest = apps.get_model("coaching", "Digest")
    Notification = apps.get_model("coaching", "Notification")
    Preference = apps.get_model("coaching", "NotificationPreference")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    LogEntry = apps.get_model("admin", "LogEntry")

    lena = User.objects.create(email="lena@example.org", display_name="Lena", password="!")
    carl = User.objects.create(email="carl@example.org", display_name="Carl", password="!")
    ada = User.objects.create(email="ada@example.org", is_staff=True, password="!")

    Preference.objects.create(user=lena, kind="comment", frequency="daily")
    Preference.objects.create(user=lena, kind="reminder_goal", frequency="off")
    Preference.objects.create(user=carl, kind="coach_digest", frequency="immediately")

    sent = Digest.objects.create(
        recipient=lena,
        kind="daily",
        period_start=AT.date(),
        status="sent",
        subject="2 notifications",
        body="Carl commented on your goal.\nCarl accepted your invitation.",
        attempts=1,
        sent_at=AT + dt.timedelta(hours=20),
    )
    Digest.objects.create(
        recipient=lena, kind="daily", period_start=AT.date() - dt.timedelta(days=1), status="empty"
    )
    Digest.objects.create(
        recipient=carl,
        kind="coach_weekly",
        period_start=AT.date() - dt.timedelta(days=2),
        status="failed",
        attempts=2,
    )

    # Read and emailed in the digest.
    Notification.objects.create(
        recipient=lena,
        kind="comment",
        title="Carl commented on your goal",
        body="Try the **spaced** version.",
        url="/portfolio/goals/7/",
        created_at=AT,
        read_at=AT + dt.timedelta(hours=2),
        email_status="sent",
        email_attempts=1,
        claimed_at=AT + dt.timedelta(hours=20),
        emailed_at=AT + dt.timedelta(hours=20),
        digest=sent,
    )
    # The same dedupe key for both people it concerns; unread.
    for recipient, status in ((lena, "digest"), (carl, "pending")):
        Notification.objects.create(
            recipient=recipient,
            kind="relationship",
            title="Coaching accepted",
            url="/coaching/",
            dedupe_key="relationship:3:accepted",
            created_at=AT + dt.timedelta(minutes=5),
            email_status=status,
        )
    Notification.objects.create(
        recipient=lena,
        kind="reminder_goal",
        title="2 goals are overdue",
        dedupe_key="goals-overdue:2026-W48",
        created_at=AT,
        email_status="skipped",
    )
    failed = Notification.objects.create(
        recipient=carl,
        kind="meeting",
        title="Meeting moved",
        created_at=AT,
        email_status="failed",
        email_attempts=3,
        claimed_at=AT + dt.timedelta(minutes=1),
    )

    notification_type = ContentType.objects.get(app_label="coaching", model="notification")
    view, _ = Permission.objects.get_or_create(
        content_type=notification_type,
        codename="view_notification",
        defaults={"name": "Can view notification"},
    )
    ada.user_permissions.add(view)
    LogEntry.objects.create(
        action_time=AT,
        user=ada,
        content_type=notification_type,
        object_id=str(failed.pk),
        object_repr="meeting for Carl: Meeting moved",
        action_flag=2,
        change_message='[{"changed": {"fields": ["Email status"]}}]',
    )


def add_notifications(apps: Apps) -> None:
    """Tomorrow's digest, a notification waiting for it, and one more preference."""
    lena = apps.get_model("accounts", "User").objects.get(email="lena@example.org")
    digest = apps.get_model("notifications", "Digest").objects.create(
        recipient=lena, kind="daily", period_start=AT.date() + dt.timedelta(days=1)
    )
    apps.get_model("notifications", "Notification").objects.create(
        recipient=lena, kind="meeting", title="Meeting tomorrow", digest=digest
    )
    apps.get_model("notifications", "NotificationPreference").objects.create(
        user=lena, kind="meeting", frequency="daily"
    )


def _program_world(apps: Apps, program_app: str = "programs") -> dict[str, object]:
    """An institution's residency with one review period, two sub-competencies of a milestone
    framework, two residents and a director: what committee rows point at."""
    User = apps.get_model("accounts", "User")
    people = {
        name: User.objects.create(
            email=f"{name}@example.org", display_name=name.title(), password="!"
        )
        for name in ("ines", "omar", "dee")
    }
    scale = apps.get_model("frameworks", "RatingScale").objects.create(
        code="ms-review", name="Milestones", kind="milestone"
    )
    framework = apps.get_model("frameworks", "Framework").objects.create(
        code="fw-review", version="2", name="Review test", kind="milestones", scale=scale
    )
    Competency = apps.get_model("frameworks", "Competency")
    competencies = [
        Competency.objects.create(framework=framework, code=code, title=code, order=n)
        for n, code in enumerate(("MK1", "ICS2"))
    ]
    institution = apps.get_model(program_app, "Institution").objects.create(
        name="Harbour University", slug="harbour"
    )
    program = apps.get_model(program_app, "Program").objects.create(
        institution=institution, name="Internal Medicine", slug="im", stage="gme"
    )
    period = apps.get_model(program_app, "ReviewPeriod").objects.create(
        program=program,
        name="Winter 2026",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
    )
    return {"people": people, "competencies": competencies, "period": period}


def fill_period_summaries(apps: Apps) -> None:
    """Period rating summary cells of two residents, one of them on both competencies."""
    world = _program_world(apps)
    people, (mk1, ics2) = world["people"], world["competencies"]
    Summary = apps.get_model("programs", "PeriodRatingSummary")
    for learner, competency, median, n in (
        (people["ines"], mk1, 2.5, 3),
        (people["ines"], ics2, 3.0, 1),
        (people["omar"], mk1, 1.75, 4),
    ):
        Summary.objects.create(
            period=world["period"], learner=learner, competency=competency, median=median, n=n
        )


def add_period_summaries(apps: Apps) -> None:
    """Omar's first rating on the second competency."""
    Competency = apps.get_model("frameworks", "Competency")
    apps.get_model("assessments", "PeriodRatingSummary").objects.create(
        period=apps.get_model("programs", "ReviewPeriod").objects.get(),
        learner=apps.get_model("accounts", "User").objects.get(email="omar@example.org"),
        competency=Competency.objects.get(code="ICS2"),
        median=2.0,
        n=1,
    )


def fill_committee_reviews(apps: Apps) -> None:
    """Ines's review signed off with two consensus ratings (one amended after sign-off, its
    first version kept) and her response; Omar's review still a draft."""
    world = _program_world(apps)
    people, (mk1, ics2), period = world["people"], world["competencies"], world["period"]
    Review = apps.get_model("programs", "LearnerReview")
    signed = Review.objects.create(
        period=period,
        learner=people["ines"],
        training_year=2,
        status="signed_off",
        summary="On track.",
        signed_off_by=people["dee"],
        signed_off_at=AT,
        learner_response="Thank you.",
        responded_at=AT,
    )
    Review.objects.create(period=period, learner=people["omar"], training_year=1)
    Rating = apps.get_model("programs", "ConsensusRating")
    Rating.objects.create(
        review=signed,
        competency=mk1,
        level="2.5",
        rationale="Steady.",
        version=1,
        is_current=False,
        recorded_by=people["dee"],
        recorded_at=AT,
    )
    Rating.objects.create(
        review=signed,
        competency=mk1,
        level="3.0",
        rationale="Steady.",
        version=2,
        amendment_reason="A late observation.",
        recorded_by=people["dee"],
        recorded_at=AT,
    )
    Rating.objects.create(
        review=signed,
        competency=ics2,
        level="3.0",
        rationale="Clear with families.",
        recorded_by=people["dee"],
        recorded_at=AT,
    )


def add_committee_reviews(apps: Apps) -> None:
    """A review of the next period for Omar, with its first consensus rating."""
    first = apps.get_model("programs", "ReviewPeriod").objects.get()
    period = apps.get_model("programs", "ReviewPeriod").objects.create(
        program=first.program,
        name="Summer 2026",
        start_date=dt.date(2026, 7, 1),
        end_date=dt.date(2026, 12, 31),
    )
    review = apps.get_model("committee", "LearnerReview").objects.create(
        period=period,
        learner=apps.get_model("accounts", "User").objects.get(email="omar@example.org"),
        training_year=1,
    )
    apps.get_model("committee", "ConsensusRating").objects.create(
        review=review,
        competency=apps.get_model("frameworks", "Competency").objects.get(code="MK1"),
        level="2.0",
        rationale="Building up.",
        recorded_at=AT,
    )


def fill_evidence_links(apps: Apps) -> None:
    """A learner's check-in whose two self-assessments are backed by three of her evidence
    items (one backs both), and another self-assessment with none."""
    User = apps.get_model("accounts", "User")
    rae = User.objects.create(email="rae@example.org", display_name="Rae", password="!")
    scale = apps.get_model("frameworks", "RatingScale").objects.create(
        code="ms-move", name="Milestones", kind="milestone"
    )
    framework = apps.get_model("frameworks", "Framework").objects.create(
        code="fw-move", version="1", name="Move test", kind="milestones", scale=scale
    )
    Competency = apps.get_model("frameworks", "Competency")
    pc1, pc2 = (
        Competency.objects.create(framework=framework, code=code, title=code, order=n)
        for n, code in enumerate(("PC1", "PC2"))
    )
    checkin = apps.get_model("assessments", "CheckIn").objects.create(learner=rae)
    SelfAssessment = apps.get_model("assessments", "SelfAssessment")
    first, second, _unlinked = (
        SelfAssessment.objects.create(
            learner=rae, competency=competency, level="2.5", assessed_on=AT.date(), checkin=checkin
        )
        for competency in (pc1, pc2, pc1)
    )
    Evidence = apps.get_model("portfolio", "Evidence")
    log, paper, talk = (
        Evidence.objects.create(learner=rae, kind=kind, title=title, occurred_on=AT.date())
        for kind, title in (
            ("case_log", "Night shift"),
            ("document", "Paper"),
            ("document", "Talk"),
        )
    )
    first.evidence.add(log, paper)
    second.evidence.add(paper, talk)


def add_evidence_links(apps: Apps) -> None:
    """One more link, made from the evidence side that now owns it."""
    talk = apps.get_model("portfolio", "Evidence").objects.get(title="Talk")
    first = apps.get_model("assessments", "SelfAssessment").objects.order_by("id").first()
    talk.self_assessments.add(first)


MOVES = [
    Move(
        before={"coaching": "0001_initial"},
        models=[
            ("coaching.Notification", "notifications.Notification"),
            ("coaching.NotificationPreference", "notifications.NotificationPreference"),
            ("coaching.Digest", "notifications.Digest"),
        ],
        fill=fill_notifications,
        add=add_notifications,
    ),
    Move(
        before={"programs": "0004_fill_period_rating_summary"},
        models=[("programs.PeriodRatingSummary", "assessments.PeriodRatingSummary")],
        fill=fill_period_summaries,
        add=add_period_summaries,
    ),
    Move(
        before={"programs": "0005_move_period_rating_summary_to_assessments"},
        models=[
            ("programs.LearnerReview", "committee.LearnerReview"),
            ("programs.ConsensusRating", "committee.ConsensusRating"),
        ],
        fill=fill_committee_reviews,
        add=add_committee_reviews,
    ),
    Move(
        before={"assessments": "0008_period_rating_summary"},
        models=[("assessments.SelfAssessment_evidence", "portfolio.Evidence_self_assessments")],
        fill=fill_evidence_links,
        add=add_evidence_links,
    ),
]


# --- Migrating -------------------------------------------------------------------------------


def latest(graph: MigrationGraph) -> list[Target]:
    return list(graph.leaf_nodes())


def layout_before(graph: MigrationGraph, before: dict[str, str]) -> list[Target]:
    """The last migration of every app once the migrations after `before`, and every
    migration that depends on them, are rolled back."""
    undone: set[tuple[str, str]] = set()
    for app, name in before.items():
        for child in graph.node_map[(app, name)].children:
            if child.key[0] == app:
                undone.update(graph.backwards_plan(child.key))
    targets: list[Target] = []
    for app in sorted({app for app, _ in graph.nodes}):
        kept = {node for node in graph.nodes if node[0] == app and node not in undone}
        last = [
            node
            for node in kept
            if not kept & {child.key for child in graph.node_map[node].children}
        ]
        assert len(last) <= 1, f"{app} has more than one last migration: {last}"
        targets.append(last[0] if last else (app, None))
    return targets


def migrate(targets: Callable[[MigrationGraph], list[Target]]) -> Apps:
    """Migrate the test database to the targets; return the historical models there."""
    executor = MigrationExecutor(connection)
    nodes = targets(executor.loader.graph)
    executor.migrate(nodes)
    applied = [node for node in nodes if node[1] is not None]
    return executor.loader.project_state(applied).apps


@pytest.fixture
def latest_layout_afterwards(transactional_db: None) -> Iterator[None]:
    """However a test ends, the tests after it find every migration applied."""
    try:
        yield
    finally:
        migrate(latest)


# --- Reading ---------------------------------------------------------------------------------


def rows(apps: Apps) -> Rows:
    """Every row of every table the historical models know."""
    snapshot: Rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        pk = model._meta.pk.attname
        snapshot[model._meta.label_lower] = {row[pk]: row for row in model.objects.values()}
    return snapshot


def moved(before: Rows) -> Rows:
    """The rows as they should read after the move: same keys and values, under the new
    model labels, and the content types of the moved models naming their new app. Migrating
    forward from before an early move replays the later ones too, so every move's renames
    apply (a rename whose old label is gone by then matches nothing)."""
    renames = {old: new for each in MOVES for old, new in each.renames.items()}
    after = {renames.get(label, label): table for label, table in before.items()}
    content_types = after["contenttypes.contenttype"] = {}
    for pk, row in before["contenttypes.contenttype"].items():
        label = renames.get(f"{row['app_label']}.{row['model']}")
        if label:
            app_label, model = label.split(".")
            row = {**row, "app_label": app_label, "model": model}
        content_types[pk] = row
    return after


def content_type_ids(apps: Apps, labels: list[str]) -> dict[str, int | None]:
    ContentType = apps.get_model("contenttypes", "ContentType")
    ids = {}
    for label in labels:
        app_label, model = label.lower().split(".")
        found = ContentType.objects.filter(app_label=app_label, model=model).first()
        ids[label] = found.pk if found else None
    return ids


def content_types_ensured(apps: Apps, labels: list[str]) -> dict[str, int | None]:
    """The content types the old layout's post_migrate would have created."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for label in labels:
        app_label, model = label.lower().split(".")
        ContentType.objects.get_or_create(app_label=app_label, model=model)
    return content_type_ids(apps, labels)


def tables_of(apps: Apps, labels: list[str]) -> set[str]:
    return {apps.get_model(label)._meta.db_table for label in labels}


def assert_tables(present: set[str], gone: set[str]) -> None:
    existing = set(connection.introspection.table_names())
    assert present - existing == set(), "tables missing"
    assert (gone - present) & existing == set(), "tables left behind"


def assert_rows_kept(expected: Rows, actual: Rows) -> None:
    """Every table holds the expected rows, each with every expected value. Later migrations
    may add tables and columns, but no row or value may be lost or changed."""
    assert {label: len(actual.get(label, {})) for label in expected} == {
        label: len(table) for label, table in expected.items()
    }
    for label, table in expected.items():
        for pk, row in table.items():
            found = actual[label].get(pk, {})
            assert {column: found.get(column, "<missing>") for column in row} == row, (
                f"{label} #{pk}"
            )


# --- The test --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_layout_afterwards")
@pytest.mark.parametrize("move", MOVES, ids=lambda move: move.id)
def test_a_move_keeps_every_row_forwards_and_backwards(move: Move) -> None:
    def before(graph: MigrationGraph) -> list[Target]:
        return layout_before(graph, move.before)

    old_apps = migrate(before)
    old_tables = tables_of(old_apps, move.old_labels)
    # Auto-created many-to-many tables have no content type.
    typed = [pair for pair in move.models if not old_apps.get_model(pair[0])._meta.auto_created]
    old_typed, new_typed = [old for old, _ in typed], [new for _, new in typed]
    assert content_type_ids(old_apps, new_typed) == dict.fromkeys(new_typed), (
        "migrating back gives the content types back to the old app"
    )
    old_types = content_types_ensured(old_apps, old_typed)
    move.fill(old_apps)
    filled = rows(old_apps)
    for label in move.old_labels:
        assert filled[label.lower()], f"the fill creates no {label}"

    new_apps = migrate(latest)
    new_tables = tables_of(new_apps, move.new_labels)
    assert_tables(present=new_tables, gone=old_tables)
    after = rows(new_apps)
    assert_rows_kept(moved(filled), after)
    assert content_type_ids(new_apps, new_typed) == {new: old_types[old] for old, new in typed}
    assert content_type_ids(new_apps, old_typed) == dict.fromkeys(old_typed)

    old_apps = migrate(before)
    assert_tables(present=old_tables, gone=new_tables)
    assert_rows_kept(filled, rows(old_apps))

    # Forwards again, then new rows: their ids come after every kept row's, on PostgreSQL
    # from the identity sequence that followed its table through both renames.
    new_apps = migrate(latest)
    move.add(new_apps)
    added = rows(new_apps)
    for label in move.new_labels:
        new_ids = set(added[label.lower()]) - set(after[label.lower()])
        assert len(new_ids) == 1, f"add creates one {label}"
        assert new_ids.pop() > max(after[label.lower()])
