"""Stable identifiers for CASE: the same framework, item or link gets the same UUID every time.

A new framework version's CFDocument identifier is derived from its code and version; a new
item's from the framework code, its own code and its title, so an item that is the same in the
next version (same code, same title) keeps its identifier there too. Identifiers that come in
with a CASE package are kept as they are (frameworks.services). All are stored on the rows.
"""

from __future__ import annotations

import uuid

# Continuum's own namespace for name-based (version 5) UUIDs. Never change it: every
# identifier Continuum has handed out depends on it.
NAMESPACE = uuid.UUID("54dcdb60-98c6-4a21-b822-c65d1b4da171")


def document_uuid(code: str, version: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"document:{code}:{version}")


def item_uuid(framework_code: str, code: str, title: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"item:{framework_code}:{code}:{title}")


def child_of_uuid(item: uuid.UUID, parent: uuid.UUID | str) -> uuid.UUID:
    """The isChildOf association of an item (`parent` is the parent item, or the framework code
    for a top-level item, so the association outlives the document version)."""
    return uuid.uuid5(NAMESPACE, f"isChildOf:{item}:{parent}")


def rubric_uuid(document: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"rubric:{document}")


def criterion_uuid(rubric: uuid.UUID, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"criterion:{rubric}:{key}")


def criterion_level_uuid(criterion: uuid.UUID, score: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"level:{criterion}:{score}")
