"""Statement validation: every MUST of the xAPI data model, as a 400 with the path at fault.

Written from the xAPI 1.0.3 specification and IEEE 9274.1.1 (xAPI 2.0); `v2` turns on the
2.0 additions (context agents and groups, time zones required on timestamps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class XapiError(Exception):
    """A request the LRS refuses; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def fail(path: str, message: str) -> XapiError:
    return XapiError(f"{path}: {message}" if path else message)


# RFC 5646 language tags, loosely: a 2-3 (or 4-8) letter language, then subtags.
LANGUAGE_TAG = re.compile(
    r"^(?:[a-zA-Z]{2,3}(?:-[a-zA-Z]{3}){0,3}|[a-zA-Z]{4,8})"
    r"(?:-[a-zA-Z]{4})?"
    r"(?:-(?:[a-zA-Z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*"
    r"(?:-[0-9a-wy-zA-WY-Z](?:-[a-zA-Z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-zA-Z0-9]{1,8})+)?$"
    r"|^x(?:-[a-zA-Z0-9]{1,8})+$"
    r"|^(?:i-[a-zA-Z]{2,8}|en-GB-oed|sgn-[A-Z]{2}-[A-Z]{2,3})$"
)
IRI_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:[^\s]*$")
UUID_TEXT = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
MEDIA_TYPE = re.compile(r"^[\w!#$&^.+-]+/[\w!#$&^.+-]+\s*(;.*)?$")
SHA1_HEX = re.compile(r"^[0-9a-fA-F]{40}$")
EMAIL = re.compile(r"^mailto:[^@\s:]+@[^@\s]+\.[^@\s]+$|^mailto:[^@\s:]+@[^@\s.]+$")
# ISO 8601 duration: PnYnMnDTnHnMnS (seconds may be fractional) or PnW.
DURATION = re.compile(
    r"^P(?!$)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$"
    r"|^P\d+(?:\.\d+)?W$"
)
TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
COMPONENT_LISTS = {
    "choice": {"choices"},
    "sequencing": {"choices"},
    "likert": {"scale"},
    "matching": {"source", "target"},
    "performance": {"steps"},
}
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


@dataclass(frozen=True)
class Rules:
    v2: bool


MAX_DEPTH = 64


def too_deep(value: Any) -> bool:
    """Whether JSON nests deeper than MAX_DEPTH (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def parse_json(data: bytes | str, what: str = "The body") -> Any:
    """JSON text as Python, or a 400: not UTF-8, not JSON, or nested past MAX_DEPTH."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise XapiError(f"{what} is not valid JSON.") from error
    if too_deep(value):
        raise XapiError(f"{what} nests deeper than {MAX_DEPTH} levels.")
    return value


def is_uuid(value: Any) -> bool:
    return isinstance(value, str) and bool(UUID_TEXT.match(value))


def parse_timestamp(value: Any, *, require_zone: bool = False) -> datetime | None:
    """The instant an ISO 8601 timestamp names (UTC if it names no zone), or None."""
    if not isinstance(value, str):
        return None
    match = TIMESTAMP.match(value)
    if not match:
        return None
    zone = match.group(8)
    if zone is None and require_zone:
        return None
    # RFC 3339 reserves -00:00 for "offset unknown", which xAPI does not allow.
    if zone in ("-00", "-0000", "-00:00"):
        return None
    text = value
    if zone and len(zone) == 3:
        text = value + ":00"
    fraction = match.group(7)
    if fraction and len(fraction) > 6:
        text = text.replace("." + fraction, "." + fraction[:6])
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A query's time without a zone is read as UTC, the zone the LRS stores.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(path, "must be a JSON object.")
    return value


def check_keys(value: dict[str, Any], path: str, allowed: set[str], required: set[str]) -> None:
    for key, item in value.items():
        if key not in allowed:
            raise fail(path, f"unknown property '{key}'.")
        if item is None:
            raise fail(f"{path}.{key}", "must not be null.")
    for key in required:
        if key not in value:
            raise fail(path, f"'{key}' is required.")


def check_string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise fail(path, "must be a string.")
    return value


