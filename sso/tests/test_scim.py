"""SCIM 2.0 provisioning through real HTTP requests (Django's test client) against PostgreSQL:
what a client may create, change and end, and what it may never see or touch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from programs.models import Enrollment, ProgramRole
from sso.models import EmailDomain, IdentityProvider, ScimToken, ScimUser
from sso.scim.services import GROUP_EXTENSION, scim_token_create
from tests import factories

pytestmark = pytest.mark.django_db
SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


class Scim:
    """A provisioning client for one institution."""

    def __init__(self, key: str):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def call(self, method: str, path: str, body: Any = None, raw: str | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        if method == "get":
            data = None
        response = getattr(self.client, method)(
            f"/scim/v2/{path}", data=data, content_type=SCIM, **self.headers
        )
        payload = json.loads(response.content) if response.content else None
        return response, payload


def _institution(domain: str, authoritative: bool = True):
    institution = factories.InstitutionFactory()
    provider = IdentityProvider.objects.create(
        institution=institution,
        name=f"IdP {domain}",
        slug=domain.replace(".", "-"),
        protocol=IdentityProvider.Protocol.OIDC,
    )
    EmailDomain.objects.create(provider=provider, domain=domain, authoritative=authoritative)
    program = factories.ProgramFactory(institution=institution, slug="im")
    _, key = scim_token_create(institution=institution, name="test")
    return institution, program, Scim(key)


@pytest.fixture
def north():
    return _institution("north.edu")


@pytest.fixture
def south():
    return _institution("south.edu")


def _user(email: str, **more: Any) -> dict[str, Any]:
    return {"schemas": [USER], "userName": email, "name": {"givenName": "Ada", "familyName": "L"},
            **more}  # fmt: skip


def test_create_read_filter_and_discovery(north):
    _, _, scim = north
    response, body = scim.call("post", "Users", _user("ada@north.edu", externalId="e1"))
    assert response.status_code == 201, body
    assert response["Content-Type"] == SCIM
    assert response["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["userName"] == "ada@north.edu" and body["active"] is True
    account = User.objects.get(email="ada@north.edu")
    assert account.first_name == "Ada" and not account.has_usable_password()
    assert account.emailaddress_set.get().verified  # authoritative domain

    response, found = scim.call("get", 'Users?filter=userName eq "ADA@north.edu"')
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == body["id"]
    _, none = scim.call("get", 'Users?filter=userName eq "bob@north.edu"')
    assert none["totalResults"] == 0 and none["Resources"] == []
    _, past_the_end = scim.call("get", f"Users?startIndex={2**90}&count={2**90}")
    assert past_the_end["totalResults"] == 1 and past_the_end["Resources"] == []
    _, one = scim.call("get", f"Users/{body['id']}")
    assert one["externalId"] == "e1"

    _, config = scim.call("get", "ServiceProviderConfig")
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    _, types = scim.call("get", "ResourceTypes")
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    response, schema = scim.call("get", f"Schemas/{USER}")
    assert response.status_code == 200 and schema["name"] == "User"


def test_put_and_patch_update_the_record(north):
    _, _, scim = north
    _, body = scim.call("post", "Users", _user("ada@north.edu"))
    response, put = scim.call("put", f"Users/{body['id']}", _user("ada@north.edu",
                              name={"givenName": "Ada", "familyName": "Lovelace"}))  # fmt: skip
    assert response.status_code == 200 and put["name"]["familyName"] == "Lovelace"
    assert User.objects.get(email="ada@north.edu").last_name == "Lovelace"
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "replace", "value": {"externalId": "x9"}},
        ],
    }
    response, patched = scim.call("patch", f"Users/{body['id']}", patch)
    assert response.status_code == 200, patched
    assert patched["name"]["givenName"] == "Augusta" and patched["externalId"] == "x9"


def _group(scim: Scim, name: str, members: list[str]) -> dict[str, Any]:
    response, body = scim.call("post", "Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name, "members": [{"value": m} for m in members],
    })  # fmt: skip
    assert response.status_code == 201, body
    return body


def test_groups_give_roles_and_deactivation_ends_them_at_that_institution_only(north, south):
    _, north_program, north_scim = north
    _, south_program, _ = south
    # The same person: provisioned by north; also a faculty member at south (granted by hand).
    _, ada = north_scim.call("post", "Users", _user("ada@north.edu"))
    account = User.objects.get(email="ada@north.edu")
    ProgramRole.objects.create(program=south_program, user=account, role="faculty")
    south_enrollment = Enrollment.objects.create(
        learner=account, program=south_program, start_date=timezone.localdate()
    )

    coaches = _group(north_scim, "im:coach", [ada["id"]])
    learners = _group(north_scim, "im:learner", [ada["id"]])
    assert ProgramRole.objects.filter(program=north_program, user=account, role="coach").exists()
    assert Enrollment.objects.current().filter(learner=account, program=north_program).exists()
    _, listed = north_scim.call("get", f"Users/{ada['id']}")
    assert {g["display"] for g in listed["groups"]} == {"im:coach", "im:learner"}

    # PATCH active=false: the roles and enrollment at north end; south and the account stay.
    response, _ = north_scim.call("patch", f"Users/{ada['id']}", {
        "Operations": [{"op": "replace", "path": "active", "value": "False"}]})  # fmt: skip
    assert response.status_code == 200
    assert not ProgramRole.objects.filter(program__institution=north_program.institution).exists()
    assert not Enrollment.objects.current().filter(program=north_program).exists()
    assert Enrollment.objects.filter(program=north_program, end_date__isnull=False).exists()
    assert ProgramRole.objects.filter(program=south_program, user=account).exists()
    south_enrollment.refresh_from_db()
    assert south_enrollment.end_date is None
    account.refresh_from_db()
    assert account.is_active

    # Reactivated: the groups give the roles again.
    north_scim.call("patch", f"Users/{ada['id']}", {
        "Operations": [{"op": "replace", "value": {"active": True}}]})  # fmt: skip
    assert ProgramRole.objects.filter(program=north_program, user=account, role="coach").exists()

    # Removed from a group: that role ends.
    response, _ = north_scim.call("patch", f"Groups/{coaches['id']}", {
        "Operations": [{"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}]})  # fmt: skip
    assert response.status_code == 200
    assert not ProgramRole.objects.filter(program=north_program, role="coach").exists()
    assert learners["members"][0]["value"] == ada["id"]

    # DELETE: north forgets the person; the account and south stay.
    response, _ = north_scim.call("delete", f"Users/{ada['id']}")
    assert response.status_code == 204
    assert north_scim.call("get", f"Users/{ada['id']}")[0].status_code == 404
    assert not Enrollment.objects.current().filter(program=north_program).exists()
    assert User.objects.filter(pk=account.pk, is_active=True).exists()
    assert ProgramRole.objects.filter(program=south_program, user=account).exists()


def test_one_institution_never_sees_or_touches_another(north, south):
    _, _, north_scim = north
    _, _, south_scim = south
    _, ada = north_scim.call("post", "Users", _user("ada@north.edu"))
    for method in ("get", "put", "patch", "delete"):
        response, body = south_scim.call(method, f"Users/{ada['id']}", _user("x@south.edu"))
        assert response.status_code == 404, method
        assert body["status"] == "404"
    _, listed = south_scim.call("get", "Users")
    assert listed["totalResults"] == 0
    _, filtered = south_scim.call("get", 'Users?filter=userName eq "ada@north.edu"')
    assert filtered["totalResults"] == 0
    # It may not provision an address in north's domain, nor an account outside its domains.
    response, body = south_scim.call("post", "Users", _user("eve@north.edu"))
    assert response.status_code == 403 and body["scimType"] == "invalidValue"
    factories.UserFactory(email="someone@gmail.com")
    response, body = south_scim.call("post", "Users", _user("someone@gmail.com"))
    assert response.status_code == 409 and body["scimType"] == "uniqueness"
    # Nor add north's person to its groups.
    response, body = south_scim.call("post", "Groups", {
        "displayName": "im:coach", "members": [{"value": ada["id"]}]})  # fmt: skip
    assert response.status_code == 400 and ada["id"] in body["detail"]
    assert ScimUser.objects.count() == 1


def test_an_existing_account_in_an_authoritative_domain_is_linked_not_copied(north):
    _, _, scim = north
    existing = factories.UserFactory(email="old@north.edu", first_name="Kept")
    response, body = scim.call("post", "Users", _user("old@north.edu"))
    assert response.status_code == 201
    assert ScimUser.objects.get(pk=body["id"]).user == existing
    scim.call("put", f"Users/{body['id']}", _user("old@north.edu", name={"givenName": "New"}))
    existing.refresh_from_db()
    assert existing.first_name == "Kept"  # the person's own account: SCIM only renames its record


@pytest.mark.parametrize(
    ("method", "path", "raw", "status", "scim_type"),
    [
        ("post", "Users", "{not json", 400, "invalidSyntax"),
        ("post", "Users", '["a list"]', 400, "invalidSyntax"),
        ("post", "Users", '{"userName": "a@north.edu", "favouriteColour": "red"}', 400,
         "invalidSyntax"),
        ("post", "Users", '{"name": {"givenName": "No"}}', 400, "invalidValue"),
        ("post", "Users", '{"userName": "not-an-email"}', 400, "invalidValue"),
        ("post", "Users", '{"userName": "a", "emails": [{"value": "nope"}]}', 400, "invalidValue"),
        ("post", "Users", '{"userName": "a", "emails": "a@north.edu"}', 400, "invalidValue"),
        ("post", "Users", '{"userName": "a@north.edu", "active": "maybe"}', 400, "invalidValue"),
        ("get", 'Users?filter=userName co "a"', "", 400, "invalidFilter"),
        ("get", "Users?filter=nickName eq \"a\"", "", 400, "invalidFilter"),
        ("get", "Users?startIndex=x", "", 400, "invalidValue"),
        ("post", "Groups", json.dumps({"displayName": "g", GROUP_EXTENSION: {"program": "im",
         "role": "dean"}}), 400, "invalidValue"),
        ("post", "Groups", json.dumps({"displayName": "g", GROUP_EXTENSION: {"program": "x",
         "role": "coach"}}), 400, "invalidValue"),
        ("get", "Users/not-a-uuid", "", 404, ""),
        ("get", "Groups/00000000-0000-0000-0000-000000000000", "", 404, ""),
        ("post", "ServiceProviderConfig", "{}", 405, ""),
    ],
)  # fmt: skip
def test_bad_input_is_a_scim_error_and_changes_nothing(north, method, path, raw, status, scim_type):
    _, _, scim = north
    response, body = scim.call(method, path, raw=raw)
    assert response.status_code == status, body
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status) and body["detail"]
    assert body.get("scimType", "") == scim_type
    assert not ScimUser.objects.exists()
    assert not User.objects.filter(email__endswith="north.edu").exists()


def test_duplicate_user_name_is_409_and_patch_errors_roll_back(north):
    _, _, scim = north
    scim.call("post", "Users", _user("ada@north.edu"))
    response, body = scim.call("post", "Users", _user("ADA@north.edu"))
    assert response.status_code == 409 and body["scimType"] == "uniqueness"
    _, bob = scim.call("post", "Users", _user("bob@north.edu"))
    response, body = scim.call("patch", f"Users/{bob['id']}", {"Operations": [
        {"op": "replace", "path": "externalId", "value": "changed"},
        {"op": "replace", "path": "userName", "value": "ada@north.edu"}]})  # fmt: skip
    assert response.status_code == 409
    assert ScimUser.objects.get(pk=bob["id"]).external_id == ""  # the whole PATCH rolled back
    response, body = scim.call("patch", f"Users/{bob['id']}", {"Operations": [
        {"op": "replace", "path": "favouriteColour", "value": "red"}]})  # fmt: skip
    assert response.status_code == 400 and body["scimType"] == "invalidPath"
    response, body = scim.call("patch", f"Users/{bob['id']}", {"Ops": []})
    assert response.status_code == 400 and body["scimType"] == "invalidSyntax"
    assert User.objects.filter(email__endswith="north.edu").count() == 2


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer wrong", "Basic Zm9vOmJhcg==", "Token scim_abc"]
)
def test_wrong_or_missing_token_is_401(north, header):
    client = Client()
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/scim/v2/Users", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["status"] == "401"


def test_a_revoked_token_is_401_and_tokens_are_stored_hashed(north):
    institution, _, scim = north
    token = ScimToken.objects.get(institution=institution)
    key = scim.headers["HTTP_AUTHORIZATION"].split()[1]
    assert key not in token.key_hash and token.prefix == key[5:13]
    assert scim.call("get", "Users")[0].status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.revoked_at = timezone.now()
    token.save()
    assert scim.call("get", "Users")[0].status_code == 401


def test_manage_py_scim_token_prints_a_working_key(north, capsys):
    institution, _, _ = north
    call_command("scim_token", institution.slug, "--name", "Okta")
    key = capsys.readouterr().out.strip()
    response, _ = Scim(key).call("get", "Users")
    assert response.status_code == 200
    assert ScimToken.objects.filter(institution=institution, name="Okta").exists()


def test_user_name_may_be_any_string_when_emails_give_the_address(north):
    _, _, scim = north
    response, body = scim.call("post", "Users", {
        "userName": "ALOVELACE", "emails": [{"value": "x@other.org"},
                                            {"value": "Ada@north.edu", "primary": True}]})  # fmt: skip
    assert response.status_code == 201, body
    assert body["emails"][0]["value"] == "ada@north.edu"
    assert User.objects.filter(email="ada@north.edu").exists()


def test_an_unmapped_group_grants_nothing_until_mapped(north):
    _, program, scim = north
    _, ada = scim.call("post", "Users", _user("ada@north.edu"))
    group = _group(scim, "All staff", [ada["id"]])
    assert GROUP_EXTENSION not in group
    assert not ProgramRole.objects.exists()
    response, body = scim.call("put", f"Groups/{group['id']}", {
        "displayName": "All staff", "members": [{"value": ada["id"]}],
        GROUP_EXTENSION: {"program": "im", "role": "faculty"}})  # fmt: skip
    assert response.status_code == 200, body
    assert ProgramRole.objects.filter(program=program, role="faculty").count() == 1
    response, _ = scim.call("delete", f"Groups/{group['id']}")
    assert response.status_code == 204 and not ProgramRole.objects.exists()


def test_an_unknown_scim_path_is_a_scim_404(north):
    _, _, scim = north
    response, body = scim.call("get", "Nothing/here")
    assert response.status_code == 404 and body["status"] == "404"


def _count_queries(scim: Scim, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response, _ = scim.call("get", path)
    assert response.status_code == 200
    return len(queries)


# token lookup, its last use, the count, the page, and one prefetch.
@pytest.mark.parametrize(("path", "queries"), [("Users", 5), ("Groups", 5)])
def test_list_query_count_does_not_grow_with_the_data(north, path, queries):
    _, _, scim = north

    def grow(n: int) -> None:
        for i in range(n):
            _, body = scim.call(
                "post", "Users", _user(f"p{ScimUser.objects.count()}-{i}@north.edu")
            )
            _group(scim, f"g-{body['id']}", [body["id"]])

    grow(2)
    small = _count_queries(scim, path)
    grow(6)
    assert _count_queries(scim, path) == small == queries


def test_provisioning_changes_are_in_the_audit_log(north):
    from audit.models import AuditEvent

    institution, _, scim = north
    _, ada = scim.call("post", "Users", _user("ada@north.edu"))
    scim.call("patch", f"Users/{ada['id']}", {
        "Operations": [{"op": "replace", "path": "active", "value": False}]})  # fmt: skip
    scim.call("delete", f"Users/{ada['id']}")
    actions = list(
        AuditEvent.objects.filter(institution_id=institution.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "scim_token.create", "scim_user.create", "scim_user.update", "scim_user.delete"
    ]  # fmt: skip
    update = AuditEvent.objects.get(action="scim_user.update")
    assert update.after == {"active": False} and update.target_id == ada["id"]


def test_an_oversized_body_is_413(north):
    _, _, scim = north
    response, body = scim.call("post", "Users", raw='{"userName": "' + "a" * 1_100_000 + '"}')
    assert response.status_code == 413 and body["status"] == "413"
    # Past Django's own limit the site-wide guard (core.middleware) answers 413 first.
    response = scim.client.post("/scim/v2/Users", data="a" * 3_000_000, content_type=SCIM,
                                **scim.headers)  # fmt: skip
    assert response.status_code == 413
    assert not ScimUser.objects.exists()
