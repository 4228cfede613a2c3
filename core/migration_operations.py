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