def check_bool(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise fail(path, "must be true or false.")


def check_number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(path, "must be a number.")
    return float(value)


MAX_IRI = 2048
MAX_IFI = 600


def check_iri(value: Any, path: str) -> str:
    if not isinstance(value, str) or not IRI_SCHEME.match(value):
        raise fail(path, "must be an absolute IRI.")
    if len(value) > MAX_IRI:
        raise fail(path, f"is longer than {MAX_IRI} characters.")
    return value


def check_uuid(value: Any, path: str) -> str:
    if not is_uuid(value):
        raise fail(path, "must be a UUID.")
    return str(value)


def check_language_map(value: Any, path: str) -> None:
    check_object(value, path)
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag):
            raise fail(path, f"'{tag}' is not a language tag (RFC 5646).")
        check_string(text, f"{path}.{tag}")


def check_extensions(value: Any, path: str) -> None:
    check_object(value, path)
    for key in value:
        check_iri(key, f"{path} key '{key}'")


def check_account(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {"homePage", "name"}, {"homePage", "name"})
    check_iri(value["homePage"], f"{path}.homePage")
    check_string(value["name"], f"{path}.name")


IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


def check_ifis(value: dict[str, Any], path: str, *, required: bool) -> None:
    present = [key for key in IFI_KEYS if key in value]
    if len(present) > 1:
        raise fail(path, "must carry exactly one identifier (mbox, mbox_sha1sum, openid, account).")
    if required and not present:
        raise fail(path, "needs an identifier (mbox, mbox_sha1sum, openid or account).")
    if "mbox" in value:
        mbox = check_string(value["mbox"], f"{path}.mbox")
        if not EMAIL.match(mbox):
            raise fail(f"{path}.mbox", "must be a mailto: IRI with an email address.")
    if "mbox_sha1sum" in value:
        digest = check_string(value["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        if not SHA1_HEX.match(digest):
            raise fail(f"{path}.mbox_sha1sum", "must be a SHA-1 hex digest.")
    if "openid" in value:
        check_iri(value["openid"], f"{path}.openid")
    if "account" in value:
        check_account(value["account"], f"{path}.account")
    if len(agent_ifi(value)) > MAX_IFI:
        raise fail(path, f"the identifier is longer than {MAX_IFI} characters.")


AGENT_KEYS = {"objectType", "name", *IFI_KEYS}


def check_agent(value: Any, path: str, *, object_type_required: bool = False) -> None:
    check_object(value, path)
    check_keys(value, path, AGENT_KEYS, set())
    object_type = value.get("objectType")
    if object_type_required and object_type is None:
        raise fail(path, "'objectType' is required.")
    if object_type not in (None, "Agent"):
        raise fail(f"{path}.objectType", "must be 'Agent'.")
    if "name" in value:
        check_string(value["name"], f"{path}.name")
    check_ifis(value, path, required=True)


def check_group(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {*AGENT_KEYS, "member"}, {"objectType"})
    if value["objectType"] != "Group":
        raise fail(f"{path}.objectType", "must be 'Group'.")
    if "name" in value:
        check_string(value["name"], f"{path}.name")
    check_ifis(value, path, required=False)
    identified = any(key in value for key in IFI_KEYS)
    if "member" in value:
        members = value["member"]
        if not isinstance(members, list):
            raise fail(f"{path}.member", "must be an array of Agents.")
        for index, member in enumerate(members):
            check_agent(member, f"{path}.member[{index}]")
    elif not identified:
        raise fail(path, "an anonymous Group needs 'member'.")
    if not identified and not value.get("member"):
        raise fail(f"{path}.member", "an anonymous Group needs at least one member.")


def check_actor(value: Any, path: str) -> None:
    check_object(value, path)
    if value.get("objectType") == "Group":
        check_group(value, path)
    else:
        check_agent(value, path)


def check_verb(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {"id", "display"}, {"id"})
    check_iri(value["id"], f"{path}.id")
    if "display" in value:
        check_language_map(value["display"], f"{path}.display")


def check_components(value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise fail(path, "must be an array of interaction components.")
    seen: set[str] = set()
    for index, component in enumerate(value):
        where = f"{path}[{index}]"
        check_object(component, where)
        check_keys(component, where, {"id", "description"}, {"id"})
        component_id = check_string(component["id"], f"{where}.id")
        if component_id in seen:
            raise fail(f"{where}.id", "ids must be unique within the list.")
        seen.add(component_id)
        if "description" in component:
            check_language_map(component["description"], f"{where}.description")


def check_definition(value: Any, path: str) -> None:
    check_object(value, path)
    allowed = {
        "name",
        "description",
        "type",
        "moreInfo",
        "extensions",
        "interactionType",
        "correctResponsesPattern",
        "choices",
        "scale",
        "source",
        "target",
        "steps",
    }
    check_keys(value, path, allowed, set())
    for key in ("name", "description"):
        if key in value:
            check_language_map(value[key], f"{path}.{key}")
    if "type" in value:
        check_iri(value["type"], f"{path}.type")
    if "moreInfo" in value:
        check_iri(value["moreInfo"], f"{path}.moreInfo")
    if "extensions" in value:
        check_extensions(value["extensions"], f"{path}.extensions")
    interaction = value.get("interactionType")
    if interaction is not None and (
        not isinstance(interaction, str) or interaction not in INTERACTION_TYPES
    ):
        raise fail(f"{path}.interactionType", "is not an xAPI interaction type.")
    if "correctResponsesPattern" in value:
        pattern = value["correctResponsesPattern"]
        if not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern):
            raise fail(f"{path}.correctResponsesPattern", "must be an array of strings.")
    for key in ("choices", "scale", "source", "target", "steps"):
        if key in value:
            if interaction is None or key not in COMPONENT_LISTS.get(interaction, set()):
                raise fail(f"{path}.{key}", f"is not allowed for interactionType {interaction}.")
            check_components(value[key], f"{path}.{key}")
    if interaction is None and "correctResponsesPattern" in value:
        raise fail(path, "correctResponsesPattern needs an interactionType.")


def check_activity(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {"objectType", "id", "definition"}, {"id"})
    if value.get("objectType", "Activity") != "Activity":
        raise fail(f"{path}.objectType", "must be 'Activity'.")
    check_iri(value["id"], f"{path}.id")
    if "definition" in value:
        check_definition(value["definition"], f"{path}.definition")


def check_statement_ref(value: Any, path: str) -> None:
    check_keys(value, path, {"objectType", "id"}, {"objectType", "id"})
    check_uuid(value["id"], f"{path}.id")


def check_object_property(value: Any, path: str, rules: Rules, *, in_sub: bool) -> None:
    check_object(value, path)
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        check_activity(value, path)
    elif object_type == "Agent":
        check_agent(value, path, object_type_required=True)
    elif object_type == "Group":
        check_group(value, path)
    elif object_type == "StatementRef":
        check_statement_ref(value, path)
    elif object_type == "SubStatement":
        if in_sub:
            raise fail(path, "a SubStatement may not contain a SubStatement.")
        check_substatement(value, path, rules)
    else:
        raise fail(f"{path}.objectType", f"'{object_type}' is not an object type.")


def check_score(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {"scaled", "raw", "min", "max"}, set())
    numbers = {key: check_number(value[key], f"{path}.{key}") for key in value}
    if "scaled" in numbers and not -1 <= numbers["scaled"] <= 1:
        raise fail(f"{path}.scaled", "must be between -1 and 1.")
    low, high = numbers.get("min"), numbers.get("max")
    if low is not None and high is not None and low > high:
        raise fail(path, "min must not exceed max.")
    raw = numbers.get("raw")
    if raw is not None:
        if low is not None and raw < low:
            raise fail(f"{path}.raw", "must not be below min.")
        if high is not None and raw > high:
            raise fail(f"{path}.raw", "must not be above max.")


def check_result(value: Any, path: str) -> None:
    check_object(value, path)
    allowed = {"score", "success", "completion", "response", "duration", "extensions"}
    check_keys(value, path, allowed, set())
    if "score" in value:
        check_score(value["score"], f"{path}.score")
    for key in ("success", "completion"):
        if key in value:
            check_bool(value[key], f"{path}.{key}")
    if "response" in value:
        check_string(value["response"], f"{path}.response")
    if "duration" in value:
        duration = check_string(value["duration"], f"{path}.duration")
        if not DURATION.match(duration):
            raise fail(f"{path}.duration", "must be an ISO 8601 duration.")
    if "extensions" in value:
        check_extensions(value["extensions"], f"{path}.extensions")


def check_context_activities(value: Any, path: str) -> None:
    check_object(value, path)
    check_keys(value, path, {"parent", "grouping", "category", "other"}, set())
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        for index, activity in enumerate(items):
            check_activity(activity, f"{path}.{key}[{index}]")


def check_context(value: Any, path: str, rules: Rules, object_value: Any) -> None:
    check_object(value, path)
    allowed = {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
    if rules.v2:
        allowed |= {"contextAgents", "contextGroups"}
    check_keys(value, path, allowed, set())
    if "registration" in value:
        check_uuid(value["registration"], f"{path}.registration")
    if "instructor" in value:
        check_actor(value["instructor"], f"{path}.instructor")
    if "team" in value:
        check_group(value["team"], f"{path}.team")
    if "contextActivities" in value:
        check_context_activities(value["contextActivities"], f"{path}.contextActivities")
    object_type = (
        object_value.get("objectType", "Activity") if isinstance(object_value, dict) else None
    )
    for key in ("revision", "platform"):
        if key in value:
            check_string(value[key], f"{path}.{key}")
            if object_type != "Activity":
                raise fail(f"{path}.{key}", "is only allowed when the object is an Activity.")
    if "language" in value:
        language = check_string(value["language"], f"{path}.language")
        if not LANGUAGE_TAG.match(language):
            raise fail(f"{path}.language", "must be a language tag (RFC 5646).")
    if "statement" in value:
        reference = check_object(value["statement"], f"{path}.statement")
        if reference.get("objectType") != "StatementRef":
            raise fail(f"{path}.statement", "must be a StatementRef.")
        check_statement_ref(reference, f"{path}.statement")
    if "extensions" in value:
        check_extensions(value["extensions"], f"{path}.extensions")
    if "contextAgents" in value:
        check_context_agents(value["contextAgents"], f"{path}.contextAgents", group=False)
    if "contextGroups" in value:
        check_context_agents(value["contextGroups"], f"{path}.contextGroups", group=True)


def check_context_agents(value: Any, path: str, *, group: bool) -> None:
    if not isinstance(value, list):
        raise fail(path, "must be an array.")
    kind = "contextGroup" if group else "contextAgent"
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        check_object(item, where)
        field = "group" if group else "agent"
        check_keys(item, where, {"objectType", field, "relevantTypes"}, {"objectType", field})
        if item["objectType"] != kind:
            raise fail(f"{where}.objectType", f"must be '{kind}'.")
        if group:
            check_group(item["group"], f"{where}.group")
        else:
            check_agent(item["agent"], f"{where}.agent")
        if "relevantTypes" in item:
            types = item["relevantTypes"]
            if not isinstance(types, list) or not types:
                raise fail(f"{where}.relevantTypes", "must be a non-empty array of IRIs.")
            for position, iri in enumerate(types):
                check_iri(iri, f"{where}.relevantTypes[{position}]")


def check_timestamp(value: Any, path: str, rules: Rules) -> None:
    if parse_timestamp(value, require_zone=rules.v2) is None:
        raise fail(path, "must be an ISO 8601 timestamp.")


def check_attachments(value: Any, path: str) -> None:
    if not isinstance(value, list):
        raise fail(path, "must be an array.")
    allowed = {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
    for index, attachment in enumerate(value):
        where = f"{path}[{index}]"
        check_object(attachment, where)
        check_keys(
            attachment, where, allowed, {"usageType", "display", "contentType", "length", "sha2"}
        )
        check_iri(attachment["usageType"], f"{where}.usageType")
        check_language_map(attachment["display"], f"{where}.display")
        if "description" in attachment:
            check_language_map(attachment["description"], f"{where}.description")
        content_type = check_string(attachment["contentType"], f"{where}.contentType")
        if not MEDIA_TYPE.match(content_type):
            raise fail(f"{where}.contentType", "must be an Internet media type (type/subtype).")
        length = attachment["length"]
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise fail(f"{where}.length", "must be a non-negative integer.")
        check_string(attachment["sha2"], f"{where}.sha2")
        if "fileUrl" in attachment:
            check_iri(attachment["fileUrl"], f"{where}.fileUrl")


def check_version(value: Any, path: str, rules: Rules) -> None:
    pattern = r"^(1\.0|2\.0)(\.\d+)?$" if rules.v2 else r"^1\.0(\.\d+)?$"
    if not isinstance(value, str) or not re.match(pattern, value):
        raise fail(path, "is not a version this LRS accepts.")


def check_common(value: dict[str, Any], path: str, rules: Rules, *, in_sub: bool) -> None:
    check_actor(value["actor"], f"{path}.actor")
    check_verb(value["verb"], f"{path}.verb")
    check_object_property(value["object"], f"{path}.object", rules, in_sub=in_sub)
    if "result" in value:
        check_result(value["result"], f"{path}.result")
    if "context" in value:
        check_context(value["context"], f"{path}.context", rules, value["object"])
    if "timestamp" in value:
        check_timestamp(value["timestamp"], f"{path}.timestamp", rules)
    if "attachments" in value:
        check_attachments(value["attachments"], f"{path}.attachments")


def check_substatement(value: dict[str, Any], path: str, rules: Rules) -> None:
    allowed = {
        "objectType",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "attachments",
    }
    check_keys(value, path, allowed, {"actor", "verb", "object"})
    check_common(value, path, rules, in_sub=True)


STATEMENT_KEYS = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
    "objectType",
}


def check_statement(value: Any, rules: Rules, path: str = "statement") -> dict[str, Any]:
    """Raise XapiError unless `value` is a statement the LRS may store."""
    check_object(value, path)
    check_keys(value, path, STATEMENT_KEYS, {"actor", "verb", "object"})
    if "objectType" in value and value["objectType"] != "Statement":
        raise fail(f"{path}.objectType", "must be 'Statement' if present.")
    if "id" in value:
        check_uuid(value["id"], f"{path}.id")
    check_common(value, path, rules, in_sub=False)
    if "stored" in value:
        check_timestamp(value["stored"], f"{path}.stored", rules)
    if "authority" in value:
        check_authority(value["authority"], f"{path}.authority")
    if "version" in value:
        check_version(value["version"], f"{path}.version", rules)
    verb_id = value["verb"]["id"]
    if verb_id == VOIDED_VERB:
        target = value["object"]
        if target.get("objectType") != "StatementRef":
            raise fail(f"{path}.object", "a voiding statement's object must be a StatementRef.")
    return value


def check_authority(value: Any, path: str) -> None:
    check_object(value, path)
    if value.get("objectType") == "Group":
        check_group(value, path)
        members = value.get("member", [])
        if any(key in value for key in IFI_KEYS) or len(members) != 2:
            raise fail(path, "a Group authority is anonymous with two members (OAuth).")
    else:
        check_agent(value, path)


def agent_ifi(value: Mapping[str, Any]) -> str:
    """One string naming an agent or identified group: the key the filters match on."""
    if "mbox" in value:
        return f"mbox:{value['mbox']}"
    if "mbox_sha1sum" in value:
        return f"mbox_sha1sum:{value['mbox_sha1sum']}"
    if "openid" in value:
        return f"openid:{value['openid']}"
    if "account" in value:
        account = value["account"]
        return f"account:{account.get('homePage')}|{account.get('name')}"
    return ""


def person_key(value: Mapping[str, Any]) -> str:
    """The identifier a learner is matched on: email addresses compare case-insensitively."""
    key = agent_ifi(value)
    if key.startswith(("mbox:", "mbox_sha1sum:")):
        return key.lower()
    return key


def parse_agent_param(text: str, *, group_allowed: bool = True) -> dict[str, Any]:
    """An `agent` query parameter: JSON naming an Agent (or identified Group)."""
    value = parse_json(text, "agent")
    if not isinstance(value, dict):
        raise XapiError("agent: must be a JSON object.")
    if value.get("objectType") == "Group" and group_allowed:
        check_group(value, "agent")
        if not agent_ifi(value):
            raise XapiError("agent: a Group used as a filter must be identified.")
    else:
        check_agent(value, "agent")
    return value
