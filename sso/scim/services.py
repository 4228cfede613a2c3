"""Writes for SCIM 2.0 provisioning (RFC 7643 resources, RFC 7644 operations).

An institution's provisioning client manages *its* view of people (`ScimUser`) and groups
(`ScimGroup`); what that changes on the account is limited to the roles and enrollments in
the institution's own programs. Deactivating or deleting a person ends those roles and
enrollments and never the account, which belongs to the person.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from programs.models import Enrollment, Institution, Program, ProgramRole
from sso.models import ScimGroup, ScimToken, ScimUser
from sso.selectors import email_domain

# Attributes of the core User schema (RFC 7643 §4.1) a client may send. We store the ones
# `_user_fields` reads and accept the rest without keeping them; anything else is a mistake.
USER_ATTRIBUTES = {
    "schemas", "id", "meta", "externalId", "userName", "name", "displayName", "nickName",
    "profileUrl", "title", "userType", "preferredLanguage", "locale", "timezone", "active",
    "password", "emails", "phoneNumbers", "ims", "photos", "addresses", "groups",
    "entitlements", "roles", "x509Certificates",
}  # fmt: skip
GROUP_ATTRIBUTES = {"schemas", "id", "meta", "externalId", "displayName", "members"}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
GROUP_EXTENSION = "urn:continuum:params:scim:schemas:extension:program:2.0:Group"


@dataclass
class ScimError(Exception):
    """A request the SCIM endpoint refuses: the HTTP status, RFC 7644 `scimType`, and why."""

    status: int
    detail: str
    scim_type: str = ""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def scim_token_create(
    *, institution: Institution, name: str, by: User | None = None
) -> tuple[ScimToken, str]:
    """A new bearer token for `institution`'s SCIM client; the key is returned only here."""
    key = "scim_" + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        institution=institution, name=name, prefix=key[5:13], key_hash=_hash(key)
    )
    audit_record(
        actor=by,
        action="scim_token.create",
        target=token,
        institution_id=institution.pk,
        after={"name": name, "prefix": token.prefix},
    )
    return token, key


def _audit(action: str, target: ScimUser | ScimGroup, **changes: Any) -> None:
    """Provisioning changes are recorded with no actor: the institution's SCIM client made
    them (the token's name is in the record)."""
    audit_record(
        actor=None,
        action=action,
        target=target,
        institution_id=target.institution_id,
        after=changes or None,
    )


def scim_token_authenticate(*, key: str) -> ScimToken | None:
    """The live token with this key, its last use noted; None for any other key."""
    if not key:
        return None
    token = ScimToken.objects.active().select_related("institution").filter(key_hash=_hash(key))
    found = token.first()
    if found is not None:
        ScimToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found


# ---------------------------------------------------------------------------- roles


def institution_roles_end(*, user: User, institution: Institution) -> None:
    """End everything `user` holds at `institution`: program roles go, open enrollments end
    today. Other institutions' roles, the account and its history stay."""
    ProgramRole.objects.filter(user=user, program__institution=institution).delete()
    Enrollment.objects.current().filter(learner=user, program__institution=institution).update(
        end_date=timezone.localdate()
    )


def _grant(record: ScimUser, group: ScimGroup) -> None:
    if group.program is None:
        return  # not mapped to a role yet: membership is only recorded
    if group.role == ScimGroup.LEARNER:
        if not Enrollment.objects.current().filter(learner=record.user, program=group.program):
            Enrollment.objects.create(
                learner=record.user, program=group.program, start_date=timezone.localdate()
            )
        return
    ProgramRole.objects.get_or_create(program=group.program, user=record.user, role=group.role)


def _withdraw(record: ScimUser, group: ScimGroup) -> None:
    """Undo what `group` gave `record`, unless another of the institution's groups gives it."""
    if group.program is None:
        return
    others = record.groups.exclude(pk=group.pk).filter(program=group.program, role=group.role)
    if others.exists():
        return
    if group.role == ScimGroup.LEARNER:
        Enrollment.objects.current().filter(learner=record.user, program=group.program).update(
            end_date=timezone.localdate()
        )
    else:
        ProgramRole.objects.filter(
            program=group.program, user=record.user, role=group.role
        ).delete()


def _sync(record: ScimUser) -> None:
    """Make the account's roles at the institution follow the record: an inactive person
    holds none; an active one holds what their groups give."""
    if not record.active:
        institution_roles_end(user=record.user, institution=record.institution)
        return
    for group in record.groups.select_related("program"):
        _grant(record, group)


# ---------------------------------------------------------------------------- users


