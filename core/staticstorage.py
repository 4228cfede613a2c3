"""Static file storages that work out each file's URL once per process.

Every page links five or six static files, and `{% static %}` asks the storage for each URL on
every render: quoting and joining the path (and, in production, looking up the hashed name in
the manifest) costs ~10 µs a file. A file's URL cannot change while the process runs — the
manifest is read once when the storage starts — so each is remembered the first time.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class RememberedUrls:
    """Mixin for a static files storage: `url(name)` computed once per name."""

    def url(self, name: Any, *args: Any, **kwargs: Any) -> str:
        if args or kwargs:  # the manifest storage's `force`: not the pages' everyday question
            return super().url(name, *args, **kwargs)  # type: ignore[misc, no-any-return]
        urls: dict[str, str] = self.__dict__.setdefault("_remembered_urls", {})
        url = urls.get(name)
        if url is None:
            url = urls[name] = super().url(name)  # type: ignore[misc]
        return url


class StaticFiles(RememberedUrls, StaticFilesStorage):
    """Files under STATIC_URL by their own names (development, tests, the benchmark)."""


class CompressedManifestStaticFiles(RememberedUrls, CompressedManifestStaticFilesStorage):
    """Files by their hashed names, compressed (production, after `collectstatic`)."""
