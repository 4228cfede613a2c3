"""The audit log records administration with who, what, when, before and after, is read by
administrators only, and cannot be changed."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from accounts.services import api_token_create, api_token_revoke
from audit.models import AuditEvent
from audit.services import audit_record
from programs import services as programs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_granting_and_revoking_a_role_is_recorded_with_who_and_what(program, director):
    role = programs.program_role_grant(
        program=program, email="new.coach@example.org", role="coach", by=director
    )
    programs.program_role_revoke(program_role=role, by=director)

    revoked, granted = AuditEvent.objects.all()[:2]
    assert (granted.action, granted.actor, granted.actor_email) == (
        "program_role.grant",
        director,
        director.email,
    )
    assert granted.after == {
        "person": "new.coach@example.org",
        "role": "coach",
        "program": program.name,
    }
    assert granted.institution_id == program.institution_id
    assert revoked.action == "program_role.revoke"
    assert revoked.before == granted.after and revoked.after is None


def test_granting_a_role_someone_already_holds_records_nothing(program, director, coach):
    programs.program_role_grant(program=program, email=coach.email, role="coach", by=director)

    assert not AuditEvent.objects.exists()


def test_a_settings_change_records_only_the_fields_that_changed(program, director):
    programs.program_update(
        program=program,
        name=program.name,
        specialty=program.specialty,
        duration_years=program.duration_years + 1,
        review_months=program.review_months,
        year_start_month=program.year_start_month,
        frameworks=program.frameworks.all(),
        by=director,
    )

    event = AuditEvent.objects.get()
    assert event.action == "program.update"
    assert event.before == {"duration_years": program.duration_years - 1}
    assert event.after == {"duration_years": program.duration_years}
    assert event.changes() == [
        ("duration_years", program.duration_years - 1, program.duration_years)
    ]


def test_a_roster_import_is_recorded_with_its_counts(program, director):
    data = b"email,name,training_year,start_date\nnew@example.org,New Person,1,2025-07-01\n"

    programs.roster_import(program=program, data=data, by=director)

    event = AuditEvent.objects.get(action="roster.import")
    assert event.actor == director
    assert event.after == {
        "rows": 1,
        "accounts_created": 1,
        "enrollments_created": 1,
        "enrollments_updated": 0,
    }


def test_a_failed_import_records_nothing(program, director):
    with pytest.raises(programs.RosterImportError):
        programs.roster_import(program=program, data=b"email\nnot-an-email\n", by=director)

    assert not AuditEvent.objects.exists()


def test_creating_and_revoking_an_api_token_is_recorded_without_its_secret(learner):
    token, key = api_token_create(user=learner, name="Calendar sync")
    api_token_revoke(token=token, by=learner)

    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor"))
    assert actions == [("api_token.create", learner.pk), ("api_token.revoke", learner.pk)]
    for event in AuditEvent.objects.all():
        assert key not in str(event.before) + str(event.after)


def test_the_log_refuses_changes_through_the_orm(learner):
    event = audit_record(actor=learner, action="test.thing", after={"a": 1})

    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    event.action = "forged"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    assert AuditEvent.objects.get().action == "test.thing"


@pytest.mark.postgres
def test_the_database_refuses_updates_and_deletes_of_the_log(learner):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    event = audit_record(actor=learner, action="test.thing")
    table = AuditEvent._meta.db_table

    for statement in (
        f"UPDATE {table} SET action = 'forged' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="never changed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get().action == "test.thing"


def test_deleting_a_person_keeps_their_entries(learner):
    audit_record(actor=learner, action="test.thing")
    email = learner.email

    learner.delete()

    assert AuditEvent.objects.get().actor_email == email


def test_the_admin_offers_no_way_to_add_change_or_delete(admin_user):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = admin_user
    model_admin = site._registry[AuditEvent]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


def test_administrators_read_the_log_on_its_page_and_in_the_api(client, admin_user, director):
    audit_record(actor=director, action="program_role.grant", target_label="Someone · Coach")
    client.force_login(admin_user)

    page = client.get("/audit/")
    api = client.get("/api/v1/audit/events/?action=program_role.grant")

    assert b"program_role.grant" in page.content and b"Someone" in page.content
    assert [e["actor_email"] for e in api.json()["results"]] == [director.email]
    assert client.get("/api/v1/audit/events/?action=other").json()["results"] == []


@pytest.mark.parametrize("size", [2, 7])
def test_the_log_page_and_api_run_a_fixed_number_of_queries(
    client, admin_user, size, django_assert_num_queries
):
    for n in range(size):
        audit_record(actor=UserFactory(), action=f"test.action{n % 3}", after={"n": n})
    client.force_login(admin_user)
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 the institutions they administer, 4 a page of events.
        client.get("/api/v1/audit/events/")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        # 1 session, 2 user, 3 the institutions they administer, 4 count for the pager, 5 a
        # page of events, 6 the action filter's choices, 7 navigation roles.
        client.get("/audit/")


def test_expected_levels_record_each_changed_level_before_and_after(program, director):
    from programs.tests.factories import program_with_framework

    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    first, second = leaves
    default = program.default_expected_level(1)
    programs.expectations_update(
        program=program,
        levels={(first.pk, 1): default + 1, (second.pk, 1): default},
        by=director,
    )

    event = AuditEvent.objects.get(action="expectations.update")
    assert event.before == {f"{first.code} year 1": None}
    assert event.after == {f"{first.code} year 1": str(default + 1)}


def test_a_cohort_and_a_review_period_are_recorded(program, director):
    import datetime as dt

    programs.cohort_create(program=program, name="Class of 2030", start_year=2027, by=director)
    period = programs.review_period_create(
        program=program,
        name="",
        start_date=dt.date(2027, 7, 1),
        end_date=dt.date(2027, 12, 31),
        by=director,
    )
    programs.review_period_update(
        period=period,
        name=period.name,
        start_date=period.start_date,
        end_date=period.end_date,
        is_year_end=True,
        by=director,
    )

    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor"))
    assert actions == [
        ("cohort.create", director.pk),
        ("review_period.create", director.pk),
        ("review_period.update", director.pk),
    ]
    assert AuditEvent.objects.get(action="review_period.update").after == {"is_year_end": True}


# ---------------------------------------------------- institution administrators read their own


def test_an_institution_administrator_reads_only_their_institutions_events(client, director):
    from programs.models import InstitutionRole
    from tests import factories

    ours = factories.ProgramFactory()
    theirs = factories.ProgramFactory()
    assert ours.institution_id != theirs.institution_id
    reader = UserFactory(email="it.lead@northbridge.edu")
    programs.institution_role_grant(institution=ours.institution, user=reader, by=None)
    audit_record(actor=director, action="program.update", institution_id=ours.institution_id)
    audit_record(
        actor=director, action="identity_provider.update", institution_id=ours.institution_id
    )
    audit_record(actor=director, action="program.update", institution_id=theirs.institution_id)
    audit_record(actor=director, action="catalogue.import")  # no institution: superusers'
    client.force_login(reader)

    api = client.get("/api/v1/audit/events/").json()["results"]
    assert {(e["action"], e["institution_id"]) for e in api} == {
        ("institution_role.grant", ours.institution_id),
        ("program.update", ours.institution_id),
        ("identity_provider.update", ours.institution_id),
    }
    page = client.get("/audit/?action=program.update")
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 1
    # The filter offers only the actions this reader can see.
    assert "catalogue.import" not in page.context["actions"]

    # Revoked: the log is closed to them again.
    role = InstitutionRole.objects.get(user=reader)
    programs.institution_role_revoke(institution_role=role, by=None)
    assert client.get("/audit/").status_code == 404
    assert client.get("/api/v1/audit/events/").status_code == 404


def test_granting_and_revoking_an_institution_administrator_is_recorded(admin_user):
    from tests import factories

    institution = factories.ProgramFactory().institution
    reader = UserFactory(email="it.lead@northbridge.edu")
    role = programs.institution_role_grant(institution=institution, user=reader, by=admin_user)
    again = programs.institution_role_grant(institution=institution, user=reader, by=admin_user)
    assert again.pk == role.pk
    programs.institution_role_revoke(institution_role=role, by=admin_user)

    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["institution_role.grant", "institution_role.revoke"]
    assert events[0].after == {
        "person": "it.lead@northbridge.edu",
        "role": "admin",
        "institution": institution.name,
    }
    assert events[1].before == events[0].after
    assert {e.institution_id for e in events} == {institution.pk}


def test_the_admin_grants_and_revokes_institution_administrators_through_the_services(
    client, admin_user
):
    from programs.models import InstitutionRole
    from tests import factories

    institution = factories.ProgramFactory().institution
    reader = UserFactory(email="it.lead@northbridge.edu")
    client.force_login(admin_user)
    response = client.post(
        "/admin/programs/institutionrole/add/",
        {"institution": institution.pk, "user": reader.pk, "role": "admin"},
    )
    assert response.status_code == 302, response.content[:3000]
    role = InstitutionRole.objects.get()
    response = client.post(f"/admin/programs/institutionrole/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not InstitutionRole.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor"))
    assert actions == [
        ("institution_role.grant", admin_user.pk),
        ("institution_role.revoke", admin_user.pk),
    ]
