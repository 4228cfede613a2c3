"""Serve plotly.js from the installed `plotly` package as `vendor/plotly.min.js`.

The file ships inside the Python package, so the JavaScript always matches the version in
pyproject.toml and no 4 MB copy is committed. collectstatic and WhiteNoise both use finders.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

FILE = "plotly.min.js"
PREFIX = "vendor"


def _package_data() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.root = _package_data()
        self.storage = FileSystemStorage(location=str(self.root))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        if not (self.root / FILE).is_file():
            return [Error(f"plotly.js is missing from {self.root}", id="core.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        if path != f"{PREFIX}/{FILE}" or not (self.root / FILE).is_file():
            return [] if find_all else None
        found = str(self.root / FILE)
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        yield FILE, self.storage
