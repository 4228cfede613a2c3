"""The `format` parameter of statement queries: exact, ids, canonical."""

from __future__ import annotations

from typing import Any

from xapi.validation import IFI_KEYS


def ids_agent(agent: dict[str, Any]) -> dict[str, Any]:
    kept = {key: agent[key] for key in ("objectType", *IFI_KEYS) if key in agent}
    # An identified group is named by its identifier; an anonymous one by its members.
    if "member" in agent and len(kept) == 1:
        kept["member"] = [ids_agent(member) for member in agent["member"]]
    return kept


def ids_activity(activity: dict[str, Any]) -> dict[str, Any]:
    return {"id": activity["id"]}


def ids_object(target: dict[str, Any]) -> dict[str, Any]:
    kind = target.get("objectType", "Activity")
    if kind == "Activity":
        return ids_activity(target)
    if kind in ("Agent", "Group"):
        return ids_agent(target)
    if kind == "SubStatement":
        return ids_statement(target)
    return target


def ids_context(context: dict[str, Any]) -> dict[str, Any]:
    context = dict(context)
    for key in ("instructor", "team"):
        if key in context:
            context[key] = ids_agent(context[key])
    if "contextActivities" in context:
        context["contextActivities"] = {
            key: [ids_activity(activity) for activity in value]
            for key, value in context["contextActivities"].items()
        }
    if "contextAgents" in context:
        context["contextAgents"] = [
            {**item, "agent": ids_agent(item["agent"])} for item in context["contextAgents"]
        ]
    if "contextGroups" in context:
        context["contextGroups"] = [
            {**item, "group": ids_agent(item["group"])} for item in context["contextGroups"]
        ]
    return context


def ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    result["actor"] = ids_agent(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = ids_object(statement["object"])
    if "authority" in statement:
        result["authority"] = ids_agent(statement["authority"])
    if "context" in statement:
        result["context"] = ids_context(statement["context"])
    return result


LANGUAGE_MAP_KEYS = {"display", "name", "description"}


def pick_language(value: dict[str, str], languages: list[str]) -> dict[str, str]:
    for language in languages:
        for tag in value:
            if tag.lower() == language.lower() or tag.lower().split("-")[0] == language.lower():
                return {tag: value[tag]}
    first = next(iter(value), None)
    return {first: value[first]} if first is not None else {}


def canonical(value: Any, languages: list[str], key: str = "") -> Any:
    """Each language map cut down to the one language the requester prefers."""
    if isinstance(value, dict):
        if key in LANGUAGE_MAP_KEYS and all(isinstance(v, str) for v in value.values()):
            return pick_language(value, languages)
        return {k: canonical(v, languages, k) for k, v in value.items() if k != "extensions"} | (
            {"extensions": value["extensions"]} if "extensions" in value else {}
        )
    if isinstance(value, list):
        return [canonical(item, languages, key) for item in value]
    return value


def accept_languages(header: str | None) -> list[str]:
    if not header:
        return []
    ranked = []
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and tag != "*":
            ranked.append((weight, tag))
    return [tag for _, tag in sorted(ranked, key=lambda pair: -pair[0])]