def _check_attributes(data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    unknown = sorted(k for k in data if k not in allowed and not k.startswith("urn:"))
    if unknown:
        raise ScimError(400, f"Unknown attribute(s): {', '.join(unknown)}.", "invalidSyntax")
    return data


def _text(data: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise ScimError(400, f"“{key}” is required.", "invalidValue")
        return None
    if not isinstance(value, str):
        raise ScimError(400, f"“{key}” must be a string.", "invalidValue")
    return value.strip()


def _boolean(value: Any) -> bool:
    # Some clients (Microsoft Entra) send booleans as the strings "True" and "False".
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, "“active” must be true or false.", "invalidValue")


def _user_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The attributes we keep, from a full or partial User resource."""
    fields: dict[str, Any] = {}
    user_name = _text(data, "userName")
    if user_name is not None:
        if not user_name:
            raise ScimError(400, "“userName” must not be empty.", "invalidValue")
        fields["user_name"] = user_name
    if "emails" in data:
        email = _primary_email(data["emails"])
        if email:
            fields["email"] = email
    external_id = _text(data, "externalId")
    if external_id is not None:
        fields["external_id"] = external_id
    if "name" in data:
        name = data["name"]
        if not isinstance(name, dict):
            raise ScimError(400, "“name” must be an object.", "invalidValue")
        for key, field in (("givenName", "given_name"), ("familyName", "family_name")):
            value = _text(name, key)
            if value is not None:
                fields[field] = value
    if "active" in data:
        fields["active"] = _boolean(data["active"])
    return fields


def _email(value: Any) -> str:
    if not isinstance(value, str) or not EMAIL.fullmatch(value.strip()):
        raise ScimError(400, f"“{value}” is not an email address.", "invalidValue")
    return value.strip().lower()


def _primary_email(emails: Any) -> str:
    """The primary address of a SCIM `emails` list, else its first."""
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(400, '“emails” must be a list of {"value": address}.', "invalidValue")
    ordered = sorted(emails, key=lambda e: not e.get("primary"))
    return _email(ordered[0].get("value")) if ordered else ""


def _account_for(institution: Institution, email: str) -> tuple[User | None, bool]:
    """The account a new record of `email` joins (None: make one), and whether the address
    counts as verified. Refuses another institution's domain and accounts this institution
    does not vouch for."""
    domain = email_domain(email)
    ours = domain is not None and domain.provider.institution_id == institution.pk
    if domain is not None and not ours:
        raise ScimError(403, f"{domain.domain} belongs to another institution.", "invalidValue")
    authoritative = ours and domain is not None and domain.authoritative
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None and not authoritative:
        raise ScimError(
            409,
            "An account with this address already exists and this institution is not "
            "authoritative for its domain; the person can connect it by signing in.",
            "uniqueness",
        )
    return owner, authoritative


def _apply_name(record: ScimUser) -> None:
    if record.created_account:
        User.objects.filter(pk=record.user_id).update(
            first_name=record.given_name, last_name=record.family_name
        )


def _check_unique(institution: Institution, user_name: str, record: ScimUser | None) -> None:
    clash = ScimUser.objects.filter(institution=institution, user_name__iexact=user_name)
    if record is not None:
        clash = clash.exclude(pk=record.pk)
    if clash.exists():
        raise ScimError(409, f"userName {user_name} is already provisioned.", "uniqueness")


@transaction.atomic
def scim_user_create(*, institution: Institution, data: Any) -> ScimUser:
    fields = _user_fields(_check_attributes(data, USER_ATTRIBUTES))
    if "user_name" not in fields:
        raise ScimError(400, "“userName” is required.", "invalidValue")
    _check_unique(institution, fields["user_name"], None)
    if "email" not in fields:
        if not EMAIL.fullmatch(fields["user_name"]):
            raise ScimError(
                400, "Give the person's email address in “emails” or as userName.", "invalidValue"
            )
        fields["email"] = fields["user_name"].lower()
    email = fields["email"]
    owner, verified = _account_for(institution, email)
    if owner is not None and ScimUser.objects.filter(institution=institution, user=owner):
        raise ScimError(409, "This account is already provisioned.", "uniqueness")
    created = owner is None
    if owner is None:
        owner = User.objects.create_user(
            email=email,
            first_name=fields.get("given_name", ""),
            last_name=fields.get("family_name", ""),
        )
        EmailAddress.objects.create(user=owner, email=email, primary=True, verified=verified)
    record = ScimUser.objects.create(
        institution=institution, user=owner, created_account=created, **fields
    )
    _sync(record)
    _audit("scim_user.create", record, **fields, created_account=created)
    return record


def _user_update(record: ScimUser, fields: dict[str, Any]) -> ScimUser:
    if "user_name" in fields and fields["user_name"] != record.user_name:
        # The account's address is the person's; a new userName only renames the record.
        _check_unique(record.institution, fields["user_name"], record)
    changed = {k: v for k, v in fields.items() if getattr(record, k) != v}
    for key, value in fields.items():
        setattr(record, key, value)
    record.save()
    _apply_name(record)
    _sync(record)
    if changed:
        _audit("scim_user.update", record, **changed)
    return record


@transaction.atomic
def scim_user_replace(*, record: ScimUser, data: Any) -> ScimUser:
    """PUT: the resource as sent; attributes it leaves out return to their defaults."""
    fields = _user_fields(_check_attributes(data, USER_ATTRIBUTES))
    if "user_name" not in fields:
        raise ScimError(400, "“userName” is required.", "invalidValue")
    defaults = {"external_id": "", "given_name": "", "family_name": "", "active": True}
    return _user_update(record, {**defaults, **fields})


USER_PATHS = {
    "userName": "userName",
    "externalId": "externalId",
    "active": "active",
    "name.givenName": "name.givenName",
    "name.familyName": "name.familyName",
    "name": "name",
}


def _patch_operations(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get("Operations"), list):
        raise ScimError(400, "A PATCH body needs an “Operations” list.", "invalidSyntax")
    operations = data["Operations"]
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown operation “{operation.get('op')}”.", "invalidSyntax")
        operation["op"] = op
    return list(operations)


def _nest(path: str, value: Any) -> dict[str, Any]:
    """`name.givenName`, v → {"name": {"givenName": v}}."""
    head, _, tail = path.partition(".")
    return {head: _nest(tail, value) if tail else value}


@transaction.atomic
def scim_user_patch(*, record: ScimUser, data: Any) -> ScimUser:
    fields: dict[str, Any] = {}
    for operation in _patch_operations(data):
        path = operation.get("path")
        value = operation.get("value")
        if path is None:
            if operation["op"] == "remove":
                raise ScimError(400, "“remove” needs a path.", "noTarget")
            fields.update(_user_fields(_check_attributes(value, USER_ATTRIBUTES)))
            continue
        if path.startswith("emails"):
            if operation["op"] != "remove":
                emails = value if path == "emails" else [{"value": value, "primary": True}]
                fields.update(_user_fields({"emails": emails}))
            continue
        if path not in USER_PATHS:
            if path.split(".")[0] in USER_ATTRIBUTES:
                continue  # a core attribute we accept and do not keep
            raise ScimError(400, f"Unknown attribute path “{path}”.", "invalidPath")
        if operation["op"] == "remove":
            if path == "userName":
                raise ScimError(400, "userName cannot be removed.", "mutability")
            value = True if path == "active" else ""
            if path == "name":
                value = {"givenName": "", "familyName": ""}
        fields.update(_user_fields(_nest(path, value)))
    return _user_update(record, fields)


@transaction.atomic
def scim_user_delete(*, record: ScimUser) -> None:
    """DELETE: the institution forgets the person; their roles there end, the account stays."""
    institution_roles_end(user=record.user, institution=record.institution)
    _audit("scim_user.delete", record, user_name=record.user_name)
    record.delete()


# ---------------------------------------------------------------------------- groups


def _group_program_role(
    institution: Institution, data: dict[str, Any], name: str
) -> tuple[Program | None, str]:
    """The program and role a group stands for. Our extension must name them correctly; a
    display name of the form `<program slug>:<role>` (for clients that cannot send
    extensions) maps the group when it fits; any other group is kept unmapped, to be mapped
    in the admin, and grants nothing until then."""
    valid_roles = {value for value, _ in ScimGroup.ROLE_CHOICES}
    extension = data.get(GROUP_EXTENSION)
    if extension is None:
        slug, _, role = name.rpartition(":")
        program = institution.programs.filter(slug=slug).first() if role in valid_roles else None
        return (program, role) if program is not None else (None, "")
    if not isinstance(extension, dict):
        raise ScimError(400, f"{GROUP_EXTENSION} must be an object.", "invalidValue")
    slug, role = str(extension.get("program", "")), str(extension.get("role", ""))
    if role not in valid_roles:
        raise ScimError(
            400, f"“role” must be one of {', '.join(sorted(valid_roles))}.", "invalidValue"
        )
    program = institution.programs.filter(slug=slug).first()
    if program is None:
        raise ScimError(400, f"This institution has no program “{slug}”.", "invalidValue")
    return program, role


def _members(institution: Institution, value: Any) -> list[ScimUser]:
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise ScimError(400, '“members” must be a list of {"value": id}.', "invalidValue")
    ids = [str(m.get("value", "")) for m in value]
    found = {str(r.pk): r for r in _records(institution, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        # Another institution's people are as unknown here as people who do not exist.
        raise ScimError(400, f"No such user(s): {', '.join(missing)}.", "invalidValue")
    return list(found.values())


def _records(institution: Institution, ids: Iterable[str]) -> list[ScimUser]:
    import uuid

    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(
        ScimUser.objects.filter(institution=institution, pk__in=valid).select_related("user")
    )


def _set_members(group: ScimGroup, members: list[ScimUser]) -> None:
    current = set(group.members.all())
    wanted = set(members)
    for record in current - wanted:
        _withdraw(record, group)
        group.members.remove(record)
    group.members.add(*(wanted - current))
    for record in wanted:
        if record.active:
            _grant(record, group)


def _check_group_name(institution: Institution, name: str, group: ScimGroup | None) -> None:
    clash = ScimGroup.objects.filter(institution=institution, display_name__iexact=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ScimError(409, f"A group named {name} already exists.", "uniqueness")


@transaction.atomic
def scim_group_create(*, institution: Institution, data: Any) -> ScimGroup:
    data = _check_attributes(data, GROUP_ATTRIBUTES)
    name = _text(data, "displayName", required=True) or ""
    _check_group_name(institution, name, None)
    program, role = _group_program_role(institution, data, name)
    group = ScimGroup.objects.create(
        institution=institution,
        display_name=name,
        external_id=_text(data, "externalId") or "",
        program=program,
        role=role,
    )
    _set_members(group, _members(institution, data.get("members", [])))
    _audit("scim_group.create", group, display_name=name, program=program, role=role)
    return group


@transaction.atomic
def scim_group_replace(*, group: ScimGroup, data: Any) -> ScimGroup:
    data = _check_attributes(data, GROUP_ATTRIBUTES)
    name = _text(data, "displayName", required=True) or ""
    _check_group_name(group.institution, name, group)
    program, role = _group_program_role(group.institution, data, name)
    if (program, role) != (group.program, group.role):
        _set_members(group, [])  # what the group gave ends before it stands for another role
    group.display_name, group.program, group.role = name, program, role
    group.external_id = _text(data, "externalId") or ""
    group.save()
    _set_members(group, _members(group.institution, data.get("members", [])))
    _audit("scim_group.replace", group, display_name=name, program=program, role=role)
    return group


def _member_filter(path: str) -> str | None:
    """The id in a path such as `members[value eq "…"]`."""
    if not path.startswith("members[") or not path.endswith("]"):
        return None
    inner = path[len("members[") : -1].split()
    if len(inner) == 3 and inner[0] == "value" and inner[1].lower() == "eq":
        return inner[2].strip('"')
    raise ScimError(400, f"Unsupported member filter “{path}”.", "invalidFilter")


@transaction.atomic
def scim_group_patch(*, group: ScimGroup, data: Any) -> ScimGroup:
    institution = group.institution
    members = list(group.members.all())
    for operation in _patch_operations(data):
        op, path, value = operation["op"], operation.get("path"), operation.get("value")
        if path is None and isinstance(value, dict):
            _check_attributes(value, GROUP_ATTRIBUTES)
            if "displayName" in value:
                name = _text(value, "displayName") or ""
                _check_group_name(institution, name, group)
                group.display_name = name
            if "externalId" in value:
                group.external_id = _text(value, "externalId") or ""
            if "members" in value:
                added = _members(institution, value["members"])
                members = added if op == "replace" else members + added
            continue
        single = _member_filter(path or "")
        if single is not None and op == "remove":
            members = [m for m in members if str(m.pk) != single]
        elif path == "members":
            given = _members(institution, value) if value is not None else []
            if op == "add":
                members = members + given
            elif op == "replace":
                members = given
            else:
                drop = {m.pk for m in given} if value is not None else {m.pk for m in members}
                members = [m for m in members if m.pk not in drop]
        elif path in ("displayName", "externalId") and op != "remove":
            if path == "displayName":
                name = str(value or "").strip()
                _check_group_name(institution, name, group)
                group.display_name = name
            else:
                group.external_id = str(value or "")
        else:
            raise ScimError(400, f"Unsupported path “{path}” for {op}.", "invalidPath")
    group.save()
    _set_members(group, list(dict.fromkeys(members)))
    _audit("scim_group.patch", group, members=[str(m.pk) for m in members])
    return group


@transaction.atomic
def scim_group_delete(*, group: ScimGroup) -> None:
    _set_members(group, [])
    _audit("scim_group.delete", group, display_name=group.display_name)
    group.delete()


def scim_erase_for_user(*, user: User) -> None:
    """Erasure: institutions' provisioning records of the person go (their roles and
    enrollments are handled by the programs app's erasure)."""
    ScimUser.objects.filter(user=user).delete()
