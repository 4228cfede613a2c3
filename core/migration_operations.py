"""Operations that migrations of several apps share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def relabel_content_types(source: str, target: str, models: Sequence[str]) -> migrations.RunPython:
    """Move the content types of `models` (lower-case model names) from app `source` to
    `target`, and back when the migration is reversed: a model that changes app keeps its
    permissions and admin history. A row already under the new label (made by a post_migrate
    in between) wins; the old one is then stale, for `remove_stale_contenttypes`."""

    def relabel(apps: Any, old: str, new: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if not content_type.objects.filter(app_label=new, model=model).exists():
                content_type.objects.filter(app_label=old, model=model).update(app_label=new)
        content_type.objects.clear_cache()

    return migrations.RunPython(
        lambda apps, schema_editor: relabel(apps, source, target),
        lambda apps, schema_editor: relabel(apps, target, source),
    )


def covering_unique_constraint(
    table: str, name: str, columns: Sequence[str], include: Sequence[str]
) -> migrations.RunPython:
    """On PostgreSQL, rebuild the unique constraint `name` of `table` over the same `columns`
    with `include` carried in its index (INCLUDE): a read that needs only those columns is
    answered from the index, without visiting a table row per entry. Reversed, the constraint
    loses them again.

    Why not `UniqueConstraint(include=…)` on the model: Django creates no constraint at all on
    a database without covering indexes (SQLite, the laptop default), and the summaries'
    writers upsert with ON CONFLICT on these columns, which needs it. So the model keeps the
    plain constraint (same name and key columns, the ON CONFLICT target on both databases) and
    only PostgreSQL's index is widened; elsewhere this does nothing."""

    def rebuild(schema_editor: Any, carried: Sequence[str]) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        keys = ", ".join(quote(c) for c in columns)
        extra = f" INCLUDE ({', '.join(quote(c) for c in carried)})" if carried else ""
        # One statement: the table is never without its unique index.
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}, "
            f"ADD CONSTRAINT {quote(name)} UNIQUE ({keys}){extra}"
        )

    return migrations.RunPython(
        lambda apps, schema_editor: rebuild(schema_editor, include),
        lambda apps, schema_editor: rebuild(schema_editor, ()),
    )
